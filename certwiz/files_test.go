package certwiz

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
)

// TestWriteRefusesOverwrite: an existing key or certificate stops the whole
// write (nothing else is written) unless force; modes are 0600/0700.
func TestWriteRefusesOverwrite(t *testing.T) {
	l, k := writtenPKI(t)
	if runtime.GOOS != "windows" {
		for path, want := range map[string]os.FileMode{l.Dir: DirMode, filepath.Dir(l.Server("etcd-0")): DirMode, KeyPath(l.CA()): KeyMode, KeyPath(l.Client("root")): KeyMode, l.CA(): CertMode} {
			fi, err := os.Stat(path)
			if err != nil || fi.Mode().Perm() != want {
				t.Errorf("%s: mode %v, want %v (%v)", path, fi.Mode().Perm(), want, err)
			}
		}
	}
	before, _ := os.ReadFile(KeyPath(l.CA()))
	again := mustGenerate(t, k.Plan)
	os.Remove(l.Client("app")) // one file missing: still nothing may be written
	_, err := again.Write(false)
	var exists *ExistsError
	if !errors.As(err, &exists) {
		t.Fatalf("second write: %v, want ExistsError", err)
	}
	if after, _ := os.ReadFile(KeyPath(l.CA())); !bytes.Equal(before, after) {
		t.Fatal("the CA key was overwritten")
	}
	if _, err := os.Stat(l.Client("app")); err == nil {
		t.Fatal("a refused write still wrote files")
	}
	if _, err := again.Write(true); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(KeyPath(l.CA())); bytes.Equal(before, after) {
		t.Fatal("--force did not replace the CA key")
	}
}

// watchSyncs records each fsync of fileio (the one atomic write), as the
// file or directory synced, and fails call fail (0: none).
func watchSyncs(t *testing.T, fail int) *[]string {
	t.Helper()
	var (
		mu  sync.Mutex
		got []string
	)
	orig := fileio.Sync
	t.Cleanup(func() { fileio.Sync = orig })
	fileio.Sync = func(f *os.File) error {
		mu.Lock()
		got = append(got, f.Name())
		n := len(got)
		mu.Unlock()
		if n == fail {
			return errors.New("power cut")
		}
		return orig(f)
	}
	return &got
}

// failRename makes fileio's rename number n fail, as a crash between two
// renames would stop a write.
func failRename(t *testing.T, n int) {
	t.Helper()
	orig := fileio.Rename
	t.Cleanup(func() { fileio.Rename = orig })
	calls := 0
	fileio.Rename = func(from, to string) error {
		if calls++; calls == n {
			return errors.New("power cut")
		}
		return orig(from, to)
	}
}

// TestWritesAreDurable: every file of a PKI, and a renewed pair, goes
// through fileio.Write: its data synced under a temporary name, then (after
// the rename) its directory synced, before the write reports success.
func TestWritesAreDurable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	k := mustGenerate(t, testPlan(t, dir))
	syncs := watchSyncs(t, 0)
	files, err := k.Write(false)
	if err != nil {
		t.Fatal(err)
	}
	renewed, err := Renew(Layout{Dir: dir}.Server("etcd-0"), RenewOptions{CADir: dir, RotateKey: true, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteRenewed(Layout{Dir: dir}.Server("etcd-0"), renewed, true); err != nil {
		t.Fatal(err)
	}
	written := append(files, PairFiles(Layout{Dir: dir}.Server("etcd-0"), &Issued{})...)
	for _, f := range written {
		tmp := slices.IndexFunc(*syncs, func(s string) bool {
			return filepath.Dir(s) == filepath.Dir(f.Path) && strings.HasPrefix(filepath.Base(s), "."+filepath.Base(f.Path)+".tmp-")
		})
		if tmp < 0 {
			t.Errorf("%s: its data was never synced", f.Path)
			continue
		}
		if !slices.Contains((*syncs)[tmp+1:], filepath.Dir(f.Path)) {
			t.Errorf("%s: its directory was not synced after it was renamed", f.Path)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, JournalName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the journal outlived a complete write: %v", err)
	}
}

// TestInterruptedWriteCompletes: a PKI write that dies after some files
// (here before the 7th file is renamed into place) leaves keys without their
// certificates; running the same write again completes it without --force,
// into a tree check passes, while files the interrupted write did not make
// are still never overwritten.
func TestInterruptedWriteCompletes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	plan := testPlan(t, dir)
	// Renames: the journal's, then one per file: the 8th is the 7th file's.
	failRename(t, 8)
	if _, err := mustGenerate(t, plan).Write(false); err == nil || !strings.Contains(err.Error(), "power cut") {
		t.Fatalf("first write: %v, want it interrupted", err)
	}
	fileio.Rename = os.Rename
	l := Layout{Dir: dir}
	for _, p := range []string{l.CA(), KeyPath(l.CA()), l.PeerCA(), KeyPath(l.PeerCA()), l.Server("etcd-0"), KeyPath(l.Server("etcd-0"))} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("the interrupted write should have left %s: %v", p, err)
		}
	}
	if _, err := os.Stat(l.Peer("etcd-0")); err == nil {
		t.Fatal("the interrupted write went further than the test meant")
	}
	if _, err := os.Stat(filepath.Join(dir, JournalName)); err != nil {
		t.Fatalf("no journal after an interrupted write: %v", err)
	}

	// A file the interrupted write did not list still stops a write: here
	// the plan now has one more client, whose files someone made meanwhile.
	stray := l.Client("ops")
	if err := fileio.Write(stray, []byte("mine"), CertMode); err != nil {
		t.Fatal(err)
	}
	more := testPlan(t, dir)
	more.Clients = append(more.Clients, Client{Name: "ops"})
	if err := more.Complete(); err != nil {
		t.Fatal(err)
	}
	var exists *ExistsError
	if _, err := mustGenerate(t, more).Write(false); !errors.As(err, &exists) || exists.Path != stray {
		t.Fatalf("write over a file of someone else's: %v, want ExistsError for %s", err, stray)
	}
	if data, _ := os.ReadFile(stray); string(data) != "mine" {
		t.Fatal("the refused write replaced it")
	}
	os.Remove(stray)

	if _, err := mustGenerate(t, plan).Write(false); err != nil {
		t.Fatalf("re-run: %v", err)
	}
	check, err := CheckTree(dir, 24*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if Failed(check.Results) || len(check.Results) != 2+2*3+2 {
		t.Errorf("after the re-run: %d results, failed=%v, skipped %v", len(check.Results), Failed(check.Results), check.Skipped)
	}
	if _, err := os.Stat(filepath.Join(dir, JournalName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the journal outlived the completed write: %v", err)
	}
	// Complete now: a third run refuses, as before.
	if _, err := mustGenerate(t, plan).Write(false); !errors.As(err, &exists) {
		t.Errorf("third write: %v, want ExistsError", err)
	}
}

// TestFindCA: the CA that signs new leaves is found under any layout's
// name (certwiz's and kubeadm's ca.crt, cfssl's ca.pem, kubeadm's
// etcd/ca.crt from /etc/kubernetes/pki), a peer CA first for peers; none
// is an error that lists the names and has a hint.
func TestFindCA(t *testing.T) {
	dir := t.TempDir()
	touch := func(name string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var none *NoCAError
	if _, err := FindCA(dir, false); !errors.As(err, &none) || none.Hint() == "" || !strings.Contains(err.Error(), "ca.pem") {
		t.Fatalf("empty dir: %v", err)
	}
	for _, c := range []struct {
		file       string
		peer, want string
	}{
		{"etcd/ca.crt", "etcd/ca.crt", "etcd/ca.crt"},
		{"ca.pem", "ca.pem", "ca.pem"},
		{"peer-ca.pem", "peer-ca.pem", "ca.pem"},
		{"ca.crt", "peer-ca.pem", "ca.crt"},
	} {
		touch(c.file)
		got, err := FindCA(dir, false)
		if err != nil || got != filepath.Join(dir, c.want) {
			t.Fatalf("after %s: FindCA = %q, %v; want %s", c.file, got, err, c.want)
		}
		if got, err = FindCA(dir, true); err != nil || got != filepath.Join(dir, c.peer) || IsPeerCA(got) != strings.HasPrefix(c.peer, "peer-") {
			t.Fatalf("after %s: FindCA(peer) = %q, %v; want %s", c.file, got, err, c.peer)
		}
	}
}
