package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// fleetContext is one context of a hand-written etcd-ctx config.
type fleetContext struct {
	name, endpoint string
	ca, cert, key  string // file paths (kubeconfig-style {path: …} references)
}

// writeFleetConfig writes an etcd-ctx config by hand, as a platform team
// generates one: one cluster entry per context, the users shared by name.
func writeFleetConfig(t *testing.T, path string, ctxs []fleetContext) {
	t.Helper()
	var clusters, users, contexts strings.Builder
	userOf := map[string]string{} // client certificate path → user entry
	for _, c := range ctxs {
		var eps []string
		for _, ep := range strings.Split(c.endpoint, ",") {
			eps = append(eps, strconv.Quote(ep))
		}
		fmt.Fprintf(&clusters, "- name: %s\n  cluster:\n    endpoints: [%s]\n    certificate-authority: {path: %q}\n", c.name, strings.Join(eps, ", "), c.ca)
		user, ok := userOf[c.cert]
		if !ok {
			user = fmt.Sprintf("user-%d", len(userOf))
			userOf[c.cert] = user
			fmt.Fprintf(&users, "- name: %s\n  user:\n    client-certificate: {path: %q}\n    client-key: {path: %q}\n", user, c.cert, c.key)
		}
		fmt.Fprintf(&contexts, "- name: %s\n  context: {cluster: %s, user: %s}\n", c.name, c.name, user)
	}
	data := "current-context: " + ctxs[0].name + "\nclusters:\n" + clusters.String() + "users:\n" + users.String() + "contexts:\n" + contexts.String()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// startSingles starts n single-member embedded etcd 3.7 servers with TLS
// and client-certificate auth, all on one PKI (the cheapest real clusters:
// one process, one CA).
func startSingles(t *testing.T, n int) ([]*harness.Cluster, *harness.PKI) {
	t.Helper()
	dir := t.TempDir()
	p, err := harness.NewPKI(filepath.Join(dir, "pki"), []string{"m0"}, harness.User)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*harness.Cluster, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = harness.Start(harness.Options{TLS: true, ClientCertAuth: true, PKI: p, Dir: filepath.Join(dir, fmt.Sprintf("c%02d", i))})
		}()
	}
	wg.Wait()
	for i, c := range out {
		if c != nil {
			t.Cleanup(c.Close)
		}
		if errs[i] != nil {
			t.Fatalf("cluster %d: %v", i, errs[i])
		}
	}
	return out, p
}

// TestFleetAllContexts: --all-contexts over 20 real single-member mTLS
// clusters and 2 endpoints that accept TCP and never answer. The summary
// lists all 22, the 20 healthy with their member, leader and version, the
// 2 hung ones as timeouts; the JSON is one report per context; nothing is
// written to stderr off a terminal, and on one a progress line is.
//
// The whole run must end within the timeout plus 1 s. That holds because
// every diagnosis starts at once (22 fit in one wave: 64 at once on 2
// CPUs) and the healthy ones finish inside the hung ones' wait, so the
// margin only pays for start-up and output; the timeout is 4 s, so that
// even a loaded machine diagnoses the 20 healthy clusters well inside it.
// The hung contexts' own elapsed time shows the deadline was kept per
// context.
func TestFleetAllContexts(t *testing.T) {
	u := newUser(t, false)
	clusters, p := startSingles(t, 20)
	var ctxs []fleetContext
	for i, c := range clusters {
		ctxs = append(ctxs, fleetContext{name: fmt.Sprintf("fleet-%02d", i), endpoint: c.Endpoints[0], ca: p.CA, cert: p.RootCert, key: p.RootKey})
	}
	hung := []string{"https://" + harness.SilentListener(t), "https://" + harness.SilentListener(t)}
	for i, ep := range hung {
		ctxs = append(ctxs, fleetContext{name: fmt.Sprintf("hung-%c", 'a'+i), endpoint: ep, ca: p.CA, cert: p.RootCert, key: p.RootKey})
	}
	writeFleetConfig(t, u.configPath(), ctxs)

	const timeout = 4 * time.Second
	start := time.Now()
	out, errs, code := u.run("", "etcd-diag", "--all-contexts", "--timeout", timeout.String())
	wall := time.Since(start)
	t.Logf("etcd-diag --all-contexts, 22 contexts (2 hung), --timeout %s: %s", timeout, wall.Round(time.Millisecond))
	if code != 1 || errs != "" {
		t.Fatalf("exit %d, want 1 (problems found), and nothing on stderr off a terminal:\n%s%s", code, out, errs)
	}
	if wall > timeout+time.Second {
		t.Errorf("22 contexts took %s with --timeout %s: more than the timeout + 1 s", wall, timeout)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 24 || !regexp.MustCompile(`^CONTEXT +MEMBERS +LEADER +VERSION +WORST FINDING +NEAREST EXPIRY$`).MatchString(lines[0]) {
		t.Fatalf("want a header, 22 rows and a count:\n%s", out)
	}
	healthyRow := regexp.MustCompile(`^fleet-\d\d +1/1 +m0 +3\.7\.\d+ +✓ healthy +\d{4}-\d\d-\d\d \(\d+d, (server|peer) m0\)$`)
	hungRow := regexp.MustCompile(`^hung-[ab] +0/\? +- +- +✗ timeout +\d{4}-\d\d-\d\d \(\d+d, (client|ca)\)$`)
	for i, line := range lines[1:23] {
		re := healthyRow
		if i >= 20 {
			re = hungRow
		}
		if !re.MatchString(line) || !strings.HasPrefix(line, ctxs[i].name+" ") {
			t.Errorf("row %d for %s: %q does not match %s", i, ctxs[i].name, line, re)
		}
	}
	if want := "22 context(s): 20 healthy, 2 with problems, 0 could not be diagnosed; slowest "; !strings.HasPrefix(lines[23], want) {
		t.Errorf("count line %q, want %q…", lines[23], want)
	}

	// -o json: one report per context, in the existing schema (a shorter
	// timeout: only the reports are looked at here).
	const jsonTimeout = 2 * time.Second
	out, _, code = u.run("", "etcd-diag", "--all-contexts", "--timeout", jsonTimeout.String(), "-o", "json")
	var reports []diag.Report
	if err := json.Unmarshal([]byte(out), &reports); err != nil || code != 1 || len(reports) != 22 {
		t.Fatalf("-o json: exit %d, %d reports, %v\n%s", code, len(reports), err, out)
	}
	for i, r := range reports {
		if r.Context != ctxs[i].name {
			t.Errorf("report %d is about %q, want %q", i, r.Context, ctxs[i].name)
		}
		if i < 20 {
			if !r.Healthy || r.Cluster == nil || len(r.Cluster.Members) != 1 || !r.Cluster.Members[0].Reachable || r.Endpoints[0].TLS.Serial == "" {
				t.Errorf("%s: healthy=%v cluster=%+v", r.Context, r.Healthy, r.Cluster)
			}
			continue
		}
		if r.Healthy || len(r.Findings) == 0 || r.Findings[0].ID != "timeout" || r.Findings[0].Endpoint != ctxs[i].endpoint {
			t.Errorf("%s: want a timeout finding first, got %+v", r.Context, r.Findings)
		}
		if el := time.Duration(float64(r.Elapsed) * float64(time.Millisecond)); el < jsonTimeout || el > jsonTimeout+time.Second {
			t.Errorf("%s took %s, want its --timeout %s (plus a little)", r.Context, el, jsonTimeout)
		}
	}

	// On a terminal, stderr shows the progress and clears it; stdout keeps
	// the table only.
	cmd := u.command("", "etcd-diag", "--contexts", "fleet-0*,fleet-1[0-4]", "--timeout", timeout.String())
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	cmd.Stderr = tty
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	term, _ := io.ReadAll(ptmx) // EIO once the child closed the terminal
	if err := cmd.Wait(); err != nil {
		t.Fatalf("15 healthy contexts on a terminal: %v\n%s", err, term)
	}
	if !bytes.Contains(term, []byte("etcd-diag: diagnosed 15/15 contexts…")) || !bytes.HasSuffix(term, []byte("\r\x1b[K")) {
		t.Errorf("stderr on a terminal: %q, want the progress line, cleared at the end", term)
	}
	if n := strings.Count(stdout.String(), "\n"); n != 17 || strings.Contains(stdout.String(), "diagnosed 15/15") {
		t.Errorf("stdout with a terminal on stderr: %d lines\n%s", n, stdout.String())
	}
}

// TestFleetSelection: globs select by name; a glob that matches nothing, a
// flag that belongs to one diagnosis, or --all-contexts with --contexts is
// a usage error with a hint; a context that cannot be loaded is reported
// and makes the run exit 2 while the others are still diagnosed.
func TestFleetSelection(t *testing.T) {
	u := newUser(t, false)
	clusters, p := startSingles(t, 1)
	ep := clusters[0].Endpoints[0]
	missing := filepath.Join(u.dir, "gone.crt")
	writeFleetConfig(t, u.configPath(), []fleetContext{
		{name: "prod-eu", endpoint: ep, ca: p.CA, cert: p.RootCert, key: p.RootKey},
		{name: "prod-us", endpoint: ep, ca: p.CA, cert: p.RootCert, key: p.RootKey},
		{name: "stage", endpoint: ep, ca: missing, cert: p.RootCert, key: p.RootKey},
	})
	out, errs, code := u.run("", "etcd-diag", "--contexts", "prod-*", "-o", "json")
	var reports []diag.Report
	if err := json.Unmarshal([]byte(out), &reports); err != nil || code != 0 || len(reports) != 2 || reports[0].Context != "prod-eu" || reports[1].Context != "prod-us" {
		t.Fatalf("--contexts prod-*: exit %d %v\n%s%s", code, err, out, errs)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--contexts", "prod-*,dev-*"}, "etcd-diag: error: no context matches \"dev-*\"\nhint: known contexts: prod-eu, prod-us, stage\n"},
		{[]string{"--contexts", "prod-[", "-o", "json"}, "etcd-diag: error: --contexts \"prod-[\": syntax error in pattern\nhint: globs use"},
		{[]string{"--all-contexts", "--contexts", "prod-*"}, "etcd-diag: error: --all-contexts and --contexts are exclusive\n"},
		{[]string{"--all-contexts", "--cacert", p.CA}, "etcd-diag: error: --cacert applies to one diagnosis, not to --all-contexts or --contexts\nhint: set them in the contexts"},
		{[]string{"certs", "--contexts", "nope"}, `etcd-diag: error: no context named "nope"`},
	} {
		out, errs, code := u.run("", append([]string{"etcd-diag"}, tc.args...)...)
		if code != 2 || out != "" || !strings.HasPrefix(errs, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and %q", tc.args, code, out, errs, tc.want)
		}
	}
	out, errs, code = u.run("", "etcd-diag", "--all-contexts")
	if code != 2 || !strings.Contains(out, "stage    -        -       -        ✗ could not run (see below)") ||
		errs != `etcd-diag: error: context "stage": CA of context "stage": open `+missing+": no such file or directory\n"+
			"hint: the context references "+missing+" (--store path): restore the file, or re-create the context with etcd-ctx add NAME --force …\n" ||
		strings.Count(out, "✓ healthy") != 2 {
		t.Errorf("a context that cannot be loaded: exit %d\n%s%s", code, out, errs)
	}
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s; last seen: %s", what, within, last)
}
