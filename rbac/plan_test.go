package rbac

import (
	"errors"
	"strings"
	"testing"
)

func mustParse(t *testing.T, s string) *Model {
	t.Helper()
	m, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func lines(p *Plan) string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, c.String())
	}
	return strings.Join(out, "\n")
}

var rootCert = Identity{User: "root", Via: ViaCert, CertAuth: true}

func TestDiffOrderAndIdempotence(t *testing.T) {
	live := mustParse(t, `
auth: disabled
roles:
  - name: app
    permissions:
      - {type: read, prefix: /app/}
      - {type: read, key: /old}
  - name: old
users:
  - {name: app, roles: [app, old]}
`)
	want := mustParse(t, `
roles:
  - name: app
    permissions:
      - {type: readwrite, prefix: /app/}
      - {type: read, key: /cfg}
  - name: new
    permissions:
      - {type: write, from-key: /z}
users:
  - {name: app, roles: [app, new]}
  - {name: alice, roles: [new], password: true, password-env: ALICE_PW}
`)
	p, err := Diff(live, want, DiffOptions{Identity: rootCert})
	if err != nil {
		t.Fatal(err)
	}
	wantLines := `~ role app: readwrite prefix "/app/" (was read)
+ role app: read key "/cfg"
+ role new
+ role new: write every key from "/z"
+ user alice (password from $ALICE_PW)
+ user app: role new
+ user alice: role new
- role app: read key "/old"
- user app: role old`
	// Sorted by kind: the role is added before its grants because both keep file order within a kind.
	got := lines(p)
	for _, l := range strings.Split(wantLines, "\n") {
		if !strings.Contains(got, l) {
			t.Errorf("missing %q in\n%s", l, got)
		}
	}
	if !strings.HasPrefix(got, "+ role new\n") || !strings.HasSuffix(got, "- user app: role old") {
		t.Errorf("order:\n%s", got)
	}
	if len(p.NeedPasswords()) != 1 || p.NeedPasswords()[0].User != "alice" {
		t.Errorf("passwords %v", p.NeedPasswords())
	}
	if len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "roles old") {
		t.Errorf("notes %v", p.Notes)
	}
	// The model itself has nothing to do.
	want.Auth = live.Auth
	p, err = Diff(want, want, DiffOptions{Identity: rootCert})
	if err != nil || len(p.Changes) != 0 {
		t.Errorf("no-op plan: %v\n%s", err, lines(p))
	}
}

func TestDiffCopiesAndSharedKeys(t *testing.T) {
	live := &Model{Roles: []Role{{Name: "r", Perms: []Perm{
		{Read, SingleKey("/k")}, {Read, Prefix("/k")}, {Write, Prefix("/k")}, // etcd stored the prefix twice
		{Read, Prefix("/a/")}, {Read, SingleKey("/a/")}, // two ranges start at /a/
		{Read, Prefix("/b/")},
	}}}}
	want := &Model{Roles: []Role{{Name: "r", Perms: []Perm{
		{Read, SingleKey("/k")}, {ReadWrite, Prefix("/k")},
		{Write, Prefix("/a/")}, {Read, SingleKey("/a/")},
		{Write, Prefix("/b/")},
	}}}}
	p, err := Diff(live, want, DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := p.Changes
	if len(c) != 3 || !c[0].Replace || c[0].Copies != 2 || !c[1].Replace || c[2].Replace || c[2].Was != Read {
		t.Fatalf("plan:\n%s", lines(p))
	}
	if !strings.Contains(c[0].String(), "stored 2 times as readwrite") {
		t.Errorf("%s", c[0])
	}
}

func refused(t *testing.T, err error, want string) {
	t.Helper()
	var r *RefusedError
	if !errors.As(err, &r) || !strings.Contains(r.Msg, want) || r.Fix == "" {
		t.Errorf("got %v, want a refusal with %q", err, want)
	}
}

func TestDiffSafety(t *testing.T) {
	live := mustParse(t, `
auth: enabled
roles: [{name: root}, {name: ops}]
users:
  - {name: root, roles: [root], password: true}
  - {name: admin, roles: [root, ops], password: true}
  - {name: bob, roles: [ops], password: false}
`)
	admin := Identity{User: "admin", Via: ViaPassword}

	// --prune never deletes root or the root role, deletes the rest.
	p, err := Diff(live, mustParse(t, "users: [{name: admin, roles: [root]}]"), DiffOptions{Prune: true, Identity: admin})
	if err != nil {
		t.Fatal(err)
	}
	if got := lines(p); got != "- user admin: role ops\n- user bob\n- role ops" {
		t.Errorf("prune:\n%s", got)
	}
	if len(p.Notes) != 2 {
		t.Errorf("notes %v", p.Notes)
	}
	// Demoting root, removing the applier from root, deleting the applier, recreating root.
	_, err = Diff(live, mustParse(t, "users: [{name: root, roles: []}]"), DiffOptions{Identity: admin})
	refused(t, err, "never demotes root")
	_, err = Diff(live, mustParse(t, "users: [{name: admin, roles: [ops]}]"), DiffOptions{Identity: admin})
	refused(t, err, "removes user admin (password), the identity applying it, from the root role")
	_, err = Diff(live, mustParse(t, "users: [{name: root, roles: [root]}]"), DiffOptions{Prune: true, Identity: admin})
	refused(t, err, "--prune would delete user admin")
	_, err = Diff(live, mustParse(t, "users: [{name: root, roles: [root], password: false}]"), DiffOptions{Identity: admin})
	refused(t, err, "never deletes root")
	// Changing a user's password state recreates it.
	p, err = Diff(live, mustParse(t, "users: [{name: bob, roles: [ops], password: true}]"), DiffOptions{Identity: admin})
	if err != nil || !strings.HasPrefix(lines(p), "~ user bob (deleted and added again with password") || !strings.Contains(lines(p), "+ user bob: role ops") {
		t.Errorf("recreate: %v\n%s", err, lines(p))
	}
	// A role nobody has.
	_, err = Diff(live, mustParse(t, "users: [{name: bob, roles: [nope]}]"), DiffOptions{Identity: admin})
	refused(t, err, `file:1: user "bob" has role "nope", which is neither in the file nor in the cluster`)
	// Certificates without a PKI.
	_, err = Diff(live, mustParse(t, "users: [{name: bob, certificate: {}}]"), DiffOptions{Identity: admin})
	refused(t, err, "declares client certificates (users bob)")
}

func TestDiffAuthEnable(t *testing.T) {
	off := mustParse(t, "auth: disabled\nusers: [{name: app}]\n")
	noRoot := mustParse(t, "auth: enabled\n")
	_, err := Diff(off, noRoot, DiffOptions{Identity: rootCert})
	refused(t, err, "needs a user named root with the root role")

	withRoot := mustParse(t, "auth: enabled\nroles: [{name: root}]\nusers: [{name: root, roles: [root]}]\n")
	p, err := Diff(off, withRoot, DiffOptions{Identity: rootCert})
	if err != nil || !strings.HasSuffix(lines(p), "+ auth enable") {
		t.Fatalf("%v\n%s", err, lines(p))
	}
	_, err = Diff(off, withRoot, DiffOptions{})
	refused(t, err, "acts as nobody")
	_, err = Diff(off, withRoot, DiffOptions{Identity: Identity{User: "root", Via: ViaCert}})
	refused(t, err, "does not ask for client certificates")
	_, err = Diff(off, withRoot, DiffOptions{Identity: Identity{User: "app", Via: ViaCert, CertAuth: true}})
	refused(t, err, "would not hold the root role")
	pwdRoot := mustParse(t, "auth: enabled\nroles: [{name: root}]\nusers: [{name: root, roles: [root], password: false}]\n")
	_, err = Diff(off, pwdRoot, DiffOptions{Identity: Identity{User: "root", Via: ViaPassword}})
	refused(t, err, "gives that user none")
}
