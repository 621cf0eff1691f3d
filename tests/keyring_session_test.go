package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/contexts"
)

// secretCalls watches a private bus for the method calls one process makes
// to the Secret Service (org.freedesktop.secrets), as dbus-monitor does.
type secretCalls struct {
	conn *dbus.Conn
	msgs chan *dbus.Message
}

func watchSecretCalls(t *testing.T, address string) *secretCalls {
	t.Helper()
	conn, err := dbus.Connect(address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	rules := []string{
		"type='method_call',destination='org.freedesktop.secrets'",
		"type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged'",
	}
	if err := conn.BusObject().Call("org.freedesktop.DBus.Monitoring.BecomeMonitor", 0, rules, uint32(0)).Err; err != nil {
		t.Fatal(err)
	}
	w := &secretCalls{conn: conn, msgs: make(chan *dbus.Message, 1024)}
	conn.Eavesdrop(w.msgs)
	return w
}

// next returns "interface.member" → count for the calls of the next client
// that talks to the Secret Service, once that client has left the bus (the
// bus reports its name gone only after handling all it sent), and the first
// of them.
func (w *secretCalls) next(t *testing.T) (calls map[string]int, first string) {
	t.Helper()
	calls = map[string]int{}
	sender := ""
	timeout := time.After(30 * time.Second)
	for {
		select {
		case m := <-w.msgs:
			switch m.Type {
			case dbus.TypeMethodCall:
				from, _ := m.Headers[dbus.FieldSender].Value().(string)
				if sender == "" {
					sender = from
				}
				if from != sender {
					t.Fatalf("calls from two clients (%s, %s)", sender, from)
				}
				iface, _ := m.Headers[dbus.FieldInterface].Value().(string)
				member, _ := m.Headers[dbus.FieldMember].Value().(string)
				calls[iface+"."+member]++
				if first == "" {
					first = iface + "." + member
				}
			case dbus.TypeSignal:
				if len(m.Body) == 3 && sender != "" && m.Body[0] == sender && m.Body[2] == "" {
					return calls, first
				}
			}
		case <-timeout:
			t.Fatalf("the client never left the bus; calls so far %v", calls)
		}
	}
}

// clientPKI writes a CA (ca.crt) and, for each name, a client certificate
// and key of the given type from it (NAME.crt, NAME.key) into a new
// directory.
func clientPKI(t *testing.T, keys map[string]certwiz.KeyType) (string, *certwiz.Issued, map[string]*certwiz.Issued) {
	t.Helper()
	dir := t.TempDir()
	ca, err := certwiz.NewCA("session CA", certwiz.ECDSAP256, 0)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"ca.crt": ca.CertPEM}
	leaves := map[string]*certwiz.Issued{}
	for name, kt := range keys {
		leaf, err := certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleClient, CommonName: name}, kt, ca)
		if err != nil {
			t.Fatal(err)
		}
		leaves[name] = leaf
		files[name+".crt"], files[name+".key"] = leaf.CertPEM, leaf.KeyPEM
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, ca, leaves
}

// firsts returns the first call each client made to the Secret Service, by
// unique name, once every client seen so far has left the bus; run it after
// the process that made them has exited.
func (w *secretCalls) firsts(t *testing.T) map[string]string {
	t.Helper()
	first := map[string]string{}
	left := map[string]bool{}
	timeout := time.After(30 * time.Second)
	for len(first) == 0 || len(left) < len(first) {
		select {
		case m := <-w.msgs:
			switch m.Type {
			case dbus.TypeMethodCall:
				from, _ := m.Headers[dbus.FieldSender].Value().(string)
				iface, _ := m.Headers[dbus.FieldInterface].Value().(string)
				member, _ := m.Headers[dbus.FieldMember].Value().(string)
				if _, ok := first[from]; !ok {
					first[from] = iface + "." + member
				}
			case dbus.TypeSignal:
				if name, _ := m.Body[0].(string); len(m.Body) == 3 && m.Body[2] == "" {
					if _, ok := first[name]; ok {
						left[name] = true
					}
				}
			}
		case <-timeout:
			t.Fatalf("clients never left the bus; first calls so far %v", first)
		}
	}
	return first
}

// TestNoKeyringClientStartsWithOpenSession: no connection etcd-ctx opens to
// the Secret Service makes OpenSession its first call: gnome-keyring 42.1
// aborts on an OpenSession it dispatches before it has registered the client
// (contexts/keyring_dbus.go, TestNewClientsLeaveGnomeKeyringRunning). exec's
// own client and go-keyring's (writes, deletes, and the reads exec leaves to
// it) both start with a property read.
func TestNoKeyringClientStartsWithOpenSession(t *testing.T) {
	u := newUser(t, true)
	dir, _, _ := clientPKI(t, map[string]certwiz.KeyType{"ping": certwiz.ECDSAP256})
	w := watchSecretCalls(t, u.keyring.Address)
	for _, args := range [][]string{
		{"etcd-ctx", "add", "ping", "--endpoints", "https://127.0.0.1:2379", "--cacert", filepath.Join(dir, "ca.crt"),
			"--cert", filepath.Join(dir, "ping.crt"), "--key", filepath.Join(dir, "ping.key"), "--password-stdin", "--user", "alice"},
		{"etcd-ctx", "exec", "--context", "ping", "--", "true"},
		{"etcd-ctx", "delete", "ping"},
	} {
		u.ok("s3cret\n", args...)
		firsts := w.firsts(t)
		for client, call := range firsts {
			if call == "org.freedesktop.Secret.Service.OpenSession" {
				t.Errorf("%s: client %s called %s first (all: %v)", args[1], client, call, firsts)
			}
		}
	}
}

// TestExecReadsTheKeyringInOneSession: against a real gnome-keyring,
// `etcd-ctx exec` reads a context's items (the cluster's CA, the user's
// certificate and key) in one Secret Service session: a property read (see
// contexts/keyring_dbus.go), OpenSession, one SearchItems per item,
// one GetSecrets, and none of go-keyring's per-item calls (Collections,
// Unlock, GetSecret), nor a Close. A key stored in chunks costs one more
// SearchItems per part and one more GetSecrets, in the same session. What
// reaches the command is the material that was added.
func TestExecReadsTheKeyringInOneSession(t *testing.T) {
	u := newUser(t, true)
	dir, ca, leaves := clientPKI(t, map[string]certwiz.KeyType{"small": certwiz.ECDSAP256, "big": certwiz.RSA4096})
	small, big := leaves["small"], leaves["big"]
	for _, name := range []string{"small", "big"} {
		u.ok("", "etcd-ctx", "add", name, "--endpoints", "https://127.0.0.1:2379", "--cacert", filepath.Join(dir, "ca.crt"),
			"--cert", filepath.Join(dir, name+".crt"), "--key", filepath.Join(dir, name+".key"))
	}

	// The RSA-4096 certificate and key exceed one item: N chunks.
	header := u.ok("", "secret-tool", "lookup", "service", contexts.Service, "username", "user/big")
	var parts int
	if _, err := fmt.Sscanf(header, "etcd-ctx-chunked:v1:%d:", &parts); err != nil || parts < 2 {
		t.Fatalf("user/big is not stored in chunks: %.40q", header)
	}

	w := watchSecretCalls(t, u.keyring.Address)
	const (
		service = "org.freedesktop.Secret.Service."
		first   = "org.freedesktop.DBus.Properties.Get"
	)
	for _, tc := range []struct {
		name     string
		key      []byte
		reads    int // GetSecrets calls
		searches int
	}{
		{"small", small.KeyPEM, 1, 2},
		{"big", big.KeyPEM, 2, 2 + parts},
	} {
		got := u.ok("", "etcd-ctx", "exec", "--context", tc.name, "--", "sh", "-c", `cat "$ETCDCTL_CACERT" "$ETCDCTL_KEY"`)
		if got != string(ca.CertPEM)+string(tc.key) {
			t.Fatalf("%s: the command did not get the CA and key that were added", tc.name)
		}
		calls, firstCall := w.next(t)
		if firstCall != first {
			t.Errorf("%s: the first call was %s, not %s", tc.name, firstCall, first)
		}
		want := map[string]int{
			first:                   1,
			service + "OpenSession": 1,
			service + "SearchItems": tc.searches,
			service + "GetSecrets":  tc.reads,
		}
		if len(calls) != len(want) {
			t.Errorf("%s: Secret Service calls %v, want only %v", tc.name, calls, want)
		}
		for call, n := range want {
			if calls[call] != n {
				t.Errorf("%s: %d × %s, want %d (all calls: %v)", tc.name, calls[call], call, n, calls)
			}
		}
	}
}
