package certcmd

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
)

func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(append([]string{Name}, args...), strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// TestUsageErrors: wrong invocations exit 2 with a hint and print nothing on
// stdout; without a terminal nothing prompts.
func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"init"}, "no plan given and no terminal to ask on"},
		{[]string{"server", "etcd_0", "--hosts", "10.0.0.1"}, `member name "etcd_0"`},
		{[]string{"client"}, "expected 1 argument(s), got 0"},
		{[]string{"ca", "--key-type", "dsa"}, `unknown key type "dsa"`},
		{[]string{"user", "bob", "--prefix", "/b/", "--read", "--write"}, "exactly one of --read, --write, --readwrite"},
		{[]string{"jwt-token", "--user", "u", "--ttl", "-1h"}, "--ttl must be positive"},
		{[]string{"check", "--warn", "soon"}, "expected a duration"},
	}
	for _, tc := range cases {
		out, errs, code := run(t, tc.args...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "\nhint: ") {
			t.Errorf("%v: exit %d stdout %q stderr %q, want 2 and %q", tc.args, code, out, errs, tc.want)
		}
	}
}

// TestSingleShotLayout: ca, server, peer and client write the standard
// layout with private modes, and check passes on it.
func TestSingleShotLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	for _, args := range [][]string{
		{"ca", "--out", dir}, {"ca", "--peer", "--out", dir},
		{"server", "m0", "--hosts", "10.0.0.1", "--out", dir}, {"peer", "m0", "--hosts", "10.0.0.1", "--out", dir},
		{"client", "root", "--out", dir}, {"check", dir},
	} {
		if _, errs, code := run(t, args...); code != 0 {
			t.Fatalf("%v: exit %d %s", args, code, errs)
		}
	}
	for _, p := range []string{"ca.key", "peer-ca.key", "m0/server.key", "m0/peer.key", "clients/root.key"} {
		if fi, err := os.Stat(filepath.Join(dir, p)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", p, fi, err)
		}
	}
	// Expiry is proportional: freshly issued certificates are not expiring,
	// however wide the window.
	if _, errs, code := run(t, "check", dir, "--warn", "400d"); code != 0 {
		t.Fatalf("check --warn 400d on fresh certificates: exit %d %s", code, errs)
	}
	if err := os.WriteFile(filepath.Join(dir, "junk.crt"), []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errs, code := run(t, "check", dir); code != 1 || !strings.Contains(errs, "1 of 6 certificates need attention") || !strings.Contains(out, "junk.crt") {
		t.Fatalf("check with a garbage file: exit %d %s%s", code, out, errs)
	}
}

// TestInitInterruptedThenRerun: `etcd-certwiz init` dying part way (the
// disk fails a rename after some keys are in place) leaves a PKI that the same
// command, run again without --force, completes; check passes on the result.
func TestInitInterruptedThenRerun(t *testing.T) {
	dir := t.TempDir()
	plan := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(plan, []byte("cluster: t\nout: ./pki\nseparate-peer-ca: true\nmembers:\n  - name: m0\n    ips: [10.0.0.1]\nclients:\n  - name: root\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	orig := fileio.Rename
	t.Cleanup(func() { fileio.Rename = orig })
	calls := 0
	fileio.Rename = func(from, to string) error {
		if calls++; calls == 5 { // the journal's, then CA, CA key, peer CA, peer CA key
			return errors.New("input/output error")
		}
		return orig(from, to)
	}
	if _, errs, code := run(t, "init", "--plan", plan); code != 1 || !strings.Contains(errs, "input/output error") {
		t.Fatalf("interrupted init: exit %d %s", code, errs)
	}
	fileio.Rename = orig
	pkiDir := filepath.Join(dir, "pki")
	if _, err := os.Stat(filepath.Join(pkiDir, "peer-ca.crt")); err != nil {
		t.Fatalf("the interrupted init should have left the peer CA: %v", err)
	}
	if _, err := os.Stat(filepath.Join(pkiDir, "m0", "server.crt")); err == nil {
		t.Fatal("the interrupted init went further than the test meant")
	}
	if _, errs, code := run(t, "init", "--plan", plan); code != 0 {
		t.Fatalf("re-run: exit %d %s", code, errs)
	}
	if out, errs, code := run(t, "check", pkiDir); code != 0 {
		t.Fatalf("check after the re-run: exit %d %s%s", code, out, errs)
	}
	if _, errs, code := run(t, "init", "--plan", plan); code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("a third init over a complete PKI: exit %d %s", code, errs)
	}
}
