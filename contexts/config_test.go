package contexts

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseErrorsNameTheLine(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []string // substrings of the error
	}{
		{"unclosed flow sequence", "current-context: a\nclusters: [\n", []string{"line 2"}},
		{"tab indentation", "contexts:\n\t- name: a\n", []string{"line 2"}},
		{"bad mapping", "current-context: a\nusers:\n- name: u\n  user: x: y\n", []string{"line 4"}},
		{"unknown top-level field", "current-context: a\ncurent-context: b\n", []string{"line 2", "curent-context"}},
		{"unknown context field", "contexts:\n- name: a\n  context:\n    cluster: a\n    bogus: 1\n", []string{"line 5", "bogus"}},
		{"unknown cluster field", "clusters:\n- name: a\n  cluster:\n    endpoints: [http://h:2379]\n    endpoint: http://h:2379\n", []string{"line 5", "endpoint"}},
		{"unknown ref field", "users:\n- name: a\n  user:\n    client-key:\n      file: /k\n", []string{"line 5", "file"}},
		{"bad duration", "clusters:\n- name: a\n  cluster:\n    endpoints: [http://h:2379]\n    dial-timeout: soon\n", []string{"line 5", `"soon" is not a duration`}},
		{"wrong type", "contexts: 3\n", []string{"line 1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tc.in))
			if err == nil {
				t.Fatalf("Parse succeeded with %+v, want an error", cfg)
			}
			if cfg != nil {
				t.Errorf("Parse returned a config with its error: %+v", cfg)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.HasPrefix(err.Error(), "yaml: ") {
				t.Errorf("error %q keeps the yaml: prefix", err)
			}
		})
	}
}

func TestParseRejectsBadContextLists(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"duplicate", "contexts:\n- name: prod\n  context: {cluster: a}\n- name: dev\n  context: {cluster: b}\n- name: prod\n  context: {cluster: c}\n", `lines 2, 6: context "prod" is defined twice`},
		{"nameless", "contexts:\n- name: a\n  context: {cluster: a}\n- context: {cluster: a}\n", "line 4: a context has no name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", "\n", "  \n\t\n", "---\n"} {
		cfg, err := Parse([]byte(in))
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if cfg == nil || cfg.CurrentContext != "" || len(cfg.Contexts) != 0 || len(cfg.Clusters) != 0 || len(cfg.Users) != 0 {
			t.Fatalf("Parse(%q) = %+v, want an empty config", in, cfg)
		}
		if names := cfg.Names(); len(names) != 0 {
			t.Fatalf("Parse(%q).Names() = %v", in, names)
		}
	}
}

func sampleConfig() *Config {
	return &Config{
		CurrentContext:  "prod",
		PreviousContext: "dev",
		Clusters: []NamedCluster{
			{Name: "prod", Cluster: Cluster{
				Endpoints:   []string{"https://10.0.0.1:2379", "https://10.0.0.2:2379"},
				CA:          &Ref{Keyring: "cluster/prod"},
				ServerName:  "etcd.internal",
				DialTimeout: Duration(1500 * time.Millisecond),
			}},
			{Name: "dev", Cluster: Cluster{
				Endpoints:          []string{"https://127.0.0.1:2379"},
				CA:                 &Ref{Path: "/etc/etcd/ca.crt"},
				InsecureSkipVerify: true,
			}},
		},
		Users: []NamedUser{
			{Name: "prod", User: User{
				Username: "root",
				Cert:     &Ref{Keyring: "user/prod"},
				Key:      &Ref{Keyring: "user/prod"},
				Password: &Ref{Keyring: "user/prod"},
			}},
			{Name: "dev", User: User{
				Cert:  &Ref{Path: "/etc/etcd/client.crt"},
				Key:   &Ref{Path: "/etc/etcd/client.key"},
				Token: &Ref{Keyring: "user/dev"},
			}},
		},
		Contexts: []NamedContext{
			{Name: "prod", Context: Context{Cluster: "prod", User: "prod", Prefix: "/registry/", Note: "careful: production"}},
			{Name: "dev", Context: Context{Cluster: "dev", User: "dev"}},
			{Name: "anon", Context: Context{Cluster: "dev"}},
		},
	}
}

func TestMarshalParseRoundTrip(t *testing.T) {
	want := sampleConfig()
	data, err := want.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse(Marshal()) failed: %v\n%s", err, data)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip changed the config:\n got %+v\nwant %+v\nyaml:\n%s", got, want, data)
	}
	// The written form is the documented one: durations as text, kebab-case keys.
	for _, s := range []string{"current-context: prod", "previous-context: dev", "dial-timeout: 1.5s", "certificate-authority:", "keyring: cluster/prod", "certificate-authority: /etc/etcd/ca.crt", "client-key: /etc/etcd/client.key", "tls-server-name: etcd.internal", "insecure-skip-tls-verify: true", "client-certificate:", "client-key:"} {
		if !strings.Contains(string(data), s) {
			t.Errorf("marshalled config lacks %q:\n%s", s, data)
		}
	}
	// Zero durations and empty refs are left out.
	if strings.Count(string(data), "dial-timeout") != 1 {
		t.Errorf("zero dial timeout written:\n%s", data)
	}
	// Marshal is stable.
	again, err := got.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(data) {
		t.Fatalf("second Marshal differs:\n%s\n---\n%s", data, again)
	}
}

func TestMarshalEmptyParses(t *testing.T) {
	data, err := (&Config{}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse(%q): %v", data, err)
	}
	if len(cfg.Contexts) != 0 || cfg.CurrentContext != "" {
		t.Fatalf("got %+v", cfg)
	}
}

func TestValidName(t *testing.T) {
	cases := []struct {
		name string
		ok   bool
	}{
		{"prod", true},
		{"prod-eu_1@x", true},
		{"a", true},
		{"9", true},
		{"k8s:admin+ro.v2", true},
		{"user@cluster:2379", true},
		{strings.Repeat("a", 128), true},
		{strings.Repeat("a", 129), false},
		{strings.Repeat("a", 200), false},
		{"-", false},
		{"", false},
		{"a b", false},
		{"../x", false},
		{"a/b", false},
		{".hidden", false},
		{"-prod", false},
		{"_x", false},
		{"@x", false},
		{"prod\n", false},
		{"tab\there", false},
		{"é", false},
		{"a#1", false}, // '#' separates keyring chunk numbers
		{"a$b", false},
	}
	for _, tc := range cases {
		err := ValidName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("ValidName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
		var ne *NameError
		if err != nil && (!errors.As(err, &ne) || ne.Name != tc.name || ne.Why == "") {
			t.Errorf("ValidName(%q) = %#v, want a *NameError naming it", tc.name, err)
		}
	}
	if err := ValidName("-"); err == nil || !strings.Contains(err.Error(), "previous context") {
		t.Errorf(`ValidName("-") = %v, want it to explain "-" means the previous context`, err)
	}
	if err := ValidName("a b"); err == nil || !strings.Contains(err.Error(), `"a b"`) {
		t.Errorf(`ValidName("a b") = %v, want the name quoted`, err)
	}
}

func TestRefString(t *testing.T) {
	cases := []struct {
		ref  *Ref
		want string
	}{
		{nil, ""},
		{&Ref{}, ""},
		{&Ref{Keyring: "user/a"}, "keyring:user/a"},
		{&Ref{Path: "/etc/ca.crt"}, "/etc/ca.crt"},
		{&Ref{Keyring: "user/a", Path: "/p"}, "keyring:user/a"},
	}
	for _, tc := range cases {
		if got := tc.ref.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.ref, got, tc.want)
		}
	}
}

func TestConfigLookupsAndEdits(t *testing.T) {
	cfg := sampleConfig()
	if got := cfg.Names(); !reflect.DeepEqual(got, []string{"prod", "dev", "anon"}) {
		t.Fatalf("Names() = %v", got)
	}
	if _, ok := cfg.Context("nope"); ok {
		t.Fatal("Context(nope) found")
	}
	ctx, ok := cfg.Context("prod")
	if !ok || ctx.Prefix != "/registry/" {
		t.Fatalf("Context(prod) = %+v, %v", ctx, ok)
	}
	// The returned pointers alias the config.
	ctx.Note = "changed"
	if c, _ := cfg.Context("prod"); c.Note != "changed" {
		t.Fatal("Context() did not return a pointer into the config")
	}
	if got := cfg.clusterUsers("dev"); got != 2 {
		t.Fatalf("clusterUsers(dev) = %d, want 2", got)
	}
	if got := cfg.userUsers("dev"); got != 1 {
		t.Fatalf("userUsers(dev) = %d, want 1", got)
	}
	if got := cfg.userItems("prod"); !reflect.DeepEqual(got, []string{"user/prod"}) {
		t.Fatalf("userItems(prod) = %v, want one distinct item", got)
	}
	if got := cfg.clusterItems("dev"); len(got) != 0 {
		t.Fatalf("clusterItems(dev) = %v, want none for a path ref", got)
	}

	cfg.putCluster("prod", Cluster{Endpoints: []string{"https://new:2379"}})
	if cl, _ := cfg.Cluster("prod"); len(cfg.Clusters) != 2 || cl.Endpoints[0] != "https://new:2379" || cl.CA != nil {
		t.Fatalf("putCluster did not replace in place: %+v", cfg.Clusters)
	}
	cfg.putUser("new", User{Username: "n"})
	cfg.putContext("new", Context{Cluster: "prod", User: "new"})
	if len(cfg.Users) != 3 || len(cfg.Contexts) != 4 || cfg.Contexts[3].Name != "new" {
		t.Fatalf("put did not append: %+v", cfg)
	}
	cfg.removeContext("new")
	cfg.removeUser("new")
	cfg.removeCluster("dev")
	if _, ok := cfg.Context("new"); ok {
		t.Fatal("removeContext kept the context")
	}
	if _, ok := cfg.User("new"); ok {
		t.Fatal("removeUser kept the user")
	}
	if _, ok := cfg.Cluster("dev"); ok || len(cfg.Clusters) != 1 {
		t.Fatal("removeCluster kept the cluster")
	}
}

// TestParseErrorsNeverQuoteValues: a secret typed into the file where a
// reference belongs is not repeated by the error (yaml.v3 quotes values of
// up to 10 characters whole). A password or token written as a plain string
// is kubeconfig's literal secret: rejected with its line, never taken for a
// path (which an error would print).
func TestParseErrorsNeverQuoteValues(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"users:\n- name: a\n  user:\n    password: hunter2\n", "line 4: a password is never written in the file"},
		{"users:\n- name: a\n  user:\n    token: hunter2\n    client-key: /k\n", "line 4: a token is never written in the file"},
		{"users:\n- name: a\n  user:\n    password: [hunter2]\n", "line 4: cannot unmarshal !!seq into a reference"},
		{"clusters:\n- name: a\n  cluster:\n    certificate-authority: {path: [hunter2]}\n", "line 4: cannot unmarshal !!seq into a path"},
		{"clusters:\n- name: a\n  cluster:\n    dial-timeout: [hunter2]\n", "line 4"},
		{"contexts:\n- name: a\n  context: {cluster: [hunter2]}\n", "line 3: cannot unmarshal !!seq into string"},
	} {
		_, err := Parse([]byte(tc.in))
		if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want %q and not the value", tc.in, err, tc.want)
		}
	}
}

// handWritten is a config as a person writes it after kubeconfig: paths
// alone, comments, flow style, a relative path, an anchor.
const handWritten = `# etcd clusters of the platform team
clusters:
- name: prod # three members
  cluster:
    endpoints: [https://10.0.0.1:2379, https://10.0.0.2:2379, https://10.0.0.3:2379]
    certificate-authority: /etc/etcd/ca.crt
- name: lab
  cluster:
    endpoints: [https://127.0.0.1:2379]
    certificate-authority: pki/ca.crt   # beside this file
users:
- name: admin
  user: &admin
    client-certificate: /etc/etcd/admin.crt
    client-key: "/etc/etcd/admin.key"
- name: lab-admin
  user: *admin
- name: ci
  user:
    client-certificate: {path: /etc/etcd/ci.crt}
    client-key: {keyring: user/ci}
    password: {keyring: user/ci}
contexts:
- name: prod
  context: {cluster: prod, user: admin}
- name: lab
  context: {cluster: lab, user: lab-admin}
`

func TestParseShorthand(t *testing.T) {
	cfg, err := Parse([]byte(handWritten))
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := cfg.Cluster("prod")
	if !reflect.DeepEqual(cl.CA, &Ref{Path: "/etc/etcd/ca.crt"}) {
		t.Errorf("prod CA = %#v", cl.CA)
	}
	if cl, _ := cfg.Cluster("lab"); !reflect.DeepEqual(cl.CA, &Ref{Path: "pki/ca.crt"}) {
		t.Errorf("lab CA = %#v", cl.CA)
	}
	for _, name := range []string{"admin", "lab-admin"} {
		u, _ := cfg.User(name)
		if !reflect.DeepEqual(u.Cert, &Ref{Path: "/etc/etcd/admin.crt"}) || !reflect.DeepEqual(u.Key, &Ref{Path: "/etc/etcd/admin.key"}) {
			t.Errorf("user %s = %#v, %#v", name, u.Cert, u.Key)
		}
	}
	u, _ := cfg.User("ci")
	if !reflect.DeepEqual(*u, User{Cert: &Ref{Path: "/etc/etcd/ci.crt"}, Key: &Ref{Keyring: "user/ci"}, Password: &Ref{Keyring: "user/ci"}}) {
		t.Errorf("user ci = %+v", u)
	}
	// Written back, path references take the shorthand; the others keep
	// the mapping, and the result reads the same.
	data, err := cfg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"certificate-authority: /etc/etcd/ca.crt\n", "client-key: /etc/etcd/admin.key\n", "client-certificate: /etc/etcd/ci.crt\n", "client-key:\n        keyring: user/ci\n", "password:\n        keyring: user/ci\n"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("written config lacks %q:\n%s", want, data)
		}
	}
	again, err := Parse(data)
	if err != nil || !reflect.DeepEqual(again, cfg) {
		t.Fatalf("written config reads back as %+v (%v)", again, err)
	}
}

// TestParseShorthandTypes: the shorthand is a string; anything else says
// what it wants, with its line.
func TestParseShorthandTypes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"clusters:\n- name: a\n  cluster:\n    certificate-authority: [a, b]\n", "line 4: cannot unmarshal !!seq into a reference (want a path, {keyring: ITEM} or {path: FILE})"},
		{"clusters:\n- name: a\n  cluster:\n    certificate-authority: {path: /a, path: /b}\n", "line 4: mapping key \"path\" already defined"},
		{"users:\n- name: a\n  user:\n    client-key: {keyring: {a: b}}\n", "line 4: cannot unmarshal !!map into a keyring"},
	} {
		if _, err := Parse([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
	// A number or a quoted string is a file name like any other.
	cfg, err := Parse([]byte("clusters:\n- name: a\n  cluster:\n    certificate-authority: 2024\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cl, _ := cfg.Cluster("a"); cl.CA.Path != "2024" {
		t.Fatalf("CA = %#v", cl.CA)
	}
	data, _ := cfg.Marshal()
	if again, err := Parse(data); err != nil || again.Clusters[0].Cluster.CA.Path != "2024" {
		t.Fatalf("written as %s, read back as %+v (%v)", data, again, err)
	}
}

// TestParseErrorsAreBounded: a file with thousands of mistakes is reported
// by its first few, with their lines, and a count of the rest, not one
// message per mistake.
func TestParseErrorsAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("clusters:\n")
	for i := range 2000 {
		fmt.Fprintf(&b, "- name: c%d\n  cluster:\n    endpoints: https://10.0.0.1:2379-is-not-a-list-%d\n", i, i)
	}
	_, err := Parse([]byte(b.String()))
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	msg := err.Error()
	for _, want := range []string{"line 4: cannot unmarshal !!str into []string", "line 7: ", "line 10: ", "and 1997 more problems"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
	if len(msg) > 600 || strings.Contains(msg, "line 13:") || strings.Contains(msg, "\n") || strings.Contains(msg, "not-a-list") {
		t.Errorf("error is %d bytes, or lists more than 3 problems, or spans lines, or quotes values: %s", len(msg), msg)
	}
	// One problem: no count.
	_, err = Parse([]byte("contexts: 3\n"))
	if err == nil || strings.Contains(err.Error(), "more problem") || !strings.HasPrefix(err.Error(), "line 1: ") {
		t.Errorf("single problem reported as %v", err)
	}
	// Two: both, no count.
	_, err = Parse([]byte("users:\n- name: a\n  user:\n    password: x\n    token: y\n"))
	if err == nil || !strings.Contains(err.Error(), "line 4: a password") || !strings.Contains(err.Error(), "line 5: a token") || strings.Contains(err.Error(), "more problem") {
		t.Errorf("two problems reported as %v", err)
	}
}

// TestParseSaysEntriesInTheFilesTerms: an unknown key is named with the
// entry it is in and the keys that entry takes, never a Go type; a password
// written in the file is refused among the other problems.
func TestParseSaysEntriesInTheFilesTerms(t *testing.T) {
	in := "users:\n- name: a\n  user:\n    password: hunter2\ncontexts:\n- name: a\n  bogus: 1\n  context: {cluster: a, user: a, color: red}\n"
	_, err := Parse([]byte(in))
	if err == nil {
		t.Fatal("parsed")
	}
	msg := err.Error()
	for _, want := range []string{
		"line 4: a password is never written in the file",
		"line 7: field bogus is not a key of a contexts entry (name, context)",
		"line 8: field color is not a context setting (cluster, user, prefix, note)",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "contexts.") || strings.Contains(msg, "hunter2") {
		t.Errorf("a Go type or the password: %s", msg)
	}
}
