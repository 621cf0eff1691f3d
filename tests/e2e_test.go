package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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
	if harness.InCI() && (harness.DebianEtcdctl() == "" || !harness.HasEtcd34()) {
		fmt.Fprintln(os.Stderr, "CI must have Debian's etcdctl and etcd 3.4 (packages etcd-client, etcd-server) for the compatibility tests")
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
			"etcd":        cmdEtcd,
			"etcd-member": cmdEtcdMember,
			"keyring":     cmdKeyring,
			"cfssl-tools": cmdCFSSLTools,
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "etcdctl34":
				return harness.DebianEtcdctl() != "", nil
			case "etcd34":
				// True in CI even when missing, so the script runs and fails there.
				return harness.HasEtcd34() || harness.InCI(), nil
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

// etcd [-version V] [-members N] [-pki DIR] [-auth-token T] [-flag F]... [-member-flag I F]... MODE [VARPREFIX]:
// start an etcd for this script and export its endpoints, peer URLs, logs,
// PKI paths and passwords (ETCD_ENDPOINT, ETCD_PEER_0, ETCD_LOG_0, CA,
// ROOT_CERT…), each name prefixed by VARPREFIX. -version runs real etcd
// processes of that version (3.4 is Debian's: a script that needs it starts
// with [!etcd34] skip, which skips locally without it and runs in CI); -pki
// takes a PKI in etcd-certwiz's layout made by the script (e.g. with openssl): ca.crt (the clients' trusted CA bundle),
// optional peer-ca.crt, m0/server.crt|key, m0/peer.crt|key…, clients/root.crt|key;
// certificate files may hold chains. -flag adds a raw etcd flag (processes only);
// -member-flag I F adds one to member I only ({CLIENT_PORT} and {PEER_PORT} are
// its ports).
func cmdEtcd(ts *testscript.TestScript, neg bool, args []string) {
	usage := "usage: etcd [-version V] [-members N] [-pki DIR] [-auth-token T] [-flag F]... [-member-flag I F]... MODE [VARPREFIX]"
	if neg {
		ts.Fatalf("%s", usage)
	}
	var opts harness.Options
	var pkiDir string
	members := 0
	for len(args) > 1 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-version":
			opts.Version = args[1]
		case "-members":
			n, err := strconv.Atoi(args[1])
			if err != nil || n < 1 {
				ts.Fatalf("-members %q: %s", args[1], usage)
			}
			members = n
		case "-pki":
			pkiDir = ts.MkAbs(args[1])
		case "-auth-token":
			opts.AuthToken = args[1]
		case "-flag":
			opts.ExtraFlags = append(opts.ExtraFlags, args[1])
		case "-member-flag": // -member-flag I F: a raw etcd flag for member I only
			i, err := strconv.Atoi(args[1])
			if err != nil || i < 0 || len(args) < 4 {
				ts.Fatalf("-member-flag %q: %s", args[1], usage)
			}
			if opts.MemberFlags == nil {
				opts.MemberFlags = map[int][]string{}
			}
			opts.MemberFlags[i] = append(opts.MemberFlags[i], args[2])
			args = args[1:]
		default:
			ts.Fatalf("unknown option %s: %s", args[0], usage)
		}
		args = args[2:]
	}
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("%s", usage)
	}
	mode, ok := modes[args[0]]
	if !ok {
		ts.Fatalf("unknown etcd mode %q", args[0])
	}
	mode.Version, mode.AuthToken, mode.ExtraFlags, mode.MemberFlags = opts.Version, opts.AuthToken, opts.ExtraFlags, opts.MemberFlags
	if members > 0 {
		mode.Members = members
	}
	if mode.Version == "3.4" && !harness.HasEtcd34() {
		ts.Fatalf("Debian's etcd 3.4 (package etcd-server) is not installed; guard the script with [!etcd34] skip (CI must have it)")
	}
	prefix := ""
	if len(args) == 2 {
		prefix = args[1]
	}
	if pkiDir != "" {
		n := mode.Members
		if n < 1 {
			n = 1
		}
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("m%d", i)
		}
		mode.PKI = harness.LayoutPKI(pkiDir, names, "root", harness.User)
	}
	mode.Dir = ts.MkAbs(".etcd-" + strings.ToLower(prefix) + args[0])
	if err := os.MkdirAll(mode.Dir, 0o700); err != nil {
		ts.Fatalf("%v", err)
	}
	c, err := harness.Start(mode)
	ts.Check(err)
	ts.Defer(c.Close)
	clusters.Store(ts.MkAbs(".cluster-"+prefix), c)
	for k, v := range c.Env() {
		ts.Setenv(prefix+k, v)
	}
}

// clusters maps a script's cluster (by work dir and prefix) to its harness,
// for etcd-member.
var clusters sync.Map

// etcd-member stop|start|launch I [VARPREFIX]: stop member I of the script's
// cluster, or start it again (with the certificate and CA files its flags
// name, read afresh) and wait until it serves with a leader; launch starts
// it without waiting (a member that cannot join).
func cmdEtcdMember(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 || (args[0] != "stop" && args[0] != "start" && args[0] != "launch") {
		ts.Fatalf("usage: etcd-member stop|start|launch I [VARPREFIX]")
	}
	prefix := ""
	if len(args) == 3 {
		prefix = args[2]
	}
	v, ok := clusters.Load(ts.MkAbs(".cluster-" + prefix))
	if !ok {
		ts.Fatalf("no etcd%s started in this script", map[bool]string{true: " " + prefix, false: ""}[prefix != ""])
	}
	c := v.(*harness.Cluster)
	i, err := strconv.Atoi(args[1])
	if err != nil || i < 0 || i >= len(c.Endpoints) {
		ts.Fatalf("member %q: the cluster has members 0..%d", args[1], len(c.Endpoints)-1)
	}
	switch args[0] {
	case "stop":
		c.Stop(i)
	case "launch":
		ts.Check(c.Launch(i))
	default:
		ts.Check(c.Start(i))
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
