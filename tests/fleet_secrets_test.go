package tests

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// TestFleetSecretsNeverLeak: three contexts whose secrets live in the
// keyring (a client key, a password, a token) are diagnosed with them (the
// reports show the authenticated user), and no byte of the key, the password
// or the token appears in the summary, the checklists, the JSON reports, the
// certificate inventory (text, JSON, CSV), the exporter's /metrics or its
// log. The exporter reads the keyring from the user's session as the
// systemd user unit does.
func TestFleetSecretsNeverLeak(t *testing.T) {
	u := newUser(t, true)
	certs := startCluster(t, harness.RBAC)
	pw := startCluster(t, harness.PwdRBAC)
	token := userToken(t, pw)
	u.ok("", "etcd-ctx", "add", "certs", "--endpoints", certs.Endpoints[0], "--cacert", certs.PKI.CA, "--cert", certs.PKI.UserCert, "--key", certs.PKI.UserKey)
	u.ok(pw.UserPassword+"\n", "etcd-ctx", "add", "pw", "--endpoints", pw.Endpoints[0], "--cacert", pw.PKI.CA, "--user", harness.User, "--password-stdin")
	u.ok(token+"\n", "etcd-ctx", "add", "tok", "--endpoints", pw.Endpoints[0], "--cacert", pw.PKI.CA, "--token-stdin")
	sentinels := map[string]string{"private key": string(keyLine(t, certs.PKI.UserKey)), "password": pw.UserPassword, "token": token}
	check := func(what, text string) {
		t.Helper()
		for name, s := range sentinels {
			if strings.Contains(text, s) {
				t.Errorf("the %s appears in %s", name, what)
			}
		}
	}

	out, errs, code := u.run("", "etcd-diag", "--all-contexts", "-o", "json", "--timeout", "10s")
	var reports []diag.Report
	if err := json.Unmarshal([]byte(out), &reports); err != nil || code != 0 || len(reports) != 3 { // exit 0: all three healthy
		t.Fatalf("exit %d, %v\n%s%s", code, err, out, errs)
	}
	for _, r := range reports {
		// A simple token does not name its user; the others are alice.
		if a := r.Endpoints[0].Auth; a == nil || !a.Enabled || (a.User != harness.User && !(r.Context == "tok" && a.Identity == "a token")) {
			t.Errorf("context %s: not authenticated as %s with its keyring secret: %+v", r.Context, harness.User, a)
		}
	}
	check("-o json", out+errs)
	for _, args := range [][]string{
		{"--all-contexts", "-v"},
		{"certs", "--all-contexts"},
		{"certs", "--all-contexts", "-o", "json"},
		{"certs", "--all-contexts", "-o", "csv"},
	} {
		out, errs, code := u.run("", append([]string{"etcd-diag", "--timeout", "10s"}, args...)...)
		if code != 0 || !strings.Contains(out, "certs") {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errs)
		}
		check(strings.Join(args, " "), out+errs)
	}

	e := startExporter(t, u, "--interval", "1s", "--timeout", "10s")
	var metrics string
	waitFor(t, 60*time.Second, "two runs", func() (bool, string) {
		metrics = get(t, "http://"+e.addr+"/metrics")
		v, _ := metricValue(metrics, "etcd_diag_runs_total")
		return v >= 2, e.log.String()
	})
	for _, name := range []string{"certs", "pw", "tok"} {
		if v, ok := metricValue(metrics, `etcd_diag_healthy{context="`+name+`"}`); !ok || v != 1 {
			t.Errorf("etcd_diag_healthy for %s: %v %v (keyring secrets unused in serve?)\n%s", name, v, ok, e.log.String())
		}
	}
	check("/metrics", metrics)
	e.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-e.done; err != nil {
		t.Errorf("serve after SIGTERM: %v", err)
	}
	e.done <- nil
	check("the exporter's log", e.log.String())
}
