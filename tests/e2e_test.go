package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// binDir holds the binaries built once for every script.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "etcd-ctx-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	if harness.InCI() && harness.DebianEtcdctl() == "" {
		fmt.Fprintln(os.Stderr, "CI must have Debian's etcdctl 3.4 (package etcd-client) for the compatibility tests")
		os.Exit(1)
	}
	if err := harness.BuildBinaries(binDir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestScripts runs the testscript files in testdata/script: the built
// binaries, real etcdctl and real etcd servers, as a user would run them.
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams("testdata/script"))
}

func scriptParams(dir string) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		Setup:               setupScript,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"etcd":    cmdEtcd,
			"keyring": cmdKeyring,
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "etcdctl34":
				return harness.DebianEtcdctl() != "", nil
			case "ci":
				return harness.InCI(), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	}
}

func setupScript(env *testscript.Env) error {
	work := env.WorkDir
	for _, d := range []string{"home", "config", "run"} {
		if err := os.MkdirAll(filepath.Join(work, d), 0o700); err != nil {
			return err
		}
	}
	env.Setenv("PATH", binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	env.Setenv("HOME", filepath.Join(work, "home"))
	env.Setenv("XDG_CONFIG_HOME", filepath.Join(work, "config"))
	env.Setenv("XDG_RUNTIME_DIR", filepath.Join(work, "run"))
	// No keyring unless a script starts its own: never the developer's.
	env.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(work, "no-bus"))
	env.Setenv("ETCDCTL34", harness.DebianEtcdctl())
	env.Setenv("BIN", binDir)
	return nil
}

var modes = map[string]harness.Options{
	"plain":    harness.Plain,
	"tls":      harness.TLS,
	"mtls":     harness.MTLS,
	"rbac":     harness.RBAC,
	"pwd-rbac": harness.PwdRBAC,
	"cluster3": harness.Cluster3,
}

// etcd MODE [VARPREFIX]: start an embedded etcd for this script and export
// its endpoints, PKI paths and passwords (ETCD_ENDPOINT, CA, ROOT_CERT…),
// each name prefixed by VARPREFIX.
func cmdEtcd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: etcd MODE [VARPREFIX]")
	}
	opts, ok := modes[args[0]]
	if !ok {
		ts.Fatalf("unknown etcd mode %q", args[0])
	}
	prefix := ""
	if len(args) == 2 {
		prefix = args[1]
	}
	opts.Dir = ts.MkAbs(".etcd-" + strings.ToLower(prefix) + args[0])
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		ts.Fatalf("%v", err)
	}
	c, err := harness.Start(opts)
	ts.Check(err)
	ts.Defer(c.Close)
	for k, v := range c.Env() {
		ts.Setenv(prefix+k, v)
	}
}

// keyring: start a private Secret Service and point the script at it.
func cmdKeyring(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: keyring")
	}
	k, err := harness.StartKeyring(ts.MkAbs(".keyring"))
	ts.Check(err)
	ts.Defer(k.Close)
	ts.Setenv("DBUS_SESSION_BUS_ADDRESS", k.Address)
	ts.Setenv("KEYRING_DIR", k.Dir)
}
