package tests

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/etcd-ctx/etcd-ctx/internal/certcmd"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxcmd"
	"github.com/etcd-ctx/etcd-ctx/internal/diagcmd"
	"github.com/etcd-ctx/etcd-ctx/internal/nodac"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// The end-to-end tests run etcd-ctx, etcd-certwiz and etcd-diag inside this
// test binary: testscript.Main puts copies of it named after each command
// first on PATH, and a copy started under such a name calls that command's
// Run (the same function cmd/NAME's main calls). So `go test -cover` counts
// the CLI packages (each child writes its counters to GOCOVERDIR, which
// testscript and the sandbox pass on), and `etcd-ctx exec` can still exec(2)
// etcdctl in place: each command is a process of its own.
var commands = map[string]func(){
	"etcd-ctx":     func() { os.Exit(ctxcmd.Run(os.Args, os.Stdin, os.Stdout, os.Stderr)) },
	"etcd-certwiz": func() { os.Exit(certcmd.Run(os.Args, os.Stdin, os.Stdout, os.Stderr)) },
	"etcd-diag":    func() { os.Exit(diagcmd.Run(os.Args, os.Stdin, os.Stdout, os.Stderr)) },
}

// toolDir holds the etcdctl 3.7 built once for every test (go.mod's tool
// directive); Debian's 3.4 stays at /usr/bin/etcdctl, after it on PATH.
var toolDir string

func TestMain(m *testing.M) { testscript.Main(suite{m}, commands) }

// suite is the top-level run (not a command): it builds etcdctl first.
type suite struct{ m *testing.M }

func (s suite) Run() int {
	if harness.InCI() && (harness.DebianEtcdctl() == "" || !harness.HasEtcd34()) {
		fmt.Fprintln(os.Stderr, "CI must have Debian's etcdctl and etcd 3.4 (packages etcd-client, etcd-server) for the compatibility tests")
		return 1
	}
	dir, err := os.MkdirTemp("", "etcd-ctx-tools-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	toolDir = dir
	if err := harness.BuildEtcdctl(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return s.m.Run()
}

// sandboxPath is the PATH of every script and Go test: the suite's commands
// (testscript's directory, already first on this process's PATH), etcdctl
// 3.7, then the system's.
func sandboxPath() string { return toolDir + string(os.PathListSeparator) + os.Getenv("PATH") }

// TestScripts runs the testscript files in testdata/script: the suite's
// commands, real etcdctl and real etcd servers, as a user would run them.
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
			"port":        cmdPort,
			"etcd-token":  cmdEtcdToken,
			"status":      cmdStatus,
			"cfssl-tools": cmdCFSSLTools,
			"nodac":       cmdNoDAC,
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
			if path, ok := strings.CutPrefix(cond, "file:"); ok {
				_, err := os.Stat(path)
				return err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	}
}

// setupScript gives each script the sandbox (harness.Sandbox) in its work
// dir, plus ETCDCTL34 (Debian's etcdctl, or ""), CONFIG (etcd-ctx's config
// file) and BIN (the directory of the suite's three commands, alone).
func setupScript(env *testscript.Env) error {
	vars, err := harness.Sandbox(env.WorkDir, sandboxPath())
	if err != nil {
		return err
	}
	for _, kv := range vars {
		k, v, _ := strings.Cut(kv, "=")
		env.Setenv(k, v)
	}
	env.Setenv("ETCDCTL34", harness.DebianEtcdctl())
	env.Setenv("BIN", filepath.Dir(harness.LookPath("etcd-ctx", os.Getenv("PATH"))))
	env.Setenv("CONFIG", filepath.Join(env.WorkDir, "config", "etcd-ctx", "config.yaml"))
	return nil
}

var modes = map[string]harness.Options{
	"plain":    harness.Plain,
	"tls":      harness.TLS,
	"mtls":     harness.MTLS,
	"rbac":     harness.RBAC,
	"pwd-rbac": harness.PwdRBAC,
	"cluster3": harness.Cluster3,
	"auto-tls": harness.AutoTLS,
}

// etcd [-version V | -member-versions V,V...] [-members N] [-learners K] [-pki DIR] [-auth-token T] [-flag F]... [-member-flag I F]... MODE [VARPREFIX]:
// start an etcd for this script and export its endpoints (ETCD_ENDPOINT, and
// ETCD_ADDR without the scheme), peer URLs, logs,
// PKI paths and passwords (ETCD_ENDPOINT, ETCD_PEER_0, ETCD_LOG_0, CA,
// ROOT_CERT…), each name prefixed by VARPREFIX. -version runs real etcd
// processes of that version (3.4 is Debian's: a script that needs it starts
// with [!etcd34] skip, which skips locally without it and runs in CI);
// -member-versions gives each member its own version (a rolling upgrade
// caught half-way; the member count follows); -pki
// takes a PKI in etcd-certwiz's layout made by the script (e.g. with openssl): ca.crt (the clients' trusted CA bundle),
// optional peer-ca.crt, m0/server.crt|key, m0/peer.crt|key…, clients/root.crt|key;
// certificate files may hold chains. -flag adds a raw etcd flag (processes only);
// -member-flag I F adds one to member I only ({CLIENT_PORT} and {PEER_PORT} are
// its ports); -learners K makes the last K members join as learners;
// -launch waits only until the members listen, not until a client can talk
// to them (TLS settings that leave no Go client a way in).
func cmdEtcd(ts *testscript.TestScript, neg bool, args []string) {
	usage := "usage: etcd [-version V | -member-versions V,V...] [-members N] [-learners K] [-pki DIR] [-auth-token T] [-flag F]... [-member-flag I F]... [-launch] MODE [VARPREFIX]"
	if neg {
		ts.Fatalf("%s", usage)
	}
	var opts harness.Options
	var pkiDir string
	members := 0
	for len(args) > 1 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-launch":
			opts.Launch = true
			args = args[1:]
			continue
		case "-version":
			opts.Version = args[1]
		case "-member-versions":
			opts.MemberVersions = strings.Split(args[1], ",")
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
		case "-learners":
			n, err := strconv.Atoi(args[1])
			if err != nil || n < 1 {
				ts.Fatalf("-learners %q: %s", args[1], usage)
			}
			opts.Learners = n
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
	mode.Version, mode.AuthToken, mode.ExtraFlags, mode.MemberFlags, mode.Learners, mode.Launch = opts.Version, opts.AuthToken, opts.ExtraFlags, opts.MemberFlags, opts.Learners, opts.Launch
	if len(opts.MemberVersions) > 0 {
		mode.MemberVersions, mode.Members = opts.MemberVersions, len(opts.MemberVersions)
	}
	if members > 0 {
		mode.Members = members
	}
	if (mode.Version == "3.4" || slices.Contains(mode.MemberVersions, "3.4")) && !harness.HasEtcd34() {
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

// keyring [-locked]: start a private Secret Service and point the script at
// it; -locked makes its login collection locked with no way to unlock it (no
// one answers the prompt), as on a headless box after login.
func cmdKeyring(ts *testscript.TestScript, neg bool, args []string) {
	start := harness.StartKeyring
	if len(args) == 1 && args[0] == "-locked" {
		start, args = harness.StartLockedKeyring, nil
	}
	if neg || len(args) != 0 {
		ts.Fatalf("usage: keyring [-locked]")
	}
	k, err := start(ts.MkAbs(".keyring"))
	ts.Check(err)
	ts.Defer(k.Close)
	ts.Setenv("DBUS_SESSION_BUS_ADDRESS", k.Address)
	ts.Setenv("KEYRING_DIR", k.Dir)
}

// cmdNoDAC runs a command as exec does, so that file modes hold even for
// root (internal/nodac): a 0000 key is unreadable to it, as to an
// operator's account.
func cmdNoDAC(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: nodac program [args...]")
	}
	argv := nodac.Command(args...)
	err := ts.Exec(argv[0], argv[1:]...)
	switch {
	case neg && err == nil:
		ts.Fatalf("unexpected command success")
	case !neg && err != nil:
		ts.Fatalf("unexpected command failure: %v", err)
	}
}

// port closed|silent|proxy|proxy-403 VAR: set VAR to a loopback host:port
// where nothing listens (connection refused), or where a listener accepts
// connections and never answers (a hung member), or an HTTP proxy that
// tunnels CONNECTs or refuses them with 403 (harness.HTTPProxy), until the
// script ends (harness.ReservePort keeps anyone else from taking it
// meanwhile).
func cmdPort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 || (args[0] != "closed" && args[0] != "silent" && args[0] != "proxy" && args[0] != "proxy-403") {
		ts.Fatalf("usage: port closed|silent|proxy|proxy-403 VAR")
	}
	if args[0] == "proxy" || args[0] == "proxy-403" {
		addr, stop, err := harness.HTTPProxy(map[string]int{"proxy": http.StatusOK, "proxy-403": http.StatusForbidden}[args[0]])
		ts.Check(err)
		ts.Defer(stop)
		ts.Setenv(args[1], addr)
		return
	}
	if args[0] == "closed" {
		p, err := harness.ReservePort()
		ts.Check(err)
		ts.Defer(p.Release)
		ts.Setenv(args[1], p.Addr())
		return
	}
	addr, stop, err := harness.Silent()
	ts.Check(err)
	ts.Defer(stop)
	ts.Setenv(args[1], addr)
}

// etcd-token [VARPREFIX]: authenticate as the cluster's RBAC user with its
// password (a pwd-rbac etcd) and export the simple token etcd issued as
// USER_TOKEN (it lives 5 minutes).
func cmdEtcdToken(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 1 {
		ts.Fatalf("usage: etcd-token [VARPREFIX]")
	}
	prefix := ""
	if len(args) == 1 {
		prefix = args[0]
	}
	v, ok := clusters.Load(ts.MkAbs(".cluster-" + prefix))
	if !ok {
		ts.Fatalf("no etcd %s started in this script", prefix)
	}
	tok, err := v.(*harness.Cluster).UserToken()
	ts.Check(err)
	ts.Setenv(prefix+"USER_TOKEN", tok)
}

// status N CMD [ARGS...]: run CMD as exec does (stdout and stderr for the
// next assertions) and require exit status N: the suite's binaries promise 1
// for a failure and 2 for a usage error, which '! exec' cannot tell apart.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status N CMD [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("usage: status N CMD [ARGS...]: %v", err)
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	if err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = exitErr.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}
