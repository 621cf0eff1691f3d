//go:build linux

package contexts

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
// client's OpenSession before it has registered the client, so getMany asks
// for a Peer.Ping first (keyring_dbus.go): with OpenSession as the first call,
// this loop crashed it after 287 to 732 connections in 5 of 5 tries.
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
