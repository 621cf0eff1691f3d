package tests

import (
	"flag"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

var updateExplain = flag.Bool("update-explain", false, "rewrite testdata/explain from live captures")

// scenario is a broken setup etcdctl is run against: its flags and
// environment, the id and side it stands for, and which captured sources
// must be recognised: "etcdctl37", "etcdctl34" (their stderr) and "server37"
// (the lines the embedded etcd 3.7 logged meanwhile).
type scenario struct {
	name    string
	id      string
	side    diag.Side
	cluster *harness.Cluster
	args    []string
	env     map[string]string
	sources []string
	vague   []string // sources that carry no cause: explain must say timeout and point at etcd-diag
}

// TestExplainCapturedErrors runs etcdctl 3.7 and Debian's 3.4 against each
// broken setup, captures what they and the server say, and checks that
// `etcd-diag explain` maps those lines to the same id etcd-diag finds live.
// With -update-explain the captures are stored in testdata/explain, where the
// diag package's unit tests read them offline.
func TestExplainCapturedErrors(t *testing.T) {
	old := harness.DebianEtcdctl()
	harness.Need(t, old != "", "Debian etcdctl 3.4")
	u := newUser(t, false)
	rbac := startCluster(t, harness.RBAC)
	pwd := startCluster(t, harness.PwdRBAC)
	plain := startCluster(t, harness.Plain)
	expired := startCluster(t, harness.TLS)
	rotateServerCert(t, expired, certwiz.Request{DNS: []string{"localhost"}, IPs: []net.IP{net.ParseIP("127.0.0.1")}, Days: 1, NotBefore: time.Now().AddDate(0, 0, -3)})
	noIP := startCluster(t, harness.TLS)
	rotateServerCert(t, noIP, certwiz.Request{DNS: []string{"etcd-0.example.internal"}})
	ca := caOf(t, rbac)
	p := rbac.PKI
	srv := serverOnlyCert(t, ca)
	dir := t.TempDir()
	srvCrt, srvKey := filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key")
	os.WriteFile(srvCrt, srv.CertPEM, 0o600)
	os.WriteFile(srvKey, srv.KeyPEM, 0o600)
	oldCrt, oldKey := issueFiles(t, ca, certwiz.Request{Role: certwiz.RoleClient, CommonName: "alice", Days: 1, NotBefore: time.Now().AddDate(0, 0, -5)})
	strangerCrt, strangerKey := issueFiles(t, ca, certwiz.Request{Role: certwiz.RoleClient, CommonName: "stranger", Days: 1})

	ep := rbac.Endpoints[0]
	scenarios := []scenario{
		{name: "refused", id: "connection-refused", side: diag.SideServer, args: []string{"--endpoints", "http://" + closedPort(t)}, sources: []string{"etcdctl37"}, vague: []string{"etcdctl34"}},
		{name: "wrong-ca", id: "server-ca-untrusted", side: diag.SideServer, cluster: rbac, args: []string{"--endpoints", ep, "--cacert", p.PeerCA, "--cert", p.UserCert, "--key", p.UserKey}, sources: []string{"etcdctl37", "server37"}, vague: []string{"etcdctl34"}},
		{name: "no-ip-san", id: "server-san-mismatch", side: diag.SideServer, cluster: noIP, args: []string{"--endpoints", noIP.Endpoints[0], "--cacert", noIP.PKI.CA}, sources: []string{"etcdctl37"}, vague: []string{"etcdctl34"}},
		{name: "server-expired", id: "server-cert-expired", side: diag.SideServer, cluster: expired, args: []string{"--endpoints", expired.Endpoints[0], "--cacert", expired.PKI.CA}, sources: []string{"etcdctl37"}, vague: []string{"etcdctl34"}},
		{name: "no-client-cert", id: "client-cert-required", side: diag.SideClient, cluster: rbac, args: []string{"--endpoints", ep, "--cacert", p.CA}, sources: []string{"server37"}, vague: []string{"etcdctl34"}},
		// A client on the member's host connects from loopback, as etcd's own
		// gateway does: its refusals of a client certificate are captured from
		// another address in TestExplainCapturedLogs.
		{name: "rogue-client", id: "client-ca-untrusted", side: diag.SideClient, cluster: rbac, args: []string{"--endpoints", ep, "--cacert", p.CA, "--cert", p.RogueCert, "--key", p.RogueKey}, sources: []string{"etcdctl37"}, vague: []string{"etcdctl34"}},
		{name: "no-clientauth", id: "client-cert-no-clientauth", side: diag.SideClient, cluster: rbac, args: []string{"--endpoints", ep, "--cacert", p.CA, "--cert", srvCrt, "--key", srvKey}, sources: []string{"etcdctl37"}, vague: []string{"etcdctl34"}},
		{name: "client-expired", id: "client-cert-expired", side: diag.SideClient, cluster: rbac, args: []string{"--endpoints", ep, "--cacert", p.CA, "--cert", oldCrt, "--key", oldKey}, sources: []string{"etcdctl37"}, vague: []string{"etcdctl34"}},
		{name: "https-to-plain", id: "server-not-tls", side: diag.SideClient, cluster: plain, args: []string{"--endpoints", strings.Replace(plain.Endpoints[0], "http://", "https://", 1), "--cacert", p.CA}, sources: []string{"etcdctl37"}, vague: []string{"etcdctl34"}},
		{name: "http-to-tls", id: "server-requires-tls", side: diag.SideClient, cluster: rbac, args: []string{"--endpoints", strings.Replace(ep, "https://", "http://", 1)}, sources: []string{"server37", "etcdctl37"}},
		{name: "no-credentials", id: "auth-credentials-missing", side: diag.SideClient, cluster: pwd, args: []string{"--endpoints", pwd.Endpoints[0], "--cacert", pwd.PKI.CA}, sources: []string{"etcdctl37", "etcdctl34"}},
		{name: "bad-password", id: "auth-bad-credentials", side: diag.SideClient, cluster: pwd, args: []string{"--endpoints", pwd.Endpoints[0], "--cacert", pwd.PKI.CA, "--user", harness.User},
			env: map[string]string{"ETCDCTL_PASSWORD": "wrong"}, sources: []string{"etcdctl37", "etcdctl34"}},
		{name: "bad-token", id: "auth-token-invalid", side: diag.SideClient, cluster: pwd, args: []string{"--endpoints", pwd.Endpoints[0], "--cacert", pwd.PKI.CA},
			env: map[string]string{"ETCDCTL_AUTH_JWT_TOKEN": "bogus.token"}, sources: []string{"etcdctl37"}},
		{name: "denied", id: "permission-denied", side: diag.SideClient, cluster: rbac, args: []string{"--endpoints", ep, "--cacert", p.CA, "--cert", p.UserCert, "--key", p.UserKey}, sources: []string{"etcdctl37", "etcdctl34"}},
		{name: "cn-not-a-user", id: "auth-user-not-found", side: diag.SideClient, cluster: rbac, args: []string{"--endpoints", ep, "--cacert", p.CA, "--cert", strangerCrt, "--key", strangerKey, "user", "list"}, sources: []string{"etcdctl37", "etcdctl34"}},
	}
	var mu sync.Mutex
	captures := map[string]string{}
	t.Cleanup(func() {
		if *updateExplain {
			writeCaptures(t, captures)
		}
	})
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if !slices.Contains(sc.sources, "server37") {
				t.Parallel() // each failing etcdctl waits out its timeouts; server logs must not mix
			}
			logSize := map[string]int64{}
			logs := logFiles(sc.cluster)
			for _, l := range logs {
				logSize[l] = fileSize(l)
			}
			got := map[string]string{}
			for src, bin := range map[string]string{"etcdctl37": "etcdctl", "etcdctl34": old} {
				if src == "etcdctl34" && sc.env["ETCDCTL_AUTH_JWT_TOKEN"] != "" {
					continue // 3.4 has no token flag
				}
				args := append([]string{bin, "--dial-timeout", "2s", "--command-timeout", "2s"}, sc.args...)
				if !slices.Contains(sc.args, "user") {
					args = append(args, "get", "/other/k")
				}
				var errs string
				var code int
				// etcdctl logs the gRPC balancer's latest error, which at times is
				// only "all SubConns are in TransientFailure": a retry gets the cause.
				for try := 0; try < 3; try++ {
					_, errs, code = u.runEnv(sc.env, "", args...)
					if e, _ := diag.Explain(errs); e.ID == sc.id || src != "etcdctl37" || !slices.Contains(sc.sources, src) {
						break
					}
				}
				if code == 0 {
					t.Fatalf("%s succeeded in a broken setup", src)
				}
				got[src] = errs
			}
			time.Sleep(100 * time.Millisecond) // let the server flush its log line
			var server []string
			for _, l := range logs {
				server = append(server, newLines(l, logSize[l])...)
			}
			got["server37"] = strings.Join(server, "\n")
			for _, src := range sc.sources {
				text := got[src]
				if src == "etcdctl37" && refusedEarly(text) {
					checkVague(t, src, text)
					continue
				}
				e, ok := diag.Explain(text)
				if !ok || e.ID != sc.id || e.Side != sc.side {
					t.Errorf("%s: explain gave %q on %q, want %s on %s for:\n%s", src, e.ID, e.Side, sc.id, sc.side, text)
				}
				mu.Lock()
				captures[sc.id+"."+string(sc.side)+"."+src] = firstMatchingLine(text, sc.id, sc.side)
				mu.Unlock()
			}
			for _, src := range sc.vague {
				if e, ok := diag.Explain(got[src]); !ok || e.ID != "timeout" || !strings.Contains(e.Note, "etcd-diag") {
					t.Errorf("%s: explain gave %q (note %q), want timeout pointing at etcd-diag for:\n%s", src, e.ID, e.Note, got[src])
				}
			}
			// The CLI says the same.
			if src := sc.sources[0]; got[src] != "" && !refusedEarly(got[src]) {
				out := u.ok("", "etcd-diag", "explain", "-o", "json", firstMatchingLine(got[src], sc.id, sc.side))
				if !strings.Contains(out, `"id": "`+sc.id+`"`) || !strings.Contains(out, `"side": "`+string(sc.side)+`"`) {
					t.Errorf("etcd-diag explain: %s", out)
				}
			}
		})
	}
}

func logFiles(c *harness.Cluster) []string {
	if c == nil {
		return nil
	}
	files, _ := filepath.Glob(filepath.Join(c.Dir, "*.log"))
	return files
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func newLines(path string, from int64) []string {
	data, err := os.ReadFile(path)
	if err != nil || int64(len(data)) < from {
		return nil
	}
	return strings.Split(strings.TrimSpace(string(data[from:])), "\n")
}

// firstMatchingLine picks the first line explain recognises on its own as
// id on side, as a user would paste it.
func firstMatchingLine(text, id string, side diag.Side) string {
	for _, l := range strings.Split(text, "\n") {
		if e, ok := diag.Explain(l); ok && e.ID == id && e.Side == side {
			return l
		}
	}
	return text
}

func writeCaptures(t *testing.T, captures map[string]string) {
	dir := filepath.Join("..", "diag", "testdata", "explain")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(captures))
	for k := range captures {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		// Keep the recognised line only: captures carry temp paths and ports.
		if err := os.WriteFile(filepath.Join(dir, k+".txt"), []byte(strings.TrimSpace(captures[k])+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
