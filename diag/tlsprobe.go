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
		info.Serial = serialHex(leaf)
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
	if _, err := conn.Write(h2Preface); err != nil {
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
	if _, brk := pki.Verify(in); brk != nil {
		return brk
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
	pair, err := tlsPair(p.in)
	if err != nil {
		return nil
	}
	return pair
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
