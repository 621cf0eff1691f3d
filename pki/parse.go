package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"
)

// What a PEM block holds, as File records it.
const (
	HoldsCertificate = "certificate"
	HoldsPrivateKey  = "private key"
	HoldsCSR         = "certificate request"
	HoldsPublicKey   = "public key"
	HoldsParameters  = "key parameters"
	HoldsCRL         = "CRL"
	HoldsOther       = "other PEM block"
)

// Entry is one PEM block of a file.
type Entry struct {
	Index int    // 1-based position among the file's PEM blocks
	Type  string // the PEM type, e.g. "CERTIFICATE", "EC PRIVATE KEY"
	Holds string // one of the Holds… constants
	// Cert is set for a CERTIFICATE block that crypto/x509 parses, Bad for
	// one it refuses.
	Cert *x509.Certificate
	Bad  *BadCert
}

// BadCert is a CERTIFICATE block crypto/x509 refuses (and so etcd), with
// what could still be read of it.
type BadCert struct {
	Subject, Issuer     string    // "" when even the outer structure is unreadable
	CommonName          string    // the subject's CN
	NotBefore, NotAfter time.Time // zero when unreadable
	Err                 error     // *UnsupportedKeyError for a key Go cannot use, else the parse error
}

// File is what a PEM file holds: every block in order, the certificates
// among them, and whether anything else was there. Reading a file never
// fails: keys, CSRs, broken blocks and garbage are recorded, not fatal.
type File struct {
	Entries []Entry
	Certs   []*x509.Certificate // the certificates that parse, in file order
	Broken  int                 // "-----BEGIN" lines that start no decodable block
	Text    bool                // non-blank data and no PEM block at all
}

// ParseFile reads every PEM block of data.
func ParseFile(data []byte) *File {
	f := &File{}
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		e := Entry{Index: len(f.Entries) + 1, Type: block.Type, Holds: holds(block.Type)}
		if e.Holds == HoldsCertificate {
			if c, err := x509.ParseCertificate(block.Bytes); err == nil {
				e.Cert = c
				f.Certs = append(f.Certs, c)
			} else {
				e.Bad = readBadCert(block.Bytes, err)
			}
		}
		f.Entries = append(f.Entries, e)
	}
	f.Broken = bytes.Count(data, []byte("-----BEGIN ")) - len(f.Entries)
	if f.Broken < 0 {
		f.Broken = 0
	}
	f.Text = len(f.Entries) == 0 && len(bytes.TrimSpace(data)) > 0
	return f
}

func holds(typ string) string {
	switch {
	case typ == "CERTIFICATE" || typ == "X509 CERTIFICATE" || typ == "TRUSTED CERTIFICATE":
		return HoldsCertificate
	case strings.HasSuffix(typ, "PRIVATE KEY"):
		return HoldsPrivateKey
	case typ == "CERTIFICATE REQUEST" || typ == "NEW CERTIFICATE REQUEST":
		return HoldsCSR
	case strings.HasSuffix(typ, "PUBLIC KEY"):
		return HoldsPublicKey
	case strings.HasSuffix(typ, "PARAMETERS"):
		return HoldsParameters
	case typ == "X509 CRL":
		return HoldsCRL
	}
	return HoldsOther
}

// Count is how many entries hold what.
func (f *File) Count(what string) int {
	n := 0
	for _, e := range f.Entries {
		if e.Holds == what {
			n++
		}
	}
	return n
}

// BadCerts are the certificate entries crypto/x509 refused.
func (f *File) BadCerts() []Entry {
	var out []Entry
	for _, e := range f.Entries {
		if e.Bad != nil {
			out = append(out, e)
		}
	}
	return out
}

// Describe says what a file without certificates holds, for error messages:
// "a private key", "a certificate request and a private key", "no PEM data".
func (f *File) Describe() string {
	if f.Text {
		return "no PEM data"
	}
	var parts []string
	seen := map[string]bool{}
	for _, e := range f.Entries {
		if !seen[e.Holds] {
			seen[e.Holds] = true
			parts = append(parts, "a "+e.Holds)
		}
	}
	if f.Broken > 0 {
		parts = append(parts, fmt.Sprintf("%d PEM block(s) that do not decode", f.Broken))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, " and ")
}

// ParseCerts returns every certificate of a PEM bundle, in order. Blocks of
// other types are skipped as long as at least one certificate is present; a
// CERTIFICATE block that does not parse is an error naming it (and, for a key
// Go cannot use, saying so: *UnsupportedKeyError).
func ParseCerts(data []byte) ([]*x509.Certificate, error) {
	f := ParseFile(data)
	n := 0
	for _, e := range f.Entries {
		if e.Holds != HoldsCertificate {
			continue
		}
		n++
		if e.Bad != nil {
			return nil, &CertParseError{Index: n, Subject: e.Bad.Subject, Err: e.Bad.Err}
		}
	}
	switch {
	case len(f.Certs) > 0:
		return f.Certs, nil
	case len(bytes.TrimSpace(data)) == 0:
		return nil, errors.New("empty input, expected a PEM certificate")
	case len(f.Entries) == 0:
		return nil, errors.New("not PEM data (expected -----BEGIN CERTIFICATE-----)")
	default:
		return nil, fmt.Errorf("PEM data holds no CERTIFICATE block (it holds %s)", f.Describe())
	}
}

// CertParseError is a certificate of a bundle that crypto/x509 refuses.
type CertParseError struct {
	Index   int    // 1-based among the certificates
	Subject string // "" when unreadable
	Err     error
}

func (e *CertParseError) Error() string {
	who := fmt.Sprintf("certificate %d", e.Index)
	if e.Subject != "" {
		who += " (" + e.Subject + ")"
	}
	var (
		uk *UnsupportedKeyError
		rc *RefusedCertError
	)
	if errors.As(e.Err, &uk) || errors.As(e.Err, &rc) {
		return who + ": " + e.Err.Error()
	}
	return who + " does not parse: " + e.Err.Error()
}

func (e *CertParseError) Unwrap() error { return e.Err }

// ErrEncryptedKey is returned for passphrase-protected keys: etcd and etcdctl
// cannot use them, so the suite refuses them up front.
var ErrEncryptedKey = errors.New("private key is encrypted with a passphrase; etcd clients need an unencrypted key (openssl pkey -in KEY -out KEY.plain)")

// ErrKeyMismatch says a private key does not belong to the certificate.
var ErrKeyMismatch = errors.New("private key does not match the certificate's public key")

// ParseKey parses the first PEM private key of data (PKCS#8, PKCS#1 or
// SEC 1), refusing encrypted ones with ErrEncryptedKey and keys Go cannot
// use with *UnsupportedKeyError. Errors never repeat key material.
func ParseKey(data []byte) (crypto.Signer, error) {
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch block.Type {
		case "ENCRYPTED PRIVATE KEY":
			return nil, ErrEncryptedKey
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			if block.Headers["Proc-Type"] == "4,ENCRYPTED" {
				return nil, ErrEncryptedKey
			}
			return parseKeyDER(block)
		}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("empty input, expected a PEM private key")
	}
	if f := ParseFile(data); len(f.Entries) > 0 {
		return nil, fmt.Errorf("no PEM private key found (it holds %s)", f.Describe())
	}
	return nil, errors.New("no PEM private key found (expected -----BEGIN PRIVATE KEY-----)")
}

func parseKeyDER(block *pem.Block) (crypto.Signer, error) {
	var (
		key any
		err error
	)
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		if uk := privateKeyProblem(block.Type, block.Bytes); uk != nil {
			return nil, uk
		}
		return nil, fmt.Errorf("%s block does not parse: %w", block.Type, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, &UnsupportedKeyError{Key: fmt.Sprintf("a %T private key", key)}
	}
	if uk := publicKeyProblem(signer.Public()); uk != nil {
		return nil, uk
	}
	return signer, nil
}

// KeyMatches reports whether key is the private half of cert's public key.
func KeyMatches(cert *x509.Certificate, key crypto.Signer) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	pub, ok := key.Public().(equaler)
	return ok && pub.Equal(cert.PublicKey)
}

// KeyType names a public key the way operators talk about it: "ecdsa-p256",
// "rsa-2048", "ed25519".
func KeyType(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve.Params().BitSize {
		case 224:
			return "ecdsa-p224"
		case 256:
			return "ecdsa-p256"
		case 384:
			return "ecdsa-p384"
		case 521:
			return "ecdsa-p521"
		}
		return "ecdsa"
	case *rsa.PublicKey:
		return fmt.Sprintf("rsa-%d", k.N.BitLen())
	case ed25519.PublicKey:
		return "ed25519"
	case nil:
		return "unknown"
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", pub), "*")
}
