package diag

import (
	"regexp"
	"strings"
)

// proxyRule recognises a client that went through an HTTP proxy
// (HTTPS_PROXY) to reach etcd: grpc-go's own words when the proxy refuses
// the tunnel, or a dial to an address that is not the endpoint the same
// line names (etcdctl 3.5+'s "target":"etcd-endpoints://…/10.0.0.5:2379"
// with "dial tcp 10.9.9.9:3128: … connection refused": it dialled the
// proxy, not the member).
type proxyRule struct{}

var (
	proxyHandshakeRE = regexp.MustCompile(`failed to do connect handshake[^"]*?(?:status code: [^"\\]*|response: \\*"[^"\\]*)?`)
	proxyTargetRE    = regexp.MustCompile(`etcd-endpoints://0x[0-9a-f]+/([^"\s,\]]+)|#initially=\[([^\]]*)\]`)
	proxyDialRE      = regexp.MustCompile(`dial tcp (\S+?): (?:connect: connection refused|i/o timeout|connect: no route to host)`)
)

func (proxyRule) match(line string, _ *pasteContext) (hit, bool) {
	h := hit{id: "proxy-in-path", side: SideClient, why: "a client's connection error: it went through an HTTP proxy, not straight to the member"}
	if loc := proxyHandshakeRE.FindStringIndex(line); loc != nil {
		h.start, h.end = loc[0], loc[1]
		h.cause = "the client sent its connection through an HTTP proxy (HTTPS_PROXY or https_proxy in its environment, which gRPC follows) and the proxy refused to tunnel to the member (its HTTP answer is in the line)"
		return h, true
	}
	d := proxyDialRE.FindStringSubmatchIndex(line)
	if d == nil || !strings.Contains(line, "etcd-endpoints://") {
		return hit{}, false
	}
	dialled := line[d[2]:d[3]]
	var targets []string
	for _, m := range proxyTargetRE.FindAllStringSubmatch(line, -1) {
		for _, g := range m[1:] {
			for _, t := range strings.Split(g, ",") {
				if t = strings.TrimSpace(t); t != "" {
					targets = append(targets, t)
				}
			}
		}
	}
	if len(targets) == 0 {
		return hit{}, false
	}
	for _, t := range targets {
		if t == dialled || strings.HasSuffix(t, "/"+dialled) {
			return hit{}, false
		}
	}
	h.start, h.end = d[0], d[1]
	h.cause = "the client dialled " + dialled + ", which is not the endpoint it was given (" + strings.Join(targets, ", ") + "): it sent the connection to an HTTP proxy (HTTPS_PROXY or https_proxy in its environment, which gRPC follows), and the proxy is not there"
	return h, true
}
