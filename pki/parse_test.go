package pki

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/etcd-ctx/etcd-ctx/internal/nodac"
)

// openssl runs openssl in dir; without it the test is skipped locally and
// fails in CI (.ci/run installs it).
func openssl(t *testing.T, dir string, args ...string) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("openssl is missing in CI; .ci/run must install it")
		}
		t.Skip("openssl is not installed (.ci/run installs it)")
	}
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const k1Message = "curve secp256k1 is not supported by Go, so not by etcd: reissue with P-256/P-384, RSA or Ed25519"

// TestUnsupportedKeysByOpenSSL: keys and certificates crypto/x509 cannot
// parse (secp256k1, Ed448), made by openssl as operators make them, are
// named by their curve or algorithm, in every encoding openssl writes.
func TestUnsupportedKeysByOpenSSL(t *testing.T) {
	dir := t.TempDir()
	openssl(t, dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "30", "-subj", "/CN=Fixture CA")
	openssl(t, dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1", "-out", "k1.key")
	openssl(t, dir, "ec", "-in", "k1.key", "-out", "k1-sec1.key")
	openssl(t, dir, "ecparam", "-name", "secp256k1", "-genkey", "-out", "k1-params.key")
	openssl(t, dir, "req", "-new", "-key", "k1.key", "-subj", "/CN=k1", "-out", "k1.csr")
	openssl(t, dir, "x509", "-req", "-in", "k1.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "k1.crt", "-days", "30")
	openssl(t, dir, "genpkey", "-algorithm", "ed448", "-out", "ed448.key")

	for _, k := range []string{"k1.key", "k1-sec1.key", "k1-params.key"} {
		_, err := ParseKey(read(t, filepath.Join(dir, k)))
		var uk *UnsupportedKeyError
		if !errors.As(err, &uk) || err.Error() != k1Message {
			t.Errorf("%s: %v, want %q", k, err, k1Message)
		}
	}
	if _, err := ParseKey(read(t, filepath.Join(dir, "ed448.key"))); err == nil || !strings.Contains(err.Error(), "key algorithm Ed448 is not supported by Go") {
		t.Errorf("ed448: %v", err)
	}

	chain := append(read(t, filepath.Join(dir, "ca.crt")), read(t, filepath.Join(dir, "k1.crt"))...)
	_, err := ParseCerts(chain)
	if err == nil || !strings.Contains(err.Error(), "certificate 2 (CN=k1): "+k1Message) {
		t.Fatalf("ParseCerts: %v", err)
	}
	f := ParseFile(chain)
	if len(f.Certs) != 1 || len(f.BadCerts()) != 1 {
		t.Fatalf("%d certificates, %d bad", len(f.Certs), len(f.BadCerts()))
	}
	bad := f.BadCerts()[0].Bad
	if bad.Subject != "CN=k1" || bad.Issuer != "CN=Fixture CA" || bad.NotAfter.IsZero() || bad.Err.Error() != k1Message {
		t.Fatalf("bad certificate read as %+v", bad)
	}
}

// TestParseFileRecordsEverything: a file mixing certificates, keys, a CSR,
// a broken block and text is read without failing, each block recorded.
func TestParseFileRecordsEverything(t *testing.T) {
	r := root(t, "Root")
	l := leaf(t, "srv", r, both...)
	keyDER, _ := x509.MarshalPKCS8PrivateKey(l.key)
	csrDER, err := x509.CreateCertificateRequest(nil, &x509.CertificateRequest{}, l.key)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("subject=CN = srv\n")
	data = append(data, l.pem()...)
	data = append(data, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
	data = append(data, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER})...)
	data = append(data, r.pem()...)
	data = append(data, []byte("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")...)
	data = append(data, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")})...)
	f := ParseFile(data)
	if len(f.Certs) != 2 || f.Certs[0] != nil && f.Certs[0].Subject.CommonName != "srv" || f.Certs[1].Subject.CommonName != "Root" {
		t.Fatalf("certificates %v", f.Certs)
	}
	if f.Count(HoldsPrivateKey) != 1 || f.Count(HoldsCSR) != 1 || f.Count(HoldsCertificate) != 3 || len(f.BadCerts()) != 1 || f.Broken != 1 {
		t.Fatalf("entries %+v broken %d", f.Entries, f.Broken)
	}
	if _, err := ParseCerts(data); err == nil || !strings.Contains(err.Error(), "certificate 3 does not parse") {
		t.Fatalf("ParseCerts: %v", err)
	}
	if _, err := ParseCerts(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})); err == nil || !strings.Contains(err.Error(), "it holds a private key") {
		t.Fatalf("a key as a certificate: %v", err)
	}
	if _, err := ParseKey(l.pem()); err == nil || !strings.Contains(err.Error(), "it holds a certificate") {
		t.Fatalf("a certificate as a key: %v", err)
	}
	for _, in := range []string{"", "  \n", "hello"} {
		f := ParseFile([]byte(in))
		if len(f.Entries) != 0 || f.Text != (strings.TrimSpace(in) != "") {
			t.Errorf("%q: %+v", in, f)
		}
	}
}

func TestKeyProblems(t *testing.T) {
	ca := mk(t, spec{cn: "Root", ca: true, pathlen: -1, key: rsaKey(t, 2048)}, nil)
	weak := mk(t, spec{cn: "weak", key: rsaKey(t, 1024)}, ca)
	sha1 := mk(t, spec{cn: "sha1", sigAlg: x509.SHA1WithRSA}, ca)
	sha1Root := mk(t, spec{cn: "sha1 root", ca: true, key: rsaKey(t, 2048), sigAlg: x509.SHA1WithRSA}, nil)
	cases := []struct {
		c    *tcert
		sev  Severity
		text string
	}{
		{ca, "", ""},
		{weak, SevWarning, "RSA key of 1024 bits is weak"},
		{sha1, SevError, "SHA1-RSA, which Go (and so etcd) refuses"},
		{sha1Root, "", ""},
	}
	for _, tc := range cases {
		ps := KeyProblems(tc.c.cert)
		if tc.sev == "" {
			if len(ps) != 0 {
				t.Errorf("%s: %v", tc.c.cert.Subject.CommonName, ps)
			}
			continue
		}
		if len(ps) != 1 || ps[0].Severity != tc.sev || !strings.Contains(ps[0].Msg, tc.text) {
			t.Errorf("%s: %v, want %s %q", tc.c.cert.Subject.CommonName, ps, tc.sev, tc.text)
		}
	}
}

func TestLayouts(t *testing.T) {
	roles := map[string]Role{
		"pki/ca.crt": RoleCA, "pki/peer-ca.crt": RoleCA, "pki/etcd-0/server.crt": RoleServer, "pki/etcd-0/peer.crt": RolePeer,
		"pki/clients/root.crt": RoleClient, "cfssl/ca.pem": RoleCA, "cfssl/server.pem": RoleServer, "cfssl/client.pem": RoleClient,
		"cfssl/member1.pem": RolePeer, "/etc/kubernetes/pki/etcd/healthcheck-client.crt": RoleClient,
		"/etc/kubernetes/pki/apiserver-etcd-client.crt": RoleClient, "/etc/kubernetes/pki/etcd/ca.crt": RoleCA,
		"x/client-chain.crt": RoleClient, "x/etcd-client-ca.pem": RoleCA, "x/infra0.pem": "", "x/root.crt": "",
	}
	for p, want := range roles {
		got, ok := RoleFromPath(p)
		if got != want || ok != (want != "") {
			t.Errorf("RoleFromPath(%s) = %q, %v; want %q", p, got, ok, want)
		}
	}
	keys := map[string][]string{
		"d/server.pem":       {"d/server.key", "d/server-key.pem"},
		"d/server.crt":       {"d/server.key", "d/server-key.pem"},
		"d/client-chain.crt": {"d/client-chain.key", "d/client-chain-key.pem", "d/client.key", "d/client-key.pem"},
		"d/fullchain.pem":    {"d/fullchain.key", "d/fullchain-key.pem", "d/privkey.pem"},
	}
	for p, want := range keys {
		if got := KeyCandidates(p); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("KeyCandidates(%s) = %v, want %v", p, got, want)
		}
	}
	for p, want := range map[string]bool{"a/server-key.pem": true, "a/x.key": true, "a/privkey.pem": true, "a/server.pem": false, "a/key.crt": false} {
		if IsKeyPath(p) != want {
			t.Errorf("IsKeyPath(%s) != %v", p, want)
		}
	}
}

// TestFindKey: cfssl's NAME-key.pem is found for NAME.pem; a key of another
// certificate is passed over and named; none at all says what was tried.
func TestFindKey(t *testing.T) {
	dir := t.TempDir()
	r := root(t, "Root")
	l := leaf(t, "srv", r, both...)
	other := leaf(t, "other", r, both...)
	writeKey := func(name string, c *tcert) {
		der, _ := x509.MarshalPKCS8PrivateKey(c.key)
		os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	}
	cert := filepath.Join(dir, "server.pem")
	if _, _, err := FindKey(cert, l.cert, ""); err == nil || !strings.Contains(err.Error(), "looked for server.key, server-key.pem") {
		t.Fatalf("no key: %v", err)
	}
	writeKey("server.key", other)
	if _, _, err := FindKey(cert, l.cert, ""); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("only a wrong key: %v", err)
	}
	writeKey("server-key.pem", l)
	p, k, err := FindKey(cert, l.cert, "")
	if err != nil || filepath.Base(p) != "server-key.pem" || !KeyMatches(l.cert, k) {
		t.Fatalf("FindKey = %s, %v", p, err)
	}
	if _, _, err := FindKey(cert, l.cert, filepath.Join(dir, "server.key")); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("explicit wrong key: %v", err)
	}
}

// TestFindKeyUnreadable: a key beside the certificate that the user may
// not read (0600, owned by etcd's user) is named as such, with the way
// out, not as a key that does not parse. As root, it runs
// without the capabilities that read anything (nodac).
func TestFindKeyUnreadable(t *testing.T) {
	if !nodac.Run(t) {
		return
	}
	dir := t.TempDir()
	l := leaf(t, "srv", root(t, "Root"), both...)
	der, _ := x509.MarshalPKCS8PrivateKey(l.key)
	keyPath := filepath.Join(dir, "server.key")
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o000); err != nil {
		t.Fatal(err)
	}
	p, _, err := FindKey(filepath.Join(dir, "server.crt"), l.cert, "")
	var ue *UnreadableKeyError
	if !errors.As(err, &ue) || p != keyPath || ue.Hint() == "" || err.Error() != keyPath+": not readable (permission denied)" {
		t.Fatalf("FindKey = %q, %v", p, err)
	}
}

// TestKeyMismatchError: a key beside a certificate that is another's is
// named with the certificate, errors.Is ErrKeyMismatch, and its hint gives
// both ways out for a leaf, and for a CA only its own key.
func TestKeyMismatchError(t *testing.T) {
	dir := t.TempDir()
	r := root(t, "Root")
	l := leaf(t, "srv", r, both...)
	der, _ := x509.MarshalPKCS8PrivateKey(leaf(t, "other", r, both...).key)
	for _, name := range []string{"server-key.pem", "ca-key.pem"} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cert := filepath.Join(dir, "server.pem")
	_, _, err := FindKey(cert, l.cert, "")
	var me *KeyMismatchError
	if !errors.As(err, &me) || !errors.Is(err, ErrKeyMismatch) || !strings.HasPrefix(err.Error(), filepath.Join(dir, "server-key.pem")+" does not match "+cert) ||
		!strings.Contains(me.Hint(), "--rotate-key") {
		t.Fatalf("leaf: %v", err)
	}
	_, _, err = FindKey(filepath.Join(dir, "ca.pem"), r.cert, "")
	if !errors.As(err, &me) || !me.CA || strings.Contains(me.Hint(), "--rotate-key") {
		t.Fatalf("CA: %v (%s)", err, me.Hint())
	}
}
