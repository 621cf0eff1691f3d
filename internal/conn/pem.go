// Package conn turns connection settings held in memory (endpoints, PEM bytes,
// credentials) into the clientv3 and crypto/tls configurations that every
// binary of the suite uses. It is the one place where key material is parsed.
package conn

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
)

// InputError names which input (CA bundle, client certificate, client key…)
// was wrong, so a user knows which flag or file to fix.
type InputError struct {
	Input string
	Err   error
}

func (e *InputError) Error() string { return e.Input + ": " + e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// ErrEncryptedKey is returned for passphrase-protected keys: etcd and etcdctl
// cannot use them, so the suite refuses them up front.
var ErrEncryptedKey = errors.New("private key is encrypted with a passphrase; etcd clients need an unencrypted key (openssl pkey -in KEY -out KEY.plain)")

// ErrKeyMismatch says a private key does not belong to the certificate.
var ErrKeyMismatch = errors.New("private key does not match the certificate's public key")

// ParseCerts returns every certificate in a PEM bundle, in order. Blocks of
// other types are ignored as long as at least one certificate is present.
func ParseCerts(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := data
	sawPEM := false
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		sawPEM = true
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d does not parse: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	switch {
	case len(certs) > 0:
		return certs, nil
	case !sawPEM && len(bytes.TrimSpace(data)) == 0:
		return nil, errors.New("empty input, expected a PEM certificate")
	case !sawPEM:
		return nil, errors.New("not PEM data (expected -----BEGIN CERTIFICATE-----)")
	default:
		return nil, errors.New("PEM data holds no CERTIFICATE block")
	}
}

// ParseKey parses a PEM private key (PKCS#8, PKCS#1 or SEC 1) and refuses
// encrypted ones with ErrEncryptedKey.
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
		return nil, fmt.Errorf("%s block does not parse: %w", block.Type, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported private key type %T", key)
	}
	// crypto/rsa since Go 1.24 (this suite, and etcd or etcdctl built with
	// it) refuses to sign or verify with RSA keys under 1024 bits: such a key
	// would pass every check here and then fail the TLS handshake.
	if k, ok := key.(*rsa.PrivateKey); ok && k.N.BitLen() < minRSABits {
		return nil, fmt.Errorf("RSA key of %d bits is too small: TLS clients and etcd refuse keys under %d bits; issue a new key (rsa-2048 or ecdsa-p256)", k.N.BitLen(), minRSABits)
	}
	return signer, nil
}

// minRSABits is crypto/rsa's minimum key size.
const minRSABits = 1024

// KeyMatches reports whether key is the private half of cert's public key.
func KeyMatches(cert *x509.Certificate, key crypto.Signer) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	pub, ok := key.Public().(equaler)
	return ok && pub.Equal(cert.PublicKey)
}

// KeyType names a key the way operators talk about it: "ecdsa-p256", "rsa-2048", "ed25519".
func KeyType(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve.Params().BitSize {
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
	}
	return fmt.Sprintf("%T", pub)
}
