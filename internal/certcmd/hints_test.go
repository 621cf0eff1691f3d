package certcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFailuresHaveHints: every failure a user can cause prints a hint with
// the way out, and the hint names the flag that helps (not one the command
// does not have).
func TestFailuresHaveHints(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, args := range [][]string{{"ca", "--out", "pki"}, {"client", "app", "--out", "pki"}} {
		if _, errs, code := run(t, args...); code != 0 {
			t.Fatalf("%v: %s", args, errs)
		}
	}
	mustCopy(t, "pki/clients/app.crt", "x/clx.crt")
	mustCopy(t, "pki/clients/app.key", "bad/cl.key")
	mustCopy(t, "pki/ca.crt", "nokey/ca.crt")
	mustCopy(t, "pki/clients/app.crt", "notca/ca.crt")
	mustCopy(t, "pki/clients/app.key", "notca/ca.key")
	if err := os.WriteFile("garbage.crt", []byte("garbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args      []string
		code      int
		msg, hint string
		notInHint string
	}{
		{[]string{"renew", "x/clx.crt", "--key", "bad/cl.key"}, 1,
			"no CA that signed x/clx.crt (issuer CN=etcd CA) with its key beside it or in a parent directory", "--ca-dir DIR", ""},
		{[]string{"renew", "x/clx.crt", "--key", "bad/cl.key", "--ca-dir", "bad"}, 1, "no CA that signed x/clx.crt", "--ca-dir DIR must hold", ""},
		{[]string{"renew", "x/clx.crt", "--key", "bad/cl.key", "--ca-dir", "nokey"}, 1,
			"found the issuing CA nokey/ca.crt but not its key", "put the CA's key beside nokey/ca.crt (ca.key", "--key"},
		{[]string{"renew", "garbage.crt"}, 1, "not PEM data", "etcd-certwiz inspect garbage.crt", ""},
		{[]string{"renew", "--all", "nosuch"}, 1, "nosuch", "check the path", ""},
		{[]string{"client", "foo", "--ca-dir", "nokey", "--out", "o"}, 1, "no key file for nokey/ca.crt", "put the CA's key beside it as ca.key", "--key"},
		{[]string{"client", "foo", "--ca-dir", "notca", "--out", "o"}, 1, "notca/ca.crt is not a CA certificate", "--ca-dir", ""},
		{[]string{"jwt-token", "--user", "", "--revision", "3"}, 2, "--user must not be empty", "--user app", ""},
		{[]string{"jwt-token", "--user", "u", "--revision", "0"}, 2, "--revision must be at least 1", "--context", ""},
		{[]string{"rotate", "status", "nosuch"}, 1, "nosuch", "check the path", ""},
	}
	for _, tc := range cases {
		_, errs, code := run(t, tc.args...)
		msg, hint, _ := strings.Cut(errs, "\nhint: ")
		if code != tc.code || !strings.Contains(msg, tc.msg) || !strings.Contains(hint, tc.hint) ||
			(tc.notInHint != "" && strings.Contains(hint, tc.notInHint)) {
			t.Errorf("%v: exit %d\n%s\nwant exit %d, %q, and a hint with %q", tc.args, code, errs, tc.code, tc.msg, tc.hint)
		}
	}
}

func mustCopy(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(to), 0o700)
	}
	if err == nil {
		err = os.WriteFile(to, data, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
}
