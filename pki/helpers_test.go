package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"
)

// tcert is a certificate made with crypto/x509 for the tests, with its key.
type tcert struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func (c *tcert) pem() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw})
}

func (c *tcert) at(source string) Located { return Located{Cert: c.cert, Source: source} }

// spec describes a test certificate; the zero value is a one-year leaf with
// no extended key usage, valid from an hour ago, on a fresh P-256 key.
type spec struct {
	cn        string
	ca        bool
	pathlen   int // -1: none
	eku       []x509.ExtKeyUsage
	ku        x509.KeyUsage
	notBefore time.Time
	notAfter  time.Time
	key       crypto.Signer
	sigAlg    x509.SignatureAlgorithm
	noBasic   bool
	hosts     bool
	ski       []byte // SubjectKeyId; the SHA-1 of the key when nil
}

var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func ecKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func rsaKey(t testing.TB, bits int) crypto.Signer {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// mk issues s, signed by parent (nil: self-signed).
func mk(t testing.TB, s spec, parent *tcert) *tcert {
	t.Helper()
	if s.key == nil {
		s.key = ecKey(t)
	}
	if s.notBefore.IsZero() {
		s.notBefore = testNow.Add(-time.Hour)
	}
	if s.notAfter.IsZero() {
		s.notAfter = s.notBefore.AddDate(1, 0, 0)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	pubDER, err := x509.MarshalPKIXPublicKey(s.key.Public())
	if err != nil {
		t.Fatal(err)
	}
	ski := sha1.Sum(pubDER)
	if s.ski == nil {
		s.ski = ski[:]
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: s.cn},
		NotBefore: s.notBefore, NotAfter: s.notAfter,
		ExtKeyUsage: s.eku, KeyUsage: s.ku, SignatureAlgorithm: s.sigAlg,
		BasicConstraintsValid: !s.noBasic, IsCA: s.ca, SubjectKeyId: s.ski,
	}
	if s.ca {
		if tmpl.KeyUsage == 0 {
			tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		}
		switch {
		case s.pathlen == 0:
			tmpl.MaxPathLen, tmpl.MaxPathLenZero = 0, true
		case s.pathlen > 0:
			tmpl.MaxPathLen = s.pathlen
		default:
			tmpl.MaxPathLen = -1
		}
	}
	if s.hosts {
		tmpl.DNSNames, tmpl.IPAddresses = []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")}
	}
	issuer, issuerKey := tmpl, s.key
	if parent != nil {
		issuer, issuerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, s.key.Public(), issuerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &tcert{cert: c, key: s.key}
}

func root(t testing.TB, cn string) *tcert { return mk(t, spec{cn: cn, ca: true, pathlen: -1}, nil) }

func intermediate(t testing.TB, cn string, parent *tcert, eku ...x509.ExtKeyUsage) *tcert {
	return mk(t, spec{cn: cn, ca: true, pathlen: -1, eku: eku}, parent)
}

var (
	serverAuth = x509.ExtKeyUsageServerAuth
	clientAuth = x509.ExtKeyUsageClientAuth
	both       = []x509.ExtKeyUsage{serverAuth, clientAuth}
)

func leaf(t testing.TB, cn string, parent *tcert, eku ...x509.ExtKeyUsage) *tcert {
	return mk(t, spec{cn: cn, eku: eku, hosts: true, ku: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}, parent)
}
