package diag

import (
	"net"
	"strings"
)

// isMemberLine reports whether a line comes from an etcd member's log:
// capnslog text of a server package, zap JSON from a server package, or a
// journald line of the etcd unit.
func isMemberLine(line string) bool {
	return memberLineRE.MatchString(line)
}

var memberLineRE = quick(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ [DINWECF] \| (?:embed|etcdserver|etcdmain|rafthttp|raft|auth|mvcc|wal|snap|membership|v3rpc|api|backend|etcdserver/[\w/]+):|"caller":"(?:embed|etcdserver|etcdmain|rafthttp|auth|mvcc|wal|snap|membership|v3rpc|backend|api|schema|storage|version|traceutil|fileutil|osutil|v3compactor|v3alarm|cindex)/|\betcd\[\d+\]: |^raft\d{4}/`)

// pasteContext is what the whole paste tells about the member whose log it
// is: the hosts it listens and advertises on, its peers' hosts, and whether
// it speaks TLS to clients and to peers.
type pasteContext struct {
	member             map[string]bool // lines from a member's log
	own                map[string]bool
	peers              map[string]bool
	clientTLS, peerTLS tlsState
	// gatewayDial: the paste shows etcd's gRPC gateway failing to dial the
	// member's own client URL (its answer, or gRPC's dial warning to an
	// own or loopback address).
	gatewayDial bool
	// allowed: the member's --*-cert-allowed-cn/hostname flags as the
	// paste shows them (3.5+ log their arguments), by flag name.
	allowed map[string]string
	// candidate: the first line whose "unknown authority" error carries
	// Go's hint about a CA of the issuer's name it tried (candidateHint).
	candidate string
}

type tlsState int

const (
	tlsUnknown tlsState = iota
	tlsOn
	tlsOff
)

// Start-up lines saying how a member serves (3.4 capnslog, 3.5+ zap). A 3.4
// member prints "ClientTLS: …" and "peerTLS: …" only for what it serves over
// TLS, so one without the other says the other is plaintext.
var (
	clientTLSOn  = quick(`ClientTLS: cert = |"msg":"starting with client TLS"|"msg":"serving client traffic securely"|embed: serving client requests on|"listen-client-urls":\["https://`)
	clientTLSOff = quick(`serving insecure client requests on|"msg":"serving client traffic insecurely|"listen-client-urls":\["http://`)
	peerTLSOn    = quick(`peerTLS: cert = |"msg":"starting with peer TLS"|"listen-peer-urls":\["https://`)
	peerTLSOff   = quick(`"listen-peer-urls":\["http://`)
)

var (
	ownURLs  = quick(`(?:listening for (?:peers|client requests) on|serving (?:insecure )?client requests on) (\S+)|"(?:listen-client-urls|listen-peer-urls|advertise-client-urls|initial-advertise-peer-urls|listen-metrics-urls)":\[([^\]]*)\]|"msg":"serving client traffic[^"]*"[^}]*"address":"([^"]+)"`)
	peerURLs = quick(`added member \w+ \[([^\]]*)\] to cluster|"added-peer-peer-urls":\[([^\]]*)\]`)
	hostIn   = quick(`(?:https?://|unix://|unixs://)?(\[[^\]]+\]|[^\s,"\\/:]+)(?::\d+)?`)
)

func readContext(lines []string) *pasteContext {
	c := &pasteContext{member: map[string]bool{}, own: map[string]bool{}, peers: map[string]bool{}, allowed: map[string]string{}}
	for _, l := range lines {
		for _, m := range allowedFlag.FindAllStringSubmatch(l, -1) {
			c.allowed[m[1]] = m[2]
		}
		if isMemberLine(l) {
			c.member[l] = true
		}
		for _, m := range ownURLs.FindAllStringSubmatch(l, -1) {
			addHosts(c.own, m[1]+m[2]+m[3])
		}
		for _, m := range peerURLs.FindAllStringSubmatch(l, -1) {
			addHosts(c.peers, m[1]+m[2])
		}
	}
	for h := range c.own {
		delete(c.peers, h)
	}
	for _, l := range lines {
		if gatewayBody.MatchString(l) {
			c.gatewayDial = true
		}
		if c.candidate == "" && candidateHint.MatchString(l) {
			c.candidate = l
		}
		if m := grpcDial.FindStringSubmatch(l); m != nil {
			if host := hostOf(m[1] + m[2]); host == "0.0.0.0" || host == "::" || isLoopback(host) || c.isOwn(host) {
				c.gatewayDial = true
			}
		}
	}
	text := strings.Join(lines, "\n")
	c.clientTLS = tlsStateOf(text, clientTLSOn, clientTLSOff)
	c.peerTLS = tlsStateOf(text, peerTLSOn, peerTLSOff)
	switch {
	case c.clientTLS == tlsUnknown && c.peerTLS == tlsOn && strings.Contains(text, "peerTLS: cert = "):
		c.clientTLS = tlsOff
	case c.peerTLS == tlsUnknown && c.clientTLS == tlsOn && strings.Contains(text, "ClientTLS: cert = "):
		c.peerTLS = tlsOff
	case c.clientTLS == tlsUnknown && strings.Contains(text, `"msg":"starting with peer TLS"`) && !strings.Contains(text, `"msg":"starting with client TLS"`):
		c.clientTLS = tlsOff
	}
	return c
}

func tlsStateOf(text string, on, off *quickRE) tlsState {
	switch {
	case on.MatchString(text):
		return tlsOn
	case off.MatchString(text):
		return tlsOff
	}
	return tlsUnknown
}

func addHosts(set map[string]bool, list string) {
	for _, m := range hostIn.FindAllStringSubmatch(list, -1) {
		h := strings.Trim(m[1], "[]")
		if h != "" && h != "0.0.0.0" && h != "::" {
			set[h] = true
		}
	}
}

func (c *pasteContext) isMember(line string) bool { return c.member[line] }
func (c *pasteContext) isOwn(host string) bool    { return host != "" && c.own[host] }
func (c *pasteContext) isPeer(host string) bool   { return host != "" && c.peers[host] }

// hostOf returns the host of host:port (IPv6 without brackets), or the
// input when it has no port.
func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return strings.Trim(addr, "[]")
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback() || host == "localhost"
}
