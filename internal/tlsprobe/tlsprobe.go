// Package tlsprobe makes one TLS handshake with an etcd member's client or
// peer URL the way a client does, and records what the member showed: the
// chain it serves, whether it asks for a client certificate and, when
// asked to confirm, whether it accepts the one presented. It never verifies
// the served chain: the caller judges it against the CAs it knows. It is
// the one handshake probe of etcd-diag's peer checks and of etcd-certwiz's
// rotation gates and live checks.
package tlsprobe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
)

// Result is what one probe showed.
type Result struct {
	URL       string
	Connected bool // the TCP connection was made
	TLS       bool // the URL is https://
	// Served is the chain the member sent, leaf first; empty when the
	// handshake failed before it.
	Served []*x509.Certificate
	// Asked is whether the member asked for a client certificate
	// (--client-cert-auth, --peer-client-cert-auth, or a trusted CA file).
	Asked bool
	// Accepted (with confirm) is whether the member went on talking after
	// it saw the certificate presented, or none when it asked for none.
	Accepted bool
	// Err is why the probe stopped: the connection or handshake error, or
	// (with confirm) the member's refusal: its TLS alert, or a hang-up.
	Err error
}

// Reached reports whether the handshake got as far as the member's
// certificate.
func (r Result) Reached() bool { return len(r.Served) > 0 }

// Refused reports whether the member refused the certificate presented, as
// opposed to not being reachable at all.
func (r Result) Refused() bool {
	if r.Accepted || r.Err == nil || !r.Reached() {
		return false
	}
	msg := r.Err.Error()
	return strings.Contains(msg, "remote error: tls:") || strings.Contains(msg, "closed the connection") ||
		strings.Contains(msg, "connection reset")
}

// Curves are the key exchanges a probe offers: X25519, then P-256 (which
// every etcd build and TLS terminator accepts). A probe carries nothing a
// later quantum computer could use (certificates, which are public, and a
// /version request), so it leaves out the hybrid X25519MLKEM768 that Go
// offers by default: its key generation and decapsulation are a fifth of a
// handshake's CPU on the client side. Connections that carry data (the
// etcd client's) keep Go's defaults.
var Curves = []tls.CurveID{tls.X25519, tls.CurveP256}

// Probe connects to rawURL and shakes hands, presenting cert when the
// member asks for a client certificate (an empty one when cert is nil).
// With confirm, it then finds out whether the member accepts the
// certificate: a member refuses one inside the handshake under TLS 1.2 but
// right after it under TLS 1.3, so the probe sends an HTTP request for
// /version (every etcd port serves one) and waits for the first bytes of an
// answer — an answer is acceptance, an alert or a hang-up refusal (etcd's
// peer listener hangs up on a certificate whose SANs do not match the
// address it comes from). ctx bounds the whole probe.
func Probe(ctx context.Context, rawURL string, cert *tls.Certificate, confirm bool) Result {
	r := Result{URL: rawURL}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || u.Port() == "" {
		r.Err = fmt.Errorf("%q is not a URL with a host and a port", rawURL)
		return r
	}
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		r.Err = err
		return r
	}
	defer raw.Close()
	r.Connected = true
	if u.Scheme != "https" {
		return r
	}
	r.TLS = true
	if dl, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(dl)
	}
	cfg := &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // the served chain is recorded here and judged by the caller
		MinVersion:         tls.VersionTLS12,
		CurvePreferences:   Curves,
		VerifyPeerCertificate: func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
			r.Served = r.Served[:0]
			for _, der := range rawCerts {
				if c, err := x509.ParseCertificate(der); err == nil {
					r.Served = append(r.Served, c)
				}
			}
			return nil
		},
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			r.Asked = true
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
	if err := conn.HandshakeContext(ctx); err != nil {
		r.Err = err
		return r
	}
	if !confirm {
		return r
	}
	req := "GET /version HTTP/1.1\r\nHost: " + u.Host + "\r\nConnection: close\r\n\r\n"
	if err := Send(conn, []byte(req)); err != nil {
		r.Err = err
		return r
	}
	buf := make([]byte, 5)
	n, err := io.ReadAtLeast(conn, buf, 1)
	switch {
	case n > 0:
		r.Accepted = true
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		r.Err = errors.New("the member closed the connection after the handshake (it refused the certificate presented)")
	default:
		r.Err = err
	}
	return r
}

// Send writes msg, the first bytes after a handshake, on conn. A TLS 1.3
// member that refuses the client certificate sends its alert once the
// client's side of the handshake is done, then hangs up with the client's
// Finished unread: a reset, which may arrive before msg goes out. The write
// then fails with "connection reset by peer", though the alert, received
// before the reset, says why: Send returns the alert (a *net.OpError whose
// Op is "remote error") when there is one to read, else the write error.
func Send(conn net.Conn, msg []byte) error {
	_, err := conn.Write(msg)
	if err == nil {
		return nil
	}
	var alert *net.OpError
	if _, rerr := io.ReadAtLeast(conn, make([]byte, 1), 1); errors.As(rerr, &alert) && alert.Op == "remote error" {
		return rerr
	}
	return err
}
