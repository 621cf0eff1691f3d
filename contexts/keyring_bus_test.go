//go:build linux

package contexts

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

func TestBusSocket(t *testing.T) {
	for _, tc := range []struct{ address, socket string }{
		{"unix:path=/run/user/1000/bus", "/run/user/1000/bus"},
		{"unix:path=/tmp/dbus-lkx3eg9ZsL,guid=c57ea5d5c2b07e44316ff3376b0c9214", "/tmp/dbus-lkx3eg9ZsL"},
		{"unix:abstract=/tmp/dbus-E1c73yNqrG,guid=0123", "@/tmp/dbus-E1c73yNqrG"},
		{"unix:guid=0123,path=/tmp/with%20space", "/tmp/with space"},
		{"tcp:host=localhost,port=4444;unix:path=/run/bus", "/run/bus"},
	} {
		got, err := busSocket(tc.address)
		if err != nil || got != tc.socket {
			t.Errorf("busSocket(%q) = %q, %v; want %q", tc.address, got, err, tc.socket)
		}
	}
	for _, address := range []string{"", "autolaunch:", "tcp:host=localhost,port=4444", "unix:tmpdir=/tmp", "unix:path=", "unix:path=%zz"} {
		if got, err := busSocket(address); !errors.Is(err, errBusUnsupported) {
			t.Errorf("busSocket(%q) = %q, %v; want errBusUnsupported (godbus then connects)", address, got, err)
		}
	}
}

// TestNewClientsLeaveGnomeKeyringRunning: clients that each connect, open a
// Secret Service session, search, and leave, one after the other as fast as
// they can (as `etcd-ctx exec` in a script's loop), leave a real
// gnome-keyring running. gnome-keyring 42.1 aborts when it dispatches a
// client's OpenSession before it has registered the client, so getMany reads
// a property first and waits for the answer (keyring_dbus.go): with
// OpenSession as the first call, this loop crashed it after 287 to 732
// connections in 5 of 5 tries; with a Peer.Ping sent first in the same write,
// once at client 73 (CI, under load).
func TestNewClientsLeaveGnomeKeyringRunning(t *testing.T) {
	harness.Need(t, harness.HasCommand("dbus-daemon") && harness.HasCommand("gnome-keyring-daemon"), "dbus-daemon and gnome-keyring-daemon")
	kr, err := harness.StartKeyring(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer kr.Close()
	k := &OSKeyring{Service: Service, Timeout: 10 * time.Second}
	const clients = 2000
	for i := range clients {
		deadline := time.Now().Add(k.Timeout)
		b, err := dialSessionBus(kr.Address, deadline)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := k.readItems(b, "", []string{"cluster/none", "user/none"}, deadline)
		b.conn.Close()
		if err != nil || len(got) != 0 {
			log, _ := os.ReadFile(filepath.Join(kr.Dir, "gnome-keyring.log"))
			lines := strings.Split(strings.TrimSpace(string(log)), "\n")
			t.Fatalf("client %d of %d: %v (items %v); gnome-keyring.log ends:\n%s", i+1, clients, err, got, strings.Join(lines[max(0, len(lines)-4):], "\n"))
		}
	}
}

// TestOptionalCalls: over both callers, an error reply to an optional call
// is its answer (a nil body) and the batch goes on; the same error to a call
// that is not optional fails the batch. (The property read before
// OpenSession is optional: a Secret Service that refuses it still serves the
// session.)
func TestOptionalCalls(t *testing.T) {
	harness.Need(t, harness.HasCommand("dbus-daemon") && harness.HasCommand("gnome-keyring-daemon"), "dbus-daemon and gnome-keyring-daemon")
	kr, err := harness.StartKeyring(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer kr.Close()
	deadline := time.Now().Add(10 * time.Second)
	b, err := dialSessionBus(kr.Address, deadline)
	if err != nil {
		t.Fatal(err)
	}
	defer b.conn.Close()
	conn, err := dbus.Connect(kr.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	missing := busCall{dest: secretsName, path: secretsPath, iface: secretsService, member: "NoSuchMethod"}
	open := busCall{dest: secretsName, path: secretsPath, iface: secretsService, member: "OpenSession", args: []any{"plain", dbus.MakeVariant("")}}
	for name, c := range map[string]secretCaller{"pipelined": b, "godbus": godbusCaller{conn}} {
		opt := missing
		opt.optional = true
		replies, err := c.roundTrip(deadline, opt, open)
		if err != nil || len(replies) != 2 || replies[0] != nil || len(replies[1]) != 2 {
			t.Errorf("%s: optional call answered with an error: replies %v, %v; want nil, then the session", name, replies, err)
		}
		var answer *dbus.Error
		if _, err := c.roundTrip(deadline, missing, open); !errors.As(err, &answer) || !strings.Contains(answer.Name, "UnknownMethod") {
			t.Errorf("%s: a call that is not optional answered with an error: %v; want that *dbus.Error", name, err)
		}
	}
}

// TestGetManySilentBus: a bus that takes the connection and never answers
// costs the keyring's timeout once, read off the socket's deadline (the
// pipelined read runs without a goroutine of its own), and says so as
// k.call does. It is not a bus to try again through godbus.
func TestGetManySilentBus(t *testing.T) {
	sock := harness.SilentSocket(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+sock)
	resetBus := func() { busOnce, bus, busErr = sync.Once{}, nil, nil }
	resetBus()
	t.Cleanup(resetBus)
	k := &OSKeyring{Service: Service, Timeout: time.Second}
	start := time.Now()
	_, err := k.GetMany("cluster/a", "user/a")
	var ke *KeyringError
	if !errors.As(err, &ke) || !strings.Contains(err.Error(), "no answer within 1s") {
		t.Fatalf("got %v, want a *KeyringError about the timeout", err)
	}
	if took := time.Since(start); took > 1800*time.Millisecond {
		t.Fatalf("took %v, want about the 1s timeout (not one per client)", took)
	}
}
