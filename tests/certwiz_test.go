package tests

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/pki"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// etcdctlArgs are etcdctl's connection flags for a client pair.
func etcdctlArgs(c *harness.Cluster, ca, cert string) []string {
	return []string{"etcdctl", "--endpoints", strings.Join(c.Endpoints, ","), "--cacert", ca,
		"--cert", cert, "--key", certwiz.KeyPath(cert), "--dial-timeout", "3s", "--command-timeout", "5s"}
}

// denied runs etcdctl args that must fail, and returns its stderr.
func denied(t *testing.T, u *user, args ...string) string {
	t.Helper()
	out, errs, code := u.run("", args...)
	if code == 0 {
		t.Fatalf("%v succeeded, want a refusal:\n%s", args, out)
	}
	return errs
}

// TestCertwizPlanCluster: the files 'init --plan' writes start a 3-member
// cluster with peer TLS over the separate peer CA and client mTLS; it forms a
// quorum; real etcdctl with a certwiz client certificate is authenticated as
// its CN under RBAC; a client certificate signed by the peer CA, and a
// member's own peer certificate, are refused on the client port.
func TestCertwizPlanCluster(t *testing.T) {
	u := newUser(t, false)
	plan := `cluster: lab
out: ./pki
members:
`
	names := []string{"etcd-0", "etcd-1", "etcd-2"}
	for i, n := range names {
		plan += fmt.Sprintf("  - name: %s\n    ips: [127.0.0.1]\n    client-urls: [https://127.0.0.1:%d]\n    peer-urls: [https://127.0.0.1:%d]\n", n, 23790+i, 23800+i)
	}
	plan += "clients:\n  - name: root\n  - name: alice-cert\n    cn: " + harness.User + "\n"
	if err := os.WriteFile(filepath.Join(u.dir, "plan.yaml"), []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	out := u.ok("", "etcd-certwiz", "init", "--plan", "plan.yaml")
	dir := filepath.Join(u.dir, "pki")
	l := certwiz.Layout{Dir: dir}
	for _, want := range []string{
		"--peer-trusted-ca-file " + l.PeerCA(), "--trusted-ca-file " + l.CA(), "--peer-client-cert-auth", "--client-cert-auth",
		"--cert-file " + l.Server("etcd-1"), "--peer-key-file " + certwiz.KeyPath(l.Peer("etcd-2")),
		"--initial-cluster etcd-0=https://127.0.0.1:23800,etcd-1=https://127.0.0.1:23801,etcd-2=https://127.0.0.1:23802",
		"etcd-ctx add lab-alice-cert --endpoints https://127.0.0.1:23790,https://127.0.0.1:23791,https://127.0.0.1:23792 --cacert " + l.CA(),
		"etcdctl --endpoints https://127.0.0.1:23790,",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("init output lacks %q:\n%s", want, out)
		}
	}

	// The harness listens on free ports of its own; the certificates name
	// 127.0.0.1 (the member IP and a server default), so they fit any port.
	pki := harness.LayoutPKI(dir, names, "root", "alice-cert")
	c := startCluster(t, harness.Options{TLS: true, ClientCertAuth: true, RBAC: true, PKI: pki})

	alice := etcdctlArgs(c, l.CA(), l.Client("alice-cert"))
	members := u.ok("", append(etcdctlArgs(c, l.CA(), l.Client("root")), "member", "list")...)
	if strings.Count(members, "started") != 3 {
		t.Fatalf("not 3 started members:\n%s", members)
	}
	u.ok("", append(etcdctlArgs(c, l.CA(), l.Client("root")), "endpoint", "health", "--cluster")...)
	u.ok("", append(alice, "put", harness.Prefix+"k", "v")...)
	if errs := denied(t, u, append(alice, "put", "/other/k", "v")...); !strings.Contains(errs, "permission denied") {
		t.Fatalf("alice's certificate was not limited to her prefix: %s", errs)
	}

	// A client certificate from the peer CA, with the root CN: refused at the TLS layer.
	peerCA, err := certwiz.LoadCA(l.PeerCA())
	if err != nil {
		t.Fatal(err)
	}
	rogue, err := certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleClient, CommonName: "root"}, certwiz.ECDSAP256, peerCA)
	if err != nil {
		t.Fatal(err)
	}
	roguePath := filepath.Join(u.dir, "rogue", "root.crt")
	if err := certwiz.WriteFiles(certwiz.PairFiles(roguePath, rogue), false); err != nil {
		t.Fatal(err)
	}
	for _, cert := range []string{roguePath, l.Peer("etcd-0")} {
		errs := denied(t, u, append(etcdctlArgs(c, l.CA(), cert), "--command-timeout", "2s", "get", "/", "--prefix")...)
		if !strings.Contains(errs, "tls: unknown certificate authority") {
			t.Fatalf("%s was not refused by TLS: %s", cert, errs)
		}
	}
	// The peer CA signed the peer certificates; check confirms the whole tree.
	u.ok("", "etcd-certwiz", "check", dir)
}

// termSession runs a command on a pseudo-terminal and lets a test wait for
// text and type keys.
type termSession struct {
	t      *testing.T
	cmd    *exec.Cmd
	tty    *os.File
	mu     sync.Mutex
	screen bytes.Buffer
	seen   int // screen offset already matched by expect
	done   chan struct{}
}

func startTerm(t *testing.T, u *user, args ...string) *termSession {
	t.Helper()
	cmd := u.command("", args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	s := &termSession{t: t, cmd: cmd, tty: tty, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			s.mu.Lock()
			s.screen.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { tty.Close(); cmd.Process.Kill() })
	return s
}

// expect waits until text appears after what earlier expects matched.
func (s *termSession) expect(text string) {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		i := strings.Index(s.screen.String()[s.seen:], text)
		if i >= 0 {
			s.seen += i + len(text)
		}
		s.mu.Unlock()
		if i >= 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t.Fatalf("terminal never showed %q; screen:\n%s", text, s.screen.String())
}

// answer waits for a prompt and types a line.
func (s *termSession) answer(prompt, line string) {
	s.t.Helper()
	s.expect(prompt)
	s.typeText(line + "\r")
}

func (s *termSession) typeText(text string) {
	for _, r := range text {
		io.WriteString(s.tty, string(r))
		time.Sleep(5 * time.Millisecond) // readline takes one key per read
	}
}

func (s *termSession) wait() string {
	s.t.Helper()
	err := s.cmd.Wait()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.t.Fatalf("exited with %v:\n%s", err, s.screen.String())
	}
	return s.screen.String()
}

// TestCertwizWizard drives 'etcd-certwiz init' on a terminal: answers are
// typed, bad ones are refused as typed, the plan and certificates are
// written, and the saved plan reproduces the same PKI with --plan.
func TestCertwizWizard(t *testing.T) {
	u := newUser(t, false)
	u.setenv("TERM", "xterm")
	u.setenv("NO_COLOR", "1")
	s := startTerm(t, u, "etcd-certwiz", "init")
	s.answer("Cluster name", "lab")
	s.answer("Output directory", "")
	s.answer("Key type", "")
	s.answer("Separate CA for peer certificates", "")
	s.answer("Number of members", "3")
	for i := range 3 {
		n := fmt.Sprint(i + 1)
		if i == 1 {
			s.expect("Member 2 name")
			s.typeText("etcd-0")
			s.expect(`[member "etcd-0" already exists]`)
			s.typeText("\x7f1\r")
		} else {
			s.answer("Member "+n+" name", "")
		}
		if i == 2 {
			s.expect("Member 3 IP addresses")
			s.typeText("10.0.1.300")
			s.expect(`["10.0.1.300" is not a valid host: not a valid IPv4 address]`)
			s.typeText("\x7f\x7f\x7f12\r")
		} else {
			s.answer("Member "+n+" IP addresses", "10.0.1.1"+fmt.Sprint(i))
		}
		s.answer("Member "+n+" extra DNS names", fmt.Sprintf("etcd-%d.example.internal", i))
		s.answer("Member "+n+" client URL", "")
		s.answer("Member "+n+" peer URL", "")
	}
	s.answer("Client certificates", "root,app")
	s.answer("etcd user (CN) for client root", "")
	s.answer("etcd user (CN) for client app", "app-user")
	s.answer("CA validity", "")
	s.answer("Leaf certificate validity", "")
	s.expect("etcd-2/peer.crt    SANs etcd-2, etcd-2.example.internal, 10.0.1.12")
	s.answer("Write the plan and the certificates?", "")
	screen := s.wait()
	for _, want := range []string{"Wrote plan etcd-certwiz.yaml", "--peer-trusted-ca-file", "etcd-ctx add lab-app"} {
		if !strings.Contains(screen, want) {
			t.Errorf("screen lacks %q", want)
		}
	}
	if strings.Contains(screen, "\a") {
		t.Error("the wizard rang the terminal bell")
	}

	plan, err := certwiz.LoadPlan(filepath.Join(u.dir, "etcd-certwiz.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Members) != 3 || plan.Members[2].IPs[0] != "10.0.1.12" || plan.Members[1].PeerURLs[0] != "https://10.0.1.11:2380" || plan.Clients[1].CN != "app-user" {
		t.Fatalf("saved plan: %+v", plan)
	}
	u.ok("", "etcd-certwiz", "init", "--plan", "etcd-certwiz.yaml", "--out", "again")
	if a, b := pkiShape(t, filepath.Join(u.dir, "pki")), pkiShape(t, filepath.Join(u.dir, "again")); a != b {
		t.Fatalf("--plan gives another PKI shape:\nwizard: %s\n--plan: %s", a, b)
	}
	u.ok("", "etcd-certwiz", "check", "pki")
}

// pkiShape describes every certificate of a tree by file, mode, subject, SANs and usages.
func pkiShape(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		line := rel + " " + fi.Mode().Perm().String()
		if strings.HasSuffix(p, ".crt") {
			data, _ := os.ReadFile(p)
			certs, err := pki.ParseCerts(data)
			if err != nil {
				t.Fatal(err)
			}
			c := certs[0]
			line += fmt.Sprintf(" %s issuer=%s %v %v %v %v ca=%v", c.Subject, c.Issuer, c.DNSNames, c.IPAddresses, pki.ExtKeyUsageNames(c), pki.KeyUsageNames(c.KeyUsage), c.IsCA)
		}
		lines = append(lines, line)
		return nil
	})
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestCertwizNeverHangsWithoutTerminal: with no plan and no terminal, init
// fails at once with a usage error instead of prompting.
func TestCertwizNeverHangsWithoutTerminal(t *testing.T) {
	u := newUser(t, false)
	out, errs, code := u.run("", "etcd-certwiz", "init")
	if code != 2 || out != "" || !strings.Contains(errs, "etcd-certwiz: error: no plan given and no terminal to ask on") || !strings.Contains(errs, "hint: pass --plan FILE") {
		t.Fatalf("exit %d\nstdout %q\nstderr %s", code, out, errs)
	}
	if fileExists(filepath.Join(u.dir, "pki")) || fileExists(filepath.Join(u.dir, "etcd-certwiz.yaml")) {
		t.Fatal("a failed init wrote files")
	}
}

// TestCertwizJWT: an etcd started with the --auth-token that jwt-keys prints
// accepts a token from jwt-token (auth revision read through an etcd-ctx
// context) with etcdctl --auth-jwt-token, as the token's user, and refuses an
// expired token.
func TestCertwizJWT(t *testing.T) {
	u := newUser(t, true)
	keyDir := filepath.Join(u.dir, "jwt")
	flag := strings.TrimSpace(u.ok("", "etcd-certwiz", "jwt-keys", "--out", keyDir))
	authToken, ok := strings.CutPrefix(flag, "--auth-token ")
	if !ok || !strings.Contains(authToken, "sign-method=ES256") {
		t.Fatalf("jwt-keys printed %q", flag)
	}
	if fi, err := os.Stat(filepath.Join(keyDir, certwiz.JWTKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("jwt.key: %v %v", fi, err)
	}
	c := startCluster(t, harness.Options{TLS: true, RBAC: true, AuthToken: authToken})
	u.ok(c.RootPassword+"\n", "etcd-ctx", "add", "admin", "--endpoints", c.Endpoints[0], "--cacert", c.PKI.CA, "--user", "root", "--password-stdin")

	if _, errs, code := u.run("", "etcd-certwiz", "jwt-token", "--user", harness.User, "--key", filepath.Join(keyDir, certwiz.JWTKeyFile)); code != 2 || !strings.Contains(errs, "--context ADMIN_CTX") {
		t.Fatalf("jwt-token without a revision source: exit %d %s", code, errs)
	}
	token := strings.TrimSpace(u.ok("", "etcd-certwiz", "jwt-token", "--user", harness.User, "--ttl", "1h", "--key", filepath.Join(keyDir, certwiz.JWTKeyFile), "--context", "admin"))
	ctl := []string{"etcdctl", "--endpoints", c.Endpoints[0], "--cacert", c.PKI.CA, "--dial-timeout", "3s", "--command-timeout", "5s"}
	u.ok("", append(ctl, "--auth-jwt-token", token, "put", harness.Prefix+"jwt", "v")...)
	if errs := denied(t, u, append(ctl, "--auth-jwt-token", token, "put", "/other/jwt", "v")...); !strings.Contains(errs, "permission denied") {
		t.Fatalf("token is not %s's: %s", harness.User, errs)
	}

	keyPEM := mustRead(t, filepath.Join(keyDir, certwiz.JWTKeyFile))
	key, err := pki.ParseKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	_, rev, err := certwiz.ParseToken(key.Public(), token)
	if err != nil {
		t.Fatal(err)
	}
	expired, err := certwiz.MintToken(key, certwiz.Token{User: harness.User, Revision: rev, Expires: time.Now().Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if errs := denied(t, u, append(ctl, "--auth-jwt-token", expired, "get", harness.Prefix+"jwt")...); !strings.Contains(errs, "invalid auth token") {
		t.Fatalf("expired token: %s", errs)
	}
}

// TestCertwizUser: 'user' issues a certificate with CN=NAME, creates the
// user and its role through an admin context, and adds a context; with only
// its certificate the user can read and write its prefix and nothing else.
func TestCertwizUser(t *testing.T) {
	u := newUser(t, true)
	c := startCluster(t, harness.RBAC)
	u.ok("", "etcd-ctx", "add", "admin", "--endpoints", strings.Join(c.Endpoints, ","), "--cacert", c.PKI.CA, "--cert", c.PKI.RootCert, "--key", c.PKI.RootKey, "--store", "path")
	out := filepath.Join(u.dir, "pki")
	stdout, errs, code := u.run("", "etcd-certwiz", "user", "bob", "--context", "admin", "--prefix", "/bob/", "--readwrite",
		"--ca-dir", c.PKI.Dir, "--out", out, "--add-context", "bob")
	if code != 0 || stdout != "" || !strings.Contains(errs, "Added context \"bob\"") {
		t.Fatalf("user: exit %d\nstdout %q\nstderr %s", code, stdout, errs)
	}
	cert := certwiz.Layout{Dir: out}.Client("bob")
	it, err := certwiz.LoadPair(cert, "")
	if err != nil || it.Cert.Subject.CommonName != "bob" {
		t.Fatalf("bob's certificate: %v", err)
	}
	bob := etcdctlArgs(c, c.PKI.CA, cert)
	u.ok("", append(bob, "put", "/bob/k", "v")...)
	if got := u.ok("", append(bob, "get", "/bob/k", "--print-value-only")...); got != "v\n" {
		t.Fatalf("bob reads %q", got)
	}
	for _, args := range [][]string{{"put", "/alice/k", "v"}, {"get", "/alice/k"}, {"get", "/", "--prefix"}} {
		if errs := denied(t, u, append(bob, args...)...); !strings.Contains(errs, "permission denied") {
			t.Fatalf("bob %v: %s", args, errs)
		}
	}
	// The context it added works on its own.
	u.ok("", "etcd-ctx", "--context", "bob", "etcdctl", "put", "/bob/ctx", "v")

	// A read-only user: reads the prefix, cannot write it.
	u.ok("", "etcd-certwiz", "user", "carol", "--context", "admin", "--prefix", "/bob/", "--read", "--ca-dir", c.PKI.Dir, "--out", out)
	carol := etcdctlArgs(c, c.PKI.CA, certwiz.Layout{Dir: out}.Client("carol"))
	u.ok("", append(carol, "get", "/bob/k")...)
	if errs := denied(t, u, append(carol, "put", "/bob/k", "x")...); !strings.Contains(errs, "permission denied") {
		t.Fatalf("carol wrote: %s", errs)
	}
	// Re-running refuses to overwrite the certificate before touching the cluster.
	if _, errs, code := u.run("", "etcd-certwiz", "user", "carol", "--context", "admin", "--prefix", "/bob/", "--read", "--ca-dir", c.PKI.Dir, "--out", out); code != 1 || !strings.Contains(errs, "--force") {
		t.Fatalf("re-run: exit %d %s", code, errs)
	}
}
