package conn

import (
	"crypto/x509"
	"fmt"
	"slices"
	"time"
)

// HasEKU reports whether cert may be used for usage. A certificate without
// any extended key usage is valid for all of them, as in crypto/x509.
func HasEKU(cert *x509.Certificate, usage x509.ExtKeyUsage) bool {
	if len(cert.ExtKeyUsage) == 0 && len(cert.UnknownExtKeyUsage) == 0 {
		return true
	}
	return slices.Contains(cert.ExtKeyUsage, usage) || slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageAny)
}

// ValidityError describes a certificate used outside its validity window.
type ValidityError struct {
	NotBefore, NotAfter, Now time.Time
}

func (e *ValidityError) Error() string {
	if e.Now.Before(e.NotBefore) {
		return fmt.Sprintf("not valid before %s (local clock is %s)", e.NotBefore.UTC().Format(time.RFC3339), e.Now.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("expired on %s (local clock is %s)", e.NotAfter.UTC().Format(time.RFC3339), e.Now.UTC().Format(time.RFC3339))
}

// CheckValidity returns a *ValidityError when now is outside the certificate's window.
func CheckValidity(cert *x509.Certificate, now time.Time) error {
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return &ValidityError{NotBefore: cert.NotBefore, NotAfter: cert.NotAfter, Now: now}
	}
	return nil
}

// CheckClientPair validates a client certificate and key the way etcd will
// judge them: they parse, match, the key is unencrypted, the certificate
// allows clientAuth and is currently valid.
func CheckClientPair(certPEM, keyPEM []byte, now time.Time) (*x509.Certificate, error) {
	pair, err := KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	leaf := pair.Leaf
	if !HasEKU(leaf, x509.ExtKeyUsageClientAuth) {
		return nil, &InputError{Input: "client certificate", Err: fmt.Errorf("%q lacks the clientAuth extended key usage; etcd rejects it", leaf.Subject.CommonName)}
	}
	if err := CheckValidity(leaf, now); err != nil {
		return nil, &InputError{Input: "client certificate", Err: err}
	}
	return leaf, nil
}

// CheckCA validates a CA bundle: it parses and holds at least one currently
// valid CA certificate.
func CheckCA(caPEM []byte, now time.Time) ([]*x509.Certificate, error) {
	certs, err := ParseCerts(caPEM)
	if err != nil {
		return nil, &InputError{Input: "CA bundle", Err: err}
	}
	for _, c := range certs {
		if CheckValidity(c, now) == nil {
			return certs, nil
		}
	}
	return nil, &InputError{Input: "CA bundle", Err: CheckValidity(certs[0], now)}
}
