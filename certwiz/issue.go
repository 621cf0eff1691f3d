package certwiz

import (
	"crypto"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // RFC 5280 §4.2.1.2 key identifier, not a security use
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/etcd-ctx/etcd-ctx/pki"
)

// Role is what a certificate is for in an etcd cluster (pki.Role).
type Role = pki.Role

// The roles, as in package pki.
const (
	RoleCA     = pki.RoleCA
	RoleServer = pki.RoleServer
	RolePeer   = pki.RolePeer
	RoleClient = pki.RoleClient
)

// Default validity periods.
const (
	DefaultCADays   = 3650
	DefaultLeafDays = 365
)

// Request describes a certificate to issue.
type Request struct {
	Role       Role
	CommonName string
	Org        []string
	DNS        []string
	IPs        []net.IP
	Days       int
	// NotBefore defaults to now minus a minute of clock-skew allowance.
	NotBefore time.Time
	// Subject, when set, is the whole subject (CommonName and Org are then
	// taken from it): a new CA keeps its predecessor's O, OU, C….
	Subject *pkix.Name
}

// Issued is a certificate with its key, both as parsed values and PEM.
type Issued struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM []byte
	KeyPEM  []byte
	// Read from files only: the certificates after the first in its file
	// (intermediates), and where the key was found.
	Chain   []*x509.Certificate
	KeyPath string
}

// Template builds the x509 template for a request with the extensions etcd
// expects for the role: servers and peers need serverAuth and clientAuth (etcd
// dials itself and its peers as a client), clients need clientAuth.
func Template(req Request) (*x509.Certificate, error) {
	if req.Subject != nil {
		req.CommonName, req.Org = req.Subject.CommonName, req.Subject.Organization
	}
	if req.CommonName == "" {
		return nil, errors.New("a certificate needs a common name")
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	days := req.Days
	if days <= 0 {
		days = DefaultLeafDays
		if req.Role == RoleCA {
			days = DefaultCADays
		}
	}
	notBefore := req.NotBefore
	if notBefore.IsZero() {
		notBefore = time.Now().Add(-time.Minute)
	}
	t := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: req.CommonName, Organization: req.Org},
		NotBefore:    notBefore.UTC(),
		NotAfter:     notBefore.Add(time.Duration(days) * 24 * time.Hour).UTC(),
		DNSNames:     req.DNS,
		IPAddresses:  req.IPs,
	}
	if req.Subject != nil {
		t.Subject = *req.Subject
		t.Subject.ExtraNames = nil
	}
	switch req.Role {
	case RoleCA:
		t.IsCA = true
		t.BasicConstraintsValid = true
		t.MaxPathLen = 0
		t.MaxPathLenZero = true
		t.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	case RoleServer, RolePeer:
		if len(req.DNS) == 0 && len(req.IPs) == 0 {
			return nil, fmt.Errorf("a %s certificate needs at least one host name or IP (SAN)", req.Role)
		}
		t.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
		t.BasicConstraintsValid = true
	case RoleClient:
		t.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		t.BasicConstraintsValid = true
	default:
		return nil, fmt.Errorf("unknown role %q", req.Role)
	}
	return t, nil
}

// Issue signs a certificate for key's public half. A nil parent self-signs
// (a root CA).
func Issue(req Request, key crypto.Signer, parent *x509.Certificate, parentKey crypto.Signer) (*Issued, error) {
	t, err := Template(req)
	if err != nil {
		return nil, err
	}
	if t.SubjectKeyId, err = keyID(key.Public()); err != nil {
		return nil, err
	}
	if parent == nil {
		if req.Role != RoleCA {
			return nil, errors.New("only a CA may be self-signed")
		}
		parent, parentKey = t, key
	}
	return sign(t, key, parent, parentKey)
}

func sign(t *x509.Certificate, key crypto.Signer, parent *x509.Certificate, parentKey crypto.Signer) (*Issued, error) {
	der, err := x509.CreateCertificate(rand.Reader, t, parent, key.Public(), parentKey)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyPEM, err := EncodeKey(key)
	if err != nil {
		return nil, err
	}
	return &Issued{Cert: cert, Key: key, CertPEM: EncodeCert(cert), KeyPEM: keyPEM}, nil
}

// NewCA generates a key and a self-signed CA certificate.
func NewCA(cn string, kt KeyType, days int) (*Issued, error) {
	key, err := GenerateKey(kt)
	if err != nil {
		return nil, err
	}
	return Issue(Request{Role: RoleCA, CommonName: cn, Days: days}, key, nil, nil)
}

// NewLeaf generates a key and a certificate for req signed by ca.
func NewLeaf(req Request, kt KeyType, ca *Issued) (*Issued, error) {
	key, err := GenerateKey(kt)
	if err != nil {
		return nil, err
	}
	return Issue(req, key, ca.Cert, ca.Key)
}

func keyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum(der) //nolint:gosec // identifier only
	return sum[:], nil
}
