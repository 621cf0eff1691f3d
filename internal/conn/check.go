package conn

import (
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/etcd-ctx/etcd-ctx/pki"
)

// CheckClientPair validates a client certificate file and key the way etcd
// will judge them: they parse (keys Go cannot use are named), match, the key
// is unencrypted, the certificate allows clientAuth, is currently valid and
// properly signed, and the chain the file carries (etcd's client sends the
// file whole: leaf, then intermediates) breaks nowhere whatever CA the
// server trusts: no CA in it restricts clientAuth, is expired, cannot sign,
// or is exceeded in path length.
func CheckClientPair(certPEM, keyPEM []byte, now time.Time) (*x509.Certificate, error) {
	pair, err := KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	leaf := pair.Leaf
	if !pki.HasEKU(leaf, x509.ExtKeyUsageClientAuth) {
		return nil, &InputError{Input: InputCert, Err: fmt.Errorf("%q lacks the clientAuth extended key usage; etcd rejects it", leaf.Subject.CommonName)}
	}
	if err := pki.CheckValidity(leaf, now); err != nil {
		return nil, &InputError{Input: InputCert, Err: err}
	}
	for _, p := range pki.KeyProblems(leaf) {
		if p.Severity == pki.SevError {
			return nil, &InputError{Input: InputCert, Err: errors.New(p.Msg)}
		}
	}
	if brk := PresentedChainBreak(certPEM, "the client certificate file", pki.RoleClient, now); brk != nil {
		return nil, &InputError{Input: InputCert, Err: brk}
	}
	return leaf, nil
}

// PresentedChainBreak judges the chain a certificate file carries on its
// own: when the file holds intermediates after its leaf, the path from the
// leaf up to the last of them must allow the role's usages and be valid,
// whatever the peer trusts. It returns only breaks that hold for any trust
// bundle (a restricted, expired or unable CA, a weak signature, a pathlen
// exceeded); a file holding one certificate, or certificates that do not
// link, give nil.
func PresentedChainBreak(certPEM []byte, source string, role pki.Role, now time.Time) *pki.Break {
	certs, err := pki.ParseCerts(certPEM)
	if err != nil || len(certs) < 2 {
		return nil
	}
	located := pki.Locate(certs, source)
	in := pki.ChainInput{Leaf: located[0], Presented: located[1 : len(located)-1], Roots: located[len(located)-1:],
		Role: role, Now: now, LeafFile: source, RootsName: source}
	_, brk := pki.Verify(in)
	if brk == nil {
		return nil
	}
	switch brk.Kind {
	case pki.KindEKURestricted, pki.KindCAExpired, pki.KindNotCA, pki.KindNoCertSign, pki.KindPathLength, pki.KindWeakSignature, pki.KindUnsupportedKey:
		return brk
	}
	return nil
}

// CheckCA validates a CA bundle: it parses and holds at least one currently
// valid certificate. A bundle that also holds stale CAs passes (Go skips
// them); pki.JudgeBundle's warnings name them.
func CheckCA(caPEM []byte, now time.Time) ([]*x509.Certificate, error) {
	certs, err := pki.ParseCerts(caPEM)
	if err != nil {
		return nil, &InputError{Input: InputCA, Err: err}
	}
	if err := pki.JudgeBundle(certs, now).Err(now); err != nil {
		return nil, &InputError{Input: InputCA, Err: err}
	}
	return certs, nil
}
