package contexts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUpdateKeepsWhatAPersonWrote: etcd-ctx's writes to a hand-written
// config leave every entry they do not change as it was written (comments,
// flow style, quoting, anchors, the path shorthand), re-encode only the
// changed ones, in the shorthand, with their comments, and the file always
// reads back as what was meant.
func TestUpdateKeepsWhatAPersonWrote(t *testing.T) {
	store, _ := newStore(t)
	f := store.File
	if err := os.WriteFile(f.Path, []byte(handWritten), 0o600); err != nil {
		t.Fatal(err)
	}
	contains := func(step string, want ...string) string {
		t.Helper()
		data := string(readFile(t, f.Path))
		for _, w := range want {
			if !strings.Contains(data, w) {
				t.Errorf("%s: the file lacks %q:\n%s", step, w, data)
			}
		}
		return data
	}
	// Byte for byte: indentation, quoting, spacing before comments.
	kept := []string{
		"# etcd clusters of the platform team\nclusters:\n",
		"- name: lab\n  cluster:\n    endpoints: [https://127.0.0.1:2379]\n    certificate-authority: pki/ca.crt   # beside this file\n",
		"- name: admin\n  user: &admin\n    client-certificate: /etc/etcd/admin.crt\n    client-key: \"/etc/etcd/admin.key\"\n",
		"- name: lab-admin\n  user: *admin\n",
		"- name: ci\n  user:\n    client-certificate: {path: /etc/etcd/ci.crt}\n    client-key: {keyring: user/ci}\n    password: {keyring: user/ci}\ncontexts:\n",
		"- name: lab\n  context: {cluster: lab, user: lab-admin}\n",
	}

	// A new context is appended in the written form.
	spec := Spec{Name: "new", Endpoints: []string{"https://n:2379"}, CA: Material{Path: "/x/ca.crt", PEM: []byte("x")}, KeepPaths: true}
	if err := store.Save(spec, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	contains("add", append(kept, "- name: prod # three members\n  cluster:\n    endpoints: [https://10.0.0.1:2379, https://10.0.0.2:2379, https://10.0.0.3:2379]\n    certificate-authority: /etc/etcd/ca.crt\n",
		"- name: new\n  cluster:\n    endpoints:\n      - https://n:2379\n    certificate-authority: /x/ca.crt\nusers:\n")...)

	// A changed entry is re-encoded and keeps its comments.
	if err := store.Save(Spec{Name: "prod", Endpoints: []string{"https://p:2379"}, Note: "moved"}, SaveOptions{Replace: true}); err != nil {
		t.Fatal(err)
	}
	data := contains("set", append(kept, "- name: prod # three members\n  cluster:\n    endpoints:\n      - https://p:2379\n")...)
	if strings.Contains(data, "10.0.0.1") {
		t.Errorf("the old endpoints are still there:\n%s", data)
	}

	// A rename keeps the entry's comments under the new name.
	if err := store.Rename("prod", "prod-eu"); err != nil {
		t.Fatal(err)
	}
	contains("rename", append(kept, "- name: prod-eu # three members\n")...)

	cfg, err := f.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Names(), ","); got != "prod-eu,lab,new" {
		t.Fatalf("contexts %s", got)
	}
	if ctx, _ := cfg.Context("prod-eu"); ctx.Note != "moved" || ctx.Cluster != "prod-eu" {
		t.Fatalf("prod-eu = %+v", ctx)
	}
}

// TestUpdateFallsBackToTheWrittenForm: when keeping the file's own nodes
// would make a document that does not read as the new config (here: the
// entry holding an anchor is deleted while an alias still names it), the
// whole file is written in the written form instead.
func TestUpdateFallsBackToTheWrittenForm(t *testing.T) {
	store, _ := newStore(t)
	f := store.File
	if err := os.WriteFile(f.Path, []byte(handWritten), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := store.Delete("prod"); err != nil { // removes user admin, which holds &admin
		t.Fatal(err)
	}
	data := string(readFile(t, f.Path))
	if strings.Contains(data, "*admin") || strings.Contains(data, "name: admin\n") {
		t.Fatalf("the alias or the deleted user is still there:\n%s", data)
	}
	cfg, err := Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	u, ok := cfg.User("lab-admin")
	if !ok || u.Cert == nil || u.Cert.Path != "/etc/etcd/admin.crt" || u.Key.Path != "/etc/etcd/admin.key" {
		t.Fatalf("lab-admin lost what the alias gave it: %+v\n%s", u, data)
	}
	if !strings.Contains(data, "client-certificate: /etc/etcd/admin.crt\n") {
		t.Fatalf("not in the written form:\n%s", data)
	}
}

// TestUpdateOfAFileWithoutLists: a hand-written file may leave lists out or
// empty; a write adds what it needs.
func TestUpdateOfAFileWithoutLists(t *testing.T) {
	for _, in := range []string{"# nothing yet\n", "# nothing yet\n---\n", "---\n# nothing yet\n", "clusters:\ncontexts: []\n", "contexts: [] # none\n"} {
		store, _ := newStore(t)
		if err := os.WriteFile(store.File.Path, []byte(in), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := store.Save(Spec{Name: "a", Endpoints: []string{"http://a:2379"}}, SaveOptions{Use: true}); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		data := string(readFile(t, store.File.Path))
		cfg, err := store.File.Load()
		if err != nil || cfg.CurrentContext != "a" || len(cfg.Contexts) != 1 || len(cfg.Clusters) != 1 {
			t.Fatalf("%q: wrote\n%s\nread back %+v, %v", in, data, cfg, err)
		}
		if strings.Contains(in, "#") && !strings.Contains(data, "# nothing yet\n") && !strings.Contains(data, "# none\n") {
			t.Errorf("%q: the comment was lost:\n%s", in, data)
		}
	}
}

// TestSetKeepsSharedEntries: set on a context of a hand-written config
// whose user is shared changes only what it must: the shared user stays
// shared and untouched, the context's own cluster changes in place, a
// relative path keeps its spelling, and every other line is as written.
// Forking happens only when another context shares what changed.
func TestSetKeepsSharedEntries(t *testing.T) {
	store, _ := newStore(t)
	dir := filepath.Dir(store.File.Path)
	p := testPKI(t)
	for name, data := range map[string][]byte{"pki/ca.crt": p.ca.CertPEM, "pki/admin.crt": p.client.CertPEM, "pki/admin.key": p.client.KeyPEM} {
		if err := os.MkdirAll(filepath.Join(dir, "pki"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const shared = `clusters:
- name: prod   # first
  cluster:
    endpoints: [https://10.0.0.1:2379]
    certificate-authority: pki/ca.crt
- name: other
  cluster:
    endpoints: [https://10.0.0.9:2379]
    certificate-authority: pki/ca.crt
users:
- name: admin
  user:
    client-certificate: pki/admin.crt
    client-key: pki/admin.key
contexts:
- name: prod
  context: {cluster: prod, user: admin}
- name: other
  context: {cluster: other, user: admin}
`
	if err := os.WriteFile(store.File.Path, []byte(shared), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := store.Select("other")
	if err != nil {
		t.Fatal(err)
	}
	spec.DialTimeout = 5 * time.Second
	if err := store.Save(spec, SaveOptions{Replace: true}); err != nil {
		t.Fatal(err)
	}
	data := string(readFile(t, store.File.Path))
	want := strings.Replace(shared, "    endpoints: [https://10.0.0.9:2379]\n    certificate-authority: pki/ca.crt\n",
		"    endpoints:\n      - https://10.0.0.9:2379\n    certificate-authority: pki/ca.crt\n    dial-timeout: 5s\n", 1)
	if data != want {
		t.Fatalf("set other --dial-timeout 5s wrote\n%s\nwant\n%s", data, want)
	}

	// A change to the shared user itself, for one context: that context
	// gets a user of its own; the other keeps admin as it was.
	spec.Username = "ops"
	if err := store.Save(spec, SaveOptions{Replace: true}); err != nil {
		t.Fatal(err)
	}
	cfg, err := store.File.Load()
	if err != nil {
		t.Fatal(err)
	}
	prod, _ := cfg.Context("prod")
	other, _ := cfg.Context("other")
	admin, _ := cfg.User("admin")
	if prod.User != "admin" || other.User != "other" || admin.Username != "" || admin.Cert.Path != "pki/admin.crt" {
		t.Fatalf("prod %+v, other %+v, admin %+v", prod, other, admin)
	}
}

// TestDeleteTakesItsHeadComment: deleting a context of a hand-written file
// removes its entries' lines and the comments right above them, and no
// other byte.
func TestDeleteTakesItsHeadComment(t *testing.T) {
	store, _ := newStore(t)
	const in = `# top
clusters:
  # the lab
  - name: lab
    cluster:
      endpoints: [http://127.0.0.1:1]

  # prod, three members
  - name: prod   # note
    cluster: {endpoints: [http://127.0.0.1:2]}
contexts:
  - {name: lab, context: {cluster: lab}}
  # prod context
  - name: prod
    context:
      cluster: prod   # trailing
# end of file
`
	if err := os.WriteFile(store.File.Path, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := store.Delete("prod"); err != nil {
		t.Fatal(err)
	}
	want := `# top
clusters:
  # the lab
  - name: lab
    cluster:
      endpoints: [http://127.0.0.1:1]

contexts:
  - {name: lab, context: {cluster: lab}}
# end of file
`
	if got := string(readFile(t, store.File.Path)); got != want {
		t.Fatalf("wrote\n%s\nwant\n%s", got, want)
	}
}

// TestAddToEmptyLists: a hand-written file whose lists are empty ("[]",
// nothing, "~") gets the new entries under those keys, with their
// comments, and keeps every other line.
func TestAddToEmptyLists(t *testing.T) {
	store, _ := newStore(t)
	in := "# mine\nclusters:   # the clusters\ncontexts: [] # none yet\nusers: ~\n"
	if err := os.WriteFile(store.File.Path, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := store.Save(Spec{Name: "a", Endpoints: []string{"http://127.0.0.1:1"}}, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "# mine\nclusters: # the clusters\n- name: a\n  cluster:\n    endpoints:\n      - http://127.0.0.1:1\ncontexts: # none yet\n- name: a\n  context:\n    cluster: a\nusers: ~\n"
	if got := string(readFile(t, store.File.Path)); got != want {
		t.Fatalf("wrote\n%s\nwant\n%s", got, want)
	}
}
