package diag

import (
	"fmt"
	"strings"
)

// A TLS failure names a certificate, and whose it is depends on who wrote
// the line. The party that dials verifies the listener's certificate, and
// the listener verifies the dialler's: an "x509: …" error describes the
// other party's certificate, a "remote error: tls: …" alert says the other
// party refused ours.
type tlsKind int

const (
	tlsNone tlsKind = iota
	tlsAlertExpired
	tlsAlertUnknownCA
	tlsAlertCertRequired
	tlsAlertHandshake // no TLS version or cipher suite in common
	tlsAlertBad
	tlsNoClientAuth // "incompatible key usage": the verified certificate lacks the usage its role needs
	tlsUnknownCA
	tlsExpired
	tlsSANDialled // the listener's certificate lacks the name or IP dialled
	tlsSANFrom    // etcd's listener check: the dialler's certificate lacks the IP it connects from
	tlsLegacyCN
	tlsInsecureSig
	tlsNotAllowed // etcd's --*-cert-allowed-cn/hostname refused a verified certificate
	tlsRevoked    // etcd's --client-crl-file/--peer-crl-file lists a certificate presented
	tlsNotCA      // a CA certificate of the presented chain is not marked as a CA
	tlsNoCert
	tlsPlaintextPeer // the other party speaks plaintext
	tlsNoCommon      // the listener found no TLS version or cipher suite in common
	tlsVerifyFailed  // the dialler refused the certificate and its library does not say why
)

var tlsKinds = []struct {
	kind tlsKind
	re   *quickRE
}{
	// Each kind in Go's words, then OpenSSL's (curl, openssl s_client,
	// Python's ssl, gRPC's C core) and Java's (JSSE: jetcd), as they print
	// the same failure.
	{tlsAlertExpired, quick(`remote error: tls: expired certificate|alert certificate expired|fatal alert: certificate_expired`)},
	{tlsAlertUnknownCA, quick(`remote error: tls: unknown certificate authority|alert unknown ca|ALERT_UNKNOWN_CA|fatal alert: unknown_ca`)},
	{tlsAlertCertRequired, quick(`remote error: tls: certificate required|alert certificate required|ALERT_CERTIFICATE_REQUIRED|fatal alert: certificate_required`)},
	{tlsAlertHandshake, quick(`remote error: tls: (?:handshake failure|protocol version not supported|insufficient security)|alert (?:handshake failure|protocol version)|fatal alert: (?:handshake_failure|protocol_version)`)},
	{tlsAlertBad, quick(`remote error: tls: (?:bad certificate|unsupported certificate|certificate unknown|certificate revoked)|alert (?:bad certificate|unsupported certificate|certificate unknown|certificate revoked)|fatal alert: (?:bad_certificate|certificate_unknown)`)},
	{tlsNoClientAuth, quick(`x509: certificate specifies an incompatible key usage|unsuitable certificate purpose|unsupported certificate purpose`)},
	// Before "unknown authority": Go says "signed by unknown authority
	// (possibly because of "x509: cannot verify signature: insecure
	// algorithm …")" when only the algorithm is at fault.
	{tlsInsecureSig, quick(`x509: cannot verify signature: insecure algorithm [\w-]+`)},
	{tlsNotCA, quick(`x509: certificate is not authorized to sign other certificates|invalid CA certificate`)},
	{tlsUnknownCA, quick(`x509: certificate signed by unknown authority|unable to get local issuer certificate|unable to get issuer certificate|unable to verify the first certificate|self[- ]signed certificate(?: in certificate chain)?|PKIX path building failed|unable to find valid certification path`)},
	{tlsExpired, quick(`x509: certificate has expired or is not yet valid|certificate has expired|certificate is not yet valid|CertPathValidatorException: validity check failed`)},
	{tlsLegacyCN, quick(`x509: certificate relies on legacy Common Name field`)},
	{tlsSANDialled, quick(`Peer name \S+ is not in peer certificate|x509: certificate is valid for .*?, not [^\s"\\,)]+|x509: certificate is not valid for any names, but wanted to match [^\s"\\,)]+|x509: cannot validate certificate for \S+ because it doesn't contain any IP SANs|no alternative certificate subject name matches target host name '[^']*'|(?:IP address|[Hh]ostname) mismatch(?:, certificate is not valid for '[^']*')?|No subject alternative (?:DNS )?names? matching (?:IP address )?\S+ found`)},
	{tlsSANFrom, quick(`tls: \\*"[^"\\]*\\*" does not match any of DNSNames`)},
	{tlsNotAllowed, quick(`client certificate authentication failed`)},
	{tlsRevoked, quick(`transport: certificate serial [0-9a-f]+ revoked`)},
	{tlsNoCert, quick(`tls: client didn't provide a certificate`)},
	{tlsNoCommon, quick(`tls: no cipher suite supported by both client and server|tls: client offered only unsupported versions|tls: no supported versions satisfy MinVersion and MaxVersion|tls: server selected unsupported protocol version`)},
	{tlsPlaintextPeer, quick(`tls: first record does not look like a TLS handshake|client sent an HTTP request to an HTTPS server|server gave HTTP response to HTTPS client|tls: oversized record received|authentication handshake failed: EOF`)},
	// Last: OpenSSL's bare verdict, as gRPC's C core (Python's grpcio,
	// C++, Ruby, PHP clients) prints it, with no reason after it. Lines that
	// give the reason matched a kind above.
	{tlsVerifyFailed, quick(`SSL routines:[\w:]*:certificate verify failed|CERTIFICATE_VERIFY_FAILED`)},
}

// role is who wrote a TLS line, and towards whom.
type role int

const (
	roleClient         role = iota // a client (etcdctl, an application) dialled a member
	roleListenerClient             // a member refused a client's connection
	roleListenerSelf               // a member refused its own connection (it dials itself)
	roleListenerPeer               // a member refused a peer's connection
	roleDiallerPeer                // a member dialled a peer
	roleDiallerSelf                // a member's gRPC gateway dialled the member itself
)

// tlsRule analyses TLS failures in three passes over the paste, so that a
// line naming what is wrong with a certificate someone presented wins over
// vaguer lines wherever they stand in the paste:
//   - specific: what is wrong with a certificate presented (x509 errors,
//     etcd's allowed-CN, CRL and SAN checks) or with the TLS versions and
//     suites a dialler was refused;
//   - generic: an alert that a certificate was refused, without why
//     ("bad certificate"), and a peer closing the handshake;
//   - noise: connections that presented no credential at all. A listener
//     logs these for every TCP or TLS probe (etcd-diag's peer-port probes,
//     load balancers' and monitors' health checks, scanners): "client didn't
//     provide a certificate", plaintext on a TLS port, no version or suite in
//     common. Many of them must not hide one real refusal.
type tlsRule struct{ tier tlsTier }

type tlsTier int

const (
	tierSpecific tlsTier = iota
	tierGeneric
	tierNoise
)

func tierOf(k tlsKind) tlsTier {
	switch k {
	case tlsAlertBad, tlsVerifyFailed:
		return tierGeneric
	case tlsNoCert, tlsPlaintextPeer, tlsNoCommon:
		return tierNoise
	}
	return tierSpecific
}

var (
	listenerLine   = quick(`rejected connection|http: TLS handshake error from`)
	peerEndpoint   = quick(`rejected connection on peer endpoint`)
	clientEndpoint = quick(`rejected connection on client endpoint`)
	remoteAddr     = quick(`rejected connection from \\*"([^"\\]+)\\*"|"remote-addr":"([^"]+)"|TLS handshake error from (\S+?):? `)
	peerDialLine   = quick(`health check for peer \w+ could not connect|prober detected unhealthy status|rafthttp[:/]|"remote-peer-id"|peer \w+ \(stream \w+`)
	grpcDial       = quick(`createTransport failed to connect to \{(?:Addr: )?\\*"?([^"\\ ,}]+)|Failed to dial ([^:\s]+:\d+|\[[^\]]+\]:\d+)`)
	gatewayBody    = quick(`"code":\s*14,.*"message":\s*"connection error: desc = \\"error reading server preface: remote error|"message":"connection error: desc = \\"transport: authentication handshake failed: remote error`)
	goLogLine      = quick(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d WARNING: \[core\]|^WARNING: \d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[core\]`)
	peerEOF        = quick(`health check for peer \w+ could not connect: EOF|prober detected unhealthy status.*"error":"EOF"`)
)

func (t tlsRule) match(line string, c *pasteContext) (hit, bool) {
	if t.tier == tierGeneric {
		if h, ok := peerEOFHit(line); ok {
			return h, true
		}
	}
	kind, start, end := tlsKindOf(line)
	if kind == tlsNone || tierOf(kind) != t.tier {
		return hit{}, false
	}
	r, why, note := roleOf(line, kind, c)
	id, side := tlsFinding(r, kind)
	if id == "tls-negotiation-failed" && side != SideSelf {
		why = "a TLS negotiation failure, before any certificate was judged: the member's TLS settings against what the other party offered"
	}
	h := hit{id: id, side: side, why: why, note: note, start: start, end: end}
	h.cause, h.fix = tlsTexts(r, kind, id)
	if cause, fix := credentialTexts(r, kind, line, c); cause != "" {
		h.cause, h.fix = cause, fix
	}
	if kind == tlsExpired {
		if cause, fix, ok := explainNotYetValid(line, id, side); ok {
			h.cause, h.fix = cause, fix
		} else if m := validityTimes.FindStringSubmatch(line); m != nil && m[2] == "after" {
			// Go's error says which bound was crossed: past the end, it
			// has expired (not "or not yet valid").
			cause := h.cause
			if cause == "" {
				cause, _ = catalog(id)
			}
			h.cause = expiredCause(cause, m[3], m[1])
		}
	}
	switch {
	case kind == tlsUnknownCA && candidateHint.MatchString(line):
		candidateTexts(&h, r, line)
	case (kind == tlsUnknownCA || kind == tlsAlertUnknownCA) && c.candidate != "" && c.candidate != line:
		// The refusal's other end, pasted along: the listener's line
		// that says why, about the same certificate and bundle.
		if cr, _, _ := roleOf(c.candidate, tlsUnknownCA, c); sameRefusal(r, cr) {
			candidateTexts(&h, cr, c.candidate)
		}
	}
	if h.note == "" {
		h.note = tlsNote(r, kind, line[start:end])
	}
	if m := peerID.FindStringSubmatch(line); m != nil && r == roleDiallerPeer && h.note == "" {
		h.note = "the peer is member " + m[1] + m[2] + ": etcdctl member list -w table names it and its peer URLs"
	}
	return h, true
}

var peerID = quick(`health check for peer (\w+)|"remote-peer-id":"(\w+)"`)

// candidateHint is the reason Go adds to "signed by unknown authority" when
// the bundle holds a CA of the issuer's name that it tried and rejected
// (crypto/x509 UnknownAuthorityError): "possibly because of "ERR" while
// trying to verify candidate authority certificate "NAME"" (NAME is the CA's
// CN, else its first O, else "serial:N").
var candidateHint = quick(`possibly because of \\*"(.+?)\\*" while trying to verify candidate authority certificate \\*"([^"\\]*)`)

// Go's reasons for rejecting a candidate CA: its signature did not verify
// (another key under the same name; ECDSA, Ed25519 and RSA wording, or a
// key of another type), or it may not sign certificates at all.
var (
	candidateOtherKey = quick(`crypto/rsa: verification error|x509: ECDSA verification failure|x509: Ed25519 verification failure|signature algorithm specifies an? \w+ public key, but have public key of type`)
	candidateNotCA    = quick(`parent certificate cannot sign this kind of certificate`)
)

// sameRefusal reports whether a line written in role a and one written in
// role b can be the two ends of one refused connection: a dialler's alert
// and the listener's x509 error (or two lines of the same side).
func sameRefusal(a, b role) bool {
	if a == b {
		return true
	}
	switch a {
	case roleDiallerSelf:
		return b == roleListenerSelf
	case roleDiallerPeer:
		return b == roleListenerPeer
	case roleClient:
		return b == roleListenerClient
	}
	return false
}

// candidateTexts sharpens an "unknown authority" hit with Go's hint, when
// the line carries one: a CA of the right name but another key was
// regenerated under the same name; a CA of the right key that lacks CA:TRUE
// or keyCertSign is the right CA made wrong (ca-invalid, in the bundle of
// whoever verified).
func candidateTexts(h *hit, r role, line string) {
	m := candidateHint.FindStringSubmatch(line)
	if m == nil {
		return
	}
	reason, name := m[1], m[2]
	bundle, restart := "the client's --cacert bundle", ""
	switch r {
	case roleListenerClient, roleListenerSelf, roleDiallerSelf:
		bundle, restart = "the member's --trusted-ca-file", " (etcd reads it only at start: restart the member)"
	case roleListenerPeer, roleDiallerPeer:
		bundle, restart = "this member's --peer-trusted-ca-file", " (etcd reads it only at start: restart the member)"
	}
	switch {
	case candidateOtherKey.MatchString(reason):
		if h.cause == "" {
			h.cause, _ = catalog(h.id)
		}
		if h.fix == "" {
			_, h.fix = catalog(h.id)
		}
		h.cause += fmt.Sprintf(": %s holds a CA named %q, but not the one that signed the certificate (its key differs, and the signature did not verify): %q was regenerated under the same name, so certificates from before and after do not mix", bundle, name, name)
		h.fix += "; the certificate's signer is its Authority Key Identifier (openssl x509 -in CERT -noout -ext authorityKeyIdentifier), each CA's key its Subject Key Identifier (openssl x509 -in CA -noout -ext subjectKeyIdentifier)"
	case candidateNotCA.MatchString(reason):
		h.id, h.side = "ca-invalid", SideSelf
		if r == roleClient {
			h.side = SideClient
		}
		h.why = "Go found the issuer's CA in " + bundle + " and tried it: the CA certificate itself is refused"
		h.cause = fmt.Sprintf("the CA %q in %s may not sign certificates: it lacks basicConstraints CA:TRUE or the keyCertSign key usage, so Go refuses every certificate it signed", name, bundle)
		h.fix = fmt.Sprintf("reissue the CA certificate from its own key: openssl req -x509 -new -key ca.key -subj \"/CN=%s\" -days 3650 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out ca.crt (the key is the same, so what it signed stays valid); replace it in %s%s and wherever else it is trusted; check with openssl x509 -in ca.crt -noout -ext basicConstraints,keyUsage", name, bundle, restart)
	}
}

// peerEOFHit: a peer that closes the connection during the handshake most
// often refused this member's certificate after it (etcd's peer SAN check).
func peerEOFHit(line string) (hit, bool) {
	loc := peerEOF.FindStringIndex(line)
	if loc == nil {
		return hit{}, false
	}
	return hit{id: "peer-cert-rejected", side: SideSelf,
		why:   "a member's probe of a peer: the peer closed the connection, so it refused something this member sent",
		cause: "the peer closed the connection during the TLS handshake: it refused this member's peer certificate (etcd 3.4–3.7 check that a peer's certificate holds the IP it connects from, and that it is not revoked in their --peer-crl-file, after the handshake) or it does not speak TLS on its peer URL",
		fix:   "give this member's peer certificate the IPs it connects from (etcd-certwiz renew peer.crt --add-san IP); the peer's log names the refusal (\"does not match any of DNSNames\")",
		start: loc[0], end: loc[1]}, true
}

func tlsKindOf(line string) (tlsKind, int, int) {
	for _, k := range tlsKinds {
		if loc := k.re.FindStringIndex(line); loc != nil {
			return k.kind, loc[0], loc[1]
		}
	}
	return tlsNone, 0, 0
}

// roleOf decides who wrote the line and towards whom, and says why.
func roleOf(line string, kind tlsKind, c *pasteContext) (role, string, string) {
	switch {
	case listenerLine.MatchString(line):
		return listenerRole(line, kind, c)
	case gatewayBody.MatchString(line):
		return roleDiallerSelf, "the gRPC gateway's answer: the member dialled its own client URL with its server certificate and its own listener refused it", ""
	case peerDialLine.MatchString(line):
		return roleDiallerPeer, "a member's line about dialling a peer: x509 errors describe that peer's certificate, a \"remote error\" is that peer refusing this member's peer certificate", ""
	}
	// etcd 3.5+ log their gRPC gateway's dials in Go's log format; another
	// program's (kube-apiserver's klog) dial to a member on loopback is a client.
	if m := grpcDial.FindStringSubmatch(line); m != nil && (kind <= tlsAlertBad || kind == tlsNotAllowed) && (goLogLine.MatchString(line) || len(c.member) > 0) {
		addr := m[1] + m[2]
		if host := hostOf(addr); host == "0.0.0.0" || host == "::" || isLoopback(host) || c.isOwn(host) {
			return roleDiallerSelf, fmt.Sprintf("a gRPC dial to %s, the member's own address: etcd's gRPC gateway dials the member's client URL with its server certificate", addr),
				"an application on the member's host that logs gRPC dials prints the same line; if this is from one, its client certificate was refused"
		}
	}
	return roleClient, "a client's line: x509 errors describe the server's certificate, a \"remote error\" is the server refusing the client's certificate", ""
}

func listenerRole(line string, kind tlsKind, c *pasteContext) (role, string, string) {
	from := ""
	if m := remoteAddr.FindStringSubmatch(line); m != nil {
		from = m[1] + m[2] + m[3]
	}
	host := hostOf(from)
	verifiesDialler := kind == tlsNoClientAuth || kind == tlsUnknownCA || kind == tlsExpired || kind == tlsInsecureSig
	switch {
	case kind == tlsSANFrom:
		return roleListenerPeer, "etcd checks that a certificate holds the IP it connects from only on peer URLs (3.4–3.7): the connecting party is a peer", ""
	case peerEndpoint.MatchString(line):
		return roleListenerPeer, "the member refused a connection on its peer endpoint: the connecting party is a peer", ""
	case c.isPeer(host) && !clientEndpoint.MatchString(line):
		return roleListenerPeer, fmt.Sprintf("the refused connection came from %s, a peer's address in this log", from), ""
	case c.clientTLS == tlsOff && !clientEndpoint.MatchString(line):
		return roleListenerPeer, "this member serves clients in plaintext (its start-up lines in the paste say so), so a TLS refusal is on its peer endpoint: the connecting party is a peer", ""
	case kind == tlsNotAllowed && !clientEndpoint.MatchString(line) && c.peerTLS != tlsOff && !(c.allowed["client-cert-allowed-hostname"] != "" && c.allowed["peer-cert-allowed-cn"]+c.allowed["peer-cert-allowed-hostname"] == ""):
		return roleListenerPeer, "etcd 3.4 does not say which endpoint refused it; an allowed-CN or allowed-hostname list is most often set for peers (--peer-cert-allowed-cn/--peer-cert-allowed-hostname)",
			"if the connection was to the client URL, the flag is --client-cert-allowed-hostname and the certificate a client's"
	case verifiesDialler && host != "" && (isLoopback(host) || c.isOwn(host)) && (kind != tlsExpired || c.gatewayDial):
		// The gateway's classics: a server certificate without clientAuth,
		// or from a CA the member's --trusted-ca-file lacks. An expired
		// certificate from the member's host is as often a client there
		// (kubeadm's kube-apiserver dials 127.0.0.1, with a certificate
		// of its own): self only when the paste shows the gateway's dial.
		return roleListenerSelf, fmt.Sprintf("the refused connection came from %s, the member's own address: etcd dials its own client URL (the gRPC gateway) presenting its server certificate", from),
			"a client or peer running on the member's host connects from the same address: if one was started just then, the certificate is that one's (etcd-certwiz inspect FILE shows its usages)"
	case verifiesDialler && host != "" && (isLoopback(host) || c.isOwn(host)):
		return roleListenerClient, fmt.Sprintf("a member's log line about a connection from %s, its own host: a client there (kube-apiserver on a kubeadm control plane dials https://127.0.0.1:2379), whose certificate x509 errors describe", from),
			"etcd's own gRPC gateway also dials from there, presenting the member's server certificate: if no client runs on that host, or the paste shows the gateway's dial failing too, the server certificate is the one (etcd-certwiz inspect server.crt and the client's certificate)"
	}
	why := "a member's log line about a connection it refused: x509 errors describe the connecting client's certificate"
	if kind <= tlsAlertBad {
		why = "a member's log line: the connecting client sent the alert, refusing the member's certificate"
	}
	return roleListenerClient, why, ""
}

// tlsFinding maps who wrote the line and what failed to a finding id and side.
func tlsFinding(r role, kind tlsKind) (string, Side) {
	if id, side, ok := credentialFinding(r, kind); ok {
		return id, side
	}
	if kind == tlsAlertHandshake || kind == tlsNoCommon {
		switch r {
		case roleListenerSelf, roleDiallerSelf:
			return "tls-negotiation-failed", SideSelf
		case roleListenerPeer, roleDiallerPeer:
			return "tls-negotiation-failed", SidePeer
		}
		return "tls-negotiation-failed", SideServer
	}
	switch r {
	case roleListenerSelf:
		switch kind {
		case tlsNoClientAuth:
			return "server-cert-no-clientauth", SideSelf
		case tlsUnknownCA:
			return "server-ca-untrusted", SideSelf
		case tlsExpired:
			return "server-cert-expired", SideSelf
		case tlsInsecureSig:
			return "cert-signature-insecure", SideSelf
		}
		return tlsFinding(roleListenerClient, kind)
	case roleDiallerSelf:
		switch kind {
		case tlsAlertUnknownCA:
			return "server-ca-untrusted", SideSelf
		case tlsAlertExpired:
			return "server-cert-expired", SideSelf
		case tlsAlertBad, tlsAlertCertRequired:
			return "server-cert-no-clientauth", SideSelf
		}
		return tlsFinding(roleClient, kind)
	case roleListenerPeer, roleDiallerPeer:
		switch kind {
		case tlsAlertExpired:
			return "peer-cert-expired", SideSelf
		case tlsAlertUnknownCA:
			return "peer-ca-untrusted", SideSelf
		case tlsAlertCertRequired:
			return "peer-cert-required", SideSelf
		case tlsAlertBad:
			return "peer-cert-rejected", SideSelf
		case tlsNoClientAuth:
			if r == roleDiallerPeer {
				return "peer-cert-no-serverauth", SidePeer
			}
			return "peer-cert-no-clientauth", SidePeer
		case tlsUnknownCA:
			return "peer-ca-untrusted", SidePeer
		case tlsExpired:
			return "peer-cert-expired", SidePeer
		case tlsSANDialled, tlsSANFrom, tlsLegacyCN:
			return "peer-san-mismatch", SidePeer
		case tlsInsecureSig:
			return "cert-signature-insecure", SidePeer
		case tlsNoCert:
			return "peer-cert-required", SidePeer
		case tlsPlaintextPeer:
			return "peer-tls-mismatch", SidePeer
		}
	case roleListenerClient:
		switch kind {
		case tlsAlertBad, tlsAlertUnknownCA:
			return "server-ca-untrusted", SideServer
		case tlsAlertExpired:
			return "server-cert-expired", SideServer
		case tlsNoClientAuth:
			return "client-cert-no-clientauth", SideClient
		case tlsUnknownCA:
			return "client-ca-untrusted", SideClient
		case tlsExpired:
			return "client-cert-expired", SideClient
		case tlsInsecureSig:
			return "cert-signature-insecure", SideClient
		case tlsNoCert:
			return "client-cert-required", SideClient
		case tlsPlaintextPeer:
			return "server-requires-tls", SideClient
		case tlsSANFrom:
			return "peer-san-mismatch", SidePeer
		}
		return "tls-handshake-failed", SideClient
	}
	// roleClient.
	switch kind {
	case tlsAlertExpired:
		return "client-cert-expired", SideClient
	case tlsAlertUnknownCA:
		return "client-ca-untrusted", SideClient
	case tlsAlertCertRequired:
		return "client-cert-required", SideClient
	case tlsAlertBad:
		return "client-cert-no-clientauth", SideClient
	case tlsNoClientAuth:
		return "server-cert-no-serverauth", SideServer
	case tlsUnknownCA:
		return "server-ca-untrusted", SideServer
	case tlsExpired:
		return "server-cert-expired", SideServer
	case tlsSANDialled, tlsLegacyCN:
		return "server-san-mismatch", SideServer
	case tlsInsecureSig:
		return "cert-signature-insecure", SideServer
	case tlsNoCert:
		return "client-cert-required", SideClient
	case tlsPlaintextPeer:
		return "server-not-tls", SideClient
	case tlsSANFrom:
		return "peer-san-mismatch", SidePeer
	case tlsVerifyFailed:
		return "tls-handshake-failed", SideServer
	}
	return "tls-handshake-failed", SideClient
}

// tlsTexts gives a cause and fix more specific than the id's where the role
// says more; empty strings keep the id's texts.
func tlsTexts(r role, kind tlsKind, id string) (string, string) {
	if id == "tls-negotiation-failed" && kind == tlsNoCommon && r != roleListenerSelf && r != roleDiallerSelf {
		return "", ""
	}
	switch {
	case id == "tls-negotiation-failed" && (r == roleListenerSelf || r == roleDiallerSelf):
		return "the member cannot even negotiate TLS with itself (its gRPC gateway dialling its own client URL): its --cipher-suites leave no suite its own certificate's key can use (TLS_ECDHE_RSA_* suites with an ECDSA key, or TLS_ECDHE_ECDSA_* with an RSA one), so every client fails too",
			"list suites for the key type of --cert-file in --cipher-suites (openssl x509 -in server.crt -noout -text | grep 'Public Key Algorithm'), or drop --cipher-suites; TLS 1.3 (--tls-max-version TLS1.3 or unset) ignores the list"
	case id == "server-ca-untrusted" && (r == roleListenerSelf || r == roleDiallerSelf):
		return "the member's server certificate is not signed by a CA in its own --trusted-ca-file: etcd dials its own client URL with it (the gRPC gateway) and its own listener refuses it",
			"reissue server.crt from a CA already in --trusted-ca-file (etcd reads certificate files on each handshake, no restart), or put the CA that signed it into the --trusted-ca-file bundle and restart etcd (it reads that file only at start)"
	case id == "server-cert-expired" && (r == roleListenerSelf || r == roleDiallerSelf):
		return "the member's server certificate is expired or not yet valid: its own listener refuses it when etcd dials itself (the gRPC gateway), and clients refuse it too",
			"renew it (etcd-certwiz renew server.crt): etcd reads certificate files on each handshake, no restart; check clocks with timedatectl"
	case id == "server-ca-untrusted" && r == roleListenerClient:
		return "a client refused the member's server certificate: not signed by a CA the client trusts, or (\"bad certificate\") a name not in its SANs, or expired",
			"run etcd-diag from that client (or with its files) to tell which; the client's --cacert must hold the CA that signed server.crt"
	case id == "server-cert-expired" && r == roleListenerClient:
		return "a client refused the member's server certificate as expired (or a clock is wrong)", ""
	case kind == tlsVerifyFailed && r == roleClient:
		return "the client refused the member's certificate, and its TLS library (OpenSSL in gRPC's C core: Python's grpcio, C++, Ruby) does not say why: a CA not in the client's bundle, an expired certificate, or one without the serverAuth usage (a name not in its SANs gRPC names: \"Peer name … is not in peer certificate\")",
			"see the reason with the client's CA file: openssl s_client -connect HOST:2379 -CAfile ca.crt -verify_return_error (its \"verify error:\" line names it), or run etcd-diag with the client's files"
	case kind == tlsLegacyCN:
		return "the certificate has no SANs, only a Common Name: Go ignores the CN since 1.15, so no name or IP matches", "reissue it with the names and IPs as SANs (subjectAltName=DNS:…,IP:…), e.g. etcd-certwiz renew FILE --add-san HOST"
	case id == "peer-san-mismatch" && kind == tlsSANFrom:
		return "a peer connected from an IP its peer certificate does not hold: etcd 3.4–3.7 check a peer certificate's SANs against the address it connects from (DNS names are looked up)",
			"reissue that member's peer certificate with the IPs it connects from (etcd-certwiz renew peer.crt --add-san IP), or make its DNS SANs resolve to them; --peer-skip-client-san-verification turns the check off"
	case (id == "peer-cert-expired" || id == "peer-ca-untrusted" || id == "peer-cert-required") && (kind == tlsAlertExpired || kind == tlsAlertUnknownCA || kind == tlsAlertCertRequired):
		cause := map[tlsKind]string{
			tlsAlertExpired:      "a peer refused this member's peer certificate as expired (or a clock is wrong)",
			tlsAlertUnknownCA:    "a peer refused this member's peer certificate: not signed by a CA in the peer's --peer-trusted-ca-file",
			tlsAlertCertRequired: "a peer requires a peer certificate (--peer-client-cert-auth) and this member sent none",
		}[kind]
		return cause, "fix this member's peer certificate (--peer-cert-file): etcd-certwiz inspect peer.crt; renew or reissue it from the peer CA: etcd reads certificate files on each handshake, no restart"
	}
	return "", ""
}

// tlsNote adds what a line cannot tell on its own.
func tlsNote(r role, kind tlsKind, matched string) string {
	switch {
	case r == roleClient && kind == tlsPlaintextPeer && strings.Contains(matched, "EOF"):
		return "the server closed the TLS handshake: usually a plaintext server (use http://); etcd-diag confirms it"
	case r == roleClient && kind == tlsAlertBad:
		return "a Go server sends \"bad certificate\" for a client certificate lacking clientAuth and for other refusals its alerts do not name; etcd-certwiz inspect client.crt shows the usages"
	case r == roleClient && kind == tlsAlertHandshake && !strings.HasPrefix(matched, "remote error"):
		return "OpenSSL's wording (curl, openssl s_client, Python): a Go member (etcd) sends this same alert over TLS 1.2 to a client that sent no certificate while --client-cert-auth is on; if the client gave no --cert and --key, that is the cause"
	case r == roleListenerPeer && kind == tlsNoCert:
		return "etcd-diag reads each peer URL's certificate with a handshake that sends none, and the member logs this once per run: when remote-addr is where it ran and the members reach each other (etcdctl endpoint status --cluster), it is that probe, not a peer"
	case r == roleListenerClient && kind == tlsAlertBad:
		return "in a server log this means a client refused the server certificate: an untrusted CA, a name not in its SANs, or expiry; etcd-diag run from that client tells which"
	}
	return ""
}

// expiredCause makes a validity cause say that the certificate has expired,
// with its end and the time the checking clock read, when Go's error gives
// them ("current time NOW is after END").
func expiredCause(cause, end, now string) string {
	when := fmt.Sprintf("expired (it ended at %s; the clock that checked it read %s)", end, now)
	for _, vague := range []string{"is expired or not yet valid (or a clock is wrong)", "is expired or not yet valid", "as expired (or a clock is wrong)"} {
		if strings.Contains(cause, vague) {
			verb := "has "
			if strings.HasPrefix(vague, "as ") {
				verb = "as "
			}
			return strings.Replace(cause, vague, verb+when, 1)
		}
	}
	return cause
}
