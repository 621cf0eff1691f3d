package contexts

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func TestDefaultPath(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)

	t.Setenv(EnvConfig, "/explicit/config.yaml")
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	if p, err := DefaultPath(); err != nil || p != "/explicit/config.yaml" {
		t.Fatalf("with %s: %q, %v", EnvConfig, p, err)
	}

	t.Setenv(EnvConfig, "")
	if p, err := DefaultPath(); err != nil || p != filepath.Join("/xdg", "etcd-ctx", "config.yaml") {
		t.Fatalf("with XDG_CONFIG_HOME: %q, %v", p, err)
	}

	t.Setenv("XDG_CONFIG_HOME", "")
	if p, err := DefaultPath(); err != nil || p != filepath.Join(home, ".config", "etcd-ctx", "config.yaml") {
		t.Fatalf("from HOME: %q, %v", p, err)
	}
}

func TestLoadMissingFileIsEmpty(t *testing.T) {
	f := File{Path: filepath.Join(t.TempDir(), "nope", "config.yaml")}
	cfg, err := f.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Contexts) != 0 || cfg.CurrentContext != "" {
		t.Fatalf("got %+v", cfg)
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "config.yaml", []byte("contexts:\n- name: a\n  context:\n    clusterr: a\n"))
	_, err := File{Path: p}.Load()
	var fe *FileError
	if !errors.As(err, &fe) || fe.Path != p {
		t.Fatalf("got %v, want a *FileError for %s", err, p)
	}
	for _, w := range []string{"config file " + p, "line 4", "clusterr"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}

	// A directory where the file should be is a read error, not an empty config.
	_, err = File{Path: dir}.Load()
	if !errors.As(err, &fe) || fe.Path != dir {
		t.Fatalf("reading a directory: got %v, want a *FileError", err)
	}
}

// dirEntries lists the names in dir, to spot leftover temporary files.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestUpdateCreatesPrivateFileAndDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "a", "b")
	f := File{Path: filepath.Join(dir, "config.yaml")}
	err := f.Update(func(cfg *Config) error {
		if len(cfg.Contexts) != 0 {
			t.Errorf("a missing file should start empty, got %+v", cfg)
		}
		cfg.putCluster("x", Cluster{Endpoints: []string{"http://h:2379"}})
		cfg.putContext("x", Context{Cluster: "x"})
		cfg.CurrentContext = "x"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Join(root, "a"), dir} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o700 {
			t.Errorf("%s has mode %o, want 0700", d, perm)
		}
	}
	fi, err := os.Stat(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("config file has mode %o, want 0600", perm)
	}
	cfg, err := f.Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != "x" || !slices.Equal(cfg.Names(), []string{"x"}) {
		t.Fatalf("written config reads back as %+v", cfg)
	}
	// The file, its index, lock and state: the temporary files were renamed away.
	if got := dirEntries(t, dir); !slices.Equal(got, []string{"config.yaml", "config.yaml.index", "config.yaml.lock", "config.yaml.state"}) {
		t.Fatalf("directory holds %v", got)
	}
}

func TestUpdateKeepsModeOfRewrittenFile(t *testing.T) {
	dir := t.TempDir()
	// A file the user made world-readable is tightened on the next write.
	p := writeFile(t, dir, "config.yaml", []byte("current-context: \"\"\n"))
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := (File{Path: p}).Update(func(*Config) error { return nil }); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("rewritten file has mode %o, want 0600", perm)
	}
}

func TestUpdateFailingFnLeavesFileUnchanged(t *testing.T) {
	dir := t.TempDir()
	// Hand-written content, with a comment and an odd layout that a rewrite would lose.
	orig := []byte("# my contexts\ncurrent-context: a\nclusters:\n  - name: a\n    cluster: {endpoints: [\"http://h:2379\"]}\nusers: []\ncontexts:\n  - name: a\n    context: {cluster: a}\n")
	p := writeFile(t, dir, "config.yaml", orig)
	boom := errors.New("boom")
	err := File{Path: p}.Update(func(cfg *Config) error {
		cfg.CurrentContext = "changed"
		cfg.removeContext("a")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want fn's error", err)
	}
	if got := readFile(t, p); !bytes.Equal(got, orig) {
		t.Fatalf("file changed:\n%s", got)
	}
	if got := dirEntries(t, dir); !slices.Equal(got, []string{"config.yaml", "config.yaml.lock"}) {
		t.Fatalf("directory holds %v", got)
	}
}

func TestUpdateFailingFnDoesNotCreateFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "config.yaml")
	err := File{Path: p}.Update(func(*Config) error { return errors.New("no") })
	if err == nil {
		t.Fatal("Update succeeded")
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("config file exists after a failed first Update: %v", err)
	}
}

func TestUpdateUnwritableDir(t *testing.T) {
	// The config's directory cannot be created: a file stands in the way.
	blocker := writeFile(t, t.TempDir(), "blocker", []byte("x"))
	p := filepath.Join(blocker, "etcd-ctx", "config.yaml")
	called := false
	err := File{Path: p}.Update(func(*Config) error { called = true; return nil })
	var fe *FileError
	if !errors.As(err, &fe) || fe.Path != p || !errors.Is(err, syscall.ENOTDIR) {
		t.Fatalf("got %v, want a *FileError wrapping ENOTDIR", err)
	}
	if called {
		t.Fatal("fn ran without a config file")
	}
}

func TestUpdateMalformedFileFailsAndIsKept(t *testing.T) {
	dir := t.TempDir()
	orig := []byte("current-context: a\ncontexts:\n- name: a\n  context: {cluster: a, colour: blue}\n")
	p := writeFile(t, dir, "config.yaml", orig)
	called := false
	err := File{Path: p}.Update(func(*Config) error { called = true; return nil })
	if err == nil {
		t.Fatal("Update of a malformed file succeeded")
	}
	if called {
		t.Fatal("fn ran on a config that failed to parse")
	}
	var fe *FileError
	if !errors.As(err, &fe) || fe.Path != p || !strings.Contains(err.Error(), "line 4") {
		t.Fatalf("got %v, want a *FileError naming %s and line 4", err, p)
	}
	if got := readFile(t, p); !bytes.Equal(got, orig) {
		t.Fatalf("malformed file was rewritten:\n%s", got)
	}
}

func TestUpdateConcurrentSavesAllLand(t *testing.T) {
	store, kr := newStore(t)
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			spec := Spec{Name: fmt.Sprintf("ctx-%02d", i), Endpoints: []string{fmt.Sprintf("http://10.0.0.%d:2379", i+1)}, Note: fmt.Sprint(i)}
			if err := store.Save(spec, SaveOptions{}); err != nil {
				errs <- fmt.Errorf("%s: %w", spec.Name, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	data := readFile(t, store.File.Path)
	cfg, err := Parse(data)
	if err != nil {
		t.Fatalf("file does not parse after concurrent writes: %v\n%s", err, data)
	}
	names := cfg.Names()
	slices.Sort(names)
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("ctx-%02d", i))
	}
	if !slices.Equal(names, want) {
		t.Fatalf("%d contexts survived, want %d: %v", len(names), n, names)
	}
	if len(cfg.Clusters) != n || len(cfg.Users) != 0 {
		t.Fatalf("%d clusters and %d users, want %d and 0", len(cfg.Clusters), len(cfg.Users), n)
	}
	for i := range n {
		name := fmt.Sprintf("ctx-%02d", i)
		spec, err := store.Resolve(cfg, name)
		if err != nil {
			t.Fatal(err)
		}
		if spec.Note != fmt.Sprint(i) || spec.Endpoints[0] != fmt.Sprintf("http://10.0.0.%d:2379", i+1) {
			t.Fatalf("%s came back as %+v", name, spec)
		}
	}
	if sets := kr.setCalls(); len(sets) != 0 {
		t.Fatalf("contexts without secrets touched the keyring: %v", sets)
	}
	if got := dirEntries(t, filepath.Dir(store.File.Path)); !slices.Equal(got, []string{"config.yaml", "config.yaml.index", "config.yaml.lock", "config.yaml.state"}) {
		t.Fatalf("directory holds %v", got)
	}
}
