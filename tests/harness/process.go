package harness

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Versions are the etcd versions a process member can run.
var Versions = []string{"3.4", "3.5", "3.6", "3.7"}

// versionModules says where each version is built from: a module directory
// (relative to the module root) whose go.mod pins go.etcd.io/etcd/server/v3,
// the main package of a real etcd. 3.7 is the project's own pin.
var versionModules = map[string]string{
	"3.5": filepath.Join("tests", "testdata", "etcd35"),
	"3.6": filepath.Join("tests", "testdata", "etcd36"),
	"3.7": ".",
}

// DebianEtcd is where Debian's etcd-server package installs etcd 3.4.
const DebianEtcd = "/usr/bin/etcd"

var (
	binMu    sync.Mutex
	binPaths = map[string]string{}
)

// EtcdBinary returns the path of a real etcd of the given minor version:
// Debian's for 3.4 (an error when the etcd-server package is missing), else
// one built once from the Go module proxy into a per-user cache keyed by the
// pinned go.sum, so later test runs only pay a stat.
func EtcdBinary(version string) (string, error) {
	binMu.Lock()
	defer binMu.Unlock()
	if p, ok := binPaths[version]; ok {
		return p, nil
	}
	var (
		p   string
		err error
	)
	if version == "3.4" {
		p, err = DebianEtcd, nil
		if v := etcdVersion(p); !strings.HasPrefix(v, "3.4.") {
			err = fmt.Errorf("etcd 3.4 needs Debian's etcd-server package (%s reports %q)", p, v)
		}
	} else {
		p, err = buildEtcd(version)
	}
	if err != nil {
		return "", err
	}
	binPaths[version] = p
	return p, nil
}

// HasEtcd34 reports whether Debian's etcd 3.4 is installed.
func HasEtcd34() bool { return strings.HasPrefix(etcdVersion(DebianEtcd), "3.4.") }

var etcdVersionRE = regexp.MustCompile(`etcd Version: (\S+)`)

func etcdVersion(path string) string {
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return ""
	}
	if m := etcdVersionRE.FindSubmatch(out); m != nil {
		return string(m[1])
	}
	return ""
}

func buildEtcd(version string) (string, error) {
	dir, ok := versionModules[version]
	if !ok {
		return "", fmt.Errorf("no etcd %q: versions are %s", version, strings.Join(Versions, ", "))
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	src := filepath.Join(root, dir)
	sum, err := os.ReadFile(filepath.Join(src, "go.sum"))
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(append(sum, runtime.Version()...))
	cache := filepath.Join(os.TempDir(), fmt.Sprintf("etcd-ctx-harness-%d", os.Getuid()))
	if err := os.MkdirAll(cache, 0o700); err != nil {
		return "", err
	}
	out := filepath.Join(cache, fmt.Sprintf("etcd-%s-%s", version, hex.EncodeToString(h[:6])))
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	// Built under a temporary name and renamed, so concurrent test binaries
	// never run a half-written file.
	tmp := fmt.Sprintf("%s.tmp-%d", out, os.Getpid())
	cmd := exec.Command("go", "build", "-o", tmp, "go.etcd.io/etcd/server/v3")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("build etcd %s in %s: %v\n%s", version, src, err, b)
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", err
	}
	return out, nil
}

// process is a member running as a real etcd process.
type process struct {
	cmd  *exec.Cmd
	done chan error
}

// args are the member's etcd flags, all of which etcd 3.4 also has.
func (c *Cluster) args(m *member) []string {
	a := []string{
		"--name", m.name, "--data-dir", m.dataDir,
		"--listen-client-urls", m.clientURL, "--advertise-client-urls", m.clientURL,
		"--listen-peer-urls", m.peerURL, "--initial-advertise-peer-urls", m.peerURL,
		"--initial-cluster", m.initialCluster, "--initial-cluster-token", "harness",
		"--initial-cluster-state", m.state,
		// Looser than the embedded members: processes compete for the CPU
		// with the test and with each other.
		"--heartbeat-interval", "100", "--election-timeout", "1000",
	}
	if c.Opts.AuthToken != "" {
		a = append(a, "--auth-token", c.Opts.AuthToken)
	}
	switch {
	case c.Opts.AutoTLS:
		a = append(a, "--auto-tls", "--peer-auto-tls")
	case c.Opts.TLS:
		a = append(a, "--cert-file", m.certFile, "--key-file", m.keyFile)
		if m.trustedCA != "" {
			a = append(a, "--trusted-ca-file", m.trustedCA, "--client-cert-auth")
		}
		a = append(a, "--peer-cert-file", m.peerCert, "--peer-key-file", m.peerKey,
			"--peer-trusted-ca-file", m.peerCA, "--peer-client-cert-auth")
	}
	a = append(a, c.Opts.ExtraFlags...)
	return append(a, m.flags...)
}

func (c *Cluster) startProcess(m *member) (runner, error) {
	bin, err := EtcdBinary(m.version)
	if err != nil {
		return nil, err
	}
	log, err := os.OpenFile(m.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := exec.Command(bin, c.args(m)...)
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group, so a signal to the test's terminal does not
	// reach it first, and Close reaches it even after a test panic.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan error, 1)}
	go func() {
		err := cmd.Wait()
		if err == nil {
			err = errors.New("exited")
		}
		p.done <- err
		close(p.done)
	}()
	return p, nil
}

// stop ends the process as systemd would: SIGTERM, then SIGKILL after grace.
func (p *process) stop(grace time.Duration) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *process) failed() <-chan error { return p.done }
