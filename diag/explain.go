package diag

import (
	"regexp"
	"strings"
)

// pattern maps error text to a finding id. Order matters: the first match
// wins, so specific texts come before the generic ones they contain.
type pattern struct {
	re         *regexp.Regexp
	id         string
	serverSide bool // a server log line about a client ("rejected connection")
}

// serverLog marks lines from the etcd server's own log: there, a TLS error
// is about the *client's* certificate.
var serverLog = regexp.MustCompile(`rejected connection|http: TLS handshake error|"caller":"embed/|embed/config_logging`)

var patterns = []pattern{
	// Server log lines about clients. A client that rejects the server's
	// certificate sends "bad certificate" whatever the reason (untrusted CA,
	// name not in the SANs, expiry): only the client side can tell which.
	{re: regexp.MustCompile(`remote error: tls: (bad certificate|unknown certificate authority)`), id: "server-ca-untrusted", serverSide: true},
	{re: regexp.MustCompile(`didn't provide a certificate|certificate required`), id: "client-cert-required", serverSide: true},
	{re: regexp.MustCompile(`certificate specifies an incompatible key usage|incompatible key usage`), id: "client-cert-no-clientauth", serverSide: true},
	{re: regexp.MustCompile(`certificate signed by unknown authority|unknown certificate authority`), id: "client-ca-untrusted", serverSide: true},
	{re: regexp.MustCompile(`certificate has expired or is not yet valid|expired certificate`), id: "client-cert-expired", serverSide: true},
	{re: regexp.MustCompile(`first record does not look like a TLS handshake|client sent an HTTP request to an HTTPS server`), id: "server-requires-tls", serverSide: true},

	// Client-side lines (etcdctl, clientv3, grpc).
	{re: regexp.MustCompile(`remote error: tls: certificate required|tls: certificate required`), id: "client-cert-required"},
	{re: regexp.MustCompile(`remote error: tls: unknown certificate authority`), id: "client-ca-untrusted"},
	{re: regexp.MustCompile(`remote error: tls: expired certificate`), id: "client-cert-expired"},
	{re: regexp.MustCompile(`remote error: tls: bad certificate|remote error: tls: unsupported certificate`), id: "client-cert-no-clientauth"},
	{re: regexp.MustCompile(`x509: certificate is valid for .*, not |x509: certificate is not valid for any names|cannot validate certificate for .* because it doesn't contain any IP SANs`), id: "server-san-mismatch"},
	{re: regexp.MustCompile(`x509: certificate signed by unknown authority|certificate signed by unknown authority`), id: "server-ca-untrusted"},
	{re: regexp.MustCompile(`x509: certificate has expired or is not yet valid`), id: "server-cert-expired"},
	{re: regexp.MustCompile(`first record does not look like a TLS handshake|server gave HTTP response to HTTPS client|tls: oversized record received|authentication handshake failed: EOF`), id: "server-not-tls"},
	{re: regexp.MustCompile(`error reading server preface: EOF|error reading server preface: read .*connection reset|http2: frame too large|error reading server preface: http2`), id: "server-requires-tls"},
	{re: regexp.MustCompile(`authentication failed, invalid user ID or password`), id: "auth-bad-credentials"},
	{re: regexp.MustCompile(`user name is empty|user name not found in token`), id: "auth-credentials-missing"},
	{re: regexp.MustCompile(`invalid auth token|revision of auth store is old|token is expired|auth: invalid jwt`), id: "auth-token-invalid"},
	{re: regexp.MustCompile(`permission denied`), id: "permission-denied"},
	{re: regexp.MustCompile(`etcdserver: no leader|lost leader|leader changed|no leader`), id: "no-leader"},
	{re: regexp.MustCompile(`database space exceeded|NOSPACE|alarm:NOSPACE`), id: "alarm-active"},
	{re: regexp.MustCompile(`CORRUPT|corrupt`), id: "alarm-active"},
	{re: regexp.MustCompile(`no such host|server misbehaving|Temporary failure in name resolution`), id: "dns-unresolvable"},
	{re: regexp.MustCompile(`connection refused`), id: "connection-refused"},
	{re: regexp.MustCompile(`no route to host|network is unreachable`), id: "connection-failed"},
	{re: regexp.MustCompile(`i/o timeout|context deadline exceeded|DeadlineExceeded|deadline exceeded`), id: "timeout"},
}

// Explanation is what explain says about one error line.
type Explanation struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Cause    string   `json:"cause"`
	Fix      string   `json:"fix"`
	Matched  string   `json:"matched"`
	Note     string   `json:"note,omitempty"`
}

// Explain maps a pasted error (from etcdctl, a client log or the etcd server
// log) to the finding it stands for, offline. It returns false when nothing
// is recognised.
func Explain(text string) (Explanation, bool) {
	server := serverLog.MatchString(text)
	for _, p := range patterns {
		if p.serverSide && !server {
			continue
		}
		m := p.re.FindString(text)
		if m == "" {
			continue
		}
		e := Explanation{ID: p.id, Severity: Error, Matched: m}
		e.Cause, e.Fix = catalog(p.id)
		switch {
		case p.id == "timeout" && !strings.Contains(text, "i/o timeout"):
			e.Note = "etcdctl and the Go client report most TLS and connection failures as \"context deadline exceeded\": run etcd-diag --context NAME (or with the same flags) to see the real cause"
		case p.id == "server-ca-untrusted" && p.serverSide:
			e.Note = "in a server log this means a client rejected the server certificate: an untrusted CA, a name not in its SANs, or expiry; etcd-diag run from that client tells which"
		case p.id == "server-not-tls" && strings.Contains(m, "EOF"):
			e.Note = "the server closed the TLS handshake: usually a plaintext server (use http://); etcd-diag confirms it"
		}
		return e, true
	}
	return Explanation{}, false
}

// catalog gives the generic cause and fix of an id, for explain (a live
// diagnosis fills in names, addresses and files instead).
func catalog(id string) (cause, fix string) {
	c, ok := texts[id]
	if !ok {
		return "", ""
	}
	return c[0], c[1]
}

var texts = map[string][2]string{
	"dns-unresolvable":          {"the endpoint's host name does not resolve", "check the name (getent hosts HOST) and /etc/resolv.conf, or use the member's IP in --endpoints"},
	"connection-refused":        {"nothing listens on that address and port", "start etcd there (systemctl status etcd) or fix the port: --listen-client-urls must include it"},
	"connection-failed":         {"the TCP connection cannot be opened (no route)", "check routing and firewalls between here and the member"},
	"timeout":                   {"no answer in time: a firewall drops packets, a member hangs, or a TLS failure was hidden behind a deadline", "run etcd-diag with the same settings to name the rung that fails; check the port with ss -ltnp on the host"},
	"server-not-tls":            {"the client speaks TLS (https:// or a CA given) but the server speaks plaintext", "use http:// for this endpoint, or enable TLS on etcd (--cert-file, --key-file, https:// in --listen-client-urls)"},
	"server-requires-tls":       {"the client speaks plaintext (http://) but the server speaks TLS", "use https:// and --cacert with the CA that signed the server certificate"},
	"server-ca-untrusted":       {"the server certificate is not signed by a CA in the client's bundle", "use the CA that signed the server certificate: --cacert ca.crt (etcd-ctx set NAME --cacert ca.crt)"},
	"server-san-mismatch":       {"the name or IP dialled is not in the server certificate's SANs", "reissue the server certificate with it (etcd-certwiz renew server.crt --add-san HOST) or dial a name it has"},
	"server-cert-expired":       {"the server certificate is expired or not yet valid (or a clock is wrong)", "renew it on the member (etcd-certwiz renew server.crt) and restart etcd; check clocks with timedatectl"},
	"client-cert-required":      {"the server requires a client certificate (--client-cert-auth) and none was sent", "give --cert and --key signed by the server's --trusted-ca-file CA (etcd-certwiz client USER --ca-dir DIR)"},
	"client-ca-untrusted":       {"the client certificate is from a CA the server does not trust for clients", "use a client certificate from the server's --trusted-ca-file CA (etcd-certwiz client USER --ca-dir DIR)"},
	"client-cert-no-clientauth": {"the client certificate lacks the clientAuth extended key usage (or is otherwise unfit)", "reissue it with clientAuth: etcd-certwiz client USER --ca-dir DIR; check with etcd-certwiz inspect client.crt"},
	"client-cert-expired":       {"the client certificate is expired or not yet valid", "renew it: etcd-certwiz renew client.crt; check clocks with timedatectl"},
	"auth-credentials-missing":  {"auth is enabled and the request carried no user, token or usable certificate CN", "give --user with --password-stdin, a token, or a client certificate whose CN is an etcd user"},
	"auth-bad-credentials":      {"the user name or password is wrong", "as root: etcdctl user get USER; reset with etcdctl user passwd USER"},
	"auth-token-invalid":        {"the token is expired, from another cluster or key, or predates an auth change", "mint a fresh token (etcd-certwiz jwt-token --user USER) or authenticate again"},
	"permission-denied":         {"the user's roles do not cover this key or range", "as root: etcdctl role grant-permission ROLE read|write|readwrite KEY [--prefix]; etcdctl user grant-role USER ROLE; etcd-diag --key-path KEY shows the roles and ranges"},
	"no-leader":                 {"the cluster has no leader: quorum is lost or this member is cut off", "make a majority of members healthy and reachable on the peer port; etcdctl endpoint status --cluster -w table"},
	"alarm-active":              {"an alarm is raised (NOSPACE: the database hit its quota; CORRUPT: data mismatch)", "NOSPACE: etcdctl compact REV; etcdctl defrag --cluster; etcdctl alarm disarm. CORRUPT: replace the member, do not disarm blindly"},
	"member-unreachable":        {"a member in the member list cannot be reached", "start it or fix its --advertise-client-urls; remove it if gone: etcdctl member remove ID"},
	"version-skew":              {"members run different etcd versions", "finish the rolling upgrade so all members run the same version"},
}
