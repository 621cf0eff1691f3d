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
	"io"
	"math/big"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
)

// PortProbe is what one TLS handshake with a member's client or peer port
// showed: the chain the member serves and whether it accepts the client
// certificate presented.
type PortProbe struct {
	URL     string
	Reached bool                // the TLS handshake got as far as the member's certificate
	Served  []*x509.Certificate // the chain the member sent, leaf first
	// Asked is whether the member asked for a client certificate
	// (--client-cert-auth / --peer-client-cert-auth, or a trusted CA file).
	Asked bool
	// Accepted is whether the member went on talking after it saw the
	// certificate presented (or none, when it asked for none).
	Accepted bool
	// Err is why not: the connection failed, or the member refused the
	// certificate (its TLS alert, or it hung up).
	Err error
}

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

// Probe connects to a member's client or peer URL, presents cert when the
// member asks for a client certificate (none when cert is nil), and finds
// out whether the member accepts it. A member refuses a certificate inside
// the handshake under TLS 1.2 and right after it under TLS 1.3, so the
// probe sends an HTTP request for /version (every etcd port serves one)
// and waits for the first bytes of an answer: an answer is acceptance, an
// alert or a hang-up refusal. The served chain is recorded before any
// verdict and never verified here: the caller judges it against the CAs it
// knows.
func Probe(ctx context.Context, rawURL string, cert *tls.Certificate) PortProbe {
	p := PortProbe{URL: rawURL}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || u.Port() == "" {
		p.Err = fmt.Errorf("%q is not a URL with a host and a port", rawURL)
		return p
	}
	if u.Scheme != "https" {
		p.Err = fmt.Errorf("%s is not TLS (http://): there is no certificate to rotate on it", rawURL)
		return p
	}
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		p.Err = err
		return p
	}
	defer raw.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(dl)
	}
	cfg := &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // the served chain is judged by the caller against the CAs of the rotation
		MinVersion:         tls.VersionTLS12,
		VerifyPeerCertificate: func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
			p.Served = p.Served[:0]
			for _, der := range rawCerts {
				if c, err := x509.ParseCertificate(der); err == nil {
					p.Served = append(p.Served, c)
				}
			}
			return nil
		},
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			p.Asked = true
			if cert == nil {
				return &tls.Certificate{}, nil
			}
			return cert, nil
		},
	}
	if net.ParseIP(u.Hostname()) == nil {
		cfg.ServerName = u.Hostname()
	}
	conn := tls.Client(raw, cfg)
	err = conn.HandshakeContext(ctx)
	p.Reached = len(p.Served) > 0
	if err != nil {
		p.Err = err
		return p
	}
	req := "GET /version HTTP/1.1\r\nHost: " + u.Host + "\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		p.Err = err
		return p
	}
	buf := make([]byte, 5)
	n, err := io.ReadAtLeast(conn, buf, 1)
	switch {
	case n > 0:
		p.Accepted = true
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		p.Err = errors.New("the member closed the connection after the handshake (it refused the certificate presented)")
	default:
		p.Err = err
	}
	return p
}

// Refused reports whether the member refused the certificate presented, as
// opposed to not being reachable at all.
func (p PortProbe) Refused() bool {
	if p.Accepted || p.Err == nil {
		return false
	}
	if !p.Reached {
		return false
	}
	msg := p.Err.Error()
	return strings.Contains(msg, "remote error: tls:") || strings.Contains(msg, "closed the connection") ||
		strings.Contains(msg, "connection reset")
}
