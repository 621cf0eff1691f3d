package contexts

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// fullSpec is a keyring-mode context with every kind of material.
func fullSpec(t *testing.T, name string) Spec {
	p := testPKI(t)
	return Spec{
		Name:        name,
		Endpoints:   []string{"https://10.0.0.1:2379", "https://10.0.0.2:2379"},
		CA:          Material{PEM: p.ca.CertPEM},
		Cert:        Material{PEM: p.client.CertPEM},
		Key:         Material{PEM: p.client.KeyPEM},
		Username:    "root",
		Password:    "s3cret pass:word",
		Token:       "eyJhbGciOiJSUzI1NiJ9.eyJ1c2VybmFtZSI6InJvb3QifQ.sig",
		ServerName:  "etcd.internal",
		DialTimeout: 3500 * time.Millisecond,
		Prefix:      "/registry/",
		Note:        "production, eu-west",
	}
}

// pemBody is the base64 middle of a PEM block, which must not leak either.
func pemBody(pem []byte) []byte {
	lines := bytes.Split(pem, []byte("\n"))
	return lines[1]
}

func loadCfg(t *testing.T, s *Store) *Config {
	t.Helper()
	cfg, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestSaveSpecRoundTripKeyring(t *testing.T) {
	store, kr := newStore(t)
	want := fullSpec(t, "prod")
	if err := store.Save(want, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg := loadCfg(t, store)
	got, err := store.Resolve(cfg, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Spec differs from what was saved:\n got %+v\nwant %+v", got, want)
	}
	if cfg.CurrentContext != "" {
		t.Errorf("Save without Use set the current context to %q", cfg.CurrentContext)
	}

	// One item per entity, holding exactly that entity's secrets.
	if names := kr.names(); !slices.Equal(names, []string{"cluster/prod", "user/prod"}) {
		t.Fatalf("keyring items %v", names)
	}
	var cl, u secrets
	items := kr.snapshot()
	if err := json.Unmarshal([]byte(items["cluster/prod"]), &cl); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(items["user/prod"]), &u); err != nil {
		t.Fatal(err)
	}
	if cl != (secrets{CA: string(want.CA.PEM)}) {
		t.Errorf("cluster item holds %+v", cl)
	}
	if u != (secrets{Cert: string(want.Cert.PEM), Key: string(want.Key.PEM), Password: want.Password, Token: want.Token}) {
		t.Errorf("user item holds %+v", u)
	}

	// The config file refers to the items and holds no secret.
	c, _ := cfg.Cluster("prod")
	us, _ := cfg.User("prod")
	if *c.CA != (Ref{Keyring: "cluster/prod"}) || *us.Cert != (Ref{Keyring: "user/prod"}) || *us.Key != (Ref{Keyring: "user/prod"}) ||
		*us.Password != (Ref{Keyring: "user/prod"}) || *us.Token != (Ref{Keyring: "user/prod"}) || us.Username != "root" {
		t.Errorf("refs: cluster %+v user %+v", c, us)
	}
	data := readFile(t, store.File.Path)
	for what, secret := range map[string][]byte{
		"key PEM":  want.Key.PEM,
		"key body": pemBody(want.Key.PEM),
		"cert":     pemBody(want.Cert.PEM),
		"CA":       pemBody(want.CA.PEM),
		"password": []byte(want.Password),
		"token":    []byte(want.Token),
	} {
		if bytes.Contains(data, secret) {
			t.Errorf("config file contains the %s:\n%s", what, data)
		}
	}
	if bytes.Contains(data, []byte("PRIVATE KEY")) || bytes.Contains(data, []byte("BEGIN")) {
		t.Errorf("config file contains PEM:\n%s", data)
	}
}

func TestSaveKeyringModeDropsFilePaths(t *testing.T) {
	// Material read from files but stored in the keyring (the default) is
	// self-contained: the files may go away afterwards.
	store, _ := newStore(t)
	dir := t.TempDir()
	p := testPKI(t)
	spec := Spec{
		Name:      "copy",
		Endpoints: []string{"https://h:2379"},
		CA:        Material{PEM: p.ca.CertPEM, Path: writeFile(t, dir, "ca.crt", p.ca.CertPEM)},
		Cert:      Material{PEM: p.client.CertPEM, Path: writeFile(t, dir, "c.crt", p.client.CertPEM)},
		Key:       Material{PEM: p.client.KeyPEM, Path: writeFile(t, dir, "c.key", p.client.KeyPEM)},
	}
	if err := store.Save(spec, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if data := readFile(t, store.File.Path); bytes.Contains(data, []byte(dir)) {
		t.Fatalf("keyring-mode config refers to the source files:\n%s", data)
	}
	got, err := store.Resolve(loadCfg(t, store), "copy")
	if err != nil {
		t.Fatal(err)
	}
	if got.KeepPaths || got.CA.Path != "" || got.Cert.Path != "" || got.Key.Path != "" {
		t.Fatalf("keyring-mode spec came back with paths: %+v", got)
	}
	if !bytes.Equal(got.CA.PEM, p.ca.CertPEM) || !bytes.Equal(got.Cert.PEM, p.client.CertPEM) || !bytes.Equal(got.Key.PEM, p.client.KeyPEM) {
		t.Fatal("material changed")
	}
}

// pathSpec writes the PKI to files and returns a --store=path spec for them.
func pathSpec(t *testing.T, name string) Spec {
	p := testPKI(t)
	dir := t.TempDir()
	return Spec{
		Name:      name,
		Endpoints: []string{"https://127.0.0.1:2379"},
		CA:        Material{PEM: p.ca.CertPEM, Path: writeFile(t, dir, "pki/ca.crt", p.ca.CertPEM)},
		Cert:      Material{PEM: p.client.CertPEM, Path: writeFile(t, dir, "pki/client.crt", p.client.CertPEM)},
		Key:       Material{PEM: p.client.KeyPEM, Path: writeFile(t, dir, "pki/client.key", p.client.KeyPEM)},
		KeepPaths: true,
	}
}

func TestSaveSpecRoundTripPaths(t *testing.T) {
	store, kr := newStore(t)
	want := pathSpec(t, "dev")
	if err := store.Save(want, SaveOptions{Use: true}); err != nil {
		t.Fatal(err)
	}
	if sets := kr.setCalls(); len(sets) != 0 {
		t.Fatalf("path mode wrote keyring items %v", sets)
	}
	if names := kr.names(); len(names) != 0 {
		t.Fatalf("keyring holds %v", names)
	}
	cfg := loadCfg(t, store)
	c, _ := cfg.Cluster("dev")
	u, _ := cfg.User("dev")
	if c.CA == nil || *c.CA != (Ref{Path: want.CA.Path}) {
		t.Errorf("CA ref %+v, want the path", c.CA)
	}
	if u.Cert == nil || *u.Cert != (Ref{Path: want.Cert.Path}) || u.Key == nil || *u.Key != (Ref{Path: want.Key.Path}) {
		t.Errorf("user refs %+v / %+v, want the paths", u.Cert, u.Key)
	}
	if u.Password != nil || u.Token != nil {
		t.Errorf("password/token refs without a password or token: %+v", u)
	}
	if data := readFile(t, store.File.Path); bytes.Contains(data, pemBody(want.Key.PEM)) {
		t.Fatal("config file contains the key")
	}
	got, err := store.Resolve(cfg, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Spec differs:\n got %+v\nwant %+v", got, want)
	}

	// The files are read afresh: a renewed certificate is picked up.
	renewed := append([]byte("# renewed\n"), want.Cert.PEM...)
	writeFile(t, filepath.Dir(want.Cert.Path), "client.crt", renewed)
	got, err = store.Resolve(cfg, "dev")
	if err != nil || !bytes.Equal(got.Cert.PEM, renewed) {
		t.Fatalf("renewed file not read: %v", err)
	}
	// A missing file is an error naming the role.
	if err := os.Remove(want.Key.Path); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Resolve(cfg, "dev"); err == nil || !strings.Contains(err.Error(), "client key") || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing key file: got %v", err)
	}
}

// TestSavePathModeRelativePaths: files named relative to the working
// directory (as ReadMaterial keeps them) are stored absolute, so the
// context works from anywhere.
func TestSavePathModeRelativePaths(t *testing.T) {
	store, _ := newStore(t)
	spec := pathSpec(t, "rel")
	abs := []string{spec.CA.Path, spec.Cert.Path, spec.Key.Path}
	t.Chdir(filepath.Dir(spec.CA.Path))
	spec.CA.Path, spec.Cert.Path, spec.Key.Path = "ca.crt", "client.crt", "./client.key"
	if err := store.Save(spec, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	got, err := store.Resolve(loadCfg(t, store), "rel")
	if err != nil {
		t.Fatal(err)
	}
	if paths := []string{got.CA.Path, got.Cert.Path, got.Key.Path}; !slices.Equal(paths, abs) {
		t.Errorf("stored %q, want %q", paths, abs)
	}
}

func TestSavePathModeWithPassword(t *testing.T) {
	store, kr := newStore(t)
	spec := pathSpec(t, "dev")
	spec.Username, spec.Password = "alice", "pw"
	if err := store.Save(spec, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if sets := kr.setCalls(); !slices.Equal(sets, []string{"user/dev"}) {
		t.Fatalf("keyring writes %v, want only the user item", sets)
	}
	var u secrets
	if err := json.Unmarshal([]byte(kr.snapshot()["user/dev"]), &u); err != nil {
		t.Fatal(err)
	}
	if u != (secrets{Password: "pw"}) {
		t.Fatalf("user item holds %+v, want only the password", u)
	}
	got, err := store.Resolve(loadCfg(t, store), "dev")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, spec) {
		t.Fatalf("Spec differs:\n got %+v\nwant %+v", got, spec)
	}
}

func TestSavePathModeKeyWithoutPathGoesToKeyring(t *testing.T) {
	// --store=path with a key that did not come from a file (no path to keep):
	// the pair goes to the keyring together.
	store, kr := newStore(t)
	spec := pathSpec(t, "mixed")
	spec.Key.Path = ""
	if err := store.Save(spec, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg := loadCfg(t, store)
	c, _ := cfg.Cluster("mixed")
	u, _ := cfg.User("mixed")
	if c.CA.Path != spec.CA.Path || u.Cert.Keyring != "user/mixed" || u.Key.Keyring != "user/mixed" {
		t.Fatalf("refs: CA %+v cert %+v key %+v", c.CA, u.Cert, u.Key)
	}
	if !slices.Equal(kr.names(), []string{"user/mixed"}) {
		t.Fatalf("keyring holds %v", kr.names())
	}
}

func TestSpecKeepPathsForAnonymousContext(t *testing.T) {
	// A context without a user whose CA is kept by path must read back as
	// path mode, like one with a user (`set` and `show` rely on it).
	store, kr := newStore(t)
	spec := pathSpec(t, "anon")
	spec.Cert, spec.Key = Material{}, Material{}
	if err := store.Save(spec, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(kr.setCalls()) != 0 {
		t.Fatalf("keyring writes %v", kr.setCalls())
	}
	cfg := loadCfg(t, store)
	if ctx, _ := cfg.Context("anon"); ctx.User != "" || len(cfg.Users) != 0 {
		t.Fatalf("anonymous context got a user: %+v", cfg)
	}
	got, err := store.Resolve(cfg, "anon")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, spec) {
		t.Fatalf("Spec differs:\n got %+v\nwant %+v", got, spec)
	}
}

func TestSaveExistingWithoutReplace(t *testing.T) {
	store, kr := newStore(t)
	if err := store.Save(fullSpec(t, "prod"), SaveOptions{Use: true}); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, store.File.Path)
	beforeItems := kr.snapshot()
	setsBefore := len(kr.setCalls())

	changed := fullSpec(t, "prod")
	changed.Endpoints = []string{"https://other:2379"}
	changed.Password = "different"
	err := store.Save(changed, SaveOptions{})
	var ee *ExistsError
	if !errors.As(err, &ee) || ee.Name != "prod" || !strings.Contains(err.Error(), `"prod" already exists`) {
		t.Fatalf("got %v, want an *ExistsError for prod", err)
	}
	if after := readFile(t, store.File.Path); !bytes.Equal(after, before) {
		t.Fatalf("file changed:\n%s", after)
	}
	if len(kr.setCalls()) != setsBefore || !reflect.DeepEqual(kr.snapshot(), beforeItems) {
		t.Fatal("keyring changed")
	}

	// With Replace the new values win, in place.
	if err := store.Save(changed, SaveOptions{Replace: true}); err != nil {
		t.Fatal(err)
	}
	cfg := loadCfg(t, store)
	got, err := store.Resolve(cfg, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, changed) || len(cfg.Contexts) != 1 || len(cfg.Clusters) != 1 || len(cfg.Users) != 1 {
		t.Fatalf("after replace: %+v\n%+v", got, cfg)
	}
	if cfg.CurrentContext != "prod" {
		t.Fatalf("replace without Use changed the current context to %q", cfg.CurrentContext)
	}
}

func TestSaveReplaceRemovesStaleItems(t *testing.T) {
	t.Run("keyring to path", func(t *testing.T) {
		store, kr := newStore(t)
		if err := store.Save(fullSpec(t, "x"), SaveOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := store.Save(pathSpec(t, "x"), SaveOptions{Replace: true}); err != nil {
			t.Fatal(err)
		}
		if names := kr.names(); len(names) != 0 {
			t.Fatalf("stale keyring items %v", names)
		}
		got, err := store.Resolve(loadCfg(t, store), "x")
		if err != nil || !got.KeepPaths || got.Password != "" || got.Token != "" {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("user to anonymous", func(t *testing.T) {
		store, kr := newStore(t)
		if err := store.Save(fullSpec(t, "x"), SaveOptions{}); err != nil {
			t.Fatal(err)
		}
		anon := Spec{Name: "x", Endpoints: []string{"http://h:2379"}}
		if err := store.Save(anon, SaveOptions{Replace: true}); err != nil {
			t.Fatal(err)
		}
		if names := kr.names(); len(names) != 0 {
			t.Fatalf("stale keyring items %v", names)
		}
		cfg := loadCfg(t, store)
		if len(cfg.Users) != 0 {
			t.Fatalf("stale user entry: %+v", cfg.Users)
		}
		got, err := store.Resolve(cfg, "x")
		if err != nil || !reflect.DeepEqual(got, anon) {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
}

func TestSaveKeyringFailureLeavesFileUnchanged(t *testing.T) {
	for _, failOn := range []string{"cluster/", "user/"} {
		t.Run(failOn, func(t *testing.T) {
			store, kr := newStore(t)
			if err := store.Save(Spec{Name: "keep", Endpoints: []string{"http://h:2379"}}, SaveOptions{Use: true}); err != nil {
				t.Fatal(err)
			}
			before := readFile(t, store.File.Path)
			kr.failSet = func(item string) error {
				if strings.HasPrefix(item, failOn) {
					return &KeyringError{Err: errKeyringDown}
				}
				return nil
			}
			err := store.Save(fullSpec(t, "new"), SaveOptions{Use: true})
			var ke *KeyringError
			if !errors.As(err, &ke) || !errors.Is(err, errKeyringDown) {
				t.Fatalf("got %v, want the keyring's error", err)
			}
			if after := readFile(t, store.File.Path); !bytes.Equal(after, before) {
				t.Fatalf("file changed after a keyring failure:\n%s", after)
			}
		})
	}

	t.Run("first save", func(t *testing.T) {
		store, kr := newStore(t)
		kr.failSet = func(string) error { return errKeyringDown }
		if err := store.Save(fullSpec(t, "new"), SaveOptions{}); !errors.Is(err, errKeyringDown) {
			t.Fatalf("got %v", err)
		}
		if _, err := os.Stat(store.File.Path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("config file written after a keyring failure: %v", err)
		}
	})
}

func TestSaveWithoutKeyring(t *testing.T) {
	store := &Store{File: File{Path: filepath.Join(t.TempDir(), "config.yaml")}}
	var ke *KeyringError
	if err := store.Save(fullSpec(t, "a"), SaveOptions{}); !errors.As(err, &ke) {
		t.Fatalf("keyring mode without a keyring: got %v, want a *KeyringError", err)
	}
	spec := pathSpec(t, "b")
	spec.Username, spec.Password = "u", "p"
	if err := store.Save(spec, SaveOptions{}); !errors.As(err, &ke) {
		t.Fatalf("password without a keyring: got %v, want a *KeyringError", err)
	}
	if _, err := os.Stat(store.File.Path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("config written: %v", err)
	}
	// Path mode without secrets needs no keyring at all.
	if err := store.Save(pathSpec(t, "c"), SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Resolve(loadCfg(t, store), "c"); err != nil {
		t.Fatal(err)
	}
}

func TestSaveRejectsInvalidName(t *testing.T) {
	store, kr := newStore(t)
	for _, name := range []string{"", "-", "a b", "../x"} {
		var ne *NameError
		if err := store.Save(fullSpec(t, name), SaveOptions{}); !errors.As(err, &ne) || ne.Name != name {
			t.Errorf("Save(%q): got %v, want a *NameError", name, err)
		}
	}
	if len(kr.setCalls()) != 0 {
		t.Fatalf("keyring writes %v", kr.setCalls())
	}
	if _, err := os.Stat(store.File.Path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("config file written for an invalid name")
	}
}

func saveAnon(t *testing.T, store *Store, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := store.Save(Spec{Name: n, Endpoints: []string{"http://" + n + ":2379"}}, SaveOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUseSwapsCurrentAndPrevious(t *testing.T) {
	store, _ := newStore(t)
	saveAnon(t, store, "a", "b", "c")
	state := func() [2]string {
		cfg := loadCfg(t, store)
		return [2]string{cfg.CurrentContext, cfg.PreviousContext}
	}
	steps := []struct {
		arg, name string
		want      [2]string
	}{
		{"a", "a", [2]string{"a", ""}},
		{"b", "b", [2]string{"b", "a"}},
		{"-", "a", [2]string{"a", "b"}},
		{"-", "b", [2]string{"b", "a"}},
		{"b", "b", [2]string{"b", "a"}}, // re-selecting the current one keeps previous
		{"c", "c", [2]string{"c", "b"}},
		{"-", "b", [2]string{"b", "c"}},
	}
	for i, s := range steps {
		name, err := store.Use(s.arg)
		if err != nil {
			t.Fatalf("step %d: Use(%q): %v", i, s.arg, err)
		}
		if name != s.name {
			t.Errorf("step %d: Use(%q) = %q, want %q", i, s.arg, name, s.name)
		}
		if got := state(); got != s.want {
			t.Fatalf("step %d: Use(%q) left current/previous %v, want %v", i, s.arg, got, s.want)
		}
	}
}

func TestUseErrors(t *testing.T) {
	store, _ := newStore(t)
	saveAnon(t, store, "a", "b")
	if _, err := store.Use("-"); !errors.Is(err, ErrNoPrevious) {
		t.Fatalf(`Use("-") without a previous context: %v`, err)
	}
	if _, err := store.Use("a"); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, store.File.Path)
	_, err := store.Use("zzz")
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Name != "zzz" || !slices.Equal(nf.Known, []string{"a", "b"}) {
		t.Fatalf("got %v, want a *NotFoundError listing a and b", err)
	}
	if err.Error() != `no context named "zzz"` {
		t.Fatalf("message %q", err)
	}
	if !bytes.Equal(readFile(t, store.File.Path), before) {
		t.Fatal("failed Use changed the file")
	}
}

func TestSaveUse(t *testing.T) {
	store, _ := newStore(t)
	saveAnon(t, store, "a")
	if err := store.Save(Spec{Name: "b", Endpoints: []string{"http://b:2379"}}, SaveOptions{Use: true}); err != nil {
		t.Fatal(err)
	}
	if err := store.Save(Spec{Name: "c", Endpoints: []string{"http://c:2379"}}, SaveOptions{Use: true}); err != nil {
		t.Fatal(err)
	}
	cfg := loadCfg(t, store)
	if cfg.CurrentContext != "c" || cfg.PreviousContext != "b" {
		t.Fatalf("current %q previous %q", cfg.CurrentContext, cfg.PreviousContext)
	}
}

func TestRenameMovesItemsAndSelection(t *testing.T) {
	store, kr := newStore(t)
	a, b := fullSpec(t, "a"), fullSpec(t, "b")
	b.Password = "b's password"
	if err := store.Save(a, SaveOptions{Use: true}); err != nil {
		t.Fatal(err)
	}
	if err := store.Save(b, SaveOptions{Use: true}); err != nil {
		t.Fatal(err)
	}
	// current b, previous a
	if err := store.Rename("a", "a2"); err != nil {
		t.Fatal(err)
	}
	if err := store.Rename("b", "b2"); err != nil {
		t.Fatal(err)
	}
	if names := kr.names(); !slices.Equal(names, []string{"cluster/a2", "cluster/b2", "user/a2", "user/b2"}) {
		t.Fatalf("keyring items after rename: %v", names)
	}
	cfg := loadCfg(t, store)
	if cfg.CurrentContext != "b2" || cfg.PreviousContext != "a2" {
		t.Fatalf("current %q previous %q", cfg.CurrentContext, cfg.PreviousContext)
	}
	if !slices.Equal(cfg.Names(), []string{"a2", "b2"}) {
		t.Fatalf("names %v", cfg.Names())
	}
	for _, old := range []string{"a", "b"} {
		if _, ok := cfg.Cluster(old); ok {
			t.Errorf("cluster %s kept its old name", old)
		}
		if _, ok := cfg.User(old); ok {
			t.Errorf("user %s kept its old name", old)
		}
	}
	if ctx, _ := cfg.Context("a2"); ctx.Cluster != "a2" || ctx.User != "a2" {
		t.Fatalf("a2 refers to %+v", ctx)
	}
	data := readFile(t, store.File.Path)
	if bytes.Contains(data, []byte("cluster/a\n")) || bytes.Contains(data, []byte("user/a\n")) {
		t.Fatalf("config still refers to the old items:\n%s", data)
	}
	for old, spec := range map[string]Spec{"a2": a, "b2": b} {
		got, err := store.Resolve(cfg, old)
		if err != nil {
			t.Fatal(err)
		}
		spec.Name = old
		if !reflect.DeepEqual(got, spec) {
			t.Fatalf("%s after rename:\n got %+v\nwant %+v", old, got, spec)
		}
	}
}

func TestRenamePathModeTouchesNoKeyring(t *testing.T) {
	store, kr := newStore(t)
	spec := pathSpec(t, "p")
	if err := store.Save(spec, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := store.Rename("p", "q"); err != nil {
		t.Fatal(err)
	}
	if len(kr.setCalls()) != 0 || len(kr.deleteCalls()) != 0 {
		t.Fatalf("keyring touched: sets %v deletes %v", kr.setCalls(), kr.deleteCalls())
	}
	got, err := store.Resolve(loadCfg(t, store), "q")
	if err != nil {
		t.Fatal(err)
	}
	spec.Name = "q"
	if !reflect.DeepEqual(got, spec) {
		t.Fatalf("got %+v", got)
	}
}

func TestRenameKeepsSharedCluster(t *testing.T) {
	store, kr := newStore(t)
	if err := store.Save(fullSpec(t, "a"), SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	// A hand-written second context sharing a's cluster (not its user).
	if err := store.File.Update(func(cfg *Config) error {
		cfg.putContext("alias", Context{Cluster: "a"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := store.Rename("a", "b"); err != nil {
		t.Fatal(err)
	}
	cfg := loadCfg(t, store)
	if ctx, _ := cfg.Context("b"); ctx.Cluster != "a" || ctx.User != "b" {
		t.Fatalf("b refers to %+v, want the shared cluster a and its own user b", ctx)
	}
	if names := kr.names(); !slices.Equal(names, []string{"cluster/a", "user/b"}) {
		t.Fatalf("keyring %v", names)
	}
	for _, name := range []string{"b", "alias"} {
		spec, err := store.Resolve(cfg, name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(spec.CA.PEM, testPKI(t).ca.CertPEM) {
			t.Fatalf("%s lost its CA", name)
		}
	}
}

func TestRenameErrors(t *testing.T) {
	store, kr := newStore(t)
	if err := store.Save(fullSpec(t, "a"), SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	saveAnon(t, store, "b")
	before := readFile(t, store.File.Path)
	items := kr.snapshot()

	var ee *ExistsError
	if err := store.Rename("a", "b"); !errors.As(err, &ee) || ee.Name != "b" {
		t.Errorf("rename onto an existing context: %v", err)
	}
	var nf *NotFoundError
	if err := store.Rename("zzz", "c"); !errors.As(err, &nf) || nf.Name != "zzz" {
		t.Errorf("rename of an unknown context: %v", err)
	}
	var ne *NameError
	if err := store.Rename("a", "a b"); !errors.As(err, &ne) || ne.Name != "a b" {
		t.Errorf("rename to an invalid name: %v", err)
	}
	if err := store.Rename("a", "-"); !errors.As(err, &ne) || ne.Name != "-" {
		t.Errorf(`rename to "-": %v`, err)
	}
	if !bytes.Equal(readFile(t, store.File.Path), before) || !reflect.DeepEqual(kr.snapshot(), items) {
		t.Fatal("a failed rename changed the file or the keyring")
	}
}

func TestRenameKeyringFailureLeavesFileUnchanged(t *testing.T) {
	store, kr := newStore(t)
	if err := store.Save(fullSpec(t, "a"), SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, store.File.Path)
	kr.failSet = func(string) error { return errKeyringDown }
	if err := store.Rename("a", "b"); !errors.Is(err, errKeyringDown) {
		t.Fatalf("got %v", err)
	}
	if !bytes.Equal(readFile(t, store.File.Path), before) {
		t.Fatal("file changed")
	}
	kr.failSet = nil
	if _, err := store.Resolve(loadCfg(t, store), "a"); err != nil {
		t.Fatalf("context unusable after a failed rename: %v", err)
	}
}

func TestDeleteRemovesItemsAndSelection(t *testing.T) {
	store, kr := newStore(t)
	if err := store.Save(fullSpec(t, "a"), SaveOptions{Use: true}); err != nil {
		t.Fatal(err)
	}
	if err := store.Save(fullSpec(t, "b"), SaveOptions{Use: true}); err != nil {
		t.Fatal(err)
	}
	if err := store.Delete("b"); err != nil {
		t.Fatal(err)
	}
	if names := kr.names(); !slices.Equal(names, []string{"cluster/a", "user/a"}) {
		t.Fatalf("keyring after delete: %v", names)
	}
	cfg := loadCfg(t, store)
	if cfg.CurrentContext != "" || cfg.PreviousContext != "a" {
		t.Fatalf("current %q previous %q, want current cleared", cfg.CurrentContext, cfg.PreviousContext)
	}
	if _, ok := cfg.Cluster("b"); ok {
		t.Error("cluster b kept")
	}
	if _, ok := cfg.User("b"); ok {
		t.Error("user b kept")
	}
	if err := store.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if names := kr.names(); len(names) != 0 {
		t.Fatalf("keyring after deleting everything: %v", names)
	}
	cfg = loadCfg(t, store)
	if cfg.PreviousContext != "" || len(cfg.Contexts)+len(cfg.Clusters)+len(cfg.Users) != 0 {
		t.Fatalf("config after deleting everything: %+v", cfg)
	}
}

func TestDeleteSeveral(t *testing.T) {
	store, kr := newStore(t)
	for _, n := range []string{"a", "b", "c"} {
		if err := store.Save(fullSpec(t, n), SaveOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Delete("a", "c"); err != nil {
		t.Fatal(err)
	}
	if names := kr.names(); !slices.Equal(names, []string{"cluster/b", "user/b"}) {
		t.Fatalf("keyring: %v", names)
	}
	if names := loadCfg(t, store).Names(); !slices.Equal(names, []string{"b"}) {
		t.Fatalf("contexts: %v", names)
	}
}

func TestDeleteUnknownDeletesNothing(t *testing.T) {
	store, kr := newStore(t)
	if err := store.Save(fullSpec(t, "a"), SaveOptions{Use: true}); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, store.File.Path)
	err := store.Delete("a", "nope")
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Name != "nope" || !slices.Equal(nf.Known, []string{"a"}) {
		t.Fatalf("got %v, want a *NotFoundError for nope", err)
	}
	if !bytes.Equal(readFile(t, store.File.Path), before) {
		t.Fatal("file changed")
	}
	if d := kr.deleteCalls(); len(d) != 0 {
		t.Fatalf("keyring deletes %v", d)
	}
	if names := kr.names(); len(names) != 2 {
		t.Fatalf("keyring: %v", names)
	}
}

func TestDeleteKeepsSharedClusterAndUser(t *testing.T) {
	store, kr := newStore(t)
	if err := store.Save(fullSpec(t, "a"), SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	// A hand-written second context sharing a's cluster and user.
	if err := store.File.Update(func(cfg *Config) error {
		cfg.putContext("alias", Context{Cluster: "a", User: "a"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := store.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if d := kr.deleteCalls(); len(d) != 0 {
		t.Fatalf("shared items deleted: %v", d)
	}
	cfg := loadCfg(t, store)
	spec, err := store.Resolve(cfg, "alias")
	if err != nil {
		t.Fatalf("the alias lost its cluster or user: %v", err)
	}
	if !bytes.Equal(spec.Key.PEM, testPKI(t).client.KeyPEM) {
		t.Fatal("alias key changed")
	}
	if err := store.Delete("alias"); err != nil {
		t.Fatal(err)
	}
	if names := kr.names(); len(names) != 0 {
		t.Fatalf("items left once no context uses them: %v", names)
	}
}

func TestDeleteKeyringFailureIsReportedAfterTheFile(t *testing.T) {
	store, kr := newStore(t)
	if err := store.Save(fullSpec(t, "a"), SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	kr.failDelete = func(item string) error {
		if item == "user/a" {
			return errKeyringDown
		}
		return nil
	}
	err := store.Delete("a")
	if !errors.Is(err, errKeyringDown) || !strings.Contains(err.Error(), "etcd-ctx/user/a") {
		t.Fatalf("got %v, want the failure naming the orphan item", err)
	}
	if names := loadCfg(t, store).Names(); len(names) != 0 {
		t.Fatalf("context kept: %v", names)
	}
	if names := kr.names(); !slices.Equal(names, []string{"user/a"}) {
		t.Fatalf("keyring: %v (the cluster item should still have been deleted)", names)
	}
}

func TestSelected(t *testing.T) {
	cfg := &Config{CurrentContext: "cur", Contexts: []NamedContext{{Name: "cur"}, {Name: "env"}, {Name: "flag"}}}
	cases := []struct {
		flag, env, want string
	}{
		{"flag", "env", "flag"},
		{"", "env", "env"},
		{"", "", "cur"},
		{"flag", "", "flag"},
	}
	for _, tc := range cases {
		t.Setenv(EnvContext, tc.env)
		got, err := Selected(cfg, tc.flag)
		if err != nil || got != tc.want {
			t.Errorf("flag %q env %q: got %q, %v; want %q", tc.flag, tc.env, got, err, tc.want)
		}
	}

	t.Setenv(EnvContext, "gone")
	_, err := Selected(cfg, "")
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Name != "gone" || !slices.Equal(nf.Known, []string{"cur", "env", "flag"}) {
		t.Fatalf("unknown $%s: got %v", EnvContext, err)
	}
	t.Setenv(EnvContext, "")
	if _, err := Selected(&Config{}, ""); !errors.Is(err, ErrNoCurrent) {
		t.Fatalf("nothing selected: got %v, want ErrNoCurrent", err)
	}
	if _, err := Selected(cfg, "nope"); !errors.As(err, &nf) || nf.Name != "nope" {
		t.Fatalf("unknown flag: got %v", err)
	}
}

func TestSpecErrors(t *testing.T) {
	store, kr := newStore(t)
	if err := store.Save(fullSpec(t, "a"), SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg := loadCfg(t, store)

	var nf *NotFoundError
	if _, err := store.Resolve(cfg, "nope"); !errors.As(err, &nf) {
		t.Errorf("unknown context: %v", err)
	}

	items := kr.snapshot()
	kr.items["user/a"] = "not json"
	if _, err := store.Resolve(cfg, "a"); err == nil || !strings.Contains(err.Error(), "not etcd-ctx data") {
		t.Errorf("garbage item: %v", err)
	}
	delete(kr.items, "user/a")
	if _, err := store.Resolve(cfg, "a"); err == nil || !strings.Contains(err.Error(), "etcd-ctx/user/a is missing") {
		t.Errorf("missing item: %v", err)
	}
	kr.items = items

	noKeyring := &Store{File: store.File}
	var ke *KeyringError
	if _, err := noKeyring.Resolve(cfg, "a"); !errors.As(err, &ke) {
		t.Errorf("keyring refs without a keyring: %v", err)
	}

	broken := &Config{Contexts: []NamedContext{
		{Name: "nocluster", Context: Context{Cluster: "ghost"}},
		{Name: "nouser", Context: Context{Cluster: "c", User: "ghost"}},
	}, Clusters: []NamedCluster{{Name: "c"}}}
	if _, err := store.Resolve(broken, "nocluster"); err == nil || !strings.Contains(err.Error(), `cluster "ghost"`) {
		t.Errorf("dangling cluster: %v", err)
	}
	if _, err := store.Resolve(broken, "nouser"); err == nil || !strings.Contains(err.Error(), `user "ghost"`) {
		t.Errorf("dangling user: %v", err)
	}
}

func TestSpecReadsEachItemOnce(t *testing.T) {
	store, _ := newStore(t)
	if err := store.Save(fullSpec(t, "a"), SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	counting := &countingKeyring{Keyring: store.Keyring}
	s := &Store{File: store.File, Keyring: counting}
	if _, err := s.Resolve(loadCfg(t, store), "a"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(counting.gets, []string{"cluster/a", "user/a"}) {
		t.Fatalf("keyring reads %v, want one per item", counting.gets)
	}
}

type countingKeyring struct {
	Keyring
	gets []string
}

func (c *countingKeyring) Get(item string) (string, error) {
	c.gets = append(c.gets, item)
	return c.Keyring.Get(item)
}
