package pki

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"time"

	"github.com/etcd-ctx/etcd-ctx/internal/words"
)

// UnsupportedKeyError is a key Go cannot use, and so neither can etcd,
// etcdctl or this suite: an elliptic curve other than P-256, P-384 and P-521
// (secp256k1, brainpool…), an algorithm crypto/tls does not sign with (DSA,
// Ed448, X25519), or an RSA key under 1024 bits.
type UnsupportedKeyError struct {
	Key string // "curve secp256k1", "key algorithm Ed448", "an RSA key of 512 bits"
}

func (e *UnsupportedKeyError) Error() string {
	return e.Key + " is not supported by Go, so not by etcd: reissue with P-256/P-384, RSA or Ed25519"
}

// Hint says how to get a key Go can use.
func (e *UnsupportedKeyError) Hint() string {
	return "Go, and so etcd and etcdctl, cannot use this key: issue a new key and certificate (etcd-certwiz client NAME --key-type ecdsa-p256, or openssl with -pkeyopt ec_paramgen_curve:P-256)"
}

// MinRSABits is the smallest RSA key crypto/rsa (Go ≥ 1.24, and so etcd
// and etcdctl built with it) signs or verifies with; WeakRSABits the size
// under which a key is a warning.
const (
	MinRSABits  = 1024
	WeakRSABits = 2048
)

var (
	oidKeyRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidKeyRSAPSS  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidKeyDSA     = asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}
	oidKeyEC      = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidKeyX25519  = asn1.ObjectIdentifier{1, 3, 101, 110}
	oidKeyX448    = asn1.ObjectIdentifier{1, 3, 101, 111}
	oidKeyEd25519 = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidKeyEd448   = asn1.ObjectIdentifier{1, 3, 101, 113}
	oidKeySM2     = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301}
)

// curveName names the elliptic curves found in the field by OID.
func curveName(oid asn1.ObjectIdentifier) string {
	switch oid.String() {
	case "1.2.840.10045.3.1.7":
		return "P-256"
	case "1.3.132.0.34":
		return "P-384"
	case "1.3.132.0.35":
		return "P-521"
	case "1.3.132.0.33":
		return "P-224"
	case "1.3.132.0.10":
		return "secp256k1"
	case "1.2.840.10045.3.1.1":
		return "P-192"
	case "1.3.36.3.3.2.8.1.1.7":
		return "brainpoolP256r1"
	case "1.3.36.3.3.2.8.1.1.11":
		return "brainpoolP384r1"
	case "1.3.36.3.3.2.8.1.1.13":
		return "brainpoolP512r1"
	case "1.2.156.10197.1.301":
		return "SM2"
	}
	return oid.String()
}

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type subjectPublicKeyInfo struct {
	Algorithm algorithmIdentifier
	PublicKey asn1.BitString
}

// spkiProblem names why a SubjectPublicKeyInfo is unusable by Go, or nil.
func spkiProblem(der []byte) *UnsupportedKeyError {
	var spki subjectPublicKeyInfo
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil
	}
	return algorithmProblem(spki.Algorithm)
}

func algorithmProblem(alg algorithmIdentifier) *UnsupportedKeyError {
	switch {
	case alg.Algorithm.Equal(oidKeyEC):
		var curve asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(alg.Parameters.FullBytes, &curve); err != nil {
			return &UnsupportedKeyError{Key: "an elliptic curve given by explicit parameters"}
		}
		switch name := curveName(curve); name {
		case "P-256", "P-384", "P-521":
			return nil
		default:
			return &UnsupportedKeyError{Key: "curve " + name}
		}
	case alg.Algorithm.Equal(oidKeyRSA), alg.Algorithm.Equal(oidKeyEd25519):
		return nil
	case alg.Algorithm.Equal(oidKeyRSAPSS):
		return &UnsupportedKeyError{Key: "key algorithm RSASSA-PSS (an RSA key restricted to PSS)"}
	case alg.Algorithm.Equal(oidKeyDSA):
		return &UnsupportedKeyError{Key: "key algorithm DSA"}
	case alg.Algorithm.Equal(oidKeyEd448):
		return &UnsupportedKeyError{Key: "key algorithm Ed448"}
	case alg.Algorithm.Equal(oidKeyX25519):
		return &UnsupportedKeyError{Key: "key algorithm X25519 (it cannot sign)"}
	case alg.Algorithm.Equal(oidKeyX448):
		return &UnsupportedKeyError{Key: "key algorithm X448 (it cannot sign)"}
	case alg.Algorithm.Equal(oidKeySM2):
		return &UnsupportedKeyError{Key: "curve SM2"}
	}
	return &UnsupportedKeyError{Key: "key algorithm " + alg.Algorithm.String()}
}

// publicKeyProblem names why a parsed public key cannot be used in TLS by
// Go, or nil.
func publicKeyProblem(pub crypto.PublicKey) *UnsupportedKeyError {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < MinRSABits {
			return &UnsupportedKeyError{Key: fmt.Sprintf("an RSA key of %d bits (under %d)", k.N.BitLen(), MinRSABits)}
		}
	case *ecdsa.PublicKey:
		switch k.Curve.Params().BitSize {
		case 256, 384, 521:
		default:
			return &UnsupportedKeyError{Key: "curve " + k.Curve.Params().Name}
		}
	case ed25519.PublicKey:
	case *ecdh.PublicKey:
		return &UnsupportedKeyError{Key: "key algorithm X25519 (it cannot sign)"}
	case nil:
		return &UnsupportedKeyError{Key: "an unknown key algorithm"}
	default:
		return &UnsupportedKeyError{Key: fmt.Sprintf("key type %T", pub)}
	}
	return nil
}

type pkcs8 struct {
	Version    int
	Algorithm  algorithmIdentifier
	PrivateKey []byte
}

type ecPrivateKey struct {
	Version    int
	PrivateKey []byte
	Curve      asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
}

// privateKeyProblem names the unusable algorithm or curve of a private key
// crypto/x509 refused, or nil when the refusal has another cause.
func privateKeyProblem(typ string, der []byte) *UnsupportedKeyError {
	switch typ {
	case "PRIVATE KEY":
		var k pkcs8
		if _, err := asn1.Unmarshal(der, &k); err != nil {
			return nil
		}
		if k.Algorithm.Algorithm.Equal(oidKeyEC) && len(k.Algorithm.Parameters.FullBytes) == 0 {
			return nil
		}
		return algorithmProblem(k.Algorithm)
	case "EC PRIVATE KEY":
		var k ecPrivateKey
		if _, err := asn1.Unmarshal(der, &k); err != nil || len(k.Curve) == 0 {
			return nil
		}
		if name := curveName(k.Curve); name != "P-256" && name != "P-384" && name != "P-521" {
			return &UnsupportedKeyError{Key: "curve " + name}
		}
	}
	return nil
}

type tbsCertificate struct {
	Version   int `asn1:"optional,explicit,default:0,tag:0"`
	Serial    asn1.RawValue
	Signature algorithmIdentifier
	Issuer    asn1.RawValue
	Validity  struct{ NotBefore, NotAfter time.Time }
	Subject   asn1.RawValue
	PublicKey subjectPublicKeyInfo
}

type rawCertificate struct {
	TBS tbsCertificate
}

// readBadCert reads what it can of a certificate crypto/x509 refused: names,
// validity, and whether its key is the reason.
func readBadCert(der []byte, parseErr error) *BadCert {
	b := &BadCert{Err: parseErr}
	var c rawCertificate
	if _, err := asn1.Unmarshal(der, &c); err != nil {
		return b
	}
	b.Subject, b.Issuer = nameString(c.TBS.Subject.FullBytes), nameString(c.TBS.Issuer.FullBytes)
	b.CommonName = commonName(c.TBS.Subject.FullBytes)
	b.NotBefore, b.NotAfter = c.TBS.Validity.NotBefore, c.TBS.Validity.NotAfter
	if uk := algorithmProblem(c.TBS.PublicKey.Algorithm); uk != nil {
		b.Err = uk
		return b
	}
	b.Err = refusedCert(parseErr, c.TBS.Serial)
	return b
}

func commonName(der []byte) string {
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(der, &seq); err != nil {
		return ""
	}
	var n pkix.Name
	n.FillFromRDNSequence(&seq)
	return n.CommonName
}

func nameString(der []byte) string {
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(der, &seq); err != nil {
		return ""
	}
	var n pkix.Name
	n.FillFromRDNSequence(&seq)
	return n.String()
}

// Severity of a problem: an error breaks TLS with etcd; a warning works
// today but should be fixed at the next renewal.
type Severity string

const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
)

// Problem is something wrong with one certificate on its own.
type Problem struct {
	Severity Severity
	Msg      string // one sentence, with the fix
	Fix      string // the fix alone
}

// KeyProblems judges cert's public key and signature as Go's TLS stack will:
// keys Go cannot use are errors, RSA keys under 2048 bits warnings; a
// SHA-1 or MD5 signature is an error on any certificate but a self-signed
// root (whose own signature nobody checks).
func KeyProblems(cert *x509.Certificate) []Problem {
	var out []Problem
	if uk := publicKeyProblem(cert.PublicKey); uk != nil {
		if sp := spkiProblem(cert.RawSubjectPublicKeyInfo); sp != nil {
			uk = sp
		}
		out = append(out, Problem{SevError, uk.Error(), "reissue it with P-256/P-384, RSA or Ed25519"})
	} else if k, ok := cert.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() < WeakRSABits {
		out = append(out, Problem{SevWarning, fmt.Sprintf("an RSA key of %d bits is weak (under %d): reissue with rsa-2048 or ecdsa-p256 at the next renewal", k.N.BitLen(), WeakRSABits),
			"reissue it with rsa-2048 or ecdsa-p256 at the next renewal"})
	}
	if weakSignature(cert.SignatureAlgorithm) && !selfSigned(cert) {
		out = append(out, Problem{SevError, fmt.Sprintf("signed with %s, which Go (and so etcd) refuses: reissue it with SHA-256 (openssl … -sha256)", cert.SignatureAlgorithm),
			"reissue it with SHA-256 (openssl … -sha256)"})
	}
	return out
}

func weakSignature(alg x509.SignatureAlgorithm) bool {
	switch alg {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return true
	}
	return false
}

// selfSigned reports whether cert is issued by itself (same name, own key).
func selfSigned(cert *x509.Certificate) bool {
	return string(cert.RawIssuer) == string(cert.RawSubject) &&
		cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature) == nil
}

// SelfSigned reports whether cert is a self-signed certificate (a root).
func SelfSigned(cert *x509.Certificate) bool { return selfSigned(cert) }

// KeyID is the key identifier of a public key as certificates carry it
// (SubjectKeyId, RFC 5280 method 1), in colon-separated hex; it is the
// certificate's own SubjectKeyId when it has one.
func KeyID(cert *x509.Certificate) string {
	if len(cert.SubjectKeyId) > 0 {
		return hexID(cert.SubjectKeyId)
	}
	return hexID(spkiKeyID(cert.RawSubjectPublicKeyInfo))
}

func spkiKeyID(der []byte) []byte {
	var spki subjectPublicKeyInfo
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil
	}
	return sha1Sum(spki.PublicKey.RightAlign())
}

// KeyIDBytes formats a key identifier (a SubjectKeyId or AuthorityKeyId)
// as KeyID does.
func KeyIDBytes(b []byte) string { return hexID(b) }

func hexID(b []byte) string {
	if len(b) == 0 {
		return words.None
	}
	const digits = "0123456789ABCDEF"
	out := make([]byte, 0, 3*len(b))
	for i, c := range b {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func sha1Sum(b []byte) []byte {
	sum := sha1.Sum(b) //nolint:gosec // RFC 5280 key identifier, not a security use
	return sum[:]
}
