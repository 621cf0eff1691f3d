package contexts

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// age makes a config file look written a minute ago, as a hand-edited file
// is by the time etcd-ctx next runs (a file younger than racyWindow is read
// but never cached).
func age(t *testing.T, path string) {
	t.Helper()
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

// cached reports whether the state file and the index both describe the
// config on disk: the fast paths' precondition.
func cached(t *testing.T, f File) bool {
	t.Helper()
	s, err := statConfig(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	st := readState(f.Path)
	return st != nil && st.Config == s && readIndex(f.Path, s) != nil
}

// selection is what every way of reading the current context says: the fast
// paths (state file, index) and the full load.
func checkSelection(t *testing.T, f File, current, previous string) {
	t.Helper()
	cfg, err := f.Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != current || cfg.PreviousContext != previous {
		t.Fatalf("Load: current %q previous %q, want %q %q", cfg.CurrentContext, cfg.PreviousContext, current, previous)
	}
	got, err := f.Selected("")
	if current == "" {
		if !errors.Is(err, ErrNoCurrent) {
			t.Fatalf("Selected: %q, %v; want ErrNoCurrent", got, err)
		}
		return
	}
	if err != nil || got != current {
		t.Fatalf("Selected: %q, %v; want %q", got, err, current)
	}
	one, name, err := f.LoadSelected("")
	if err != nil || name != current || one.CurrentContext != current || one.PreviousContext != previous {
		t.Fatalf("LoadSelected: %q, %+v, %v; want %q", name, one, err, current)
	}
	if _, ok := one.Context(current); !ok {
		t.Fatalf("LoadSelected's config lacks %q: %+v", current, one)
	}
}

// TestMigrationFromConfigFields: a config written before the state file
// existed keeps its current and previous context; the first write moves
// them into the state file and out of the config, and nothing else changes.
func TestMigrationFromConfigFields(t *testing.T) {
	store, _ := newStore(t)
	f := store.File
	old := "# my contexts\ncurrent-context: b\nprevious-context: a\nclusters:\n- name: a\n  cluster: {endpoints: [http://a:2379]}\n- name: b\n  cluster: {endpoints: [http://b:2379]}\n- name: c\n  cluster: {endpoints: [http://c:2379]}\ncontexts:\n- name: a\n  context: {cluster: a}\n- name: b\n  context: {cluster: b}\n- name: c\n  context: {cluster: c}\n"
	if err := os.WriteFile(f.Path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	age(t, f.Path)
	checkSelection(t, f, "b", "a")
	if !cached(t, f) {
		t.Fatal("the first read of an old file did not write the state file and index")
	}
	if string(readFile(t, f.Path)) != old {
		t.Fatal("reading rewrote the config")
	}
	checkSelection(t, f, "b", "a") // now from the state file

	// A switch moves the selection out of the config (the one slow switch).
	if name, err := store.Use("c"); err != nil || name != "c" {
		t.Fatalf("Use(c) = %q, %v", name, err)
	}
	data := string(readFile(t, f.Path))
	if strings.Contains(data, "current-context") || strings.Contains(data, "previous-context") {
		t.Fatalf("the config still holds the selection:\n%s", data)
	}
	if !strings.HasPrefix(data, "# my contexts\n") {
		t.Fatalf("the opening comment was lost:\n%s", data)
	}
	checkSelection(t, f, "c", "b")

	// From now on a switch touches only the state file.
	before, s := readFile(t, f.Path), mustStat(t, f.Path)
	for _, step := range []struct{ arg, current, previous string }{{"a", "a", "c"}, {"-", "c", "a"}, {"b", "b", "c"}} {
		if name, err := store.Use(step.arg); err != nil || name != step.current {
			t.Fatalf("Use(%q) = %q, %v", step.arg, name, err)
		}
		checkSelection(t, f, step.current, step.previous)
	}
	if !bytes.Equal(readFile(t, f.Path), before) || mustStat(t, f.Path) != s {
		t.Fatal("a switch rewrote the config")
	}
}

func mustStat(t *testing.T, path string) stamp {
	t.Helper()
	s, err := statConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestHandEditedCurrentContextWins: current-context written into the config
// by hand (or a config restored from a backup) is followed, the context it
// replaces becomes the previous one, and the next write moves it into the
// state file.
func TestHandEditedCurrentContextWins(t *testing.T) {
	store, _ := newStore(t)
	f := store.File
	saveAnon(t, store, "a", "b", "c")
	if _, err := store.Use("a"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Use("b"); err != nil {
		t.Fatal(err)
	}
	checkSelection(t, f, "b", "a")

	data := readFile(t, f.Path)
	if err := os.WriteFile(f.Path, append([]byte("current-context: c # by hand\n"), data...), 0o600); err != nil {
		t.Fatal(err)
	}
	checkSelection(t, f, "c", "b") // read at once, though too young to cache
	age(t, f.Path)
	checkSelection(t, f, "c", "b")
	if !cached(t, f) {
		t.Fatal("the hand-edited file was not cached once old enough")
	}
	// A switch goes the slow way once, moving the field into the state.
	if _, err := store.Use("a"); err != nil {
		t.Fatal(err)
	}
	checkSelection(t, f, "a", "c")
	if strings.Contains(string(readFile(t, f.Path)), "current-context") {
		t.Fatal("the hand-written field was not moved into the state file")
	}

	// A hand edit of something else keeps the state's choice.
	data = readFile(t, f.Path)
	if err := os.WriteFile(f.Path, bytes.Replace(data, []byte("http://b:2379"), []byte("http://b2:2379"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	age(t, f.Path)
	checkSelection(t, f, "a", "c")
}

// TestFastPathsFollowHandEdits: the index is never trusted for another
// version of the config: a context deleted or added by hand is seen at once.
func TestFastPathsFollowHandEdits(t *testing.T) {
	store, _ := newStore(t)
	f := store.File
	saveAnon(t, store, "a", "b")
	if _, err := store.Use("b"); err != nil {
		t.Fatal(err)
	}
	if names, err := f.Names(); err != nil || !slices.Equal(names, []string{"a", "b"}) {
		t.Fatalf("Names() = %v, %v", names, err)
	}
	// Same size, same second: only the stamp's finer parts tell.
	data := readFile(t, f.Path)
	edited := bytes.ReplaceAll(data, []byte("name: b"), []byte("name: x"))
	if len(edited) != len(data) {
		t.Fatal("test edit changed the size")
	}
	if err := os.WriteFile(f.Path, edited, 0o600); err != nil {
		t.Fatal(err)
	}
	if names, err := f.Names(); err != nil || !slices.Equal(names, []string{"a", "x"}) {
		t.Fatalf("after a hand edit, Names() = %v, %v", names, err)
	}
	var nf *NotFoundError
	if _, err := f.Selected(""); !errors.As(err, &nf) || nf.Name != "b" || !slices.Equal(nf.Known, []string{"a", "x"}) {
		t.Fatalf("the current context was renamed away by hand: Selected = %v", err)
	}
	if _, _, err := f.LoadSelected(""); !errors.As(err, &nf) {
		t.Fatalf("LoadSelected = %v", err)
	}
	t.Setenv(EnvContext, "x")
	if got, err := f.Selected(""); err != nil || got != "x" {
		t.Fatalf("$ETCD_CTX=x: Selected = %q, %v", got, err)
	}
	if _, err := store.Use("x"); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvContext, "")
	checkSelection(t, f, "x", "") // b is gone: nothing to go back to
	if _, err := store.Use("-"); !errors.Is(err, ErrNoPrevious) {
		t.Fatalf("Use(-) = %v, want ErrNoPrevious", err)
	}
}

// TestEnvContextOverridesState: $ETCD_CTX and --context win over the state
// file, checked against the index; an unknown name lists the known ones.
func TestEnvContextOverridesState(t *testing.T) {
	store, _ := newStore(t)
	f := store.File
	saveAnon(t, store, "a", "b", "c")
	if _, err := store.Use("a"); err != nil {
		t.Fatal(err)
	}
	if !cached(t, f) {
		t.Fatal("not cached after writes")
	}
	t.Setenv(EnvContext, "b")
	if got, err := f.Selected(""); err != nil || got != "b" {
		t.Fatalf("Selected = %q, %v", got, err)
	}
	if got, err := f.Selected("c"); err != nil || got != "c" {
		t.Fatalf("Selected(c) = %q, %v", got, err)
	}
	cfg, name, err := f.LoadSelected("")
	if err != nil || name != "b" || len(cfg.Contexts) != 1 || cfg.CurrentContext != "a" {
		t.Fatalf("LoadSelected = %q, %+v, %v", name, cfg, err)
	}
	if cl, ok := cfg.Cluster("b"); !ok || cl.Endpoints[0] != "http://b:2379" {
		t.Fatalf("LoadSelected's cluster = %+v", cfg.Clusters)
	}
	t.Setenv(EnvContext, "gone")
	var nf *NotFoundError
	for _, err := range []error{second(f.Selected("")), third(f.LoadSelected(""))} {
		if !errors.As(err, &nf) || nf.Name != "gone" || !slices.Equal(nf.Known, []string{"a", "b", "c"}) {
			t.Fatalf("$ETCD_CTX=gone: %v", err)
		}
	}
}

func second[A any](_ A, err error) error        { return err }
func third[A, B any](_ A, _ B, err error) error { return err }

// TestConcurrentSwitches: switches and writes from many writers at once
// serialize on the lock: every one lands, previous is always the context
// current before the last switch, and readers meanwhile see a whole state.
func TestConcurrentSwitches(t *testing.T) {
	store, _ := newStore(t)
	f := store.File
	names := []string{"a", "b", "c", "d", "e"}
	saveAnon(t, store, names...)
	if _, err := store.Use("a"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			got, err := f.Selected("")
			if err != nil || !slices.Contains(names, got) {
				errs <- fmt.Errorf("reader saw %q, %v", got, err)
				return
			}
		}
	})
	for i := range 40 {
		wg.Go(func() {
			if i%10 == 9 { // writers of the config too
				if err := store.Save(Spec{Name: fmt.Sprintf("n%d", i), Endpoints: []string{"http://n:2379"}}, SaveOptions{}); err != nil {
					errs <- err
				}
				return
			}
			if _, err := store.Use(names[i%len(names)]); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	cfg, err := f.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Contexts) != 9 || !slices.Contains(names, cfg.CurrentContext) || !slices.Contains(names, cfg.PreviousContext) {
		t.Fatalf("after concurrent switches: %d contexts, current %q previous %q", len(cfg.Contexts), cfg.CurrentContext, cfg.PreviousContext)
	}
	// One more switch, from a known state, proves the chain is intact.
	if _, err := store.Use(cfg.PreviousContext); err != nil {
		t.Fatal(err)
	}
	checkSelection(t, f, cfg.PreviousContext, cfg.CurrentContext)
}

// TestStateWithoutConfigSelectsNothing: a leftover state file does not make
// a missing config's context current; a torn state file counts as none.
func TestStateWithoutConfigSelectsNothing(t *testing.T) {
	store, _ := newStore(t)
	f := store.File
	saveAnon(t, store, "a")
	if _, err := store.Use("a"); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(f.Path); err != nil {
		t.Fatal(err)
	}
	checkSelection(t, f, "", "")

	saveAnon(t, store, "a")
	if _, err := store.Use("a"); err != nil {
		t.Fatal(err)
	}
	whole := readFile(t, statePath(f.Path))
	if err := os.WriteFile(statePath(f.Path), whole[:len(whole)-40], 0o600); err != nil { // torn
		t.Fatal(err)
	}
	checkSelection(t, f, "", "")
	if _, err := store.Use("a"); err != nil {
		t.Fatal(err)
	}
	checkSelection(t, f, "a", "")
}

// TestYoungConfigIsNotCached: a config written (by hand) moments ago is
// read, but neither the state file nor the index is written for it: a second
// in-place write within the file system's timestamp granularity could leave
// the stamp unchanged.
func TestYoungConfigIsNotCached(t *testing.T) {
	store, _ := newStore(t)
	f := store.File
	if err := os.WriteFile(f.Path, []byte("current-context: a\ncontexts:\n- name: a\n  context: {cluster: a}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	checkSelection(t, f, "a", "")
	if _, err := os.Stat(indexPath(f.Path)); !os.IsNotExist(err) {
		t.Fatalf("index written for a config written just now: %v", err)
	}
	age(t, f.Path)
	checkSelection(t, f, "a", "")
	if !cached(t, f) {
		t.Fatal("not cached once old enough")
	}
}

// TestIndexEntries: LoadSelected returns the context with the cluster and
// user it names, including a context whose cluster is missing (Spec then
// says so, as from a full load), and names that need JSON escaping.
func TestIndexEntries(t *testing.T) {
	store, _ := newStore(t)
	f := store.File
	cfg := `clusters:
- name: shared
  cluster: {endpoints: ["https://h:2379"], certificate-authority: /etc/ca.crt, dial-timeout: 3s}
users:
- name: u
  user: {username: root, password: {keyring: user/u}, client-key: key.pem, client-certificate: {keyring: user/u}}
contexts:
- name: "with \"quotes\" <&>"
  context: {cluster: shared, user: u, prefix: /p/, note: n}
- name: dangling
  context: {cluster: nowhere}
- name: with "quotes"
  context: {cluster: shared}
`
	if err := os.WriteFile(f.Path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	age(t, f.Path)
	full, err := f.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !cached(t, f) {
		t.Fatal("not cached")
	}
	for _, name := range full.Names() {
		one, got, err := f.LoadSelected(name)
		if err != nil || got != name {
			t.Fatalf("LoadSelected(%q) = %q, %v", name, got, err)
		}
		want, wantErr := store.Resolve(full, name)
		spec, err := store.Resolve(one, name)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || fmt.Sprintf("%+v", spec) != fmt.Sprintf("%+v", want) {
			t.Fatalf("%q: spec from the index %+v (%v), from the config %+v (%v)", name, spec, err, want, wantErr)
		}
	}
}

// TestIndexNames: the names line answers has() for exactly the names the
// config has, whatever characters they hold (a hand-written config may use
// spaces, quotes, backslashes), and decodes back to them in order.
func TestIndexNames(t *testing.T) {
	names := []string{"a", "a b", "b", `"a"`, `a\`, `a\\`, `x"y`, "é", "tab\there", " a", "a,b", "new\nline"}
	cfg := &Config{}
	for _, n := range names {
		cfg.putContext(n, Context{Cluster: "c"})
	}
	path := t.TempDir() + "/config.yaml"
	s := stamp{Dev: 1, Ino: 2, Size: 3, Mtime: 4, Ctime: 5}
	if err := writeIndex(path, cfg, s); err != nil {
		t.Fatal(err)
	}
	if readIndex(path, stamp{Dev: 1, Ino: 2, Size: 3, Mtime: 4, Ctime: 6}) != nil {
		t.Fatal("an index of another version of the config was accepted")
	}
	idx := readIndex(path, s)
	if idx == nil {
		t.Fatal("index not read back")
	}
	if got := idx.Names(); !slices.Equal(got, names) {
		t.Fatalf("Names() = %q, want %q", got, names)
	}
	for _, n := range names {
		if !idx.has(n) {
			t.Errorf("has(%q) = false", n)
		}
		if e, ok := idx.entry(n); !ok || e.Name != n {
			t.Errorf("entry(%q) = %+v, %v", n, e, ok)
		}
	}
	for _, n := range []string{"", " ", "a ", `a\\\`, `"`, `\`, "line", "new", "x", `y`, "é ", "a,", "b "} {
		if idx.has(n) {
			t.Errorf("has(%q) = true for a name the config does not have", n)
		}
	}
}
