package conn_test

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/conn"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

func testPKI(t *testing.T) (ca, client, server, other *certwiz.Issued) {
	t.Helper()
	var err error
	if ca, err = certwiz.NewCA("test CA", certwiz.ECDSAP256, 0); err != nil {
		t.Fatal(err)
	}
	if client, err = certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleClient, CommonName: "alice"}, certwiz.ECDSAP256, ca); err != nil {
		t.Fatal(err)
	}
	if server, err = certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleServer, CommonName: "s", DNS: []string{"localhost"}}, certwiz.ECDSAP256, ca); err != nil {
		t.Fatal(err)
	}
	if other, err = certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleClient, CommonName: "bob"}, certwiz.RSA2048, ca); err != nil {
		t.Fatal(err)
	}
	return ca, client, server, other
}

func TestSettingsErrorsNameTheInput(t *testing.T) {
	ca, client, _, other := testPKI(t)
	//lint:ignore SA1019 an encrypted legacy PEM is exactly the input to refuse
	encBlock, err := x509.EncryptPEMBlock(strings.NewReader(strings.Repeat("x", 64)), "EC PRIVATE KEY", []byte("der"), []byte("pw"), x509.PEMCipherAES256)
	if err != nil {
		t.Fatal(err)
	}
	encrypted := pem.EncodeToMemory(encBlock)
	pkcs8Encrypted := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1, 2, 3}})

	cases := []struct {
		name      string
		s         conn.Settings
		wantInput string
		wantText  string
	}{
		{"no endpoints", conn.Settings{}, "endpoints", "none given"},
		{"bad CA", conn.Settings{Endpoints: []string{"https://h:2379"}, CA: []byte("garbage")}, "CA bundle", "not PEM"},
		{"CA is a key", conn.Settings{Endpoints: []string{"https://h:2379"}, CA: client.KeyPEM}, "CA bundle", "no CERTIFICATE"},
		{"bad cert", conn.Settings{Endpoints: []string{"https://h:2379"}, Cert: []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), Key: client.KeyPEM}, "client certificate", "does not parse"},
		{"key without cert", conn.Settings{Endpoints: []string{"https://h:2379"}, Key: client.KeyPEM}, "client certificate", "missing"},
		{"cert without key", conn.Settings{Endpoints: []string{"https://h:2379"}, Cert: client.CertPEM}, "client key", "missing"},
		{"mismatched key", conn.Settings{Endpoints: []string{"https://h:2379"}, Cert: client.CertPEM, Key: other.KeyPEM}, "client key", "does not match"},
		{"encrypted legacy key", conn.Settings{Endpoints: []string{"https://h:2379"}, Cert: client.CertPEM, Key: encrypted}, "client key", "encrypted"},
		{"encrypted pkcs8 key", conn.Settings{Endpoints: []string{"https://h:2379"}, Cert: client.CertPEM, Key: pkcs8Encrypted}, "client key", "encrypted"},
		{"key is a cert", conn.Settings{Endpoints: []string{"https://h:2379"}, Cert: client.CertPEM, Key: ca.CertPEM}, "client key", "no PEM private key"},
		{"bad scheme", conn.Settings{Endpoints: []string{"ftp://h:2379"}}, `endpoint "ftp://h:2379"`, "unsupported scheme"},
		{"no port", conn.Settings{Endpoints: []string{"https://h"}}, `endpoint "https://h"`, "no port"},
		{"port zero", conn.Settings{Endpoints: []string{"https://h:0"}}, `endpoint "https://h:0"`, "between 1 and 65535"},
		{"port too big", conn.Settings{Endpoints: []string{"https://h:99999"}}, `endpoint "https://h:99999"`, "between 1 and 65535"},
		{"fragment", conn.Settings{Endpoints: []string{"https://h:2379#x"}}, `endpoint "https://h:2379#x"`, "fragment"},
		{"token and password", conn.Settings{Endpoints: []string{"h:2379"}, Token: "t", Username: "u", Password: "p"}, "credentials", "mutually exclusive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.s.Prepare()
			var ie *conn.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v, want an *conn.InputError", err)
			}
			if label := strings.TrimSpace(string(ie.Input) + " " + ie.Detail); label != tc.wantInput || !strings.Contains(err.Error(), tc.wantText) {
				t.Fatalf("got %q (input %q), want input %q and text %q", err, label, tc.wantInput, tc.wantText)
			}
			if ie.Hint() == "" && ie.Input != conn.InputCredentials {
				t.Errorf("%s: no hint", tc.name)
			}
		})
	}
}

func TestSettingsBuildConfigs(t *testing.T) {
	ca, client, _, _ := testPKI(t)
	s := conn.Settings{Endpoints: []string{"127.0.0.1:2379", "https://[::1]:2379"}, CA: ca.CertPEM, Cert: client.CertPEM, Key: client.KeyPEM, ServerName: "etcd.local", DialTimeout: 3 * time.Second}
	cfg, err := s.Prepare()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Endpoints, ","); got != "https://127.0.0.1:2379,https://[::1]:2379" {
		t.Fatalf("endpoints %s", got)
	}
	if cfg.TLS == nil || cfg.TLS.ServerName != "etcd.local" || len(cfg.TLS.Certificates) != 1 || cfg.TLS.RootCAs == nil {
		t.Fatalf("TLS config incomplete: %+v", cfg.TLS)
	}
	if cfg.Timeout != 3*time.Second {
		t.Fatalf("dial timeout %v", cfg.Timeout)
	}
	// The CA in the pool verifies the client's certificate.
	if _, err := client.Cert.Verify(x509.VerifyOptions{Roots: cfg.TLS.RootCAs, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatal(err)
	}

	plain, err := conn.Settings{Endpoints: []string{"localhost:2379"}, Username: "u", Password: "p"}.Prepare()
	if err != nil {
		t.Fatal(err)
	}
	if plain.TLS != nil || plain.Endpoints[0] != "http://localhost:2379" || plain.Username != "u" {
		t.Fatalf("plaintext config wrong: %+v", plain)
	}
}

func TestCheckClientPair(t *testing.T) {
	_, client, server, _ := testPKI(t)
	if _, err := conn.CheckClientPair(client.CertPEM, client.KeyPEM, time.Now()); err != nil {
		t.Fatalf("valid client pair refused: %v", err)
	}
	// A server cert carries clientAuth too (etcd needs it), so it is fit.
	if _, err := conn.CheckClientPair(server.CertPEM, server.KeyPEM, time.Now()); err != nil {
		t.Fatalf("server pair with clientAuth refused: %v", err)
	}
	_, err := conn.CheckClientPair(client.CertPEM, client.KeyPEM, time.Now().AddDate(2, 0, 0))
	var ve *pki.ValidityError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired cert: got %v", err)
	}
	if pki.HasEKU(&x509.Certificate{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, x509.ExtKeyUsageClientAuth) {
		t.Fatal("serverAuth-only cert reported as fit for clientAuth")
	}
}

func TestKeyType(t *testing.T) {
	for _, kt := range certwiz.KeyTypes {
		if kt == certwiz.RSA3072 || kt == certwiz.RSA4096 {
			continue // slow to generate; rsa-2048 covers the RSA path
		}
		k, err := certwiz.GenerateKey(kt)
		if err != nil {
			t.Fatal(err)
		}
		if got := pki.KeyType(k.Public()); got != string(kt) {
			t.Fatalf("pki.KeyType = %s, want %s", got, kt)
		}
	}
}

// TestCheckClientPairChainFile: the chain a client certificate file carries
// is judged whatever the server trusts: an intermediate with an expired
// validity is refused by name; the same file with a valid one passes; a
// root appended whose pathlen the intermediate exceeds is refused too.
func TestCheckClientPairChainFile(t *testing.T) {
	ca, _, _, _ := testPKI(t)
	now := time.Now()
	for _, tc := range []struct {
		notBefore time.Time
		days      int
		want      string
	}{{now.AddDate(0, 0, -10), 1, `intermediate CA "CN=int" (the client certificate file, certificate 2) is expired on`}, {now.Add(-time.Minute), 30, ""}} {
		key, err := certwiz.GenerateKey(certwiz.ECDSAP256)
		if err != nil {
			t.Fatal(err)
		}
		inter, err := certwiz.Issue(certwiz.Request{Role: certwiz.RoleCA, CommonName: "int", NotBefore: tc.notBefore, Days: tc.days}, key, ca.Cert, ca.Key)
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleClient, CommonName: "alice", NotBefore: tc.notBefore}, certwiz.ECDSAP256, inter)
		if err != nil {
			t.Fatal(err)
		}
		// (certwiz's CA has pathlen:0, so the root stays out of the file: it
		// would break the chain there.)
		file := append(append([]byte{}, leaf.CertPEM...), inter.CertPEM...)
		_, err = conn.CheckClientPair(file, leaf.KeyPEM, now)
		if tc.want == "" {
			if err != nil {
				t.Errorf("valid chain file refused: %v", err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("expired intermediate: %v, want %q", err, tc.want)
		}
	}
	key, _ := certwiz.GenerateKey(certwiz.ECDSAP256)
	inter, err := certwiz.Issue(certwiz.Request{Role: certwiz.RoleCA, CommonName: "int"}, key, ca.Cert, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleClient, CommonName: "alice"}, certwiz.ECDSAP256, inter)
	if err != nil {
		t.Fatal(err)
	}
	file := append(append(append([]byte{}, leaf.CertPEM...), inter.CertPEM...), ca.CertPEM...)
	if _, err := conn.CheckClientPair(file, leaf.KeyPEM, now); err == nil || !strings.Contains(err.Error(), "(pathlen:0), but the chain has 1") {
		t.Errorf("pathlen exceeded: %v", err)
	}
}
