package tests

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// user is the Go tests' view of the sandbox the scripts get (harness.Sandbox
// with the same PATH: the suite's commands run inside the test binary, then
// etcdctl 3.7), for the cases a script cannot express: a terminal, signals,
// concurrency, argv of live processes. A private keyring is optional.
type user struct {
	t       *testing.T
	dir     string
	env     []string
	keyring *harness.Keyring
}

func newUser(t *testing.T, withKeyring bool) *user {
	t.Helper()
	dir := t.TempDir()
	env, err := harness.Sandbox(dir, sandboxPath())
	if err != nil {
		t.Fatal(err)
	}
	u := &user{t: t, dir: dir, env: env}
	if withKeyring {
		harness.Need(t, harness.HasCommand("dbus-daemon") && harness.HasCommand("gnome-keyring-daemon"), "dbus and gnome-keyring")
		k, err := harness.StartKeyring(filepath.Join(dir, "keyring"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(k.Close)
		u.keyring = k
		u.setenv("DBUS_SESSION_BUS_ADDRESS", k.Address)
	}
	return u
}

func (u *user) setenv(k, v string) {
	for i, kv := range u.env {
		if strings.HasPrefix(kv, k+"=") {
			u.env[i] = k + "=" + v
			return
		}
	}
	u.env = append(u.env, k+"="+v)
}

func (u *user) getenv(k string) string {
	for _, kv := range u.env {
		if v, ok := strings.CutPrefix(kv, k+"="); ok {
			return v
		}
	}
	return ""
}

func (u *user) configPath() string { return filepath.Join(u.dir, "config", "etcd-ctx", "config.yaml") }

// command prepares args[0] as found on the user's PATH (not the test's).
func (u *user) command(stdin string, args ...string) *exec.Cmd {
	cmd := exec.Command(harness.LookPath(args[0], u.getenv("PATH")), args[1:]...)
	cmd.Args[0] = args[0]
	cmd.Env = u.env
	cmd.Dir = u.dir
	cmd.Stdin = strings.NewReader(stdin)
	return cmd
}

// run runs a command and returns stdout, stderr and the exit code.
func (u *user) run(stdin string, args ...string) (string, string, int) {
	u.t.Helper()
	return u.runEnv(nil, stdin, args...)
}

// runEnv is run with extra environment variables for this command only; it is
// safe to call from parallel subtests.
func (u *user) runEnv(env map[string]string, stdin string, args ...string) (string, string, int) {
	u.t.Helper()
	cmd := u.command(stdin, args...)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		u.t.Fatalf("%v: %v", args, err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// ok runs a command that must succeed and returns its stdout.
func (u *user) ok(stdin string, args ...string) string {
	u.t.Helper()
	out, errs, code := u.run(stdin, args...)
	if code != 0 {
		u.t.Fatalf("%v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errs)
	}
	return out
}

// The harness's test helpers under the names the Go tests use.
var (
	startCluster = harness.StartCluster
	whileRunning = harness.WhileRunning
	dial         = harness.Dial
	put          = harness.Put
	closedPort   = harness.ClosedPort
)
