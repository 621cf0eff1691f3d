package contexts

import (
	"crypto/rand"
	"crypto/x509"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/conn"
)

// serverOnlyPair is a certificate with serverAuth but not clientAuth, signed by ca.
func serverOnlyPair(t *testing.T, ca *certwiz.Issued) (certPEM, keyPEM []byte) {
	t.Helper()
	tmpl, err := certwiz.Template(certwiz.Request{Role: certwiz.RoleServer, CommonName: "server-only", DNS: []string{"etcd.local"}})
	if err != nil {
		t.Fatal(err)
	}
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	key, err := certwiz.GenerateKey(certwiz.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if keyPEM, err = certwiz.EncodeKey(key); err != nil {
		t.Fatal(err)
	}
	return certwiz.EncodeCert(cert), keyPEM
}

func TestValidate(t *testing.T) {
	p := testPKI(t)
	now := time.Now()
	past := now.Add(-72 * time.Hour)
	expiredClient, err := certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleClient, CommonName: "old", Days: 1, NotBefore: past}, certwiz.ECDSAP256, p.ca)
	if err != nil {
		t.Fatal(err)
	}
	futureClient, err := certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleClient, CommonName: "new", NotBefore: now.Add(48 * time.Hour)}, certwiz.ECDSAP256, p.ca)
	if err != nil {
		t.Fatal(err)
	}
	caKey, err := certwiz.GenerateKey(certwiz.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	expiredCA, err := certwiz.Issue(certwiz.Request{Role: certwiz.RoleCA, CommonName: "old CA", Days: 1, NotBefore: past}, caKey, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	noClientAuthCert, noClientAuthKey := serverOnlyPair(t, p.ca)

	base := func() Spec {
		return Spec{
			Name:      "x",
			Endpoints: []string{"https://h:2379"},
			CA:        Material{PEM: p.ca.CertPEM},
			Cert:      Material{PEM: p.client.CertPEM},
			Key:       Material{PEM: p.client.KeyPEM},
		}
	}
	cases := []struct {
		name      string
		edit      func(*Spec)
		wantInput string // the *conn.InputError's Input and Detail
		wantText  string
	}{
		{"no endpoints", func(s *Spec) { s.Endpoints = nil }, "endpoints", "none given"},
		{"bad endpoint", func(s *Spec) { s.Endpoints = []string{"ftp://h:2379"} }, `endpoint "ftp://h:2379"`, "unsupported scheme"},
		{"endpoint without port", func(s *Spec) { s.Endpoints = []string{"https://h:2379", "h"} }, `endpoint "h"`, "no port"},
		{"expired client cert", func(s *Spec) { s.Cert.PEM, s.Key.PEM = expiredClient.CertPEM, expiredClient.KeyPEM }, "client certificate", "expired on"},
		{"expired client cert with path", func(s *Spec) {
			s.Cert = Material{PEM: expiredClient.CertPEM, Path: "/etc/etcd/old.crt"}
			s.Key = Material{PEM: expiredClient.KeyPEM, Path: "/etc/etcd/old.key"}
		}, "client certificate (/etc/etcd/old.crt)", "expired on"},
		{"not yet valid client cert", func(s *Spec) { s.Cert.PEM, s.Key.PEM = futureClient.CertPEM, futureClient.KeyPEM }, "client certificate", "not valid before"},
		{"no clientAuth", func(s *Spec) { s.Cert.PEM, s.Key.PEM = noClientAuthCert, noClientAuthKey }, "client certificate", `"server-only" lacks the clientAuth`},
		{"no clientAuth with path", func(s *Spec) {
			s.Cert = Material{PEM: noClientAuthCert, Path: "/pki/server.crt"}
			s.Key = Material{PEM: noClientAuthKey, Path: "/pki/server.key"}
		}, "client certificate (/pki/server.crt)", "clientAuth"},
		{"mismatched key", func(s *Spec) { s.Key.PEM = p.other.KeyPEM }, "client key", "does not match"},
		{"mismatched key names the key file", func(s *Spec) {
			s.Cert.Path = "/pki/alice.crt"
			s.Key = Material{PEM: p.other.KeyPEM, Path: "/pki/bob.key"}
		}, "client key (/pki/bob.key)", "does not match"},
		{"cert without key", func(s *Spec) { s.Key = Material{} }, "client key", "missing"},
		{"key without cert", func(s *Spec) { s.Cert = Material{} }, "client certificate", "missing"},
		{"key is not a key", func(s *Spec) { s.Key = Material{PEM: []byte("garbage"), Path: "/pki/k"} }, "client key (/pki/k)", "no PEM private key"},
		{"expired CA", func(s *Spec) { s.CA.PEM = expiredCA.CertPEM }, "CA bundle", "expired on"},
		{"expired CA with path", func(s *Spec) { s.CA = Material{PEM: expiredCA.CertPEM, Path: "/pki/ca.crt"} }, "CA bundle (/pki/ca.crt)", "expired on"},
		{"CA is not PEM", func(s *Spec) { s.CA = Material{PEM: []byte("hello"), Path: "/pki/ca.crt"} }, "CA bundle (/pki/ca.crt)", "not PEM"},
		{"token and user", func(s *Spec) { s.Token, s.Username = "t", "u" }, "credentials", "mutually exclusive"},
		{"token and password", func(s *Spec) { s.Token, s.Password = "t", "p" }, "credentials", "mutually exclusive"},
		{"password without user", func(s *Spec) { s.Password = "p" }, "credentials", "needs a user"},
		{"user with colon", func(s *Spec) { s.Username, s.Password = "u:x", "p" }, "user", "cannot contain ':'"},
		{"user with newline", func(s *Spec) { s.Username = "u\n" }, "user", "cannot contain"},
		{"token with space", func(s *Spec) { s.Token = "Bearer abc" }, "token", "spaces or newlines"},
		{"token with newline", func(s *Spec) { s.Token = "abc\n" }, "token", "spaces or newlines"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := base()
			tc.edit(&spec)
			err := Validate(&spec, now)
			var ie *conn.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v, want an *InputError", err)
			}
			if label := strings.TrimSpace(string(ie.Input) + " " + ie.Detail); label != tc.wantInput || !strings.Contains(err.Error(), tc.wantText) {
				t.Fatalf("got %q (input %q), want input %q and text %q", err, label, tc.wantInput, tc.wantText)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	p := testPKI(t)
	now := time.Now()
	cases := []struct {
		name string
		spec Spec
		want []string // normalized endpoints
	}{
		{"mTLS, bare endpoints get https", Spec{Endpoints: []string{"10.0.0.1:2379", " https://[::1]:2379/ "}, CA: Material{PEM: p.ca.CertPEM}, Cert: Material{PEM: p.client.CertPEM}, Key: Material{PEM: p.client.KeyPEM}},
			[]string{"https://10.0.0.1:2379", "https://[::1]:2379"}},
		{"CA only", Spec{Endpoints: []string{"h:2379"}, CA: Material{PEM: p.ca.CertPEM}}, []string{"https://h:2379"}},
		{"insecure skip verify is TLS", Spec{Endpoints: []string{"h:2379"}, InsecureSkipVerify: true}, []string{"https://h:2379"}},
		{"plaintext with password", Spec{Endpoints: []string{"h:2379"}, Username: "root", Password: "pw"}, []string{"http://h:2379"}},
		{"plaintext with user only", Spec{Endpoints: []string{"h:2379"}, Username: "root"}, []string{"http://h:2379"}},
		{"token", Spec{Endpoints: []string{"https://h:2379"}, Token: "a.b.c"}, []string{"https://h:2379"}},
		{"unix socket", Spec{Endpoints: []string{"unix:///run/etcd.sock"}}, []string{"unix:///run/etcd.sock"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := tc.spec
			if err := Validate(&spec, now); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(spec.Endpoints, tc.want) {
				t.Fatalf("endpoints normalized to %v, want %v", spec.Endpoints, tc.want)
			}
		})
	}
	// Expiry is judged at the given time, not the wall clock.
	spec := Spec{Endpoints: []string{"h:2379"}, CA: Material{PEM: p.ca.CertPEM}, Cert: Material{PEM: p.client.CertPEM}, Key: Material{PEM: p.client.KeyPEM}}
	if err := Validate(&spec, now.AddDate(2, 0, 0)); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("two years on: got %v", err)
	}
}

func TestSpecSettings(t *testing.T) {
	spec := Spec{
		Name:               "x",
		Endpoints:          []string{"https://h:2379"},
		CA:                 Material{PEM: []byte("ca"), Path: "/ca"},
		Cert:               Material{PEM: []byte("cert")},
		Key:                Material{PEM: []byte("key")},
		Username:           "u",
		Password:           "p",
		Token:              "t",
		ServerName:         "sn",
		DialTimeout:        7 * time.Second,
		InsecureSkipVerify: true,
		Prefix:             "/p",
	}
	want := conn.Settings{
		Endpoints: []string{"https://h:2379"}, CA: []byte("ca"), Cert: []byte("cert"), Key: []byte("key"),
		Username: "u", Password: "p", Token: "t", DialTimeout: 7 * time.Second, ServerName: "sn", InsecureSkipVerify: true,
	}
	if got := spec.Settings(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Settings() = %+v\nwant %+v", got, want)
	}
}
