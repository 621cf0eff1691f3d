package contexts

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
)

// TestMain swaps go-keyring's provider for its in-memory mock, and points
// D-Bus at nothing (OSKeyring.GetMany talks to the Secret Service itself), so
// that no test of this package can ever read or write the real OS keyring.
func TestMain(m *testing.M) {
	keyring.MockInit()
	os.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/etcd-ctx-contexts-tests-use-no-bus")
	os.Exit(m.Run())
}

// memKeyring is an in-memory Keyring that records what was done to it.
type memKeyring struct {
	mu      sync.Mutex
	items   map[string]string
	sets    []string // item names passed to Set, in order
	deletes []string // item names passed to Delete, in order
	// failSet, when non-nil, is consulted before every Set.
	failSet func(item string) error
	// failDelete, when non-nil, is consulted before every Delete.
	failDelete func(item string) error
}

func newMemKeyring() *memKeyring { return &memKeyring{items: map[string]string{}} }

func (k *memKeyring) Get(item string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.items[item]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

func (k *memKeyring) Set(item, value string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.sets = append(k.sets, item)
	if k.failSet != nil {
		if err := k.failSet(item); err != nil {
			return err
		}
	}
	k.items[item] = value
	return nil
}

func (k *memKeyring) Delete(item string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.deletes = append(k.deletes, item)
	if k.failDelete != nil {
		if err := k.failDelete(item); err != nil {
			return err
		}
	}
	delete(k.items, item)
	return nil
}

func (k *memKeyring) names() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Sorted(maps.Keys(k.items))
}

func (k *memKeyring) snapshot() map[string]string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return maps.Clone(k.items)
}

func (k *memKeyring) setCalls() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.sets)
}

func (k *memKeyring) deleteCalls() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.deletes)
}

var errKeyringDown = errors.New("keyring is down")

// pki is real PEM material for tests: a CA, a client pair signed by it, and a
// second client pair whose key does not match the first certificate.
type testMaterial struct {
	ca, client, other *certwiz.Issued
}

var (
	pkiOnce sync.Once
	pkiVal  testMaterial
	pkiErr  error
)

// testPKI returns PEM material shared by all tests (generated once: key
// generation is the slow part of this package's tests).
func testPKI(t *testing.T) testMaterial {
	t.Helper()
	pkiOnce.Do(func() {
		var p testMaterial
		if p.ca, pkiErr = certwiz.NewCA("test CA", certwiz.ECDSAP256, 0); pkiErr != nil {
			return
		}
		if p.client, pkiErr = certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleClient, CommonName: "alice"}, certwiz.ECDSAP256, p.ca); pkiErr != nil {
			return
		}
		if p.other, pkiErr = certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleClient, CommonName: "bob"}, certwiz.ECDSAP256, p.ca); pkiErr != nil {
			return
		}
		pkiVal = p
	})
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pkiVal
}

// writeFile writes data to dir/name (creating parents) and returns the path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// newStore is a Store on a config file in a fresh temp dir with an in-memory keyring.
func newStore(t *testing.T) (*Store, *memKeyring) {
	t.Helper()
	kr := newMemKeyring()
	return &Store{File: File{Path: filepath.Join(t.TempDir(), "config.yaml")}, Keyring: kr}, kr
}

// pemSpec is a context whose material lives only in memory.
func pemSpec(t *testing.T) Spec {
	p := testPKI(t)
	return Spec{
		Name:      "mem",
		Endpoints: []string{"https://h:2379"},
		CA:        Material{PEM: p.ca.CertPEM},
		Cert:      Material{PEM: p.client.CertPEM},
		Key:       Material{PEM: p.client.KeyPEM},
	}
}

func closeHandoff(t *testing.T, h *Handoff) {
	t.Helper()
	if err := h.Close(); err != nil {
		t.Error(err)
	}
}
