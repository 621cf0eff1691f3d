package tests

import (
	"bufio"
	"bytes"
	"crypto/rand"
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
// dirs) written since the test started contains one of the sentinels. Files
// older than the test cannot hold its random secrets; skipping them keeps a
// scan of a busy /tmp (build caches, other users' files) short.
func scanFiles(t *testing.T, roots, skip []string, sentinels map[string][]byte) {
	t.Helper()
	since := testStart(t)
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
			if fi, err := d.Info(); err != nil || fi.ModTime().Before(since) {
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

var testStarts sync.Map // *testing.T → time.Time

// testStart is when t first asked, less a second for coarse file times; the
// first call must come before the test makes anything a scan looks for.
func testStart(t *testing.T) time.Time {
	v, _ := testStarts.LoadOrStore(t, time.Now().Add(-time.Second))
	return v.(time.Time)
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
