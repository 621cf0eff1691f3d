//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package contexts

import (
	"errors"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// Where go-keyring uses the Secret Service (the same build constraint), a
// context's items are read in one session over D-Bus: go-keyring opens a
// session per item and makes seven round trips for each (collection list,
// unlock, search, open, unlock, read, close). Here, after a first property
// read (below), OpenSession and one SearchItems per item go out together,
// then one GetSecrets reads them all: three round trips to the daemon for
// any number of items on a new connection, two on one that has a session. Items this does not
// find unlocked in the login collection (where go-keyring writes them) are
// left to go-keyring, which unlocks, prompts and says what is missing.
//
// A connection's first call to the Secret Service is a property read
// (Collections), and nothing else goes out until it is answered; that costs
// one round trip more, before OpenSession and the SearchItems. gnome-keyring
// 42.1 registers each caller from a main-loop idle its message filter queues
// (daemon/dbus/gkd-secret-service.c), and a call that it dispatches before
// that finds no client: OpenSession's plain_negotiate fails without an error,
// and the reply it then builds from nothing aborts the daemon (GLib-ERROR in
// g_variant_new, after "assertion 'client' failed"), which D-Bus restarts
// with the login collection locked; SearchItems and GetSecrets look the
// client up too. With OpenSession first, `etcd-ctx exec -- true` in a loop
// crashed it after 224 to 1,090 runs, and TestNewClientsLeaveGnomeKeyringRunning
// after 287 to 732 clients (5 of 5 tries). A Peer.Ping sent first in the same
// write made it rare (12,000 runs), not impossible: GDBus answers Peer in its
// worker thread, not in the main loop, and CI crashed it once at client 73.
// A property read is answered by the main loop, so OpenSession arrives a
// round trip after that loop has dispatched a call of ours, with the
// registration idle queued (at a higher priority than method calls) before
// it; secret-tool starts the same way (2 × 1,500 lookups never crashed it).
// Under three busy loops, 6 × 2,000 clients of the test left it running.
//
// The session is never closed: it is kept for the connection's later reads,
// and the Secret Service ends a client's sessions when it leaves the bus; a
// Close still on its way when the process leaves (exec replaces it right
// after GetSecrets' reply) would be one more call for a client gone.

const (
	secretsName    = "org.freedesktop.secrets"
	secretsPath    = "/org/freedesktop/secrets"
	secretsService = "org.freedesktop.Secret.Service"
	// loginItems is the prefix of the items of go-keyring's collection.
	loginItems = "/org/freedesktop/secrets/collection/login/"
)

// secretStruct is the Secret Service's Secret (oayays).
type secretStruct struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

// getMany reads the items it can in one Secret Service session, over the
// pipelined connection (keyring_bus.go) where the bus allows, else over
// godbus's. The pipelined connection's socket deadline bounds its wait, in
// this goroutine; godbus's calls have no deadline, so they run in k.call's.
func (k *OSKeyring) getMany(items []string) (map[string]string, error) {
	deadline := time.Now().Add(k.Timeout)
	if b, err := sessionBus(deadline); err == nil {
		got, err := k.getManyWith(b, items, deadline)
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			return nil, k.noAnswer()
		case !errors.Is(err, errBusUnsupported):
			return got, classify(err)
		}
	}
	var got map[string]string
	err := k.call(func() (err error) { got, err = k.getManyWith(nil, items, deadline); return })
	return got, err
}

// sessions are the open Secret Service sessions, one per connection.
var sessions struct {
	sync.Mutex
	of map[secretCaller]dbus.ObjectPath
}

// getManyWith is getMany's two batches over c (godbus's shared connection
// when nil): OpenSession, unless c has one already, and a SearchItems per
// item; then GetSecrets of the items found unlocked in the login collection.
// A kept session the service no longer knows (it restarted) is replaced once.
func (k *OSKeyring) getManyWith(c secretCaller, items []string, deadline time.Time) (map[string]string, error) {
	if c == nil {
		conn, err := dbus.SessionBus() // go-keyring's shared connection
		if err != nil {
			return nil, err
		}
		c = godbusCaller{conn}
	}
	sessions.Lock()
	session, kept := sessions.of[c]
	sessions.Unlock()
	got, session, err := k.readItems(c, session, items, deadline)
	var answer *dbus.Error
	if kept && errors.As(err, &answer) {
		got, session, err = k.readItems(c, "", items, deadline)
	}
	sessions.Lock()
	if sessions.of == nil {
		sessions.of = map[secretCaller]dbus.ObjectPath{}
	}
	if err == nil {
		sessions.of[c] = session
	} else {
		delete(sessions.of, c)
	}
	sessions.Unlock()
	return got, err
}

// readItems reads items in session, or in a new one when session is "", and
// returns the session used.
func (k *OSKeyring) readItems(c secretCaller, session dbus.ObjectPath, items []string, deadline time.Time) (map[string]string, dbus.ObjectPath, error) {
	service := func(member string, args ...any) busCall {
		return busCall{dest: secretsName, path: secretsPath, iface: secretsService, member: member, args: args}
	}
	var calls []busCall
	if session == "" {
		// A property read first, answered before anything else goes out:
		// see the note at the top of this file. Optional: a service that
		// refuses it still serves the session.
		collections := busCall{dest: secretsName, path: secretsPath, iface: "org.freedesktop.DBus.Properties", member: "Get",
			args: []any{secretsService, "Collections"}, optional: true}
		if _, err := c.roundTrip(deadline, collections); err != nil {
			return nil, "", err
		}
		calls = append(calls, service("OpenSession", "plain", dbus.MakeVariant("")))
	}
	for _, item := range items {
		calls = append(calls, service("SearchItems", map[string]string{"username": item, "service": k.Service}))
	}
	replies, err := c.roundTrip(deadline, calls...)
	if err != nil {
		return nil, "", err
	}
	if session == "" {
		var ignored dbus.Variant
		if err := dbus.Store(replies[0], &ignored, &session); err != nil {
			return nil, "", err
		}
		replies = replies[1:]
	}
	paths := make([]dbus.ObjectPath, 0, len(items))
	byPath := make(map[dbus.ObjectPath]string, len(items))
	for i, body := range replies {
		var unlocked, locked []dbus.ObjectPath
		if err := dbus.Store(body, &unlocked, &locked); err != nil {
			return nil, "", err
		}
		for _, p := range unlocked {
			if strings.HasPrefix(string(p), loginItems) {
				paths = append(paths, p)
				byPath[p] = items[i]
				break
			}
		}
	}
	got := make(map[string]string, len(items))
	if len(paths) == 0 {
		return got, session, nil
	}
	replies, err = c.roundTrip(deadline, service("GetSecrets", paths, session))
	if err != nil {
		return nil, "", err
	}
	var secrets map[dbus.ObjectPath]secretStruct
	if err := dbus.Store(replies[0], &secrets); err != nil {
		return nil, "", err
	}
	for p, s := range secrets {
		if item, ok := byPath[p]; ok {
			got[item] = string(s.Value)
		}
	}
	return got, session, nil
}
