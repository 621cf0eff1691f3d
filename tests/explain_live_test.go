package tests

import (
	"bytes"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// TestExplainCapturedLogs breaks real etcd 3.4 (Debian's /usr/bin/etcd,
// capnslog text) and 3.7 (built from the module, zap JSON) processes on
// purpose, with certificates made by openssl, and checks that what the
// members log and what etcdctl 3.4 and 3.7 print is explained with the right
// id and side. With -update-explain the lines are stored in
// diag/testdata/explain as <id>.<side>.<source>.txt.
func TestExplainCapturedLogs(t *testing.T) {
	harness.Need(t, harness.HasCommand("openssl"), "openssl")
	old := harness.DebianEtcdctl()
	harness.Need(t, old != "", "Debian etcdctl 3.4 (etcd-client)")
	harness.Need(t, harness.HasEtcd34(), "Debian etcd 3.4 (etcd-server)")
	etcd34, err := harness.EtcdBinary("3.4")
	if err != nil {
		t.Fatal(err)
	}
	etcd37, err := harness.EtcdBinary("3.7")
	if err != nil {
		t.Fatal(err)
	}
	pki := newSSLPKI(t)
	cap := &captures{m: map[string]string{}}
	t.Cleanup(func() {
		if *updateExplain && !t.Failed() {
			writeCaptures(t, cap.m)
		}
	})
	u := newUser(t, false)
	versions := []struct {
		name, etcd, etcdctl string
	}{{"34", etcd34, old}, {"37", etcd37, "etcdctl"}}
	for _, v := range versions {
		lab := &lab{t: t, u: u, pki: pki, cap: cap, v: v.name, etcd: v.etcd, etcdctl: v.etcdctl}
		t.Run("etcd"+v.name, func(t *testing.T) {
			t.Run("self-dial", func(t *testing.T) { t.Parallel(); lab.with(t).selfDial() })
			t.Run("peer-expired", func(t *testing.T) { t.Parallel(); lab.with(t).peerExpired() })
			t.Run("peer-dns-only", func(t *testing.T) { t.Parallel(); lab.with(t).peerDNSOnly() })
			t.Run("client-certs", func(t *testing.T) { t.Parallel(); lab.with(t).clientCerts() })
			t.Run("requests", func(t *testing.T) { t.Parallel(); lab.with(t).requests() })
			t.Run("auth", func(t *testing.T) { t.Parallel(); lab.with(t).auth() })
			t.Run("jwt", func(t *testing.T) { t.Parallel(); lab.with(t).jwt() })
			t.Run("local", func(t *testing.T) { t.Parallel(); lab.with(t).local() })
			if v.name == "37" {
				t.Run("server-certs", func(t *testing.T) { t.Parallel(); lab.with(t).serverCerts() })
			}
		})
	}
}

// lab is one etcd version's broken setups.
type lab struct {
	t             *testing.T
	u             *user
	pki           *sslPKI
	cap           *captures
	v             string // "34" or "37"
	etcd, etcdctl string
}

func (l *lab) with(t *testing.T) *lab { c := *l; c.t = t; return &c }

// captures are the lines kept as golden files, by <id>.<side>.<source>.
type captures struct {
	mu sync.Mutex
	m  map[string]string
}

// expect checks that text explains as id on side and keeps the first line
// that does so on its own, under <id>.<side>.<source>.
func (l *lab) expect(source, text, id string, side diag.Side) {
	l.t.Helper()
	e, ok := diag.Explain(text)
	if !ok || e.ID != id || e.Side != side {
		l.t.Errorf("%s: explained as %q on %q (%s), want %s on %s, for:\n%s", source, e.ID, e.Side, e.SideWhy, id, side, tail(text, 30))
		return
	}
	line, found := excerpt(text, id, side)
	if !found {
		l.t.Errorf("%s: no excerpt explains as %s on %s:\n%s", source, id, side, tail(text, 30))
		return
	}
	l.cap.mu.Lock()
	defer l.cap.mu.Unlock()
	key := id + "." + string(side) + "." + source
	if _, dup := l.cap.m[key]; !dup {
		l.cap.m[key] = line
	}
}

// ctl runs etcdctl of the lab's version (3.4 or 3.7) and returns its output.
func (l *lab) ctl(env map[string]string, stdin string, args ...string) string {
	l.t.Helper()
	return l.ctlWith(l.etcdctl, env, stdin, args...)
}

func (l *lab) ctlWith(bin string, env map[string]string, stdin string, args ...string) string {
	l.t.Helper()
	out, errs, _ := l.u.runEnv(env, stdin, append([]string{bin, "--dial-timeout", "1s", "--command-timeout", "3s"}, args...)...)
	return out + errs
}

// fails runs etcdctl, which must fail, and returns what it printed.
func (l *lab) fails(endpoint string, args ...string) string {
	l.t.Helper()
	out, errs, code := l.u.runEnv(nil, "", append([]string{l.etcdctl, "--dial-timeout", "1s", "--command-timeout", "3s", "--endpoints", endpoint}, args...)...)
	if code == 0 {
		l.t.Fatalf("etcdctl %s %v succeeded:\n%s", l.v, args, out)
	}
	return out + errs
}

// selfDial: a member whose server certificate lacks clientAuth, with
// --client-cert-auth: etcd dials its own client URL (the gRPC gateway) with
// that certificate, and its own listener refuses it. 3.4 dials at start;
// 3.7 on the gateway's first request.
func (l *lab) selfDial() {
	crt, key := l.pki.issue(l.t, "server-noclientauth", certSpec{cn: "m0", eku: "serverAuth", san: "IP:127.0.0.1,DNS:localhost"})
	m := l.start(memberSpec{name: "m0", clientTLS: true, peerTLS: false, args: []string{"--cert-file", crt, "--key-file", key, "--client-cert-auth", "--trusted-ca-file", l.pki.ca}})[0]
	if l.v == "37" {
		body := m.gatewayUntil(l.t, l.pki, "connection error")
		l.expect("http37", body, "server-cert-no-clientauth", diag.SideSelf)
	}
	log := m.waitLog(l.t, regexp.MustCompile(`rejected connection`), 20*time.Second)
	l.expect("server"+l.v, log, "server-cert-no-clientauth", diag.SideSelf)
}

// peerExpired: two members, the second's peer certificate expired.
func (l *lab) peerExpired() {
	bad, badKey := l.pki.issue(l.t, "peer-expired", certSpec{cn: "m1", eku: "serverAuth,clientAuth", san: "IP:127.0.0.1,DNS:localhost", start: "20200101000000Z", end: "20200201000000Z"})
	ms := l.peers(bad, badKey)
	good := ms[0].waitLog(l.t, regexp.MustCompile(`(health check for peer|prober detected unhealthy status).*expired`), 30*time.Second)
	l.expect("server"+l.v, good, "peer-cert-expired", diag.SidePeer)
	broken := ms[1].waitLog(l.t, regexp.MustCompile(`(health check for peer|prober detected unhealthy status).*remote error`), 30*time.Second)
	if l.v == "34" { // Go 1.19's server sends "bad certificate" for an expired client certificate
		l.expect("server"+l.v, broken, "peer-cert-rejected", diag.SideSelf)
	} else {
		l.expect("server"+l.v, broken, "peer-cert-expired", diag.SideSelf)
	}
}

// peerDNSOnly: the second member's peer certificate holds only a DNS name
// that does not resolve: the first refuses it (etcd's check of the IP a peer
// connects from) and cannot verify it when dialling.
func (l *lab) peerDNSOnly() {
	bad, badKey := l.pki.issue(l.t, "peer-dns-only", certSpec{cn: "m1", eku: "serverAuth,clientAuth", san: "DNS:etcd-peer.invalid"})
	ms := l.peers(bad, badKey)
	good := ms[0].waitLog(l.t, regexp.MustCompile(`does not match any of DNSNames`), 30*time.Second)
	l.expect("server"+l.v, good, "peer-san-mismatch", diag.SidePeer)
	broken := ms[1].waitLog(l.t, regexp.MustCompile(`remote error: tls: bad certificate`), 30*time.Second)
	l.expect("server"+l.v, broken, "peer-cert-rejected", diag.SideSelf)
}

// peers starts two members over peer TLS with --peer-client-cert-auth; the
// second uses the given peer certificate.
func (l *lab) peers(crt, key string) []*etcdProc {
	good, goodKey := l.pki.issue(l.t, "peer-good", certSpec{cn: "m0", eku: "serverAuth,clientAuth", san: "IP:127.0.0.1,DNS:localhost"})
	common := []string{"--peer-trusted-ca-file", l.pki.ca, "--peer-client-cert-auth"}
	return l.start(
		memberSpec{name: "m0", peerTLS: true, args: append([]string{"--peer-cert-file", good, "--peer-key-file", goodKey}, common...)},
		memberSpec{name: "m1", peerTLS: true, args: append([]string{"--peer-cert-file", crt, "--peer-key-file", key}, common...)},
	)
}

// clientCerts: a member with --client-cert-auth on the host's own
// non-loopback address, so that the lines it logs about etcdctl's
// connections come from an address that is not loopback; etcdctl 3.7 runs
// with unfit certificates.
func (l *lab) clientCerts() {
	ip := hostIPv4()
	harness.Need(l.t, ip != "", "a non-loopback IPv4 address (to tell a client from the member itself)")
	crt, key := l.pki.issue(l.t, "server", certSpec{cn: "m0", eku: "serverAuth,clientAuth", san: "IP:127.0.0.1,IP:" + ip + ",DNS:localhost"})
	m := l.start(memberSpec{name: "m0", host: ip, clientTLS: true, args: []string{"--cert-file", crt, "--key-file", key, "--client-cert-auth", "--trusted-ca-file", l.pki.ca}})[0]
	noAuth, noAuthKey := l.pki.issue(l.t, "alice-serverauth", certSpec{cn: "alice", eku: "serverAuth"})
	old, oldKey := l.pki.issue(l.t, "alice-expired", certSpec{cn: "alice", eku: "clientAuth", start: "20200101000000Z", end: "20200201000000Z"})
	rogue, rogueKey := l.pki.issue(l.t, "alice-rogue", certSpec{cn: "alice", eku: "clientAuth", rogue: true})
	cases := []struct {
		name         string
		args         []string
		serverID     string
		serverSide   diag.Side
		ctlID        string
		ctlSide      diag.Side
		plainEndpont bool
	}{
		{"no-clientauth", []string{"--cacert", l.pki.ca, "--cert", noAuth, "--key", noAuthKey}, "client-cert-no-clientauth", diag.SideClient, "client-cert-no-clientauth", diag.SideClient, false},
		{"expired", []string{"--cacert", l.pki.ca, "--cert", old, "--key", oldKey}, "client-cert-expired", diag.SideClient, "client-cert-expired", diag.SideClient, false},
		{"rogue-ca", []string{"--cacert", l.pki.ca, "--cert", rogue, "--key", rogueKey}, "client-ca-untrusted", diag.SideClient, "client-ca-untrusted", diag.SideClient, false},
		{"no-cert", []string{"--cacert", l.pki.ca}, "client-cert-required", diag.SideClient, "client-cert-required", diag.SideClient, false},
		{"wrong-cacert", []string{"--cacert", l.pki.rogueCA, "--cert", noAuth, "--key", noAuthKey}, "server-ca-untrusted", diag.SideServer, "server-ca-untrusted", diag.SideServer, false},
		{"plaintext", nil, "server-requires-tls", diag.SideClient, "server-requires-tls", diag.SideClient, true},
	}
	for _, tc := range cases {
		ep := m.clientURL
		if tc.plainEndpont {
			ep = strings.Replace(ep, "https://", "http://", 1)
		}
		from := m.logSize()
		out := l.ctlFails(ep, tc.args...)
		if l.v == "37" {
			// When the server refuses its certificate, etcdctl at times sees only
			// a broken pipe: explain must then say timeout and point at etcd-diag.
			if refusedEarly(out) {
				checkVague(l.t, tc.name, out)
			} else {
				l.expect("etcdctl37", out, tc.ctlID, tc.ctlSide)
			}
		}
		// The lines the member logged about the refused connection (its
		// start-up lines name its own address, which a client on the same
		// host shares with the member's own gateway).
		refused := regexp.MustCompile(`rejected connection|TLS handshake error`)
		log := m.waitLogFrom(l.t, from, refused, 10*time.Second)
		l.expect("server"+l.v, grepLines(log, refused), tc.serverID, tc.serverSide)
	}
}

// refusedEarly: when a server refuses the client's certificate, etcdctl at
// times sees only its own write fail (TLS 1.3 reports the refusal after the
// handshake), a race no retry removes.
func refusedEarly(out string) bool {
	return strings.Contains(out, "write: broken pipe") || strings.Contains(out, "write: connection reset by peer")
}

// checkVague: a line that carries no cause is explained as timeout, pointing
// at etcd-diag.
func checkVague(t *testing.T, name, out string) {
	t.Helper()
	if e, ok := diag.Explain(out); !ok || e.ID != "timeout" || !strings.Contains(e.Note, "etcd-diag") {
		t.Errorf("%s: explain gave %q (note %q), want timeout pointing at etcd-diag for:\n%s", name, e.ID, e.Note, out)
	}
}

// ctlFails runs etcdctl 3.7 (which prints the cause; 3.4 prints only
// "context deadline exceeded") against endpoint; it must fail.
func (l *lab) ctlFails(endpoint string, args ...string) string {
	l.t.Helper()
	out, errs, code := l.u.runEnv(nil, "", append([]string{"etcdctl", "--dial-timeout", "1s", "--command-timeout", "1s", "--endpoints", endpoint}, append(args, "get", "k")...)...)
	if code == 0 {
		l.t.Fatalf("etcdctl %v succeeded:\n%s", args, out)
	}
	return out + errs
}

// requests: etcd's refusals of requests, limits and membership changes,
// from a plaintext member with small limits.
func (l *lab) requests() {
	m := l.start(memberSpec{name: "m0", args: []string{"--max-txn-ops", "2", "--max-request-bytes", "20000", "--quota-backend-bytes", "200000"}})[0]
	ep := m.clientURL
	src := "etcdctl" + l.v
	for _, k := range []string{"1", "2", "3"} {
		l.ctl(nil, "", "--endpoints", ep, "put", "k", k)
	}
	l.expect(src, l.fails(ep, "put", "big", strings.Repeat("x", 30000)), "request-too-large", diag.SideClient)
	l.expect(src, l.failsIn(ep, "\nput a 1\nput b 2\nput c 3\n\n\n", "txn", "--interactive=false"), "txn-too-many-ops", diag.SideClient)
	l.ctl(nil, "", "--endpoints", ep, "compact", "3")
	l.expect(src, l.fails(ep, "get", "k", "--rev", "1"), "revision-compacted", diag.SideClient)
	l.expect(src+"-watch", l.fails(ep, "watch", "k", "--rev", "1"), "revision-compacted", diag.SideClient)
	l.expect(src, l.fails(ep, "get", "k", "--rev", "100000"), "revision-future", diag.SideClient)
	l.expect(src, l.fails(ep, "lease", "revoke", "1234"), "lease-not-found", diag.SideClient)
	l.expect(src, l.fails(ep, "lease", "grant", "99999999999"), "lease-ttl-too-large", diag.SideClient)
	l.expect(src, l.fails(ep, "put", "", "v"), "request-key-empty", diag.SideClient)
	l.expect(src, l.fails(ep, "put", "nokey", "--ignore-value"), "request-key-not-found", diag.SideClient)
	l.expect(src, l.fails(ep, "role", "add", ""), "auth-role-empty", diag.SideClient)
	l.expect(src, l.fails(ep, "member", "remove", "1234"), "member-not-found", diag.SideClient)
	l.expect(src, l.fails(ep, "move-leader", "1234"), "leader-transferee-bad", diag.SideClient)
	l.expect(src, l.fails(ep, "member", "add", "again", "--peer-urls", m.peerURL), "member-peer-url-exists", diag.SideClient)
	if l.v == "37" {
		l.expect(src, l.fails(ep, "downgrade", "enable", "3.5"), "downgrade-target-invalid", diag.SideClient)
		l.expect(src+"-format", l.fails(ep, "downgrade", "enable", "three"), "downgrade-target-invalid", diag.SideClient)
	} else {
		// etcdctl 3.7 against etcd 3.4, which has no downgrade API.
		out, errs, _ := l.u.runEnv(nil, "", "etcdctl", "--dial-timeout", "1s", "--command-timeout", "3s", "--endpoints", ep, "downgrade", "enable", "3.3")
		l.expect("etcdctl37-etcd34", out+errs, "api-unsupported", diag.SideServer)
	}
	// Learners: one is allowed, unstarted it is not in sync, and a voting
	// member cannot be promoted.
	added := l.ctl(nil, "", "--endpoints", ep, "member", "add", "l1", "--learner", "--peer-urls", "http://127.0.0.1:1")
	learner := memberIDRE.FindStringSubmatch(added)
	if learner == nil {
		l.t.Fatalf("member add --learner: %s", added)
	}
	l.expect(src, l.fails(ep, "member", "add", "l2", "--learner", "--peer-urls", "http://127.0.0.1:2"), "learner-too-many", diag.SideServer)
	l.expect(src, l.fails(ep, "member", "promote", learner[1]), "learner-not-ready", diag.SideServer)
	self := ownMemberID(l.ctl(nil, "", "--endpoints", ep, "member", "list"), "m0")
	l.expect(src, l.fails(ep, "member", "promote", self), "member-not-learner", diag.SideClient)
	// Fill the quota: NOSPACE.
	var out string
	for i := 0; i < 40 && !strings.Contains(out, "space exceeded"); i++ {
		out = l.ctl(nil, "", "--endpoints", ep, "put", fmt.Sprintf("fill%d", i), strings.Repeat("x", 15000))
	}
	l.expect(src, out, "alarm-active", diag.SideServer)
	// An unstarted voting member: now a majority cannot be started.
	l.ctl(nil, "", "--endpoints", ep, "member", "add", "v1", "--peer-urls", "http://127.0.0.1:3")
	l.expect(src, l.fails(ep, "member", "add", "v2", "--peer-urls", "http://127.0.0.1:4"), "member-not-enough-started", diag.SideServer)
}

var memberIDRE = regexp.MustCompile(`Member\s+([0-9a-f]+) added`)

func ownMemberID(list, name string) string {
	for _, line := range strings.Split(list, "\n") {
		f := strings.Split(line, ", ")
		if len(f) > 2 && f[2] == name {
			return f[0]
		}
	}
	return ""
}

func (l *lab) failsIn(endpoint, stdin string, args ...string) string {
	l.t.Helper()
	out, errs, code := l.u.runEnv(nil, stdin, append([]string{l.etcdctl, "--dial-timeout", "1s", "--command-timeout", "3s", "--endpoints", endpoint}, args...)...)
	if code == 0 {
		l.t.Fatalf("etcdctl %s %v succeeded:\n%s", l.v, args, out)
	}
	return out + errs
}

// auth: auth administration mistakes, before and after auth enable.
func (l *lab) auth() {
	m := l.start(memberSpec{name: "m0"})[0]
	ep := m.clientURL
	src := "etcdctl" + l.v
	pw := randomHex(l.t, 8)
	l.expect(src, l.fails(ep, "auth", "enable"), "auth-root-user-missing", diag.SideServer)
	l.ctl(nil, pw+"\n", "--endpoints", ep, "user", "add", "root", "--interactive=false")
	l.expect(src, l.failsIn(ep, pw+"\n", "user", "add", "root", "--interactive=false"), "auth-user-exists", diag.SideClient)
	l.expect(src+"-user-get", l.fails(ep, "user", "get", "nobody"), "auth-user-not-found", diag.SideClient)
	l.ctl(nil, "", "--endpoints", ep, "role", "add", "r")
	l.expect(src, l.fails(ep, "role", "add", "r"), "auth-role-exists", diag.SideClient)
	l.expect(src, l.fails(ep, "role", "get", "nope"), "auth-role-not-found", diag.SideClient)
	l.expect(src, l.fails(ep, "user", "revoke-role", "root", "r"), "auth-role-not-granted", diag.SideClient)
	l.expect(src, l.fails(ep, "role", "revoke-permission", "r", "/x"), "auth-permission-not-granted", diag.SideClient)
	// etcdctl grants root the root role itself when auth enable says it lacks it.
	l.ctl(nil, "", "--endpoints", ep, "auth", "enable")
	root := map[string]string{"ETCDCTL_USER": "root", "ETCDCTL_PASSWORD": pw}
	out, errs, _ := l.u.runEnv(root, "", l.etcdctl, "--dial-timeout", "1s", "--command-timeout", "3s", "--endpoints", ep, "user", "revoke-role", "root", "root")
	l.expect(src, out+errs, "auth-mgmt-invalid", diag.SideClient)
	l.expect(src, l.fails(ep, "get", "k"), "auth-credentials-missing", diag.SideClient)
}

// jwt: a member with JWT tokens gets etcdctl 3.7's --auth-jwt-token with a
// token signed by another key, then an expired one; its log says why.
func (l *lab) jwt() {
	dir := l.t.TempDir()
	priv, pub := rsaPEM(l.t, dir, "jwt")
	other, _ := rsaPEM(l.t, dir, "other")
	m := l.start(memberSpec{name: "m0", args: []string{"--auth-token", "jwt,pub-key=" + pub + ",priv-key=" + priv + ",sign-method=RS256,ttl=10m"}})[0]
	ep := m.clientURL
	pw := randomHex(l.t, 8)
	l.ctl(nil, pw+"\n", "--endpoints", ep, "user", "add", "root", "--interactive=false")
	l.ctl(nil, "", "--endpoints", ep, "user", "grant-role", "root", "root")
	l.ctl(nil, "", "--endpoints", ep, "auth", "enable")
	for _, tc := range []struct {
		name, key string
		exp       time.Time
		log       *regexp.Regexp
	}{
		{"signature", other, time.Now().Add(time.Hour), regexp.MustCompile(`(?i)verification error`)},
		{"expired", priv, time.Now().Add(-time.Hour), regexp.MustCompile(`(?i)token is expired`)},
	} {
		token := signJWT(l.t, tc.key, tc.exp)
		from := m.logSize()
		out, errs, _ := l.u.runEnv(map[string]string{"ETCDCTL_AUTH_JWT_TOKEN": token}, "", "etcdctl", "--dial-timeout", "1s", "--command-timeout", "3s", "--endpoints", ep, "get", "k")
		if l.v == "37" && tc.name == "signature" {
			l.expect("etcdctl37", out+errs, "auth-token-invalid", diag.SideClient)
		}
		log := m.waitLogFrom(l.t, from, tc.log, 10*time.Second)
		l.expect("server"+l.v+"-"+tc.name, log, "auth-token-invalid", diag.SideClient)
	}
}

// local: etcdctl's own refusals before it connects: certificate and key
// files, flags and environment.
func (l *lab) local() {
	dir := l.t.TempDir()
	crt, key := l.pki.issue(l.t, "alice", certSpec{cn: "alice", eku: "clientAuth"})
	_, otherKey := l.pki.issue(l.t, "bob", certSpec{cn: "bob", eku: "clientAuth"})
	empty := filepath.Join(dir, "empty.pem")
	os.WriteFile(empty, nil, 0o600)
	garbage := filepath.Join(dir, "garbage.key")
	os.WriteFile(garbage, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("not a key")}), 0o600)
	ep := "https://127.0.0.1:" + strings.Split(closedPort(l.t), ":")[1]
	src := "etcdctl" + l.v
	cases := []struct {
		tag  string
		args []string
		env  map[string]string
		id   string
	}{
		{"key-is-cert", []string{"--cacert", l.pki.ca, "--cert", crt, "--key", crt}, nil, "client-cert-invalid"},
		{"empty-cert", []string{"--cacert", l.pki.ca, "--cert", empty, "--key", key}, nil, "client-cert-invalid"},
		{"mismatch", []string{"--cacert", l.pki.ca, "--cert", crt, "--key", otherKey}, nil, "client-cert-invalid"},
		{"garbage-key", []string{"--cacert", l.pki.ca, "--cert", crt, "--key", garbage}, nil, "client-cert-invalid"},
		{"env", nil, map[string]string{"ETCDCTL_ENDPOINTS": ep}, "etcdctl-env-conflict"},
	}
	for _, tc := range cases {
		out, errs, code := l.u.runEnv(tc.env, "", append(append([]string{l.etcdctl, "--dial-timeout", "1s", "--endpoints", ep}, tc.args...), "get", "k")...)
		if code == 0 {
			l.t.Fatalf("%s: etcdctl succeeded", tc.tag)
		}
		l.expect(src+"-"+tc.tag, out+errs, tc.id, diag.SideClient)
	}
	if l.v == "37" {
		l.expect(src, l.fails("::1:2379", "get", "k"), "endpoint-invalid", diag.SideClient)
	}
}

// serverCerts: etcd 3.7 with server certificates clients refuse: without
// serverAuth, signed with SHA-1, and with a Common Name but no SANs. etcd
// reads its certificate files on each handshake, so one member serves all.
func (l *lab) serverCerts() {
	crt, key := l.pki.issue(l.t, "server-ok", certSpec{cn: "m0", eku: "serverAuth,clientAuth", san: "IP:127.0.0.1,DNS:localhost"})
	m := l.start(memberSpec{name: "m0", clientTLS: true, args: []string{"--cert-file", crt, "--key-file", key}})[0]
	for _, tc := range []struct {
		name string
		spec certSpec
		ep   string
		id   string
	}{
		{"no-serverauth", certSpec{cn: "m0", eku: "clientAuth", san: "IP:127.0.0.1,DNS:localhost"}, m.clientURL, "server-cert-no-serverauth"},
		{"sha1", certSpec{cn: "m0", eku: "serverAuth,clientAuth", san: "IP:127.0.0.1,DNS:localhost", md: "sha1"}, m.clientURL, "cert-signature-insecure"},
		{"legacy-cn", certSpec{cn: "localhost", eku: "serverAuth,clientAuth"}, strings.Replace(m.clientURL, "127.0.0.1", "localhost", 1), "server-san-mismatch"},
	} {
		c, k := l.pki.issue(l.t, "server-"+tc.name, tc.spec)
		replaceFile(l.t, c, crt)
		replaceFile(l.t, k, key)
		out := l.ctlFails(tc.ep, "--cacert", l.pki.ca)
		l.expect("etcdctl37-"+tc.name, out, tc.id, diag.SideServer)
	}
}

func replaceFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	tmp := to + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, to); err != nil {
		t.Fatal(err)
	}
}

// --- etcd processes ---

// memberSpec is one member of a test cluster of processes.
type memberSpec struct {
	name               string
	host               string // 127.0.0.1 if empty
	clientTLS, peerTLS bool
	args               []string
}

// etcdProc is a running etcd process and its log (stderr).
type etcdProc struct {
	clientURL, peerURL string
	log                string
}

// start starts members of the lab's etcd version as one cluster; they are
// stopped when the test ends. It does not wait for them to serve: broken
// setups never do.
func (l *lab) start(specs ...memberSpec) []*etcdProc {
	l.t.Helper()
	dir := l.t.TempDir()
	procs := make([]*etcdProc, len(specs))
	var initial []string
	for i, s := range specs {
		host := s.host
		if host == "" {
			host = "127.0.0.1"
		}
		cs, ps := "http", "http"
		if s.clientTLS {
			cs = "https"
		}
		if s.peerTLS {
			ps = "https"
		}
		procs[i] = &etcdProc{
			clientURL: fmt.Sprintf("%s://%s:%d", cs, host, freeTCPPort(l.t, host)),
			peerURL:   fmt.Sprintf("%s://%s:%d", ps, host, freeTCPPort(l.t, host)),
			log:       filepath.Join(dir, s.name+".log"),
		}
		initial = append(initial, s.name+"="+procs[i].peerURL)
	}
	for i, s := range specs {
		p := procs[i]
		args := append([]string{"--name", s.name, "--data-dir", filepath.Join(dir, s.name),
			"--listen-client-urls", p.clientURL, "--advertise-client-urls", p.clientURL,
			"--listen-peer-urls", p.peerURL, "--initial-advertise-peer-urls", p.peerURL,
			"--initial-cluster", strings.Join(initial, ","), "--initial-cluster-token", "explain-" + s.name + l.v,
			"--heartbeat-interval", "50", "--election-timeout", "500"}, s.args...)
		logf, err := os.Create(p.log)
		if err != nil {
			l.t.Fatal(err)
		}
		cmd := exec.Command(l.etcd, args...)
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			l.t.Fatal(err)
		}
		l.t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			logf.Close()
		})
	}
	for _, p := range procs {
		waitPort(l.t, p.clientURL)
	}
	return procs
}

func (p *etcdProc) logSize() int64 { return fileSize(p.log) }

// waitLog waits until the log has a line matching re and returns the whole log.
func (p *etcdProc) waitLog(t *testing.T, re *regexp.Regexp, timeout time.Duration) string {
	t.Helper()
	return p.waitLogFrom(t, 0, re, timeout)
}

// waitLogFrom is waitLog for the part of the log written after offset from.
func (p *etcdProc) waitLogFrom(t *testing.T, from int64, re *regexp.Regexp, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		data, _ := os.ReadFile(p.log)
		if int64(len(data)) >= from {
			data = data[from:]
		}
		if re.Match(data) {
			return string(data)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no line matching %q in %s within %v:\n%s", re, p.log, timeout, tail(string(data), 20))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// gatewayUntil posts a range request to the member's HTTP/JSON gateway (with
// a valid client certificate) until the answer contains want, and returns it.
func (p *etcdProc) gatewayUntil(t *testing.T, pki *sslPKI, want string) string {
	t.Helper()
	crt, key := pki.issue(t, "gateway-client", certSpec{cn: "root", eku: "clientAuth"})
	pair, err := tls.LoadX509KeyPair(crt, key)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(mustRead(t, pki.ca))
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}}}}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := client.Post(p.clientURL+"/v3/kv/range", "application/json", strings.NewReader(`{"key":"YQ=="}`))
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(body), want) {
				return string(body)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gateway never answered %q (last error %v)", want, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func waitPort(t *testing.T, url string) {
	t.Helper()
	addr := url[strings.Index(url, "://")+3:]
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not accept connections: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeTCPPort(t *testing.T, host string) int {
	t.Helper()
	// Reserved below the ephemeral range until the test ends: a port found
	// with :0 and closed again can be taken before etcd binds it.
	p, err := harness.ReservePort()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Release)
	return p.Number
}

// hostIPv4 is the first non-loopback IPv4 address of an interface that is up.
func hostIPv4() string {
	ifs, _ := net.Interfaces()
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsGlobalUnicast() {
				return n.IP.String()
			}
		}
	}
	return ""
}

// --- certificates made by openssl ---

// sslPKI is a CA (and a rogue CA) made with the openssl command, which signs
// the certificates of the broken setups.
type sslPKI struct {
	dir, ca, rogueCA string
	mu               sync.Mutex
}

// certSpec is what goes into a certificate: CN, extendedKeyUsage, SANs
// (openssl syntax), validity (openssl ca dates; ten days from now if empty),
// digest, and whether the rogue CA signs it.
type certSpec struct {
	cn, eku, san, start, end, md string
	rogue                        bool
}

func newSSLPKI(t *testing.T) *sslPKI {
	t.Helper()
	p := &sslPKI{dir: t.TempDir()}
	for _, name := range []string{"ca", "rogue"} {
		d := filepath.Join(p.dir, name+"-db")
		os.MkdirAll(filepath.Join(d, "certs"), 0o700)
		os.WriteFile(filepath.Join(d, "index"), nil, 0o600)
		os.WriteFile(filepath.Join(d, "serial"), []byte("1000\n"), 0o600)
		cnf := fmt.Sprintf("[ca]\ndefault_ca=d\n[d]\ndatabase=%s/index\nserial=%s/serial\nnew_certs_dir=%s/certs\ndefault_md=sha256\npolicy=p\nunique_subject=no\ncopy_extensions=none\n[p]\ncommonName=supplied\n", d, d, d)
		os.WriteFile(filepath.Join(d, "ca.cnf"), []byte(cnf), 0o600)
		openssl(t, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
			"-keyout", filepath.Join(p.dir, name+".key"), "-out", filepath.Join(p.dir, name+".crt"), "-subj", "/CN=explain "+name+" CA")
	}
	p.ca, p.rogueCA = filepath.Join(p.dir, "ca.crt"), filepath.Join(p.dir, "rogue.crt")
	return p
}

// issue makes a key and a certificate signed by the CA and returns their paths.
func (p *sslPKI) issue(t *testing.T, name string, s certSpec) (string, string) {
	t.Helper()
	p.mu.Lock() // openssl ca keeps a database
	defer p.mu.Unlock()
	dir := t.TempDir()
	key, csr, crt, ext := filepath.Join(dir, name+".key"), filepath.Join(dir, name+".csr"), filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".ext")
	openssl(t, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN="+s.cn)
	e := "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=" + s.eku + "\n"
	if s.san != "" {
		e += "subjectAltName=" + s.san + "\n"
	}
	os.WriteFile(ext, []byte(e), 0o600)
	ca := "ca"
	if s.rogue {
		ca = "rogue"
	}
	start, end, md := s.start, s.end, s.md
	if start == "" {
		start = time.Now().Add(-time.Hour).UTC().Format("20060102150405Z")
		end = time.Now().AddDate(0, 0, 10).UTC().Format("20060102150405Z")
	}
	if md == "" {
		md = "sha256"
	}
	openssl(t, "ca", "-batch", "-notext", "-config", filepath.Join(p.dir, ca+"-db", "ca.cnf"), "-cert", filepath.Join(p.dir, ca+".crt"), "-keyfile", filepath.Join(p.dir, ca+".key"),
		"-in", csr, "-out", crt, "-startdate", start, "-enddate", end, "-md", md, "-extfile", ext)
	return crt, key
}

func openssl(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
}

// rsaPEM makes an RSA key pair with openssl and returns the private and
// public key files.
func rsaPEM(t *testing.T, dir, name string) (string, string) {
	t.Helper()
	priv, pub := filepath.Join(dir, name+".key"), filepath.Join(dir, name+".pub")
	openssl(t, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", priv)
	openssl(t, "pkey", "-in", priv, "-pubout", "-out", pub)
	return priv, pub
}

// signJWT mints the token etcd would mint for root, signed with keyFile.
func signJWT(t *testing.T, keyFile string, exp time.Time) string {
	t.Helper()
	block, _ := pem.Decode(mustRead(t, keyFile))
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"username": "root", "revision": 1, "exp": exp.Unix()})
	s, err := tok.SignedString(k.(*rsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// startupTLS are a member's start-up lines saying what it serves over TLS,
// the context some of its other lines need.
var startupTLS = regexp.MustCompile(`ClientTLS: cert = |peerTLS: cert = |"msg":"starting with (?:client|peer) TLS"`)

// excerpt is the shortest part of a log that explains as id on side: one
// line, or one line after the member's start-up lines about TLS.
func excerpt(text, id string, side diag.Side) (string, bool) {
	for _, l := range strings.Split(text, "\n") {
		if e, ok := diag.Explain(l); ok && e.ID == id && e.Side == side {
			return l, true
		}
	}
	ctx := grepLines(text, startupTLS)
	for _, l := range strings.Split(text, "\n") {
		if ctx == "" || startupTLS.MatchString(l) {
			continue
		}
		if e, ok := diag.Explain(ctx + "\n" + l); ok && e.ID == id && e.Side == side {
			return ctx + "\n" + l, true
		}
	}
	return "", false
}

func grepLines(text string, re *regexp.Regexp) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if re.MatchString(l) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
