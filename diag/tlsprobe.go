package diag

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/etcd-ctx/etcd-ctx/internal/tlsprobe"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

// TLSInfo is what the handshake showed about the server.
type TLSInfo struct {
	Version             string    `json:"version"`
	ServerSubject       string    `json:"serverSubject"`
	ServerIssuer        string    `json:"serverIssuer"`
	SANs                []string  `json:"sans"`
	Serial              string    `json:"serial,omitempty"` // hex, as openssl x509 -serial prints it
	NotAfter            time.Time `json:"notAfter"`
	ClientCertRequested bool      `json:"clientCertRequested"`
	AcceptableClientCAs []string  `json:"acceptableClientCAs,omitempty"`
	ClientCertSent      bool      `json:"clientCertSent"`

	leaf *x509.Certificate // the served certificate, for judgements beyond the handshake
}

// h2Preface is the HTTP/2 connection preface plus an empty SETTINGS frame:
// gRPC's first bytes. A live etcd answers with its own SETTINGS frame; a
// server rejecting our client certificate answers (in TLS 1.3) with an alert,
// which only arrives after the handshake, on the first read.
var h2Preface = append([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 0, 0, 0, 4, 0, 0, 0, 0, 0)

// errSilent is a server that completed TCP (and TLS) but never answered.
var errSilent = errors.New("no answer")

// tlsProbe does the handshake itself, with verification deferred so that a
// failure can be named precisely, then checks that the server accepts us.
func (p *prober) tlsProbe(ctx context.Context, raw net.Conn) (*TLSInfo, error) {
	info := &TLSInfo{}
	pair := p.clientPair()
	cfg := &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // verified below by verifyServer, to name what is wrong
		ServerName:         p.serverName(),
		NextProtos:         []string{"h2"},
		MinVersion:         tls.VersionTLS12,
		CurvePreferences:   tlsprobe.Curves, // a probe: see tlsprobe.Curves
		// Kept before any verdict: TLS 1.2 servers reject a client
		// certificate inside the handshake, and its chain is still wanted.
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			p.serverChain = nil
			for _, der := range raw {
				if c, err := x509.ParseCertificate(der); err == nil {
					p.serverChain = append(p.serverChain, c)
				}
			}
			return nil
		},
		GetClientCertificate: func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			info.ClientCertRequested = true
			info.AcceptableClientCAs = distinguishedNames(cri.AcceptableCAs)
			if pair == nil {
				return &tls.Certificate{}, nil
			}
			info.ClientCertSent = true
			return pair, nil
		},
	}
	conn := tls.Client(raw, cfg)
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if err := conn.HandshakeContext(ctx); err != nil {
		return info, err
	}
	state := conn.ConnectionState()
	info.Version = tls.VersionName(state.Version)
	if len(state.PeerCertificates) > 0 {
		leaf := state.PeerCertificates[0]
		info.ServerSubject, info.ServerIssuer = leaf.Subject.String(), leaf.Issuer.String()
		info.SANs = certSANs(leaf)
		info.Serial = pki.FormatSerial(leaf.SerialNumber)
		info.NotAfter = leaf.NotAfter.UTC()
		info.leaf = leaf
	}
	if err := p.verifyServer(state); err != nil {
		return info, err
	}
	p.expiringSent(state.PeerCertificates)
	return info, confirm(conn)
}

// confirm sends gRPC's preface and waits for the server's first frame.
func confirm(conn net.Conn) error {
	if err := tlsprobe.Send(conn, h2Preface); err != nil {
		return err
	}
	buf := make([]byte, 9)
	if _, err := io.ReadFull(conn, buf); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return errSilent
		}
		return err
	}
	if buf[3] != 0x4 { // SETTINGS
		return fmt.Errorf("the server answered, but not with HTTP/2 (first bytes %q)", buf)
	}
	return nil
}

// plainProbe checks that a plaintext endpoint speaks HTTP/2 (gRPC). If it
// does not, a TLS handshake on a fresh connection tells whether it wants TLS.
func (p *prober) plainProbe(ctx context.Context, raw net.Conn) error {
	if dl, ok := ctx.Deadline(); ok {
		raw.SetDeadline(dl)
	}
	err := confirm(raw)
	if err == nil || errors.Is(err, errSilent) {
		return err
	}
	tlsRaw, dialErr := p.dial(ctx)
	if dialErr != nil {
		return err
	}
	defer tlsRaw.Close()
	conn := tls.Client(tlsRaw, &tls.Config{InsecureSkipVerify: true, ServerName: p.serverName(), NextProtos: []string{"h2"}}) //nolint:gosec // only asking whether TLS is spoken
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	hsErr := conn.HandshakeContext(ctx)
	var opErr *net.OpError
	if hsErr == nil || (errors.As(hsErr, &opErr) && opErr.Op == "remote error") {
		return errServerWantsTLS
	}
	return err
}

var errServerWantsTLS = errors.New("the server speaks TLS")

// verifyServer checks what the server sent as the etcd client will: its
// certificate's validity and the name dialled (in crypto/x509's order), then
// the chain against the CA bundle in use, with the link that breaks named
// (*pki.Break). The client certificate file's intermediates are known too,
// to name one the server fails to send. Without a bundle, the system roots
// decide.
func (p *prober) verifyServer(state tls.ConnectionState) error {
	if p.in.Settings.InsecureSkipVerify || len(state.PeerCertificates) == 0 {
		return nil
	}
	leaf := state.PeerCertificates[0]
	if err := pki.CheckValidity(leaf, p.in.Now); err != nil {
		return x509.CertificateInvalidError{Cert: leaf, Reason: x509.Expired, Detail: err.Error()}
	}
	name := p.serverName()
	if name == "" {
		name = p.host
	}
	if err := leaf.VerifyHostname(name); err != nil {
		return err
	}
	if p.roots == nil {
		opts := x509.VerifyOptions{Intermediates: x509.NewCertPool(), CurrentTime: p.in.Now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		for _, c := range state.PeerCertificates[1:] {
			opts.Intermediates.AddCert(c)
		}
		_, err := leaf.Verify(opts)
		return err
	}
	sent := pki.Locate(state.PeerCertificates, "the server's chain")
	in := pki.ChainInput{Leaf: pki.Located{Cert: leaf, Source: "the server's certificate"}, Presented: sent[1:], Roots: p.st.bundle,
		Elsewhere: p.st.clientChain, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, Now: p.in.Now,
		LeafFile: "the member's --cert-file", RootsName: p.in.bundleName()}
	chain, brk := pki.Verify(in)
	if brk != nil {
		return brk
	}
	for _, m := range in.KeyIDMismatches(chain) {
		p.fail(Finding{ID: "server-key-id-mismatch", Severity: Warning, Cause: m.Cause,
			Fix: m.Fix + "; openssl s_client -connect " + net.JoinHostPort(p.host, p.port) + " -CAfile CA -verify_return_error shows what OpenSSL clients see"})
	}
	return nil
}

// expiringSent warns about the server's certificate, or an intermediate it
// sends, in the last third of its lifetime and within the warning window.
func (p *prober) expiringSent(chain []*x509.Certificate) {
	for i, c := range chain {
		if !pki.Expiring(c, p.in.Warn, p.in.Now) || (i > 0 && pki.SelfSigned(c)) {
			continue
		}
		what := "the server certificate " + pki.Name(c)
		if i > 0 {
			what = "the intermediate CA " + pki.Name(c) + " the server sends"
		}
		p.fail(Finding{ID: "server-cert-expiring", Severity: Warning,
			Cause:    fmt.Sprintf("%s expires in %s, within the last third of its lifetime", what, pki.Left(c.NotAfter.Sub(p.in.Now))),
			Fix:      "renew it on the member (etcd-certwiz renew server.crt keeps its key and SANs); etcd re-reads its certificate files on each handshake, no restart needed",
			Evidence: []string{"valid " + c.NotBefore.UTC().Format(time.RFC3339) + " to " + c.NotAfter.UTC().Format(time.RFC3339)}})
	}
}

func (p *prober) serverName() string {
	if p.in.Settings.ServerName != "" {
		return p.in.Settings.ServerName
	}
	if net.ParseIP(p.host) != nil {
		return ""
	}
	return p.host
}

func (p *prober) clientPair() *tls.Certificate {
	if !p.st.clientOK {
		return nil
	}
	return p.st.clientPair
}

func certSANs(c *x509.Certificate) []string {
	out := slices.Clone(c.DNSNames)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}

// distinguishedNames decodes the CA names a server sends in its certificate request.
func distinguishedNames(raw [][]byte) []string {
	var out []string
	for _, der := range raw {
		var seq pkix.RDNSequence
		if _, err := asn1.Unmarshal(der, &seq); err != nil {
			continue
		}
		var name pkix.Name
		name.FillFromRDNSequence(&seq)
		out = append(out, name.String())
	}
	return out
}

// remoteAlert returns the alert text ("bad certificate") a peer sent, if any.
func remoteAlert(err error) (string, bool) {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "remote error" && opErr.Err != nil {
		return strings.TrimPrefix(opErr.Err.Error(), "tls: "), true
	}
	return "", false
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, errSilent) || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// looksPlain reports whether a handshake failed because the server answered
// in plaintext.
func looksPlain(err error) bool {
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return true
	}
	return bytes.Contains([]byte(fmt.Sprint(err)), []byte("first record does not look like a TLS handshake"))
}

// negotiationAlert reports an alert a server sends when it finds no TLS
// version or cipher suite in common with the client.
func negotiationAlert(alert string) bool {
	return alert == "handshake failure" || alert == "protocol version not supported" || alert == "insufficient security"
}

// negotiationFinding: the member ended the handshake before sending any
// certificate, so it may have found no TLS version or cipher suite in common
// with ours. Fresh handshakes tell which: TLS 1.3 alone (which ignores cipher
// suite lists), then TLS 1.2 offering every suite Go knows, the insecure
// ones too. ok is false when TLS 1.3 alone succeeds: the member's settings
// then leave clients a way in, and the first alert had another cause.
func (p *prober) negotiationFinding(ctx context.Context, alert string) (f Finding, ok bool) {
	try := func(cfg *tls.Config) (*tls.ConnectionState, error) {
		raw, err := p.dial(ctx)
		if err != nil {
			return nil, err
		}
		defer raw.Close()
		cfg.InsecureSkipVerify = true //nolint:gosec // only asks what the member negotiates
		cfg.ServerName, cfg.NextProtos = p.serverName(), []string{"h2"}
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &tls.Certificate{}, nil }
		c := tls.Client(raw, cfg)
		if dl, ok := ctx.Deadline(); ok {
			c.SetDeadline(dl)
		}
		err = c.HandshakeContext(ctx)
		st := c.ConnectionState()
		if len(st.PeerCertificates) > 0 {
			return &st, nil // the member negotiated; a refused (empty) client certificate comes after
		}
		if err == nil {
			err = errors.New("the member sent no certificate")
		}
		return nil, err
	}
	st13, err13 := try(&tls.Config{MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13})
	if st13 != nil {
		return Finding{}, false
	}
	var all []uint16
	for _, cs := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		all = append(all, cs.ID)
	}
	st12, err12 := try(&tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12, CipherSuites: all})
	alert13, refused13 := remoteAlert(err13)
	only12 := refused13 && alert13 == "protocol version not supported"
	ev := []string{"server alert: " + alert + ", before it sent a certificate", "TLS 1.3 alone: " + err13.Error()}
	f = Finding{ID: "tls-negotiation-failed", Severity: Error}
	switch {
	case st12 != nil:
		suite := tls.CipherSuiteName(st12.CipherSuite)
		ev = append(ev, "TLS 1.2 offering every suite Go knows: the member chose "+suite+", key "+pki.KeyType(st12.PeerCertificates[0].PublicKey))
		f.Cause = fmt.Sprintf("the member accepts %sonly cipher suites Go clients do not offer by default (it chose %s): etcdctl, kube-apiserver and other Go clients, etcd-diag among them, cannot connect", pick(only12, "TLS 1.2 at most and ", ""), suite)
		f.Fix = "add current suites to the member's --cipher-suites (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 or TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, as its key is EC or RSA), or drop the flag, and allow TLS 1.3 (--tls-max-version TLS1.3, or unset)"
	case only12:
		ev = append(ev, "TLS 1.2 offering every suite Go knows: "+fmt.Sprint(err12))
		f.Cause = "the member accepts TLS 1.2 at most (--tls-max-version TLS1.2, or an etcd that caps it) and no cipher suite at all: its --cipher-suites list none its certificate's key can use (TLS_ECDHE_RSA_* with an ECDSA key, TLS_ECDHE_ECDSA_* with an RSA one), so every client fails, its own gRPC gateway too"
		f.Fix = "list suites for the key type of the member's --cert-file in --cipher-suites (openssl x509 -in server.crt -noout -text | grep 'Public Key Algorithm'), or drop the flag; allowing TLS 1.3 (--tls-max-version TLS1.3, or unset) also works, since TLS 1.3 ignores the list"
	default:
		ev = append(ev, "TLS 1.2 offering every suite Go knows: "+fmt.Sprint(err12))
		f.Cause = "the member ended TLS 1.2 and TLS 1.3 handshakes alike before sending a certificate: its --tls-min-version, --tls-max-version or --cipher-suites leave nothing in common with what Go clients offer, or something in front of it (a TLS proxy, another service on the port) refuses them"
		f.Fix = "compare the member's --cipher-suites, --tls-min-version and --tls-max-version with what clients offer (openssl s_client -connect " + p.u.Host + " -tls1_2, and -tls1_3), and check that etcd itself listens on " + p.u.Host
	}
	f.Evidence = ev
	return f, true
}
