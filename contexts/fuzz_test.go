package contexts

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// configSeeds are realistic config files: what etcd-ctx writes, what people
// write by hand (flow style, comments, anchors), and the malformed files the
// loader must report rather than overwrite.
var configSeeds = []string{
	"",
	"# only a comment\n",
	"---\n",
	"current-context: prod\n",
	`current-context: prod
previous-context: dev
clusters:
  - name: prod
    cluster:
      endpoints:
        - https://10.0.0.1:2379
        - https://10.0.0.2:2379
      certificate-authority:
        keyring: cluster/prod
      tls-server-name: etcd.internal
      dial-timeout: 1.5s
  - name: dev
    cluster:
      endpoints: [https://127.0.0.1:2379]
      certificate-authority: {path: /etc/etcd/ca.crt}
      insecure-skip-tls-verify: true
users:
  - name: prod
    user:
      username: root
      client-certificate: {keyring: user/prod}
      client-key: {keyring: user/prod}
      password: {keyring: user/prod}
  - name: dev
    user:
      client-certificate: {path: /etc/etcd/client.crt}
      client-key: {path: /etc/etcd/client.key}
      token: {keyring: user/dev}
contexts:
  - name: prod
    context: {cluster: prod, user: prod, prefix: /registry/, note: "careful: production"}
  - name: dev
    context: {cluster: dev, user: dev}
  - name: anon
    context: {cluster: dev}
`,
	"clusters:\n- name: a\n  cluster: &c\n    endpoints: [http://h:2379]\n- name: b\n  cluster: *c\ncontexts:\n- name: a\n  context: {cluster: a}\n- name: b\n  context: {cluster: b}\n",
	"contexts:\n- name: prod\n  context: {cluster: a}\n- name: prod\n  context: {cluster: b}\n",
	"contexts:\n- context: {cluster: a}\n",
	"contexts:\n  - name: a\n   bad: [\n",
	"current-context: a\ncontext: []\n",
	"clusters:\n- name: a\n  cluster:\n    endpoints: [http://h:2379]\n    dial-timeout: soon\n",
	"clusters:\n- name: a\n  cluster:\n    dial-timeout: {a: 1}\n",
	"contexts: 3\n",
	"users:\n- name: a\n  user:\n    client-key:\n      file: /k\n",
	"current-context: \"\\u00e9\\t\\x01\"\ncontexts:\n- name: \"\\u00e9\"\n  context: {cluster: \"\", note: \"\\ufeff\"}\n",
	"a: &a [*a]\n",
	"current-context: a\n---\ncurrent-context: b\n",
	handWritten,
	"# only\n# comments\n---\n",
	"clusters:\n- name: a\n  cluster:\n    certificate-authority: ca.crt\nusers:\n- name: a\n  user: {client-key: k.pem, client-certificate: '0x1F'}\n",
}

// FuzzParseConfig: the config loader never panics; an error comes alone and
// reads as a plain message; a config that parses has named, unique contexts
// that its lookups find; and it survives Marshal→Parse, and the merging
// write (render), unchanged, so a write by etcd-ctx never alters or drops
// what the file said.
func FuzzParseConfig(f *testing.F) {
	for _, s := range configSeeds {
		f.Add([]byte(s))
	}
	if data, err := sampleConfig().Marshal(); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data)
		if err != nil {
			if cfg != nil {
				t.Fatalf("Parse returned a config with its error %v", err)
			}
			if msg := err.Error(); msg == "" || strings.HasPrefix(msg, "yaml: ") {
				t.Fatalf("error %q is empty or keeps the yaml: prefix", msg)
			}
			return
		}
		if cfg == nil {
			t.Fatal("Parse returned neither a config nor an error")
		}
		checkContexts(t, cfg)

		out, err := cfg.Marshal()
		if err != nil {
			t.Fatalf("a parsed config does not marshal: %v", err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("etcd-ctx would write a file it cannot read: %v\ninput:\n%q\nwritten:\n%s", err, data, out)
		}
		if !reflect.DeepEqual(normalized(cfg), normalized(again)) {
			t.Fatalf("Marshal→Parse changed the config\nbefore %+v\nafter  %+v\nwritten:\n%s", cfg, again, out)
		}
		out2, err := again.Marshal()
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("Marshal is not stable (%v):\n%s\n---\n%s", err, out, out2)
		}

		// What Update writes for it (the file's own nodes kept where
		// nothing changed) reads back as the same config, selection aside.
		written, err := render(data, cfg)
		if err != nil {
			t.Fatalf("render: %v", err)
		}
		kept, err := Parse(written)
		want := *cfg
		want.CurrentContext, want.PreviousContext = "", ""
		if err != nil || !sameConfig(kept, &want) {
			t.Fatalf("render wrote a file that reads as %+v (%v), want %+v\ninput:\n%q\nwritten:\n%s", kept, err, want, data, written)
		}

		// A write that changes entries (one cluster's endpoints, the last
		// context gone, a cluster and context added) reads back as the
		// changed config, whichever way render took.
		if _, taken := cfg.Cluster("fuzz-new"); !taken {
			if _, taken := cfg.Context("fuzz-new"); !taken {
				ch := normalized(cfg)
				ch.CurrentContext, ch.PreviousContext = "", ""
				if len(ch.Clusters) > 0 {
					ch.Clusters[0].Cluster.Endpoints = []string{"https://fuzz:2379"}
				}
				if len(ch.Contexts) > 0 {
					ch.Contexts = ch.Contexts[:len(ch.Contexts)-1]
				}
				ch.Clusters = append(ch.Clusters, NamedCluster{Name: "fuzz-new", Cluster: Cluster{Endpoints: []string{"https://new:2379"}}})
				ch.Contexts = append(ch.Contexts, NamedContext{Name: "fuzz-new", Context: Context{Cluster: "fuzz-new"}})
				written, err := render(data, &ch)
				if err != nil {
					t.Fatalf("render of a change: %v", err)
				}
				if got, err := Parse(written); err != nil || !sameConfig(got, &ch) {
					t.Fatalf("a changing write reads as %+v (%v), want %+v\ninput:\n%q\nwritten:\n%s", got, err, ch, data, written)
				}
			}
		}

		// Reading every context back (as every command does) fails cleanly
		// or gives a spec of that name (Spec reads cfg only, never the
		// file). File references are dropped first: the fuzzer must not make
		// the test read /dev/zero.
		st := &Store{File: File{Path: filepath.Join("nonexistent", "config.yaml")}, Keyring: newMemKeyring()}
		for _, name := range again.Names() {
			spec, err := st.Resolve(withoutPaths(again), name)
			if err == nil && spec.Name != name {
				t.Fatalf("Spec(%q) named %q", name, spec.Name)
			}
		}
	})
}

func checkContexts(t *testing.T, cfg *Config) {
	t.Helper()
	seen := map[string]bool{}
	for _, name := range cfg.Names() {
		if name == "" {
			t.Fatal("a config with a nameless context parsed")
		}
		if seen[name] {
			t.Fatalf("a config with context %q twice parsed", name)
		}
		seen[name] = true
		if _, ok := cfg.Context(name); !ok {
			t.Fatalf("Context(%q) does not find a listed context", name)
		}
	}
}

// normalized makes nil and empty slices equal: YAML writes both as [].
func normalized(c *Config) Config {
	n := *c
	orEmpty := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	n.Clusters = append([]NamedCluster{}, c.Clusters...)
	for i := range n.Clusters {
		n.Clusters[i].Cluster.Endpoints = orEmpty(n.Clusters[i].Cluster.Endpoints)
	}
	n.Users = append([]NamedUser{}, c.Users...)
	n.Contexts = append([]NamedContext{}, c.Contexts...)
	return n
}

func withoutPaths(c *Config) *Config {
	n := normalized(c)
	keyringOnly := func(r *Ref) *Ref {
		if r == nil {
			return nil
		}
		return &Ref{Keyring: r.Keyring}
	}
	for i := range n.Clusters {
		n.Clusters[i].Cluster.CA = keyringOnly(n.Clusters[i].Cluster.CA)
	}
	for i := range n.Users {
		u := &n.Users[i].User
		u.Cert, u.Key, u.Password, u.Token = keyringOnly(u.Cert), keyringOnly(u.Key), keyringOnly(u.Password), keyringOnly(u.Token)
	}
	return &n
}

// FuzzStateFile: the state file and index readers never panic on any
// bytes (a torn write, a foreign file), and what they accept survives a
// write and a read unchanged.
func FuzzStateFile(f *testing.F) {
	dir := f.TempDir()
	cfg := &Config{CurrentContext: "a", PreviousContext: "b b"}
	cfg.putContext("a", Context{Cluster: "c"})
	cfg.putContext("b b", Context{Cluster: "c"})
	cfg.putContext(`q"`, Context{Cluster: "c"})
	seed := filepath.Join(dir, "seed.yaml")
	s := stamp{1, 2, 3, 4, 5}
	if err := writeState(seed, newState(cfg, s, "a", "")); err != nil {
		f.Fatal(err)
	}
	if err := writeIndex(seed, cfg, s); err != nil {
		f.Fatal(err)
	}
	for _, p := range []string{statePath(seed), indexPath(seed)} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "config.yaml")
		for _, p := range []string{statePath(path), indexPath(path)} {
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if st := readState(path); st != nil {
			if err := writeState(path, st); err != nil {
				t.Fatal(err)
			}
			if again := readState(path); again == nil || *again != *st {
				t.Fatalf("state %+v read back as %+v", st, again)
			}
		}
		for _, s := range []stamp{{}, {1, 2, 3, 4, 5}} {
			if idx := readIndex(path, s); idx != nil {
				for _, name := range idx.Names() {
					if !idx.has(name) {
						t.Fatalf("Names() lists %q, has() denies it", name)
					}
					idx.entry(name)
				}
			}
		}
	})
}
