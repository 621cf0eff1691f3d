package diag

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/etcd-ctx/etcd-ctx/pki"
)

// Endpoint is what the ladder learned about one endpoint.
type Endpoint struct {
	URL       string       `json:"endpoint"`
	Reachable bool         `json:"reachable"`
	Steps     []Check      `json:"steps"`
	TLS       *TLSInfo     `json:"tls,omitempty"`
	Status    *Status      `json:"status,omitempty"`
	Auth      *AuthInfo    `json:"auth,omitempty"`
	Latency   JSONDuration `json:"latencyMs,omitempty"`
}

// Status is etcd's view of itself from this endpoint.
type Status struct {
	Version   string   `json:"version"`
	ClusterID string   `json:"clusterId"`
	MemberID  string   `json:"memberId"`
	Leader    string   `json:"leader"`
	IsLeader  bool     `json:"isLeader"`
	RaftTerm  uint64   `json:"raftTerm"`
	RaftIndex uint64   `json:"raftIndex"`
	DBSize    int64    `json:"dbSize"`
	Learner   bool     `json:"isLearner,omitempty"`
	Errors    []string `json:"errors,omitempty"`
}

// AuthInfo says whether auth is on and who we are.
type AuthInfo struct {
	Enabled   bool     `json:"enabled"`
	Revision  uint64   `json:"revision,omitempty"`  // auth revision, where AuthStatus answers
	DecidedBy string   `json:"decidedBy,omitempty"` // which answer told whether auth is on
	Identity  string   `json:"identity,omitempty"`
	User      string   `json:"user,omitempty"`  // the etcd user, once UserGet found it
	Roles     []string `json:"roles,omitempty"` // its roles
}

// prober runs the ladder for one endpoint. Rungs share one deadline: a
// member that never answers costs at most the timeout.
type prober struct {
	in       *Input
	st       *localState
	roots    *x509.CertPool
	ep       *Endpoint
	u        *url.URL
	host     string
	port     string
	findings []Finding
	client   *clientv3.Client

	member    bool          // probing a member's advertised URL for the cluster view (no key access)
	learner   bool          // a learner member: it answers status, not auth or reads
	connected bool          // the TCP connection opened
	dialTook  time.Duration // how long TCP took to connect
	answered  bool          // etcd answered (a status, or an etcd error): the member is up
	token     string        // what this member made of the token: tokenAccepted, tokenStale, tokenRefused
	tokenErr  error
	authRev   uint64         // the member's auth revision, when AuthStatus answered
	ready     chan<- *prober // told once etcd answered status, to start the cluster view
	noLeader  bool           // status answered with no leader
	committed bool           // a linearizable read was served: the member reaches a quorum
	commitErr error          // why the linearizable read was not served (a timeout, no leader)
	serialOK  bool           // a serializable read (--consistency=s) was served
	silentTLS bool           // TCP opened, and the TLS handshake got no answer at all
	peerOf    *pb.Member     // the member whose peer URL this is, when the peer API said so
	// serverChain is what the server sent in the TLS handshake.
	serverChain []*x509.Certificate
}

func (p *prober) fail(f Finding) {
	f.Endpoint = p.ep.URL
	p.findings = append(p.findings, f)
}

func (p *prober) step(name string, ok bool, detail string) {
	p.ep.Steps = append(p.ep.Steps, Check{Name: name, OK: ok, Detail: detail})
}

// run climbs URL → DNS → TCP → TLS → gRPC/status → quorum → auth → key,
// stopping at the first rung that fails.
func (p *prober) run(ctx context.Context) {
	start := time.Now()
	steps := []func(context.Context) bool{p.resolve, p.connect, p.etcdStatus, p.quorum, p.authenticate, p.keyAccess}
	switch {
	case p.learner:
		steps = steps[:3]
	case p.member:
		steps = steps[:5]
	}
	for _, s := range steps {
		if !s(ctx) {
			p.failed(ctx)
			return
		}
	}
	p.ep.Latency = ms(time.Since(start))
}

func (p *prober) resolve(ctx context.Context) bool {
	u, err := url.Parse(p.ep.URL)
	if err != nil {
		return false
	}
	p.u, p.host, p.port = u, u.Hostname(), u.Port()
	if net.ParseIP(p.host) != nil {
		return true
	}
	addrs, err := net.DefaultResolver.LookupHost(ctx, p.host)
	if err != nil {
		var dnsErr *net.DNSError
		cause := fmt.Sprintf("the host name %q does not resolve", p.host)
		if errors.As(err, &dnsErr) && dnsErr.IsTimeout {
			cause = fmt.Sprintf("resolving %q timed out", p.host)
		}
		p.step("DNS", false, err.Error())
		p.fail(Finding{ID: "dns-unresolvable", Severity: Error, Cause: cause,
			Fix:      fmt.Sprintf("check the name (getent hosts %s) and /etc/resolv.conf, or use the member's IP: %s", p.host, p.in.setFlag("endpoints", p.u.Scheme+"://IP:"+p.port)),
			Evidence: []string{err.Error()}})
		return false
	}
	p.step("DNS", true, strings.Join(addrs, ", "))
	return true
}

func (p *prober) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", net.JoinHostPort(p.host, p.port))
}

// connect opens TCP and checks the transport: TLS for https, HTTP/2 for http.
func (p *prober) connect(ctx context.Context) bool {
	t0 := time.Now()
	raw, err := p.dial(ctx)
	if err != nil {
		p.step("TCP", false, err.Error())
		p.fail(p.dialFinding(err))
		return false
	}
	defer raw.Close()
	p.connected, p.dialTook = true, time.Since(t0)
	p.step("TCP", true, fmt.Sprintf("connected in %s", time.Since(t0).Round(10*time.Microsecond)))
	if p.u.Scheme == "http" {
		return p.plain(ctx, raw)
	}
	info, err := p.tlsProbe(ctx, raw)
	if info.Version != "" {
		p.ep.TLS = info
	}
	if err != nil {
		if p.speaksPlain(ctx, err) {
			err = errPlainServer
		}
		p.step("TLS", false, err.Error())
		p.silentTLS = isTimeout(err) && info.Version == "" && len(p.serverChain) == 0
		if alert, ok := remoteAlert(err); ok && negotiationAlert(alert) && len(p.serverChain) == 0 {
			if f, ok := p.negotiationFinding(ctx, alert); ok {
				p.fail(f)
				return false
			}
		}
		p.fail(p.tlsFinding(err, info))
		return false
	}
	p.step("TLS", true, fmt.Sprintf("%s, server %s issued by %s", info.Version, info.ServerSubject, info.ServerIssuer))
	p.findings = append(p.findings, serverCertUsage(p.ep.URL, info.leaf, info.ClientCertRequested)...)
	return p.throughProxy(ctx)
}

var errPlainServer = errors.New("the server closed the TLS handshake and answers plaintext HTTP/2")

// speaksPlain tells, after a handshake the server simply closed, whether it
// answers plaintext gRPC instead (etcd's cmux drops a ClientHello silently).
func (p *prober) speaksPlain(ctx context.Context, err error) bool {
	if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		return false
	}
	raw, dialErr := p.dial(ctx)
	if dialErr != nil {
		return false
	}
	defer raw.Close()
	if dl, ok := ctx.Deadline(); ok {
		raw.SetDeadline(dl)
	}
	return confirm(raw) == nil
}

func (p *prober) plain(ctx context.Context, raw net.Conn) bool {
	err := p.plainProbe(ctx, raw)
	switch {
	case err == nil:
		p.step("HTTP/2", true, "plaintext gRPC")
		return p.throughProxy(ctx)
	case errors.Is(err, errServerWantsTLS):
		p.step("HTTP/2", false, "the server answered a plaintext request with TLS")
		p.fail(Finding{ID: "server-requires-tls", Severity: Error,
			Cause:    "the endpoint is http:// but the server speaks TLS",
			Fix:      fmt.Sprintf("use https:// and the CA that signed the server: %s --cacert ca.crt", p.in.setFlag("endpoints", "https://"+p.u.Host)),
			Evidence: []string{"plaintext HTTP/2 preface got no HTTP/2 answer; a TLS handshake on the same port succeeded"}})
	case isTimeout(err):
		p.step("HTTP/2", false, "no answer")
		p.fail(p.timeoutFinding("the TCP connection opened but the server never answered gRPC's preface"))
	default:
		p.step("HTTP/2", false, err.Error())
		p.fail(Finding{ID: "grpc-unreachable", Severity: Error, Cause: "the server does not speak gRPC (HTTP/2) on this port",
			Fix: "check that this is etcd's client port (--listen-client-urls, usually 2379), not the peer port (2380) or another service", Evidence: []string{err.Error()}})
	}
	return false
}

func (p *prober) dialFinding(err error) Finding {
	addr := net.JoinHostPort(p.host, p.port)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return Finding{ID: "connection-refused", Severity: Error,
			Cause:    fmt.Sprintf("nothing listens on %s", addr),
			Fix:      fmt.Sprintf("start etcd there (systemctl status etcd; journalctl -u etcd) or fix the port: etcd's --listen-client-urls must include %s", p.u.Host),
			Evidence: []string{err.Error()}}
	case isTimeout(err):
		return p.timeoutFinding(fmt.Sprintf("no TCP answer from %s within %s", addr, p.in.Timeout))
	}
	return Finding{ID: "connection-failed", Severity: Error, Cause: fmt.Sprintf("cannot open a TCP connection to %s", addr),
		Fix: "check routing and firewalls between here and the member (ip route get " + p.host + ")", Evidence: []string{err.Error()}}
}

// sanMismatch: the server certificate does not cover the host dialled.
// When the certificate is written wrong in a known way (an address as a DNS
// name, a CN and no SANs, a wildcard one label short) the cause says so and
// the fix gives the subjectAltName entry to write; dialling another name
// is offered only when the certificate has a usable one.
func (p *prober) sanMismatch(hostname x509.HostnameError, info *TLSInfo) Finding {
	cause := fmt.Sprintf("the server certificate is not valid for %q, the name dialled", hostname.Host)
	reissue := fmt.Sprintf("reissue the server certificate with that name in place of the old file: etcd-certwiz renew server.crt --add-san %s (etcd reads certificate files on each handshake: no restart)", hostname.Host)
	leaf := hostname.Certificate
	if leaf == nil {
		leaf = info.leaf
	}
	if leaf == nil {
		return Finding{ID: "server-san-mismatch", Severity: Error, Cause: cause,
			Fix:      reissue + p.dialInstead(firstOr(info.SANs, "NAME")),
			Evidence: []string{"certificate SANs: " + list(info.SANs), "subject: " + info.ServerSubject}}
	}
	miss := pki.WhySANMiss(leaf, hostname.Host)
	fix := reissue + ", or with openssl: subjectAltName = " + miss.Ext + " in the -extfile (cfssl: the address in \"hosts\")"
	var other []string
	for _, n := range leaf.DNSNames {
		if net.ParseIP(n) == nil && !strings.HasPrefix(n, "*.") {
			other = append(other, n)
		}
	}
	for _, ip := range leaf.IPAddresses {
		other = append(other, ip.String())
	}
	if len(other) > 0 {
		fix += p.dialInstead(other[0])
	}
	if miss.Cause != "" {
		cause += ": " + miss.Cause
	}
	return Finding{ID: "server-san-mismatch", Severity: Error, Cause: cause, Fix: fix,
		Evidence: []string{"certificate SANs: " + pick(len(leaf.DNSNames)+len(leaf.IPAddresses) > 0, list(pki.SANs(leaf)), "none"), "subject: " + leaf.Subject.String()}}
}

// dialInstead offers to dial name, one the certificate has, in place of
// the host dialled: in the endpoint itself, which etcdctl can use too (it
// has no --server-name: a context with one cannot run etcdctl).
func (p *prober) dialInstead(name string) string {
	u := *p.u
	u.Host = net.JoinHostPort(name, p.port)
	return fmt.Sprintf("; or dial a name it has, where it leads to this member: %s in place of %s (%s)", u.String(), p.u.String(), p.in.setFlag("endpoints", u.String()+",…"))
}

func (p *prober) timeoutFinding(evidence string) Finding {
	return Finding{ID: "timeout", Severity: Error,
		Cause:    fmt.Sprintf("no answer within %s: a firewall drops the packets, or something accepts connections but never completes the handshake", p.in.Timeout),
		Fix:      fmt.Sprintf("check the member is healthy and the port is etcd's (ss -ltnp | grep %s on the host); a hung etcd needs a restart; raise --timeout for slow links", p.port),
		Evidence: []string{evidence}}
}

// tlsFinding names a TLS failure: server-side problems from our own
// verification, client-side ones from the alert the server sent back.
func (p *prober) tlsFinding(err error, info *TLSInfo) Finding {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		brk      *pki.Break
	)
	if reason, fix, ok := pki.Refusal(err.Error()); ok && strings.Contains(err.Error(), "failed to parse certificate from server") {
		// Go refused a certificate the member sent before any verification:
		// there is no parsed certificate to name, only the reason.
		return Finding{ID: "cert-unsupported", Severity: Error,
			Cause:    "a certificate the member sends (its --cert-file: the server certificate, or a CA bundled after it) cannot be read by Go: " + reason,
			Fix:      fix + "; on the member, openssl x509 -in server.crt -noout -serial -subject shows it",
			Evidence: []string{err.Error()}, server: true}
	}
	switch {
	case looksPlain(err) || errors.Is(err, errPlainServer):
		return Finding{ID: "server-not-tls", Severity: Error, Cause: "the endpoint is https:// (or a CA was given) but the server speaks plaintext",
			Fix:      fmt.Sprintf("use http://%s, or enable TLS on etcd (--cert-file, --key-file, https:// in --listen-client-urls): %s", p.u.Host, p.in.setFlag("endpoints", "http://"+p.u.Host)),
			Evidence: []string{err.Error()}}
	case errors.As(err, &brk):
		return p.serverChainFinding(brk, info)
	case errors.As(err, &unknown):
		return p.untrustedServer(info, unknown)
	case errors.As(err, &hostname) && autoTLS(info.leaf):
		return Finding{ID: "server-san-mismatch", Severity: Error,
			Cause:    fmt.Sprintf("the server certificate is not valid for %q, the name dialled: it is the one etcd made for itself with --auto-tls, for the hosts of its --listen-client-urls (%s)", hostname.Host, list(info.SANs)),
			Fix:      "etcd makes it once, in its data directory (fixtures/client): list the addresses clients dial in --listen-client-urls and delete fixtures/client before restarting, or better, drop --auto-tls for certificates from a CA (etcd-certwiz init) with the right SANs",
			Evidence: []string{"certificate SANs: " + list(info.SANs), "subject: " + info.ServerSubject + " (self-signed by --auto-tls)"}}
	case errors.As(err, &hostname):
		return p.sanMismatch(hostname, info)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired && notYetValid(info.leaf, p.in.Now):
		return Finding{ID: "server-cert-expired", Severity: Error,
			Cause:    notYetValidCause("the server certificate "+info.ServerSubject, info.leaf, p.in.Now, "this machine's clock") + "; clients and peers whose clocks agree refuse it too",
			Fix:      clockFix,
			Evidence: []string{"valid " + info.leaf.NotBefore.UTC().Format(time.RFC3339) + " to " + info.NotAfter.Format(time.RFC3339), "local clock " + p.in.Now.UTC().Format(time.RFC3339)}}
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return Finding{ID: "server-cert-expired", Severity: Error, // not yet valid is the case above
			Cause:    fmt.Sprintf("the server certificate %s has expired (it ended at %s; this machine's clock says %s)", info.ServerSubject, info.NotAfter.Format(time.RFC3339), p.in.Now.UTC().Format(time.RFC3339)),
			Fix:      "renew it on the member, in place of the old file: etcd-certwiz renew server.crt (etcd reads certificate files on each handshake: no restart); if the dates look right, fix the clock on this machine or the server (timedatectl)",
			Evidence: []string{"not after " + info.NotAfter.Format(time.RFC3339), "local clock " + p.in.Now.UTC().Format(time.RFC3339), invalid.Error()}}
	case errors.As(err, &invalid):
		return Finding{ID: "tls-handshake-failed", Severity: Error, Cause: "the server certificate is not usable: " + invalid.Error(),
			Fix: "reissue the server certificate with etcd-certwiz server (serverAuth + clientAuth, the right SANs)", Evidence: []string{info.ServerSubject}}
	case isTimeout(err) && p.silentTLS:
		return Finding{ID: "timeout", Severity: Error,
			Cause:    fmt.Sprintf("the TCP connection opened but the TLS handshake got no answer within %s: the port is open, so no firewall drops the packets; an etcd member accepts connections on its client port before it serves them, until it has joined its cluster, so this is most likely a member that has not joined (it cannot reach its peers, or they refuse its peer certificate, or it refuses theirs), else a process that hangs or a proxy with no backend", p.in.Timeout),
			Fix:      fmt.Sprintf("check whether the member has joined: read its log (journalctl -u etcd | etcd-diag explain -) for refused peer connections (\"rejected connection on peer endpoint\") or \"failed to publish local member\", and run etcd-diag on another member's endpoint, which probes its peer URL; check that the port is etcd's (ss -ltnp | grep %s on the host); raise --timeout for slow links", p.port),
			Evidence: []string{"the TCP connection opened but the TLS handshake never completed: no ServerHello within " + p.in.Timeout.String()}}
	case isTimeout(err):
		return p.timeoutFinding("the TLS handshake completed but the server never answered gRPC's preface")
	}
	if alert, ok := remoteAlert(err); ok {
		return p.alertFinding(alert, info)
	}
	if info.Version != "" && info.ClientCertSent && p.st.clientCert != nil && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)) {
		return p.refusedAfterHandshake(err, info)
	}
	return Finding{ID: "tls-handshake-failed", Severity: Error, Cause: "the TLS handshake failed: " + err.Error(),
		Fix: "compare the server's TLS settings (etcd --cert-file, --trusted-ca-file, --cipher-suites, --tls-min-version) with this client's", Evidence: []string{err.Error()}}
}

// refusedAfterHandshake: the handshake completed with our client
// certificate, then the member hung up without a word. etcd checks its
// --client-crl-file and --client-cert-allowed-hostname (and CN) after the
// handshake, in its listener, and closes the connection without an alert
// ("rejected connection on client endpoint" in its log); a certificate
// from a CA it does not trust is refused inside the handshake, with one.
func (p *prober) refusedAfterHandshake(err error, info *TLSInfo) Finding {
	leaf := p.st.clientCert
	ev := []string{fmt.Sprintf("the %s handshake completed with the client certificate %s (serial %s, issuer %s) sent, then the member closed the connection without an alert or an answer: %v", info.Version, leaf.Subject, pki.FormatSerial(leaf.SerialNumber), leaf.Issuer, err)}
	if len(info.AcceptableClientCAs) > 0 {
		ev = append(ev, "the server accepts client certificates from: "+list(info.AcceptableClientCAs))
	}
	return Finding{ID: "tls-handshake-failed", Severity: Error,
		Cause:    fmt.Sprintf("the member accepted the handshake and then hung up on the client certificate %s: etcd does that after verifying a certificate when it rejects it on other grounds: its serial is revoked in the member's --client-crl-file, or it does not match --client-cert-allowed-hostname (or an allowed CN)", pki.Name(leaf)),
		Fix:      fmt.Sprintf("read the member's log for the reason (journalctl -u etcd | grep 'rejected connection' shows \"certificate serial … revoked\" or \"client certificate authentication failed\"); if revoked, use a certificate that is not (etcd-certwiz client %s --ca-dir DIR issues a new serial), or take it off the CRL (openssl crl -in crl.pem -noout -text lists the revoked serials; etcd reads --client-crl-file on each connection)", leaf.Subject.CommonName),
		Evidence: ev}
}

// serverChainFinding names the broken link of the chain the server sent,
// checked against the CA bundle in use.
func (p *prober) serverChainFinding(brk *pki.Break, info *TLSInfo) Finding {
	evidence := []string{"server certificate: " + info.ServerSubject + ", issuer " + info.ServerIssuer, "CA bundle: " + list(bundleNames(p.st))}
	switch brk.Kind {
	case pki.KindUnknownIssuer, pki.KindUntrustedRoot:
		if info.leaf != nil && pki.SelfSigned(info.leaf) {
			f := p.selfSignedServer(info)
			f.Evidence = append(f.Evidence, evidence...)
			return f
		}
		return Finding{ID: "server-ca-untrusted", Severity: Error, Cause: brk.Cause,
			Fix:      brk.Fix + "; or use the CA that signed the member's certificate (its --trusted-ca-file, or the ca.crt beside its server.crt): " + p.in.setFlag("cacert", "ca.crt"),
			Evidence: append(evidence, "crypto/x509: "+brk.Err.Error())}
	case pki.KindMissingIntermediate:
		names := make([]string, len(brk.Missing))
		for i, m := range brk.Missing {
			names[i] = pki.Name(m.Cert)
		}
		return Finding{ID: "chain-incomplete", Severity: Error,
			Cause:    fmt.Sprintf("the server sends its certificate without the intermediate CA %s (known from %s), so nothing links it to %s", strings.Join(names, " and "), brk.Cert.Where(), p.in.bundleName()),
			Fix:      "on the member, append the intermediate to its --cert-file, leaf first (cat server.crt intermediate.crt > server-chain.crt; --cert-file server-chain.crt; etcd re-reads it on each handshake); or add the intermediate to this CA bundle",
			Evidence: append(evidence, "crypto/x509: "+brk.Err.Error())}
	case pki.KindLeafUsage:
		return Finding{ID: "tls-handshake-failed", Severity: Error, Cause: "the server certificate " + info.ServerSubject + " lacks the serverAuth extended key usage, so clients refuse it",
			Fix: "reissue it with serverAuth and clientAuth (etcd-certwiz server NAME --hosts …)", Evidence: evidence}
	}
	f := chainFinding(p.in, brk, "")
	f.Evidence = append(evidence, f.Evidence...)
	f.server = true
	return f
}

func bundleNames(st *localState) []string {
	var names []string
	for _, c := range st.caCerts {
		names = append(names, c.Subject.String())
	}
	return names
}

// selfSignedServer: the member serves a certificate that signed itself
// (etcd --auto-tls, or openssl req -x509 without a CA), so there is no CA to
// give clients.
func (p *prober) selfSignedServer(info *TLSInfo) Finding {
	what := "a self-signed certificate (" + info.ServerSubject + ", its own issuer)"
	how := "give the member a certificate from a CA (etcd-certwiz init, or your CA) with --cert-file/--key-file"
	if autoTLS(info.leaf) {
		what = "the self-signed certificate etcd makes for itself with --auto-tls (" + info.ServerSubject + ", in its data directory's fixtures/client/cert.pem)"
		how = "drop --auto-tls and give the member certificates from a CA (etcd-certwiz init) with --cert-file/--key-file"
	}
	return Finding{ID: "server-ca-untrusted", Severity: Error,
		Cause: "the member serves " + what + ": no CA signed it, so no --cacert can name one and clients refuse it (\"certificate signed by unknown authority\")",
		Fix: "trust that very certificate: save it (openssl s_client -connect " + p.u.Host + " </dev/null | openssl x509 > member.crt) and " + p.in.setFlag("cacert", "member.crt") +
			" (a self-signed certificate is its own root; it must hold the name dialled); or " + how + "; --insecure-skip-tls-verify only hides it and lets anyone in the middle read everything",
		Evidence: []string{"server certificate: subject " + info.ServerSubject + ", issuer " + info.ServerIssuer + " (self-signed)"}}
}

// autoTLS reports a certificate made by etcd's --auto-tls: self-signed,
// subject O=etcd and nothing else (transport.SelfCert).
func autoTLS(c *x509.Certificate) bool {
	return c != nil && pki.SelfSigned(c) && c.Subject.CommonName == "" && len(c.Subject.Organization) == 1 && c.Subject.Organization[0] == "etcd" &&
		len(c.Subject.OrganizationalUnit) == 0 && len(c.Subject.Country) == 0
}

func (p *prober) untrustedServer(info *TLSInfo, err x509.UnknownAuthorityError) Finding {
	if info.leaf != nil && pki.SelfSigned(info.leaf) {
		f := p.selfSignedServer(info)
		f.Evidence = append(f.Evidence, err.Error())
		return f
	}
	bundle := bundleNames(p.st)
	inUse := "the CA bundle in use"
	if len(bundle) == 0 {
		inUse = "the system's CA store (no --cacert given)"
		bundle = []string{"system roots"}
	}
	return Finding{ID: "server-ca-untrusted", Severity: Error,
		Cause:    fmt.Sprintf("the server certificate was issued by %q, which %s does not contain", info.ServerIssuer, inUse),
		Fix:      "use the CA that signed the server certificate (etcd's --trusted-ca-file on the member, or the ca.crt beside its server.crt): " + p.in.setFlag("cacert", "ca.crt"),
		Evidence: []string{"server certificate issuer: " + info.ServerIssuer, "CA bundle: " + list(bundle), err.Error()}}
}

// alertFinding explains an alert the server sent about our certificate.
func (p *prober) alertFinding(alert string, info *TLSInfo) Finding {
	accepts := "the server accepts client certificates from: " + list(info.AcceptableClientCAs)
	leaf := p.st.clientCert
	switch {
	case !info.ClientCertSent && (alert == "certificate required" || alert == "handshake failure" || alert == "bad certificate") && info.ClientCertRequested && p.st.pairErr != "":
		// A certificate was given but is unusable: its local finding says
		// why (and, sharing its id, this one is only its confirmation).
		return Finding{ID: p.st.pairErr, Severity: Error,
			Cause:    "the server requires a client certificate (etcd --client-cert-auth), and the one given could not be used, so none was sent",
			Fix:      "fix the client certificate as the local check says",
			Evidence: []string{"server alert: " + alert, accepts}}
	case !info.ClientCertSent && (alert == "certificate required" || alert == "handshake failure" || alert == "bad certificate") && info.ClientCertRequested:
		return Finding{ID: "client-cert-required", Severity: Error,
			Cause:    "the server requires a client certificate (etcd --client-cert-auth) and none was given",
			Fix:      "give a client certificate from one of those CAs: " + p.in.setFlag("cert", "client.crt") + " --key client.key (make one with: etcd-certwiz client USER --ca-dir DIR)",
			Evidence: []string{"server alert: " + alert, accepts}}
	case alert == "expired certificate" && leaf != nil && pki.CheckValidity(leaf, p.in.Now) == nil:
		if brk := p.clientChainBreak(info); brk != nil && brk.Kind == pki.KindCAExpired {
			// An expired CA of the chain sent with it (etcd 3.5+ says
			// "expired certificate" for it too): the local check names it.
			f := chainFinding(p.in, brk, "")
			f.Evidence = append(f.Evidence, "server alert: "+alert)
			return f
		}
		return Finding{ID: "client-cert-expired", Severity: Error,
			Cause: fmt.Sprintf("the member refused the client certificate %s as expired or not yet valid, although by this machine's clock it is valid (%s to %s): the member's clock is off, or a CA in the member's chain for it has expired", leaf.Subject.CommonName,
				leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339)),
			Fix:      "check the member's clock against this one (date -u on its host; timedatectl; chronyc tracking) and turn on NTP; then check the CAs its --trusted-ca-file holds (etcd-certwiz inspect ca.crt); renewing the client certificate does not help",
			Evidence: []string{"server alert: " + alert, "local clock " + p.in.Now.UTC().Format(time.RFC3339)}}
	case alert == "expired certificate" && leaf != nil:
		f := clientExpired(p.in, leaf, "")
		f.Evidence = append(f.Evidence, "server alert: "+alert)
		return f
	case (alert == "bad certificate" || alert == "unsupported certificate" || alert == "unknown certificate authority") && leaf != nil:
		var f Finding
		if !hasClientAuth(leaf) {
			f = noClientAuth(p.in, leaf, "")
		} else {
			f = p.clientChainFinding(alert, info)
		}
		f.Evidence = append(f.Evidence, "server alert: "+alert, accepts)
		return f
	}
	return Finding{ID: "tls-handshake-failed", Severity: Error, Cause: "the server ended the TLS handshake with the alert \"" + alert + "\"",
		Fix: "compare the server's TLS settings (--cipher-suites, --tls-min-version, --trusted-ca-file) with this client's", Evidence: []string{"server alert: " + alert}}
}

// clientChainFinding explains why the server refused our client
// certificate: its chain, built against the CAs the server says it accepts
// (by name in its certificate request) whose certificates are known here
// (the CA bundle, the server's chain, the client file), keys compared; when
// none is known, by names alone.
func (p *prober) clientChainFinding(alert string, info *TLSInfo) Finding {
	if roots, _ := p.clientChainInput(info); len(roots) > 0 {
		brk := p.clientChainBreak(info)
		switch {
		case brk == nil:
			return Finding{ID: "tls-handshake-failed", Severity: Error,
				Cause: fmt.Sprintf("the server refused the client certificate (%s) although it chains, here, to a CA of the name it accepts: its copy of that CA differs (another key), is expired by its clock, or it checks something else (a CRL)", alert),
				Fix:   "compare the member's --trusted-ca-file with " + p.in.bundleName() + " (etcd-certwiz inspect FILE shows each key id) and check the member's clock and --client-crl-file"}
		case brk.Kind == pki.KindMissingIntermediate:
			f := chainFinding(p.in, brk, "")
			f.Cause = fmt.Sprintf("the client certificate file (%s) lacks the intermediate CA %s, and the server trusts only %s: nothing links the certificate to a CA it accepts",
				p.in.certSource(), pki.Name(brk.Cert.Cert), list(info.AcceptableClientCAs))
			f.Fix = brk.Fix + "; then " + p.in.setFlag("cert", "chain.crt") + " --key " + pick(p.in.Sources.Key != "" && p.in.Sources.Key != "keyring", p.in.Sources.Key, "client.key")
			return f
		case brk.Kind == pki.KindLeafExpired:
			// The same finding as the local check's (etcd 3.4 says "bad
			// certificate" for an expired one), not a second, generic one.
			return clientExpired(p.in, p.st.clientCert, "")
		case brk.Kind == pki.KindUnknownIssuer || brk.Kind == pki.KindUntrustedRoot:
			top := brk.Cert.Cert.Issuer.String()
			return Finding{ID: "client-ca-untrusted", Severity: Error,
				Cause: fmt.Sprintf("the client certificate %s chains up to %q, which is not among the CAs the server accepts for clients (%s)", pki.Name(p.st.clientCert), top, list(info.AcceptableClientCAs)),
				Fix: fmt.Sprintf("use a client certificate issued by one of those CAs (etcd-certwiz client USER --ca-dir DIR), or add %q to the member's --trusted-ca-file (etcd reads it only at start: restart it); if %q is an intermediate, append it to %s",
					top, top, p.in.certFile()),
				Evidence: []string{"crypto/x509: " + brk.Err.Error()}}
		}
		return chainFinding(p.in, brk, "")
	}
	// No certificate of an accepted CA is known here: compare names.
	names := []string{p.st.clientCert.Issuer.String()}
	for _, c := range p.st.clientChain {
		names = append(names, c.Cert.Issuer.String())
	}
	for _, n := range names {
		if containsName(info.AcceptableClientCAs, n) {
			return Finding{ID: "client-ca-untrusted", Severity: Error,
				Cause: fmt.Sprintf("the server refused the client certificate (%s) although its chain names %q, a CA the server accepts: that CA was probably regenerated under the same name, with another key", alert, n),
				Fix:   "give this run the member's --trusted-ca-file (" + p.in.setFlag("cacert", "ca.crt") + ") so the keys can be compared, or reissue the client certificate from the member's CA (etcd-certwiz client USER --ca-dir DIR)"}
		}
	}
	return Finding{ID: "client-ca-untrusted", Severity: Error,
		Cause: fmt.Sprintf("the client certificate was issued by %q, a CA the server does not trust for clients (its --trusted-ca-file)", p.st.clientCert.Issuer.String()),
		Fix:   "use a client certificate issued by the server's client CA (etcd-certwiz client USER --ca-dir DIR), or add your CA to the server's --trusted-ca-file bundle; if your certificate comes from an intermediate, append it to " + p.in.certFile()}
}

// clientChainInput splits the certificates known here into the CAs the
// server accepts for clients (by name in its certificate request; the CA
// bundle when it names none) and the others.
func (p *prober) clientChainInput(info *TLSInfo) (roots, elsewhere []pki.Located) {
	var known []pki.Located
	known = append(known, p.st.bundle...)
	known = append(known, pki.Locate(p.serverChain, "the server's chain")...)
	known = append(known, p.st.clientChain...)
	for _, k := range known {
		if len(info.AcceptableClientCAs) == 0 && p.isBundle(k) || containsName(info.AcceptableClientCAs, k.Cert.Subject.String()) {
			roots = append(roots, k)
		} else {
			elsewhere = append(elsewhere, k)
		}
	}
	return roots, elsewhere
}

// clientChainBreak builds the client certificate's chain against the CAs
// the server accepts for clients: nil when it verifies, or when no such CA
// is known here.
func (p *prober) clientChainBreak(info *TLSInfo) *pki.Break {
	roots, elsewhere := p.clientChainInput(info)
	if len(roots) == 0 || p.st.clientCert == nil {
		return nil
	}
	_, brk := pki.Verify(pki.ChainInput{Leaf: pki.Located{Cert: p.st.clientCert, Source: p.in.certSource()}, Presented: p.st.clientChain, Roots: roots, Elsewhere: elsewhere,
		Role: pki.RoleClient, Now: p.in.Now, LeafFile: p.in.certSource(), RootsName: "the CAs the server accepts for clients (" + list(info.AcceptableClientCAs) + ")"})
	return brk
}

func (p *prober) isBundle(l pki.Located) bool {
	for _, b := range p.st.bundle {
		if b.Cert.Equal(l.Cert) {
			return true
		}
	}
	return false
}

func containsName(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

func hasClientAuth(c *x509.Certificate) bool {
	return pki.HasEKU(c, x509.ExtKeyUsageClientAuth)
}

func firstOr(items []string, def string) string {
	if len(items) > 0 {
		return items[0]
	}
	return def
}
