package tests

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// keyLine returns a line of a PEM key's base64 body: a sentinel that exists
// nowhere else.
func keyLine(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(data, []byte("\n"))[1]
}

// scanFiles fails if any regular file under the roots (minus the skipped
// dirs) contains one of the sentinels.
func scanFiles(t *testing.T, roots, skip []string, sentinels map[string][]byte) {
	t.Helper()
	for _, root := range roots {
		_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			for _, s := range skip {
				if path == s {
					return filepath.SkipDir
				}
			}
			if !d.Type().IsRegular() {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			for name, s := range sentinels {
				if bytes.Contains(data, s) {
					t.Errorf("%s found in %s", name, path)
				}
			}
			return nil
		})
	}
}

// scanArgv fails if any process's command line contains a sentinel.
func scanArgv(t *testing.T, sentinels map[string][]byte) int {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for name, s := range sentinels {
			if bytes.Contains(data, s) {
				t.Errorf("%s visible in argv of %s: %q", name, p, bytes.ReplaceAll(data, []byte{0}, []byte{' '}))
			}
		}
	}
	return len(procs)
}

// TestConcurrentWriters: 50 processes adding and switching contexts at once
// leave a valid file holding every added context and no temp files.
func TestConcurrentWriters(t *testing.T) {
	u := newUser(t, false)
	for i := range 5 {
		u.ok("", "etcd-ctx", "add", fmt.Sprintf("seed-%d", i), "--endpoints", fmt.Sprintf("http://127.0.0.1:%d", 20000+i))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := []string{"etcd-ctx", "use", fmt.Sprintf("seed-%d", i%5)}
			if i%2 == 0 {
				args = []string{"etcd-ctx", "add", fmt.Sprintf("ctx-%d", i), "--endpoints", fmt.Sprintf("http://127.0.0.1:%d", 30000+i)}
			}
			cmd := u.command("", args...)
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Sprintf("%v: %v %s", args, err, out)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	data, err := os.ReadFile(u.configPath())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := contexts.Parse(data)
	if err != nil {
		t.Fatalf("config corrupted: %v", err)
	}
	for i := 0; i < 50; i += 2 {
		if _, ok := cfg.Context(fmt.Sprintf("ctx-%d", i)); !ok {
			t.Errorf("ctx-%d lost", i)
		}
	}
	if len(cfg.Contexts) != 30 {
		t.Errorf("%d contexts, want 30", len(cfg.Contexts))
	}
	if !strings.HasPrefix(cfg.CurrentContext, "seed-") {
		t.Errorf("current context %q, want a seed", cfg.CurrentContext)
	}
	entries, _ := os.ReadDir(filepath.Dir(u.configPath()))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temp file left behind: %s", e.Name())
		}
	}
	fi, _ := os.Stat(u.configPath())
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v, want 0600", fi.Mode().Perm())
	}
}

// TestExecSignalsAndExitCodes: in both hand-off modes the child's exit code
// is ours, and SIGINT or SIGTERM leave nothing behind.
func TestExecSignalsAndExitCodes(t *testing.T) {
	u := newUser(t, true)
	c := startCluster(t, harness.MTLS)
	u.ok("", "etcd-ctx", "add", "m", "--endpoints", c.Endpoints[0], "--cacert", c.PKI.CA, "--cert", c.PKI.RootCert, "--key", c.PKI.RootKey, "--use")
	runDir := filepath.Join(u.dir, "run")
	for _, mode := range []string{"memfd", "dir"} {
		t.Run(mode, func(t *testing.T) {
			u.setenv(contexts.EnvHandoff, map[string]string{"memfd": "", "dir": "dir"}[mode])
			// A hand-off dir left by a crashed process is swept at the next start.
			stale := filepath.Join(runDir, "etcd-ctx-exec-999999999-stale")
			if mode == "dir" {
				os.MkdirAll(stale, 0o700)
			}
			if _, _, code := u.run("", "etcd-ctx", "exec", "--", "sh", "-c", "exit 42"); code != 42 {
				t.Fatalf("exit code %d, want 42", code)
			}
			out := u.ok("", "etcd-ctx", "exec", "--", "sh", "-c", `etcdctl get k -w json >/dev/null && echo "$ETCDCTL_KEY"`)
			keyPath := strings.TrimSpace(out)
			if mode == "memfd" && !strings.HasPrefix(keyPath, "/dev/fd/") {
				t.Fatalf("key path %q, want /dev/fd/N", keyPath)
			}
			if mode == "dir" {
				if !strings.HasPrefix(keyPath, runDir) {
					t.Fatalf("key path %q, want under %s", keyPath, runDir)
				}
				if _, err := os.Stat(stale); !os.IsNotExist(err) {
					t.Fatalf("stale hand-off dir not swept")
				}
			}
			for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
				cmd := u.command("", "etcd-ctx", "exec", "--", "sh", "-c", `cat "$ETCDCTL_KEY" >/dev/null && echo ready && exec sleep 30`)
				stdout, _ := cmd.StdoutPipe()
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
					t.Fatalf("child did not start: %q", line)
				}
				cmd.Process.Signal(sig)
				cmd.Wait()
				ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
				killed := (ws.Signaled() && ws.Signal() == sig) || ws.ExitStatus() == 128+int(sig)
				if !killed {
					t.Errorf("%v: status %v, want killed by the signal (or exit %d)", sig, ws, 128+int(sig))
				}
				left, _ := filepath.Glob(filepath.Join(runDir, "etcd-ctx-exec-*"))
				if len(left) > 0 {
					t.Errorf("%v left %v behind", sig, left)
				}
			}
		})
	}
}

// TestLargeKeyIsChunked: an RSA-4096 key with its certificate exceeds what
// Windows and macOS take in one item; it is split and reassembled.
func TestLargeKeyIsChunked(t *testing.T) {
	u := newUser(t, true)
	ca, err := certwiz.NewCA("big CA", certwiz.ECDSAP256, 0)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleClient, CommonName: "big"}, certwiz.RSA4096, ca)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, data := range map[string][]byte{"ca.crt": ca.CertPEM, "big.crt": leaf.CertPEM, "big.key": leaf.KeyPEM} {
		os.WriteFile(filepath.Join(dir, name), data, 0o600)
	}
	u.ok("", "etcd-ctx", "add", "big", "--endpoints", "https://127.0.0.1:2379", "--cacert", filepath.Join(dir, "ca.crt"),
		"--cert", filepath.Join(dir, "big.crt"), "--key", filepath.Join(dir, "big.key"), "--use")
	header := u.ok("", "secret-tool", "lookup", "service", contexts.Service, "username", "user/big")
	if !strings.HasPrefix(header, "etcd-ctx-chunked:v1:") {
		t.Fatalf("user/big is not chunked: %.40q", header)
	}
	part := u.ok("", "secret-tool", "lookup", "service", contexts.Service, "username", "user/big#1")
	if len(part) > contexts.ChunkSize {
		t.Fatalf("chunk of %d bytes exceeds %d", len(part), contexts.ChunkSize)
	}
	if out := u.ok("", "etcd-ctx", "show", "big"); !strings.Contains(out, "rsa-4096") {
		t.Fatalf("show does not see the reassembled key:\n%s", out)
	}
	got := u.ok("", "etcd-ctx", "exec", "--", "sh", "-c", `cat "$ETCDCTL_KEY"`)
	if got != string(leaf.KeyPEM) {
		t.Fatal("reassembled key differs from the original")
	}
	u.ok("", "etcd-ctx", "delete", "big")
	if _, _, code := u.run("", "secret-tool", "lookup", "service", contexts.Service, "username", "user/big#1"); code == 0 {
		t.Fatal("delete left a chunk behind")
	}
}

// TestTokenContext: a token context works with etcdctl 3.7 and gives a clear
// error with Debian's 3.4, which cannot take a token.
func TestTokenContext(t *testing.T) {
	u := newUser(t, true)
	c := startCluster(t, harness.PwdRBAC)
	u.ok(userToken(t, c)+"\n", "etcd-ctx", "add", "tok", "--endpoints", c.Endpoints[0], "--cacert", c.PKI.CA, "--token-stdin", "--use")
	u.ok("", "etcd-ctx", "etcdctl", "put", "/alice/t", "v")
	if _, errs, code := u.run("", "etcd-ctx", "etcdctl", "put", "/other/t", "v"); code == 0 || !strings.Contains(errs, "permission denied") {
		t.Fatalf("token identity is not alice's: exit %d %s", code, errs)
	}
	old := harness.DebianEtcdctl()
	harness.Need(t, old != "", "Debian etcdctl 3.4")
	_, errs, code := u.run("", "etcd-ctx", "exec", "--", old, "get", "/alice/t")
	if code != 1 || !strings.Contains(errs, "etcd-ctx: error: this context authenticates with a token, but etcdctl 3.4") || !strings.Contains(errs, "hint: use etcdctl 3.7") {
		t.Fatalf("3.4 with a token: exit %d\n%s", code, errs)
	}
}

// userToken is a token etcd issued to harness.User on a password cluster.
func userToken(t *testing.T, c *harness.Cluster) string {
	t.Helper()
	tok, err := c.UserToken()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestBadInputs: every bad input gives one error line, a hint, exit 1 or 2,
// nothing on stdout, and leaves the config byte-for-byte unchanged.
func TestBadInputs(t *testing.T) {
	u := newUser(t, true)
	c := startCluster(t, harness.MTLS)
	u.ok("", "etcd-ctx", "add", "good", "--endpoints", "http://127.0.0.1:1", "--use")
	u.ok("", "etcd-ctx", "add", "other", "--endpoints", "http://127.0.0.1:2")

	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o600)
		return p
	}
	notPEM := write("not.pem", []byte("hello\n"))
	ca, _ := certwiz.NewCA("ca", certwiz.ECDSAP256, 0)
	expired, _ := certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleClient, CommonName: "old", Days: 1, NotBefore: time.Now().AddDate(0, 0, -10)}, certwiz.ECDSAP256, ca)
	expiredCert, expiredKey := write("old.crt", expired.CertPEM), write("old.key", expired.KeyPEM)
	serverOnly := serverOnlyCert(t, ca)
	serverCert, serverKey := write("srv.crt", serverOnly.CertPEM), write("srv.key", serverOnly.KeyPEM)
	encKey := write("enc.key", encryptedKey(t))
	onlyCtx := filepath.Join(dir, "onlyctx")
	os.Mkdir(onlyCtx, 0o700)
	os.Symlink(harness.LookPath("etcd-ctx", sandboxPath()), filepath.Join(onlyCtx, "etcd-ctx"))

	base := []string{"etcd-ctx", "add", "new", "--endpoints", c.Endpoints[0]}
	cases := []struct {
		name    string
		args    []string
		stdin   string
		env     map[string]string
		config  string // replaces the config before the run when set
		code    int
		errText string
	}{
		{name: "unknown context", args: []string{"etcd-ctx", "use", "nope"}, code: 1, errText: `no context named "nope"`},
		{name: "unknown --context", args: []string{"etcd-ctx", "--context", "nope", "exec", "--", "true"}, code: 1, errText: `no context named "nope"`},
		{name: "unknown ETCD_CTX", args: []string{"etcd-ctx", "current"}, env: map[string]string{"ETCD_CTX": "nope"}, code: 1, errText: `no context named "nope"`},
		{name: "malformed YAML, read", args: []string{"etcd-ctx", "list"}, config: "contexts:\n  - name: a\n   bad: [\n", code: 1, errText: ": line "},
		{name: "malformed YAML, write", args: append(base, "--cacert", c.PKI.CA), config: "contexts:\n  - name: a\n   bad: [\n", code: 1, errText: ": line "},
		{name: "unknown field", args: []string{"etcd-ctx", "current"}, config: "current-context: a\ncontext: []\n", code: 1, errText: "line 2: field context not found"},
		{name: "CA not PEM", args: append(base, "--cacert", notPEM), code: 1, errText: "CA bundle (" + notPEM + "): not PEM"},
		{name: "CA is a key", args: append(base, "--cacert", c.PKI.RootKey), code: 1, errText: "no CERTIFICATE"},
		{name: "mismatched key", args: append(base, "--cacert", c.PKI.CA, "--cert", c.PKI.UserCert, "--key", c.PKI.RootKey), code: 1, errText: "client key (" + c.PKI.RootKey + "): private key does not match"},
		{name: "missing file", args: append(base, "--cacert", "/nonexistent/ca.crt"), code: 1, errText: "/nonexistent/ca.crt: no such file"},
		{name: "encrypted key", args: append(base, "--cert", c.PKI.UserCert, "--key", encKey), code: 1, errText: "encrypted"},
		{name: "expired cert", args: append(base, "--cert", expiredCert, "--key", expiredKey), code: 1, errText: "expired on"},
		{name: "no clientAuth", args: append(base, "--cert", serverCert, "--key", serverKey), code: 1, errText: "lacks the clientAuth"},
		{name: "cert without key", args: append(base, "--cert", c.PKI.UserCert), code: 2, errText: "--cert and --key go together"},
		{name: "bad endpoint", args: []string{"etcd-ctx", "add", "new", "--endpoints", "ftp://h:1"}, code: 1, errText: "unsupported scheme"},
		{name: "no endpoints", args: []string{"etcd-ctx", "add", "new"}, code: 2, errText: "--endpoints is required"},
		{name: "bad name", args: []string{"etcd-ctx", "add", "a b", "--endpoints", "h:1"}, code: 2, errText: "invalid context name"},
		{name: "exists", args: []string{"etcd-ctx", "add", "good", "--endpoints", "h:1"}, code: 1, errText: `context "good" already exists`},
		{name: "rename onto existing", args: []string{"etcd-ctx", "rename", "good", "other"}, code: 1, errText: `context "other" already exists`},
		{name: "delete unknown", args: []string{"etcd-ctx", "delete", "other", "nope"}, code: 1, errText: `no context named "nope"`},
		{name: "user without password", args: []string{"etcd-ctx", "add", "new", "--endpoints", "h:1", "--user", "bob"}, code: 2, errText: "needs a password"},
		{name: "empty password", args: []string{"etcd-ctx", "add", "new", "--endpoints", "h:1", "--user", "bob", "--password-stdin"}, code: 2, errText: "standard input is empty"},
		{name: "keyring unavailable", args: append(base, "--cacert", c.PKI.CA), env: map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=" + filepath.Join(dir, "none")}, code: 1, errText: "OS keyring unavailable"},
		{name: "etcdctl not on PATH", args: []string{filepath.Join(onlyCtx, "etcd-ctx"), "etcdctl", "get", "k"}, env: map[string]string{"PATH": onlyCtx}, code: 1, errText: "etcdctl: command not found"},
		{name: "unknown flag", args: []string{"etcd-ctx", "list", "--nope"}, code: 2, errText: "flag provided but not defined"},
		{name: "unknown output", args: []string{"etcd-ctx", "list", "-o", "xml"}, code: 2, errText: `unknown output format "xml"`},
		{name: "no previous", args: []string{"etcd-ctx", "-"}, config: "current-context: a\ncontexts:\n  - name: a\n    context: {cluster: a}\n", code: 1, errText: "no previous context"},
	}
	original := mustRead(t, u.configPath())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.config != "" {
				os.WriteFile(u.configPath(), []byte(tc.config), 0o600)
			}
			before := mustRead(t, u.configPath())
			saved := append([]string{}, u.env...)
			for k, v := range tc.env {
				u.setenv(k, v)
			}
			out, errs, code := u.run(tc.stdin, tc.args...)
			u.env = saved
			lines := strings.Split(strings.TrimRight(errs, "\n"), "\n")
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "etcd-ctx: error: ") || !strings.HasPrefix(lines[1], "hint: ") {
				t.Errorf("stderr is not one error line and one hint:\n%s", errs)
			}
			if !strings.Contains(lines[0], tc.errText) {
				t.Errorf("error %q does not say %q", lines[0], tc.errText)
			}
			if after := mustRead(t, u.configPath()); sha256.Sum256(after) != sha256.Sum256(before) {
				t.Errorf("config changed:\n%s", after)
			}
			if tc.config != "" {
				os.WriteFile(u.configPath(), original, 0o600)
			}
		})
	}
}

// serverOnlyCert is a certificate with serverAuth alone, as many hand-made
// PKIs produce: etcd rejects it as a client certificate.
func serverOnlyCert(t *testing.T, ca *certwiz.Issued) *certwiz.Issued {
	t.Helper()
	tmpl, err := certwiz.Template(certwiz.Request{Role: certwiz.RoleServer, CommonName: "srv", DNS: []string{"srv"}})
	if err != nil {
		t.Fatal(err)
	}
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	key, _ := certwiz.GenerateKey(certwiz.ECDSAP256)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := certwiz.EncodeKey(key)
	return &certwiz.Issued{CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), KeyPEM: keyPEM}
}

func encryptedKey(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalECPrivateKey(key)
	//lint:ignore SA1019 a legacy encrypted PEM is exactly what users bring
	block, err := x509.EncryptPEMBlock(rand.Reader, "EC PRIVATE KEY", der, []byte("pw"), x509.PEMCipherAES256)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(block)
}

// TestLockedKeyring: a Secret Service whose collection cannot be unlocked
// gives the keyring error and its ways out at once, never a hang, and the
// config is left as it was.
func TestLockedKeyring(t *testing.T) {
	harness.Need(t, harness.HasCommand("dbus-daemon") && harness.HasCommand("gnome-keyring-daemon"), "dbus and gnome-keyring")
	u := newUser(t, false)
	k, err := harness.StartLockedKeyring(filepath.Join(u.dir, "locked"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	u.setenv("DBUS_SESSION_BUS_ADDRESS", k.Address)
	u.ok("", "etcd-ctx", "add", "plain", "--endpoints", "http://127.0.0.1:1")
	before := mustRead(t, u.configPath())
	_, errs, code := u.run("pw\n", "etcd-ctx", "add", "secret", "--endpoints", "https://127.0.0.1:1", "--user", "u", "--password-stdin")
	if code != 1 || !strings.Contains(errs, "etcd-ctx: error: OS keyring unavailable") || !strings.Contains(errs, "hint: keep certificates as file references with --store=path") {
		t.Fatalf("locked keyring: exit %d\n%s", code, errs)
	}
	if !bytes.Equal(before, mustRead(t, u.configPath())) {
		t.Fatal("config changed")
	}
}
