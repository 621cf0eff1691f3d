package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/pki"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// denied runs etcdctl args that must fail, and returns its stderr.
func denied(t *testing.T, u *user, args ...string) string {
	t.Helper()
	out, errs, code := u.run("", args...)
	if code == 0 {
		t.Fatalf("%v succeeded, want a refusal:\n%s", args, out)
	}
	return errs
}

// TestCertwizWizard drives 'etcd-certwiz init' on a terminal: answers are
// typed, bad ones are refused as typed, the plan and certificates are
// written, and the saved plan reproduces the same PKI with --plan.
func TestCertwizWizard(t *testing.T) {
	u := newUser(t, false)
	u.setenv("TERM", "xterm")
	u.setenv("NO_COLOR", "1")
	s := startTerm(t, u, "etcd-certwiz", "init")
	s.answer("Cluster name", "lab")
	s.answer("Output directory", "")
	s.answer("Key type", "")
	s.answer("Separate CA for peer certificates", "")
	s.answer("Number of members", "3")
	for i := range 3 {
		n := fmt.Sprint(i + 1)
		if i == 1 {
			s.expect("Member 2 name")
			s.typeText("etcd-0")
			s.expect(`[member "etcd-0" already exists]`)
			s.typeText("\x7f1\r")
		} else {
			s.answer("Member "+n+" name", "")
		}
		if i == 2 {
			s.expect("Member 3 IP addresses")
			s.typeText("10.0.1.300")
			s.expect(`["10.0.1.300" is not a valid host: not a valid IPv4 address]`)
			s.typeText("\x7f\x7f\x7f12\r")
		} else {
			s.answer("Member "+n+" IP addresses", "10.0.1.1"+fmt.Sprint(i))
		}
		s.answer("Member "+n+" extra DNS names", fmt.Sprintf("etcd-%d.example.internal", i))
		s.answer("Member "+n+" client URL", "")
		s.answer("Member "+n+" peer URL", "")
	}
	s.answer("Client certificates", "root,app")
	s.answer("etcd user (CN) for client root", "")
	s.answer("etcd user (CN) for client app", "app-user")
	s.answer("CA validity", "")
	s.answer("Leaf certificate validity", "")
	s.expect("etcd-2/peer.crt    SANs etcd-2, etcd-2.example.internal, 10.0.1.12")
	s.answer("Write the plan and the certificates?", "")
	screen := s.wait()
	for _, want := range []string{"Wrote plan etcd-certwiz.yaml", "--peer-trusted-ca-file", "etcd-ctx add lab-app"} {
		if !strings.Contains(screen, want) {
			t.Errorf("screen lacks %q", want)
		}
	}
	if strings.Contains(screen, "\a") {
		t.Error("the wizard rang the terminal bell")
	}

	plan, err := certwiz.LoadPlan(filepath.Join(u.dir, "etcd-certwiz.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Members) != 3 || plan.Members[2].IPs[0] != "10.0.1.12" || plan.Members[1].PeerURLs[0] != "https://10.0.1.11:2380" || plan.Clients[1].CN != "app-user" {
		t.Fatalf("saved plan: %+v", plan)
	}
	u.ok("", "etcd-certwiz", "init", "--plan", "etcd-certwiz.yaml", "--out", "again")
	if a, b := pkiShape(t, filepath.Join(u.dir, "pki")), pkiShape(t, filepath.Join(u.dir, "again")); a != b {
		t.Fatalf("--plan gives another PKI shape:\nwizard: %s\n--plan: %s", a, b)
	}
	u.ok("", "etcd-certwiz", "check", "pki")
}

// pkiShape describes every certificate of a tree by file, mode, subject, SANs and usages.
func pkiShape(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		line := rel + " " + fi.Mode().Perm().String()
		if strings.HasSuffix(p, ".crt") {
			data, _ := os.ReadFile(p)
			certs, err := pki.ParseCerts(data)
			if err != nil {
				t.Fatal(err)
			}
			c := certs[0]
			line += fmt.Sprintf(" %s issuer=%s %v %v %v %v ca=%v", c.Subject, c.Issuer, c.DNSNames, c.IPAddresses, pki.ExtKeyUsageNames(c), pki.KeyUsageNames(c.KeyUsage), c.IsCA)
		}
		lines = append(lines, line)
		return nil
	})
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestCertwizJWT: an etcd started with the --auth-token that jwt-keys prints
// accepts a token from jwt-token (auth revision read through an etcd-ctx
// context) with etcdctl --auth-jwt-token, as the token's user, and refuses an
// expired token.
func TestCertwizJWT(t *testing.T) {
	u := newUser(t, true)
	keyDir := filepath.Join(u.dir, "jwt")
	flag := strings.TrimSpace(u.ok("", "etcd-certwiz", "jwt-keys", "--out", keyDir))
	authToken, ok := strings.CutPrefix(flag, "--auth-token ")
	if !ok || !strings.Contains(authToken, "sign-method=ES256") {
		t.Fatalf("jwt-keys printed %q", flag)
	}
	if fi, err := os.Stat(filepath.Join(keyDir, certwiz.JWTKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("jwt.key: %v %v", fi, err)
	}
	c := startCluster(t, harness.Options{TLS: true, RBAC: true, AuthToken: authToken})
	u.ok(c.RootPassword+"\n", "etcd-ctx", "add", "admin", "--endpoints", c.Endpoints[0], "--cacert", c.PKI.CA, "--user", "root", "--password-stdin")

	if _, errs, code := u.run("", "etcd-certwiz", "jwt-token", "--user", harness.User, "--key", filepath.Join(keyDir, certwiz.JWTKeyFile)); code != 2 || !strings.Contains(errs, "--context ADMIN_CTX") {
		t.Fatalf("jwt-token without a revision source: exit %d %s", code, errs)
	}
	token := strings.TrimSpace(u.ok("", "etcd-certwiz", "jwt-token", "--user", harness.User, "--ttl", "1h", "--key", filepath.Join(keyDir, certwiz.JWTKeyFile), "--context", "admin"))
	ctl := []string{"etcdctl", "--endpoints", c.Endpoints[0], "--cacert", c.PKI.CA, "--dial-timeout", "3s", "--command-timeout", "5s"}
	u.ok("", append(ctl, "--auth-jwt-token", token, "put", harness.Prefix+"jwt", "v")...)
	if errs := denied(t, u, append(ctl, "--auth-jwt-token", token, "put", "/other/jwt", "v")...); !strings.Contains(errs, "permission denied") {
		t.Fatalf("token is not %s's: %s", harness.User, errs)
	}

	keyPEM := mustRead(t, filepath.Join(keyDir, certwiz.JWTKeyFile))
	key, err := pki.ParseKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	_, rev, err := certwiz.ParseToken(key.Public(), token)
	if err != nil {
		t.Fatal(err)
	}
	expired, err := certwiz.MintToken(key, certwiz.Token{User: harness.User, Revision: rev, Expires: time.Now().Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if errs := denied(t, u, append(ctl, "--auth-jwt-token", expired, "get", harness.Prefix+"jwt")...); !strings.Contains(errs, "invalid auth token") {
		t.Fatalf("expired token: %s", errs)
	}
}
