package pki

import (
	"crypto/x509"
	"fmt"
	"strings"
	"time"
)

// Bundle is a trust bundle (etcd's --trusted-ca-file, etcdctl's --cacert)
// judged at a time. Go trusts every certificate of a bundle as an anchor,
// but never one outside its validity period.
type Bundle struct {
	Certs   []*x509.Certificate
	Valid   []*x509.Certificate // within their validity period
	Stale   []*x509.Certificate // expired or not yet valid
	Leaves  []*x509.Certificate // not CAs (trusted as themselves only)
	Problem []Problem           // a key or signature Go cannot use, per certificate
}

// JudgeBundle sorts a bundle's certificates at now.
func JudgeBundle(certs []*x509.Certificate, now time.Time) Bundle {
	b := Bundle{Certs: certs}
	for _, c := range certs {
		if CheckValidity(c, now) == nil {
			b.Valid = append(b.Valid, c)
		} else {
			b.Stale = append(b.Stale, c)
		}
		if !c.IsCA {
			b.Leaves = append(b.Leaves, c)
		}
		for _, p := range KeyProblems(c) {
			p.Msg = "CA " + Name(c) + ": " + p.Msg
			b.Problem = append(b.Problem, p)
		}
	}
	return b
}

// Err is non-nil when no certificate of the bundle is valid at now: nothing
// can verify against it. It names each one and its dates.
func (b Bundle) Err(now time.Time) error {
	if len(b.Valid) > 0 || len(b.Certs) == 0 {
		return nil
	}
	var parts []string
	for _, c := range b.Stale {
		parts = append(parts, Name(c)+" "+CheckValidity(c, now).Error())
	}
	if len(parts) == 1 {
		return fmt.Errorf("its only CA %s", parts[0])
	}
	return fmt.Errorf("every CA in it is outside its validity: %s", strings.Join(parts, "; "))
}

// Warnings name each stale CA of a bundle that also holds a valid one: it
// verifies nothing any more, connections go on through the valid ones, and
// it should be dropped from the bundle (not renewed).
func (b Bundle) Warnings(now time.Time) []string {
	if len(b.Valid) == 0 {
		return nil
	}
	var out []string
	for _, c := range b.Stale {
		out = append(out, fmt.Sprintf("CA %s is %s; the bundle also holds a valid CA, so connections still work, but this one verifies nothing: drop it from the bundle",
			Name(c), CheckValidity(c, now).Error()))
	}
	return out
}

// LeafWarnings name each certificate of the bundle that is not a CA
// (basicConstraints CA:FALSE or none) and that a CA issued: Go trusts it as
// an anchor, but it verifies only a peer that presents that very
// certificate, so it is a leaf given by mistake (a client or server
// certificate in place of the CA that signed it). A self-signed one is left
// alone: pinning a member's own certificate (etcd's --auto-tls) is how such
// a member is trusted.
func (b Bundle) LeafWarnings() []string {
	var out []string
	for _, c := range b.Leaves {
		if c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil {
			continue // self-signed (CheckSignatureFrom would refuse a non-CA signer): a pinned certificate
		}
		out = append(out, fmt.Sprintf("%s is not a CA certificate (no basicConstraints CA:TRUE): it verifies only a server that presents this very certificate; give the CA that signed the server certificates (etcd's --trusted-ca-file)", Name(c)))
	}
	return out
}

// Locate names each certificate of a bundle for chain messages: source, or
// "source (certificate N)" when it holds several.
func Locate(certs []*x509.Certificate, source string) []Located {
	out := make([]Located, len(certs))
	for i, c := range certs {
		out[i] = Located{Cert: c, Source: source}
		if len(certs) > 1 {
			out[i].Pos = i + 1
		}
	}
	return out
}
