// Package certwiz models an etcd cluster's PKI: CAs, server, peer and client
// certificates with the extensions etcd needs, and the files they live in.
package certwiz

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
)

// KeyType is one of the supported key algorithms, named as in plan files.
type KeyType string

const (
	ECDSAP256 KeyType = "ecdsa-p256"
	ECDSAP384 KeyType = "ecdsa-p384"
	RSA2048   KeyType = "rsa-2048"
	RSA3072   KeyType = "rsa-3072"
	RSA4096   KeyType = "rsa-4096"
	Ed25519   KeyType = "ed25519"
)

// KeyTypes lists the accepted key types, default first.
var KeyTypes = []KeyType{ECDSAP256, ECDSAP384, RSA2048, RSA3072, RSA4096, Ed25519}

// ParseKeyType accepts a key type name ("" means the default, ECDSA P-256).
func ParseKeyType(s string) (KeyType, error) {
	if s == "" {
		return ECDSAP256, nil
	}
	for _, kt := range KeyTypes {
		if strings.EqualFold(s, string(kt)) {
			return kt, nil
		}
	}
	names := make([]string, len(KeyTypes))
	for i, kt := range KeyTypes {
		names[i] = string(kt)
	}
	return "", fmt.Errorf("unknown key type %q (one of %s)", s, strings.Join(names, ", "))
}

// GenerateKey makes a new private key of the given type.
func GenerateKey(kt KeyType) (crypto.Signer, error) {
	switch kt {
	case ECDSAP256, "":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECDSAP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case RSA3072:
		return rsa.GenerateKey(rand.Reader, 3072)
	case RSA4096:
		return rsa.GenerateKey(rand.Reader, 4096)
	case Ed25519:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return nil, fmt.Errorf("unknown key type %q", kt)
}

// EncodeKey returns the key as an unencrypted PKCS#8 PEM block, the form
// etcd, etcdctl and openssl all read.
func EncodeKey(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// EncodeCert returns the certificate as PEM.
func EncodeCert(cert *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
}

// Warning is what to tell a user who picks kt, or "".
func (kt KeyType) Warning() string {
	if kt == Ed25519 {
		return "ed25519 keys are rejected by FIPS 140 builds of etcd and by some older TLS stacks; prefer ecdsa-p256 unless you know every client supports it"
	}
	return ""
}

// KeyTypeOf names a public key as a KeyType; ok is false for keys certwiz
// cannot generate (other curves or RSA sizes).
func KeyTypeOf(pub crypto.PublicKey) (kt KeyType, ok bool) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return ECDSAP256, true
		case elliptic.P384():
			return ECDSAP384, true
		}
		return KeyType("ecdsa-" + k.Curve.Params().Name), false
	case *rsa.PublicKey:
		kt = KeyType(fmt.Sprintf("rsa-%d", k.N.BitLen()))
		return kt, slices.Contains(KeyTypes, kt)
	case ed25519.PublicKey:
		return Ed25519, true
	}
	return KeyType(fmt.Sprintf("%T", pub)), false
}
