//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package contexts

import (
	"strings"

	"github.com/godbus/dbus/v5"
)

// Where go-keyring uses the Secret Service (the same build constraint), a
// context's items are read in one session over D-Bus: go-keyring opens a
// session per item and makes seven round trips for each (collection list,
// unlock, search, open, unlock, read, close). Here OpenSession and one
// SearchItems per item go out together, then one GetSecrets reads them all
// and the session is closed without waiting: two round trips to the daemon
// for any number of items. Items this does not find unlocked in the login
// collection (where go-keyring writes them) are left to go-keyring, which
// unlocks, prompts and says what is missing.

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

// getMany reads the items it can in one Secret Service session.
func (k *OSKeyring) getMany(items []string) (map[string]string, error) {
	conn, err := dbus.SessionBus() // go-keyring's shared connection
	if err != nil {
		return nil, err
	}
	svc := conn.Object(secretsName, secretsPath)
	open := svc.Go(secretsService+".OpenSession", 0, nil, "plain", dbus.MakeVariant(""))
	searches := make([]*dbus.Call, len(items))
	for i, item := range items {
		searches[i] = svc.Go(secretsService+".SearchItems", 0, nil, map[string]string{"username": item, "service": k.Service})
	}
	var ignored dbus.Variant
	var session dbus.ObjectPath
	if err := (<-open.Done).Store(&ignored, &session); err != nil {
		return nil, err
	}
	defer conn.Object(secretsName, session).Go("org.freedesktop.Secret.Session.Close", dbus.FlagNoReplyExpected, nil)
	paths := make([]dbus.ObjectPath, 0, len(items))
	byPath := make(map[dbus.ObjectPath]string, len(items))
	for i, call := range searches {
		var unlocked, locked []dbus.ObjectPath
		if err := (<-call.Done).Store(&unlocked, &locked); err != nil {
			return nil, err
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
		return got, nil
	}
	var secrets map[dbus.ObjectPath]secretStruct
	if err := svc.Call(secretsService+".GetSecrets", 0, paths, session).Store(&secrets); err != nil {
		return nil, err
	}
	for p, s := range secrets {
		if item, ok := byPath[p]; ok {
			got[item] = string(s.Value)
		}
	}
	return got, nil
}
