package rbac

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

const sample = `# comment
auth: enabled
roles:
  - name: app
    permissions:
      - {type: readwrite, prefix: /app/}
      - {type: read, key: /config/app}
      - {type: read, key: /logs/a, range-end: /logs/m}
      - {type: write, from-key: /z/}
      - {type: read, key: /k, range-end: /l}
  - name: all
    permissions:
      - {type: read, prefix: ""}
  - name: root
users:
  - name: app
    roles: [app]
    certificate: {days: 90}
  - name: alice
    roles: [app, all]
    password: true
    password-env: ALICE_PASSWORD
  - name: root
    roles: [root]
    password: false
`

func TestParse(t *testing.T) {
	m, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if m.Auth == nil || !*m.Auth || len(m.Roles) != 3 || len(m.Users) != 3 {
		t.Fatalf("model %+v", m)
	}
	want := []Perm{
		{ReadWrite, Prefix("/app/")},
		{Read, SingleKey("/config/app")},
		{Read, Between("/logs/a", "/logs/m")},
		{Write, FromKey("/z/")},
		{Read, Prefix("/k")}, // the range [/k, /l) is the prefix /k
	}
	for i, p := range m.Role("app").Perms {
		if p != want[i] {
			t.Errorf("perm %d = %v, want %v", i, p, want[i])
		}
	}
	if p := m.Role("all").Perms[0]; p.Range != (Range{Key: "\x00", End: "\x00"}) || p.String() != "read every key" {
		t.Errorf("every key = %#v %s", p, p)
	}
	app, alice, root := m.User("app"), m.User("alice"), m.User("root")
	if app.Password != nil || app.Certificate == nil || app.Certificate.Days != 90 || app.CertFile() != "clients/app.crt" {
		t.Errorf("app %+v", app)
	}
	if !*alice.Password || alice.PasswordEnv != "ALICE_PASSWORD" || alice.Roles[1] != "all" {
		t.Errorf("alice %+v", alice)
	}
	if *root.Password {
		t.Errorf("root %+v", root)
	}
}

// TestEncodeParse: what EncodeYAML and EncodeJSON print parses back to the
// same model, and printing it again gives the same bytes.
func TestEncodeParse(t *testing.T) {
	m, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	m.User("app").Certificate.Expires = time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	m.Roles = append(m.Roles, Role{Name: "odd", Perms: []Perm{{Read, SingleKey("a\x00b")}, {Write, FromKey("\xff")}, {Read, SingleKey("key: with [yaml] chars")}}})
	m.Sort()
	y, err := m.EncodeYAML("etcd access model")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(y), "# etcd access model\n") || !strings.Contains(string(y), "- {type: readwrite, prefix: /app/}") {
		t.Errorf("yaml:\n%s", y)
	}
	back, err := Parse(y)
	if err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	y2, _ := back.EncodeYAML("etcd access model")
	if string(y) != string(y2) {
		t.Errorf("yaml round trip:\n%s\n---\n%s", y, y2)
	}
	if got := back.Role("odd").Perms; got[0].Key != "a\x00b" || got[2].Range != FromKey("\xff") {
		t.Errorf("odd keys came back as %#v", got)
	}
	back.Roles = slices.DeleteFunc(back.Roles, func(r Role) bool { return r.Name == "odd" }) // \xff is not UTF-8
	if _, err := m.EncodeJSON(); err == nil || !strings.Contains(err.Error(), "not UTF-8") {
		t.Errorf("JSON of a non-UTF-8 key: %v", err)
	}
	j, err := back.EncodeJSON()
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := Parse(j)
	if err != nil {
		t.Fatalf("%v\n%s", err, j)
	}
	y3, _ := fromJSON.EncodeYAML("")
	y4, _ := back.EncodeYAML("")
	if string(y3) != string(y4) {
		t.Errorf("json round trip:\n%s\n---\n%s", y3, y4)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"roles:\n  - name: a\n    permission: []\n", `file:3: unknown field "permission" in a role`},
		{"roles:\n  - name: a\n    permissions:\n      - {type: read, prefx: /a}\n", `file:4: unknown field "prefx" in a permission`},
		{"users:\n  - name: a\n    pasword: true\n", `file:3: unknown field "pasword" in a user`},
		{"users:\n  - name: a\n    certificate: {day: 3}\n", `file:3: unknown field "day" in a certificate`},
		{"auths: enabled\n", `file:1: unknown field "auths" in the file`},
		{"roles: []\nauth: on\n", `file:2: auth: "on": use enabled or disabled`},
		{"roles:\n  - name: a\n    permissions:\n      - {type: read}\n", "file:4: give exactly one of key, prefix and from-key"},
		{"roles:\n  - name: a\n    permissions:\n      - {type: read, key: /a, prefix: /b}\n", "file:4: give exactly one"},
		{"roles:\n  - name: a\n    permissions:\n      - {type: read, prefix: /a, range-end: /b}\n", "file:4: range-end goes with key"},
		{"roles:\n  - name: a\n    permissions:\n      - {type: read, key: /b, range-end: /a}\n", `file:4: range end "/a" does not sort after key "/b"`},
		{"roles:\n  - name: a\n    permissions:\n      - {type: red, key: /b}\n", `file:4: unknown permission type "red"`},
		{"roles:\n  - name: a\n    permissions:\n      - {type: read, prefix: /a/}\n      - {type: write, key: /a/, range-end: /a0}\n", `file:5: role "a": prefix "/a/" is already given on line 4`},
		{"roles:\n  - name: a\n  - name: a\n", `file:3: role "a" is already declared on line 2`},
		{"users:\n  - name: u\n    password-env: X\n", `password-env needs password: true`},
		{"users:\n  - name: u\n    roles: [a, a]\n", `role "a" is listed twice`},
		{"users:\n  - name: u\n    certificate: {file: ../x.crt}\n", `must be a path inside the PKI directory`},
		{"users:\n  - name: a/b\n    certificate: {}\n", `cannot be a file name`},
		{"roles: 3\n", "file:1: cannot unmarshal"},
		{"", "the file is empty"},
		{"auth: enabled\n---\nauth: disabled\n", "file:2: a second document"},
	}
	for _, tc := range cases {
		_, err := Parse([]byte(tc.in))
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestRangeForms(t *testing.T) {
	cases := []struct {
		r    Range
		want string
	}{
		{SingleKey("/a"), `key "/a"`},
		{Prefix("/a/"), `prefix "/a/"`},
		{Between("/a/", "/a0"), `prefix "/a/"`},
		{Between("/a", "/m"), `range ["/a", "/m")`},
		{FromKey("/z"), `every key from "/z"`},
		{Prefix(""), "every key"},
		{FromKey(""), "every key"},
		{Prefix("a\xff"), `prefix "a\xff"`},
	}
	for _, tc := range cases {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%#v: %s, want %s", tc.r, got, tc.want)
		}
	}
	if PrefixEnd("a\xff") != "b" || PrefixEnd("\xff\xff") != NoEnd {
		t.Error("PrefixEnd")
	}
}
