package contexts

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/internal/conn"
)

// chainCert is a certificate made with crypto/x509 for chain tests.
type chainCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func (c chainCert) pem() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw})
}

func (c chainCert) keyPEM(t *testing.T) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(c.key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// mkCert issues a CA (ca true) or a client certificate signed by parent
// (nil: self-signed), valid from notBefore for a year, with eku.
func mkCert(t *testing.T, cn string, ca bool, parent *chainCert, notBefore time.Time, eku ...x509.ExtKeyUsage) chainCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: notBefore, NotAfter: notBefore.AddDate(1, 0, 0), BasicConstraintsValid: true, IsCA: ca, ExtKeyUsage: eku}
	if ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, key.Public(), signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return chainCert{cert: c, key: key}
}

// TestValidateClientChainFile: a client certificate file whose intermediate
// restricts extended key usage to OCSPSigning is refused whatever the
// server trusts, naming the intermediate; with a usable intermediate it is
// accepted.
func TestValidateClientChainFile(t *testing.T) {
	now := time.Now()
	root := mkCert(t, "Root", true, nil, now.Add(-time.Hour))
	ocsp := mkCert(t, "OCSP Int", true, &root, now.Add(-time.Hour), x509.ExtKeyUsageOCSPSigning)
	good := mkCert(t, "Int", true, &root, now.Add(-time.Hour))
	for _, tc := range []struct {
		inter chainCert
		want  string
	}{{ocsp, `CA "CN=OCSP Int" (the client certificate file, certificate 2) restricts extended key usage to OCSPSigning`}, {good, ""}} {
		leaf := mkCert(t, "alice", false, &tc.inter, now.Add(-time.Hour), x509.ExtKeyUsageClientAuth)
		spec := &Spec{Name: "c", Endpoints: []string{"https://127.0.0.1:2379"}, CA: Material{PEM: root.pem()},
			Cert: Material{PEM: append(leaf.pem(), tc.inter.pem()...)}, Key: Material{PEM: leaf.keyPEM(t)}}
		err := Validate(spec, now)
		var ie *conn.InputError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.inter.cert.Subject.CommonName, err)
		case tc.want != "" && (!errors.As(err, &ie) || ie.Input != "client certificate" || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want a client certificate error with %q", tc.inter.cert.Subject.CommonName, err, tc.want)
		}
	}
}

// TestAdvise: what works but should be fixed is said: an expired CA beside
// a valid one in the bundle (by name, drop it), a client certificate signed
// by another key than the bundle's CA of its issuer's name; a clean context
// draws nothing.
func TestAdvise(t *testing.T) {
	now := time.Now()
	root := mkCert(t, "etcd CA", true, nil, now.Add(-time.Hour))
	old := mkCert(t, "old CA", true, nil, now.AddDate(-3, 0, 0))
	regenerated := mkCert(t, "etcd CA", true, nil, now.Add(-time.Hour))
	leaf := mkCert(t, "alice", false, &root, now.Add(-time.Hour), x509.ExtKeyUsageClientAuth)
	spec := func(ca []byte) Spec {
		return Spec{Name: "c", Endpoints: []string{"https://127.0.0.1:2379"}, CA: Material{PEM: ca}, Cert: Material{PEM: leaf.pem()}, Key: Material{PEM: leaf.keyPEM(t)}}
	}
	if w := Advise(spec(root.pem()), now); len(w) != 0 {
		t.Fatalf("clean context: %q", w)
	}
	w := Advise(spec(append(root.pem(), old.pem()...)), now)
	if len(w) != 1 || !strings.Contains(w[0], `CA "CN=old CA" is expired on`) || !strings.Contains(w[0], "drop it from the bundle") {
		t.Fatalf("stale CA in the bundle: %q", w)
	}
	w = Advise(spec(regenerated.pem()), now)
	if len(w) != 1 || !strings.Contains(w[0], "regenerated under the same name") || !strings.Contains(w[0], `"CN=etcd CA"`) {
		t.Fatalf("regenerated CA: %q", w)
	}
	// A leaf given as the CA bundle (a newcomer passed the client
	// certificate): accepted, as Go trusts it as an anchor, with a warning.
	w = Advise(spec(append(root.pem(), leaf.pem()...)), now)
	if len(w) != 1 || !strings.Contains(w[0], `"CN=alice" is not a CA certificate`) || !strings.Contains(w[0], "--trusted-ca-file") {
		t.Fatalf("leaf in the CA bundle: %q", w)
	}
	// A self-signed leaf is a pinned server certificate (etcd --auto-tls):
	// no warning.
	pinned := mkCert(t, "etcd", false, nil, now.Add(-time.Hour), x509.ExtKeyUsageServerAuth)
	if w := Advise(spec(append(root.pem(), pinned.pem()...)), now); len(w) != 0 {
		t.Fatalf("pinned self-signed certificate: %q", w)
	}
}
