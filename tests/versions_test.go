package tests

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/versions with what real etcd printed")

// matrixVersions are the etcd versions of the auth matrix: the embedded 3.7,
// 3.6 and 3.5 processes built from the module proxy, Debian's 3.4.
var matrixVersions = []string{"", "3.6", "3.5", "3.4"}

func versionLabel(v string) string {
	if v == "" {
		return "3.7"
	}
	return v
}

// needVersion skips a Debian 3.4 case where the package is missing (and
// fails in CI, which must have it).
func needVersion(t *testing.T, v string) {
	t.Helper()
	if v == "3.4" {
		harness.Need(t, harness.HasEtcd34(), "Debian's etcd 3.4 (package etcd-server)")
	}
}

// startClusters starts several clusters at once (each waits for its quorum).
func startClusters(t *testing.T, opts ...harness.Options) []*harness.Cluster {
	t.Helper()
	out := make([]*harness.Cluster, len(opts))
	errs := make([]error, len(opts))
	var wg sync.WaitGroup
	for i, o := range opts {
		o.Dir = t.TempDir()
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = harness.Start(o)
		}()
	}
	wg.Wait()
	for i, c := range out {
		if c != nil {
			t.Cleanup(c.Close)
		}
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
	}
	return out
}

// opensslClient issues a client certificate with openssl from a CA on disk:
// test certificates for a diagnosis are never made by certwiz alone.
func opensslClient(t *testing.T, caCrt, caKey, cn string) (string, string) {
	t.Helper()
	harness.Need(t, harness.HasCommand("openssl"), "openssl")
	dir := t.TempDir()
	crt, key, csr, ext := filepath.Join(dir, cn+".crt"), filepath.Join(dir, cn+".key"), filepath.Join(dir, cn+".csr"), filepath.Join(dir, "ext")
	if err := os.WriteFile(ext, []byte("[client]\nbasicConstraints = CA:FALSE\nkeyUsage = digitalSignature\nextendedKeyUsage = clientAuth\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + cn, "-keyout", key, "-out", csr},
		{"x509", "-req", "-in", csr, "-CA", caCrt, "-CAkey", caKey, "-days", "365", "-extfile", ext, "-extensions", "client", "-out", crt},
	} {
		if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	return crt, key
}

// golden collects what real etcdctl and etcd logs print in each situation
// on each version, and compares it with testdata/versions/SITUATION.txt:
// proof that the situation a finding names is the one real servers show.
type golden struct {
	mu    sync.Mutex
	lines map[string]map[string][]string // situation → version → lines
}

var captured = &golden{lines: map[string]map[string][]string{}}

func (g *golden) add(situation, version string, line string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.lines[situation] == nil {
		g.lines[situation] = map[string][]string{}
	}
	g.lines[situation][version] = append(g.lines[situation][version], line)
}

// check compares one situation's captured lines with its golden file, for
// the versions that ran (a skipped version keeps its golden lines).
func (g *golden) check(t *testing.T, situation string) {
	t.Helper()
	path := filepath.Join("testdata", "versions", situation+".txt")
	want := map[string][]string{}
	if data, err := os.ReadFile(path); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if m := goldenLine.FindStringSubmatch(l); m != nil {
				want[m[1]] = append(want[m[1]], m[2])
			}
		}
	}
	g.mu.Lock()
	got := g.lines[situation]
	g.mu.Unlock()
	if *updateGolden {
		for v, lines := range got {
			want[v] = lines
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# %s: what real etcdctl and etcd members print, per etcd version (captured by tests/versions_test.go; -update rewrites)\n", situation)
		var vs []string
		for v := range want {
			vs = append(vs, v)
		}
		sort.Strings(vs)
		for _, v := range vs {
			for _, l := range want[v] {
				fmt.Fprintf(&b, "[%s] %s\n", v, l)
			}
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for v, lines := range got {
		if !slices.Equal(lines, want[v]) {
			t.Errorf("%s on etcd %s: real etcd printed\n  %s\nbut %s holds\n  %s\n(rerun with -update if etcd changed)", situation, v, strings.Join(lines, "\n  "), path, strings.Join(want[v], "\n  "))
		}
	}
}

var goldenLine = regexp.MustCompile(`^\[([^\]]+)\] (.*)$`)

// etcdctlSays runs etcdctl (3.7, and Debian's 3.4 when installed) and
// records the error line it prints.
func etcdctlSays(t *testing.T, u *user, situation, version string, args ...string) {
	t.Helper()
	bins := map[string]string{"etcdctl 3.7": "etcdctl"}
	if p := harness.DebianEtcdctl(); p != "" && !slices.Contains(args, "--auth-jwt-token") { // 3.4 cannot send tokens
		bins["etcdctl 3.4"] = p
	}
	names := []string{"etcdctl 3.4", "etcdctl 3.7"}
	for _, name := range names {
		bin, ok := bins[name]
		if !ok {
			continue
		}
		_, errs, code := u.run("", append([]string{bin, "--command-timeout", "3s"}, args...)...)
		if code == 0 {
			captured.add(situation, version, name+": (succeeds)")
			continue
		}
		captured.add(situation, version, name+": "+lastErrorLine(errs))
	}
}

// lastErrorLine is etcdctl's error: its "Error: …" line, else a "Failed …"
// line, else its last JSON log line as message and error; addresses, which
// change from run to run, become URL.
func lastErrorLine(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	var failed, logged string
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		switch {
		case strings.HasPrefix(l, "Error:"):
			return urlRE.ReplaceAllString(l, "URL")
		case strings.HasPrefix(l, "Failed") && failed == "":
			failed = l
		case strings.HasPrefix(l, "{") && logged == "":
			logged = logMessage(l)
		}
	}
	l := urlRE.ReplaceAllString(pick(failed != "", failed, pick(logged != "", logged, lines[len(lines)-1])), "URL")
	return tookRE.ReplaceAllString(l, "took D")
}

var tookRE = regexp.MustCompile(`took [0-9.]+[µmn]?s`)

var urlRE = regexp.MustCompile(`(https?://|passthrough:///|etcd-endpoints://)[^\] )"',]+`)

func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

// logSays records the first line of a member's log that matches re, as its
// message (zap's msg and error fields, or capnslog's text without the time).
func logSays(t *testing.T, situation, version, path string, re *regexp.Regexp) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if l := sc.Text(); re.MatchString(l) {
				f.Close()
				captured.add(situation, version, "member log: "+logMessage(l))
				return
			}
		}
		f.Close()
		if time.Now().After(deadline) {
			t.Errorf("%s: no line matching %q in %s", situation, re, path)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var capnslogPrefix = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ `)

func logMessage(line string) string {
	var z struct {
		Level, Msg, Error string
		User              string `json:"user-name"`
	}
	if json.Unmarshal([]byte(line), &z) == nil && z.Msg != "" {
		s := z.Level + " " + z.Msg
		if z.User != "" {
			s += " user-name=" + z.User
		}
		if z.Error != "" {
			s += " error=" + z.Error
		}
		return s
	}
	return capnslogPrefix.ReplaceAllString(line, "")
}

// findingOf returns the report's finding with the id, failing without one.
func findingOf(t *testing.T, r *diag.Report, id string) diag.Finding {
	t.Helper()
	for _, f := range r.Findings {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no %s finding; got %v", id, findingIDs(r))
	return diag.Finding{}
}

func mustContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s %q does not contain %q", what, s, sub)
		}
	}
}

// TestDiagAuthMatrix produces every authentication finding on each etcd
// version where its situation exists (embedded 3.7, 3.6 and 3.5 processes,
// Debian's 3.4), asserting the id and the fix, and records what etcdctl
// and the member log print there (testdata/versions). Per version, one
// TLS+password cluster (auth on, then off) and one mTLS cluster whose
// client certificate CN is the user.
func TestDiagAuthMatrix(t *testing.T) {
	u := newUser(t, false)
	for _, v := range matrixVersions {
		t.Run("etcd"+versionLabel(v), func(t *testing.T) {
			needVersion(t, v)
			pwdOpts, mtlsOpts := harness.PwdRBAC, harness.RBAC
			pwdOpts.Version, mtlsOpts.Version = v, v
			cs := startClusters(t, pwdOpts, mtlsOpts)
			authMatrixPassword(t, u, v, cs[0])
			authMatrixCertificates(t, u, v, cs[1])
		})
	}
	for _, s := range []string{"auth-credentials-missing", "auth-user-not-found", "auth-bad-credentials", "root-role-required"} {
		captured.check(t, s)
	}
}

// authMatrixPassword: auth on without a client CA, then auth off.
func authMatrixPassword(t *testing.T, u *user, v string, c *harness.Cluster) {
	label := versionLabel(v)
	base := []string{"--endpoints", c.Endpoints[0], "--cacert", c.PKI.CA}
	etcdctl := []string{"--endpoints", c.Endpoints[0], "--cacert", c.PKI.CA}

	// Issue 12, input 1: no user, no certificate; healthy on 3.4 before.
	r, code, _ := diagReport(t, u, "", base...)
	f := expectFinding(t, r, code, "auth-credentials-missing", "--user USER --password-stdin")
	etcdctlSays(t, u, "auth-credentials-missing", label, append(etcdctl, "get", "k")...)

	// A certificate the server does not take (no --client-cert-auth) is no identity.
	r, code, _ = diagReport(t, u, "", append(base, "--cert", c.PKI.UserCert, "--key", c.PKI.UserKey)...)
	f = expectFinding(t, r, code, "auth-credentials-missing", "--user")
	mustContain(t, "evidence", strings.Join(f.Evidence, " "), "CN=alice")

	r, code, out := diagReport(t, u, "not-the-password\n", append(base, "--user", harness.User, "--password-stdin")...)
	expectFinding(t, r, code, "auth-bad-credentials", "etcdctl user passwd alice")
	if strings.Contains(out, "not-the-password") {
		t.Error("the password appears in the report")
	}
	etcdctlSays(t, u, "auth-bad-credentials", label, append(etcdctl, "--user", harness.User+":not-the-password", "get", "k")...)

	// The right password: healthy on every version, whatever AuthStatus does
	// (3.4 lacks it, 3.5 and 3.6 refuse it to non-root users).
	r, code, _ = diagReport(t, u, c.UserPassword+"\n", append(base, "--user", harness.User, "--password-stdin")...)
	if code != 0 || !r.Healthy {
		t.Fatalf("alice with her password: exit %d %v", code, findingIDs(r))
	}
	a := r.Endpoints[0].Auth
	want := map[string]string{"3.7": "AuthStatus", "3.6": "AuthStatus refused", "3.5": "AuthStatus refused", "3.4": "Authenticate (etcd 3.4"}[label]
	if a == nil || !a.Enabled || !strings.HasPrefix(a.DecidedBy, want) || a.User != harness.User || !slices.Equal(a.Roles, []string{"alice-role"}) {
		t.Errorf("auth as seen on %s: %+v, want enabled, decided by %q, user alice with alice-role", label, a, want)
	}

	// --admin: alice lacks the root role; root has it.
	r, code, _ = diagReport(t, u, c.UserPassword+"\n", append(base, "--user", harness.User, "--password-stdin", "--admin")...)
	f = expectFinding(t, r, code, "root-role-required", "etcdctl user grant-role alice root")
	if strings.Contains(f.Fix, "grant-permission ") {
		t.Errorf("root-role-required proposes a key-range grant: %s", f.Fix)
	}
	etcdctlSays(t, u, "root-role-required", label, append(etcdctl, "--user", harness.User+":"+c.UserPassword, "defrag")...)
	if r, code, _ := diagReport(t, u, c.RootPassword+"\n", append(base, "--user", "root", "--password-stdin", "--admin")...); code != 0 {
		t.Errorf("root --admin: exit %d %v", code, findingIDs(r))
	}

	// Issue 12, input 2: auth off, a password given: it is unused.
	cli, err := c.Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cli.AuthDisable(ctx); err != nil {
		t.Fatal(err)
	}
	cli.Close()
	r, code, _ = diagReport(t, u, "pw\n", append(base, "--user", "root", "--password-stdin")...)
	f = expectFinding(t, r, code, "auth-disabled", "auth enable")
	if f.Severity != diag.Warning {
		t.Errorf("auth-disabled with a password given is %s, want a warning", f.Severity)
	}
	mustContain(t, "cause", f.Cause, "not used", "anyone who reaches the port may read and write every key")
	// Without credentials auth off is information only.
	r, code, _ = diagReport(t, u, "", base...)
	if code != 0 || findingOf(t, r, "auth-disabled").Severity != diag.Info {
		t.Errorf("auth off, no credentials: exit %d %v", code, r.Findings)
	}
}

// authMatrixCertificates: client certificates are the identity (CN).
func authMatrixCertificates(t *testing.T, u *user, v string, c *harness.Cluster) {
	label := versionLabel(v)
	ghostCrt, ghostKey := opensslClient(t, c.PKI.CA, c.PKI.CAKey, "kube-apiserver-etcd-client")
	base := []string{"--endpoints", c.Endpoints[0], "--cacert", c.PKI.CA}
	ghost := append(slices.Clone(base), "--cert", ghostCrt, "--key", ghostKey)

	// Issue 12, input 3: the CN is not an etcd user; healthy before.
	r, code, _ := diagReport(t, u, "", ghost...)
	f := expectFinding(t, r, code, "auth-user-not-found", "etcdctl user add kube-apiserver-etcd-client --no-password")
	mustContain(t, "cause", f.Cause, "CN kube-apiserver-etcd-client is not an etcd user, so every request is denied")
	mustContain(t, "fix", f.Fix, "user grant-role kube-apiserver-etcd-client ROLE")
	etcdctlSays(t, u, "auth-user-not-found", label, append(slices.Clone(ghost), "get", "/registry/x")...)
	logSays(t, "auth-user-not-found", label, c.LogPath(0), regexp.MustCompile(`cannot find a user for permission check|invalid user name .* for permission checking`))

	// With --key-path, never a grant to a user that does not exist.
	r, code, _ = diagReport(t, u, "", append(ghost, "--key-path", "/registry/", "--prefix")...)
	expectFinding(t, r, code, "auth-user-not-found", "--no-password")
	for _, f := range r.Findings {
		if f.ID == "permission-denied" || strings.Contains(f.Fix, "grant-permission kube") {
			t.Errorf("a grant proposed for a user that does not exist: %+v", f)
		}
	}

	// An existing user is told which role to extend (on every version).
	alice := append(slices.Clone(base), "--cert", c.PKI.UserCert, "--key", c.PKI.UserKey)
	r, code, _ = diagReport(t, u, "", append(alice, "--key-path", "/registry/", "--prefix")...)
	expectFinding(t, r, code, "permission-denied", "etcdctl role grant-permission alice-role read /registry/ --prefix")
	// Healthy without a key path: AuthStatus refused to alice on 3.5/3.6 is not a finding.
	if r, code, _ := diagReport(t, u, "", alice...); code != 0 {
		t.Errorf("alice's certificate: exit %d %v", code, r.Findings)
	}
	r, code, _ = diagReport(t, u, "", append(alice, "--admin")...)
	expectFinding(t, r, code, "root-role-required", "user grant-role alice root")
	root := append(slices.Clone(base), "--cert", c.PKI.RootCert, "--key", c.PKI.RootKey, "--admin")
	if r, code, _ := diagReport(t, u, "", root...); code != 0 {
		t.Errorf("root's certificate with --admin: exit %d %v", code, r.Findings)
	}
}
