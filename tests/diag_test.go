package tests

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/pki"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// diagReport runs etcd-diag -o json and decodes the report.
func diagReport(t *testing.T, u *user, stdin string, args ...string) (*diag.Report, int, string) {
	t.Helper()
	out, errs, code := u.run(stdin, append([]string{"etcd-diag", "-o", "json", "--timeout", "2s"}, args...)...)
	var r diag.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("etcd-diag %v: exit %d, not JSON: %v\nstdout: %s\nstderr: %s", args, code, err, out, errs)
	}
	return &r, code, out
}

func findingIDs(r *diag.Report) []string {
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.ID)
	}
	return ids
}

// expectFinding asserts exit 1 and a finding with the id whose fix mentions fixText.
func expectFinding(t *testing.T, r *diag.Report, code int, id, fixText string) diag.Finding {
	t.Helper()
	if code != 1 || r.Healthy {
		t.Errorf("exit %d healthy=%v, want 1 and unhealthy", code, r.Healthy)
	}
	for _, f := range r.Findings {
		if f.ID == id {
			if !strings.Contains(f.Fix, fixText) {
				t.Errorf("%s: fix %q does not mention %q", id, f.Fix, fixText)
			}
			return f
		}
	}
	t.Fatalf("no %s finding; got %v", id, findingIDs(r))
	return diag.Finding{}
}

// caOf loads the harness CA to issue broken certificates from it.
func caOf(t *testing.T, c *harness.Cluster) *certwiz.Issued {
	t.Helper()
	certs, err := pki.ParseCerts(mustRead(t, c.PKI.CA))
	if err != nil {
		t.Fatal(err)
	}
	key, err := pki.ParseKey(mustRead(t, c.PKI.CAKey))
	if err != nil {
		t.Fatal(err)
	}
	return &certwiz.Issued{Cert: certs[0], Key: key}
}

// issueFiles writes a leaf signed by ca and returns its cert and key paths.
func issueFiles(t *testing.T, ca *certwiz.Issued, req certwiz.Request) (string, string) {
	t.Helper()
	leaf, err := certwiz.NewLeaf(req, certwiz.ECDSAP256, ca)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	crt, key := filepath.Join(dir, "c.crt"), filepath.Join(dir, "c.key")
	os.WriteFile(crt, leaf.CertPEM, 0o600)
	os.WriteFile(key, leaf.KeyPEM, 0o600)
	return crt, key
}

// rotateServerCert replaces member 0's server certificate in place (same
// key): etcd reads its cert files on each handshake, as in a botched rotation.
func rotateServerCert(t *testing.T, c *harness.Cluster, req certwiz.Request) {
	t.Helper()
	ca := caOf(t, c)
	key, err := pki.ParseKey(mustRead(t, c.PKI.Members[0].ServerKey))
	if err != nil {
		t.Fatal(err)
	}
	req.Role, req.CommonName = certwiz.RoleServer, "m0"
	leaf, err := certwiz.Issue(req, key, ca.Cert, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.PKI.Members[0].ServerCert, leaf.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
}

// silentListener accepts connections and never answers: a hung member.
func silentListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestDiagFindings sets up each broken situation against a real etcd and
// checks that etcd-diag names it, with a fix that names the right thing.
func TestDiagFindings(t *testing.T) {
	u := newUser(t, false)
	rbac := startCluster(t, harness.RBAC)
	pwd := startCluster(t, harness.PwdRBAC)
	plain := startCluster(t, harness.Plain)
	ca := caOf(t, rbac)
	p := rbac.PKI
	mtls := []string{"--endpoints", rbac.Endpoints[0], "--cacert", p.CA}
	alice := append(append([]string{}, mtls...), "--cert", p.UserCert, "--key", p.UserKey)
	tlsEP := strings.TrimPrefix(rbac.Endpoints[0], "https://")

	t.Run("healthy", func(t *testing.T) {
		out, errs, code := u.run("", append([]string{"etcd-diag"}, alice...)...)
		if code != 0 || strings.Contains(out, "✗") || !strings.Contains(out, "healthy") {
			t.Fatalf("healthy cluster: exit %d\n%s%s", code, out, errs)
		}
		for _, want := range []string{"✓ TLS", "✓ etcd", "authenticated as user alice (client certificate CN)"} {
			if !strings.Contains(out, want) {
				t.Errorf("checklist lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("dns-unresolvable", func(t *testing.T) {
		r, code, _ := diagReport(t, u, "", "--endpoints", "https://no-such-member.invalid:2379", "--cacert", p.CA)
		expectFinding(t, r, code, "dns-unresolvable", "no-such-member.invalid")
	})
	t.Run("connection-refused", func(t *testing.T) {
		r, code, _ := diagReport(t, u, "", "--endpoints", "http://"+closedPort(t))
		expectFinding(t, r, code, "connection-refused", "--listen-client-urls")
	})
	t.Run("timeout", func(t *testing.T) {
		r, code, _ := diagReport(t, u, "", "--endpoints", "https://"+silentListener(t), "--cacert", p.CA)
		f := expectFinding(t, r, code, "timeout", "ss -ltnp")
		if !strings.Contains(strings.Join(f.Evidence, " "), "TLS handshake never completed") {
			t.Errorf("evidence does not say which rung hung: %v", f.Evidence)
		}
	})
	t.Run("server-not-tls", func(t *testing.T) {
		r, code, _ := diagReport(t, u, "", "--endpoints", strings.Replace(plain.Endpoints[0], "http://", "https://", 1), "--cacert", p.CA)
		expectFinding(t, r, code, "server-not-tls", "http://")
	})
	t.Run("server-requires-tls", func(t *testing.T) {
		r, code, _ := diagReport(t, u, "", "--endpoints", "http://"+tlsEP)
		expectFinding(t, r, code, "server-requires-tls", "https://")
	})
	t.Run("server-ca-untrusted", func(t *testing.T) {
		r, code, _ := diagReport(t, u, "", "--endpoints", rbac.Endpoints[0], "--cacert", p.PeerCA, "--cert", p.UserCert, "--key", p.UserKey)
		f := expectFinding(t, r, code, "server-ca-untrusted", "--cacert")
		ev := strings.Join(f.Evidence, "\n")
		if !strings.Contains(ev, "harness etcd CA") || !strings.Contains(ev, "harness etcd peer CA") {
			t.Errorf("evidence does not name both issuers:\n%s", ev)
		}
	})
	t.Run("server-san-mismatch", func(t *testing.T) {
		r, code, _ := diagReport(t, u, "", append(alice, "--server-name", "etcd.wrong.example")...)
		f := expectFinding(t, r, code, "server-san-mismatch", "--add-san etcd.wrong.example")
		if !strings.Contains(strings.Join(f.Evidence, " "), "127.0.0.1") {
			t.Errorf("evidence does not list the SANs: %v", f.Evidence)
		}
	})
	t.Run("client-cert-required", func(t *testing.T) {
		r, code, _ := diagReport(t, u, "", mtls...)
		f := expectFinding(t, r, code, "client-cert-required", "--cert")
		if !strings.Contains(strings.Join(f.Evidence, " "), "CN=harness etcd CA") {
			t.Errorf("evidence does not list the accepted CAs: %v", f.Evidence)
		}
	})
	t.Run("client-ca-untrusted", func(t *testing.T) {
		r, code, _ := diagReport(t, u, "", append(mtls, "--cert", p.RogueCert, "--key", p.RogueKey)...)
		expectFinding(t, r, code, "client-ca-untrusted", "--trusted-ca-file")
	})
	t.Run("client-cert-no-clientauth", func(t *testing.T) {
		srv := serverOnlyCert(t, ca)
		dir := t.TempDir()
		crt, key := filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key")
		os.WriteFile(crt, srv.CertPEM, 0o600)
		os.WriteFile(key, srv.KeyPEM, 0o600)
		r, code, _ := diagReport(t, u, "", append(mtls, "--cert", crt, "--key", key)...)
		expectFinding(t, r, code, "client-cert-no-clientauth", "etcd-certwiz client")
	})
	t.Run("client-cert-expired", func(t *testing.T) {
		crt, key := issueFiles(t, ca, certwiz.Request{Role: certwiz.RoleClient, CommonName: "alice", Days: 1, NotBefore: time.Now().AddDate(0, 0, -5)})
		r, code, _ := diagReport(t, u, "", append(mtls, "--cert", crt, "--key", key)...)
		f := expectFinding(t, r, code, "client-cert-expired", "etcd-certwiz renew "+crt)
		if !strings.Contains(strings.Join(f.Evidence, " "), "local clock") {
			t.Errorf("evidence lacks the dates and clock: %v", f.Evidence)
		}
	})
	t.Run("permission-denied", func(t *testing.T) {
		r, code, _ := diagReport(t, u, "", append(alice, "--key-path", "/other/", "--prefix")...)
		f := expectFinding(t, r, code, "permission-denied", "etcdctl role grant-permission alice-role read /other/ --prefix")
		ev := strings.Join(f.Evidence, "\n")
		for _, want := range []string{"roles: alice-role", `readwrite prefix "/alice/"`, "covered: false"} {
			if !strings.Contains(ev, want) {
				t.Errorf("RBAC explanation lacks %q:\n%s", want, ev)
			}
		}
		// Inside the prefix the same identity is fine.
		if r, code, _ := diagReport(t, u, "", append(alice, "--key-path", "/alice/", "--prefix")...); code != 0 {
			t.Errorf("access inside the prefix: exit %d %v", code, findingIDs(r))
		}
	})
	pwdArgs := []string{"--endpoints", pwd.Endpoints[0], "--cacert", pwd.PKI.CA}
	t.Run("auth-credentials-missing", func(t *testing.T) {
		r, code, _ := diagReport(t, u, "", pwdArgs...)
		expectFinding(t, r, code, "auth-credentials-missing", "--user")
	})
	t.Run("auth-bad-credentials", func(t *testing.T) {
		r, code, out := diagReport(t, u, "not-the-password\n", append(pwdArgs, "--user", harness.User, "--password-stdin")...)
		expectFinding(t, r, code, "auth-bad-credentials", "etcdctl user passwd alice")
		if strings.Contains(out, "not-the-password") {
			t.Error("the password appears in the report")
		}
	})
	t.Run("auth-token-invalid", func(t *testing.T) {
		r, code, _ := diagReport(t, u, "bogus.token.value\n", append(pwdArgs, "--token-stdin")...)
		expectFinding(t, r, code, "auth-token-invalid", "jwt-token")
	})
	t.Run("server-cert-expired", func(t *testing.T) {
		c := startCluster(t, harness.TLS)
		rotateServerCert(t, c, certwiz.Request{DNS: []string{"localhost"}, IPs: []net.IP{net.ParseIP("127.0.0.1")}, Days: 1, NotBefore: time.Now().AddDate(0, 0, -3)})
		r, code, _ := diagReport(t, u, "", "--endpoints", c.Endpoints[0], "--cacert", c.PKI.CA)
		f := expectFinding(t, r, code, "server-cert-expired", "etcd-certwiz renew")
		if !strings.Contains(strings.Join(f.Evidence, " "), "local clock") {
			t.Errorf("evidence lacks the local clock: %v", f.Evidence)
		}
	})
	t.Run("server-san-mismatch-after-rotation", func(t *testing.T) {
		c := startCluster(t, harness.TLS)
		rotateServerCert(t, c, certwiz.Request{DNS: []string{"etcd-0.example.internal"}})
		r, code, _ := diagReport(t, u, "", "--endpoints", c.Endpoints[0], "--cacert", c.PKI.CA)
		expectFinding(t, r, code, "server-san-mismatch", "--add-san 127.0.0.1")
	})
	t.Run("alarm-active", func(t *testing.T) {
		c := startCluster(t, harness.Plain)
		cli := dial(t, c, "", "", "", "", "")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		st, err := cli.Status(ctx, c.Endpoints[0])
		if err != nil {
			t.Fatal(err)
		}
		_, err = pb.NewMaintenanceClient(cli.ActiveConnection()).Alarm(ctx, &pb.AlarmRequest{Action: pb.AlarmRequest_ACTIVATE, MemberID: st.Header.MemberId, Alarm: pb.AlarmType_NOSPACE})
		if err != nil {
			t.Fatal(err)
		}
		r, code, _ := diagReport(t, u, "", "--endpoints", c.Endpoints[0])
		expectFinding(t, r, code, "alarm-active", "etcdctl alarm disarm")
	})
}

// TestDiagCluster covers the cluster findings on a real 3-member cluster.
func TestDiagCluster(t *testing.T) {
	u := newUser(t, false)
	c := startCluster(t, harness.Cluster3)
	p := c.PKI
	creds := []string{"--cacert", p.CA, "--cert", p.RootCert, "--key", p.RootKey}

	r, code, _ := diagReport(t, u, "", append([]string{"--endpoints", strings.Join(c.Endpoints, ",")}, creds...)...)
	if code != 0 || len(r.Cluster.Members) != 3 || r.Cluster.Leader == "" {
		t.Fatalf("healthy 3-member cluster: exit %d %v %+v", code, findingIDs(r), r.Cluster)
	}

	c.Stop(2)
	r, code, _ = diagReport(t, u, "", append([]string{"--endpoints", c.Endpoints[0]}, creds...)...)
	f := expectFinding(t, r, code, "member-unreachable", "etcdctl member remove")
	if f.Endpoint != c.Endpoints[2] || !strings.Contains(f.Cause, "nothing listens on "+strings.TrimPrefix(c.Endpoints[2], "https://")) {
		t.Errorf("member-unreachable names %q (%s), want %s and the reason", f.Endpoint, f.Cause, c.Endpoints[2])
	}

	c.Stop(1)
	// With two of three members gone the survivor loses its leader within an election timeout.
	deadline := time.Now().Add(15 * time.Second)
	for {
		r, code, _ = diagReport(t, u, "", append([]string{"--endpoints", c.Endpoints[0]}, creds...)...)
		if hasFinding(r, "no-leader") || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	expectFinding(t, r, code, "no-leader", "endpoint status --cluster")
}

func hasFinding(r *diag.Report, id string) bool {
	for _, f := range r.Findings {
		if f.ID == id {
			return true
		}
	}
	return false
}

// TestDiagContextAndSecrets diagnoses through an etcd-ctx context (keyring)
// and checks that neither the password nor the key appears in any output.
func TestDiagContextAndSecrets(t *testing.T) {
	u := newUser(t, true)
	c := startCluster(t, harness.PwdRBAC)
	m := startCluster(t, harness.RBAC)
	u.ok(c.UserPassword+"\n", "etcd-ctx", "add", "pw", "--endpoints", c.Endpoints[0], "--cacert", c.PKI.CA, "--user", harness.User, "--password-stdin", "--use")
	u.ok("", "etcd-ctx", "add", "certs", "--endpoints", m.Endpoints[0], "--cacert", m.PKI.CA, "--cert", m.PKI.UserCert, "--key", m.PKI.UserKey)
	sentinels := []string{c.UserPassword, string(keyLine(t, m.PKI.UserKey))}
	runs := [][]string{
		{"etcd-diag"},
		{"etcd-diag", "-o", "json"},
		{"etcd-diag", "--context", "certs", "--key-path", "/other/x"},
		{"etcd-diag", "--context", "certs", "-o", "json", "--key-path", "/other/", "--prefix"},
		{"etcd-diag", "--context", "pw", "--server-name", "wrong.example"},
		{"etcd-diag", "--context", "nope"},
	}
	for _, args := range runs {
		out, errs, code := u.run("", args...)
		for _, s := range sentinels {
			if strings.Contains(out+errs, s) {
				t.Errorf("%v printed a secret", args)
			}
		}
		if args[len(args)-1] == "nope" {
			if code != 2 || !strings.Contains(errs, `etcd-diag: error: no context named "nope"`) {
				t.Errorf("unknown context: exit %d %s", code, errs)
			}
		}
	}
	if out, _, code := u.run("", "etcd-diag"); code != 0 || !strings.Contains(out, `context "pw"`) || !strings.Contains(out, "authenticated as user alice (password)") {
		t.Errorf("diagnosis of the current context: exit %d\n%s", code, out)
	}
}

// TestDiagUsage: bad usage exits 2 with one error line and a hint.
func TestDiagUsage(t *testing.T) {
	u := newUser(t, false)
	for _, args := range [][]string{
		{"etcd-diag"}, // no context, no endpoints
		{"etcd-diag", "--prefix", "--endpoints", "h:1"},
		{"etcd-diag", "-o", "xml", "--endpoints", "h:1"},
		{"etcd-diag", "--bogus"},
		{"etcd-diag", "explain"},
	} {
		out, errs, code := u.run("", args...)
		lines := strings.Split(strings.TrimSpace(errs), "\n")
		if code != 2 || out != "" || len(lines) != 2 || !strings.HasPrefix(lines[0], "etcd-diag: error: ") || !strings.HasPrefix(lines[1], "hint: ") {
			t.Errorf("%v: exit %d stdout %q stderr %q", args, code, out, errs)
		}
	}
}

// TestREADMEListsEveryFindingID keeps the documented contract complete.
func TestREADMEListsEveryFindingID(t *testing.T) {
	readme := string(mustRead(t, filepath.Join("..", "README.md")))
	for _, id := range diag.IDs {
		if !strings.Contains(readme, "| `"+id.ID+"` |") {
			t.Errorf("README does not list finding id %s", id.ID)
		}
	}
}

// TestDiagVersionSkew runs a cluster whose members are real etcd 3.7 and 3.6
// processes (a rolling upgrade caught half-way) and expects version-skew.
func TestDiagVersionSkew(t *testing.T) {
	c := startCluster(t, harness.Options{MemberVersions: []string{"3.7", "3.6"}})
	endpoints := c.Endpoints
	u := newUser(t, false)
	r, code, _ := diagReport(t, u, "", "--endpoints", strings.Join(endpoints, ","))
	f := expectFinding(t, r, code, "version-skew", "same version")
	ev := strings.Join(f.Evidence, " ")
	if !strings.Contains(ev, "=3.7.") || !strings.Contains(ev, "=3.6.") {
		t.Errorf("evidence does not show both versions: %v", f.Evidence)
	}
	if f.Severity != diag.Warning {
		t.Errorf("version-skew is %s, want a warning", f.Severity)
	}
}
