package harness

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Helpers for Go tests. The end-to-end tests are testscript files (see
// tests/e2e_test.go); Go tests are kept only where a script cannot say it
// (a terminal, signals, 50 concurrent writers, argv of live processes), and
// they share these helpers and the same sandbox.

// StartCluster starts a cluster in a test's temp dir and stops it at cleanup.
func StartCluster(t testing.TB, opts Options) *Cluster {
	t.Helper()
	opts.Dir = t.TempDir()
	c, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// Sandbox returns the environment of a throw-away login rooted at dir: HOME,
// XDG config and runtime dirs of its own (made 0700), the given PATH, and a
// D-Bus session address that leads nowhere, so nothing reaches the
// developer's keyring unless a test starts a private one. GOCOVERDIR and
// GORACE pass through, so coverage of the commands run in it is collected.
// Scripts and Go tests both start from it.
func Sandbox(dir, path string) ([]string, error) {
	for _, d := range []string{"home", "config", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	env := []string{
		"PATH=" + path,
		"HOME=" + filepath.Join(dir, "home"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_RUNTIME_DIR=" + filepath.Join(dir, "run"),
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(dir, "no-bus"),
	}
	for _, k := range []string{"GOCOVERDIR", "GORACE"} {
		if v := os.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env, nil
}

// WhileRunning starts cmd and waits until it prints "ready"; during runs
// then, while cmd's child is alive: it should read its standard input to the
// end (e.g. cat >/dev/null), which is closed after during returns, so no
// sleep decides how long it lives. cmd must then exit 0.
func WhileRunning(t testing.TB, cmd *exec.Cmd, during func()) {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin = nil
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		in.Close()
		_ = cmd.Wait()
		t.Fatalf("%v: the child did not get ready: %q %s", cmd.Args, line, stderr.String())
	}
	during()
	in.Close()
	_, _ = io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %v %s", cmd.Args, err, stderr.String())
	}
}

// Dial returns a client of c with the given TLS files ("" to omit) and user.
func Dial(t testing.TB, c *Cluster, ca, cert, key, user, pass string) *clientv3.Client {
	t.Helper()
	cfg := clientv3.Config{Endpoints: c.Endpoints, DialTimeout: 5 * time.Second, Username: user, Password: pass, Logger: zap.NewNop()}
	if ca != "" || cert != "" {
		info := transport.TLSInfo{TrustedCAFile: ca, CertFile: cert, KeyFile: key}
		tlsCfg, err := info.ClientConfig()
		if err != nil {
			t.Fatal(err)
		}
		cfg.TLS = tlsCfg
	}
	cli, err := clientv3.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// Put writes key=v with a 5 s deadline.
func Put(cli *clientv3.Client, key string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := cli.Put(ctx, key, "v")
	return err
}

// UserToken authenticates as User on a password cluster (PwdRBAC) and
// returns the token etcd issued (a simple token lives 5 minutes).
func (c *Cluster) UserToken() (string, error) {
	cfg := clientv3.Config{Endpoints: c.Endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop(), Username: User, Password: c.UserPassword}
	if c.Opts.TLS {
		tlsCfg, err := (&transport.TLSInfo{TrustedCAFile: c.PKI.CA}).ClientConfig()
		if err != nil {
			return "", err
		}
		cfg.TLS = tlsCfg
	}
	cli, err := clientv3.New(cfg)
	if err != nil {
		return "", err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	auth, err := cli.Authenticate(ctx, User, c.UserPassword)
	if err != nil {
		return "", err
	}
	return auth.Token, nil
}

// ClosedPort returns a loopback address nothing listens on, reserved
// (ReservePort) until the test ends so that nothing else takes it.
func ClosedPort(t testing.TB) string {
	t.Helper()
	p, err := ReservePort()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Release)
	return p.Addr()
}

// SilentListener accepts connections and never answers: a hung member.
func SilentListener(t testing.TB) string {
	t.Helper()
	addr, stop, err := Silent()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return addr
}

// SilentSocket is SilentListener on a Unix socket (a hung D-Bus daemon):
// it returns the socket's path, in a directory of the test's.
func SilentSocket(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "silent.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(silent(l))
	return path
}

// Silent listens on a reserved loopback port, accepts connections and never
// answers them (a hung member) until stop.
func Silent() (addr string, stop func(), err error) {
	l, p, err := listenReserved()
	if err != nil {
		return "", nil, err
	}
	stopListener := silent(l)
	return p.Addr(), func() {
		stopListener()
		p.Release()
	}, nil
}

// silent accepts l's connections and never answers them, until the
// function it returns closes l and them.
func silent(l net.Listener) func() {
	var conns connSet
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.add(c)
		}
	}()
	return func() {
		l.Close()
		conns.closeAll()
	}
}

// LookPath finds name in a PATH list (not the test process's own).
func LookPath(name, path string) string {
	if strings.Contains(name, "/") {
		return name
	}
	for _, d := range filepath.SplitList(path) {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return name
}
