package rotation

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/tlsprobe"
)

// PortProbe is what one TLS handshake with a member's client or peer port
// showed (see tlsprobe.Result).
type PortProbe = tlsprobe.Result

// ProbeName is the CN of the probe certificates: no etcd user should have it.
const ProbeName = "etcd-certwiz rotation probe"

// MintProbe makes a short-lived client certificate signed by ca, in memory
// only: CN ProbeName, clientAuth, valid for ten minutes, and no SANs, since
// etcd's peer listener checks a client certificate's IP and DNS SANs
// against the address it connects from (and skips the check when there are
// none), and the prober's address is not a member's.
func MintProbe(ca *certwiz.Issued, now time.Time) (*tls.Certificate, error) {
	if ca == nil || ca.Key == nil {
		return nil, errors.New("no CA key to sign a probe certificate")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	t := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: ProbeName},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(10 * time.Minute),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, t, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, fmt.Errorf("sign a probe certificate with %s: %w", ca.Cert.Subject, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// Probe connects to a member's client or peer URL, presents cert (none
// when nil) and finds out whether the member accepts it (tlsprobe.Probe
// with confirmation).
func Probe(ctx context.Context, rawURL string, cert *tls.Certificate) PortProbe {
	return tlsprobe.Probe(ctx, rawURL, cert, true)
}
