// Package bench holds `make bench`: whole-process timings of etcd-ctx,
// etcd-diag and etcd-certwiz against the tools they replace, measured in the
// same run, their peak memory, plus the in-process work that matters. Nothing
// here asserts a time; tests/bench/report turns the `go test -bench` output
// into the table with targets.
//
// Every expensive fixture (binaries, a real mTLS etcd, a 3-member cluster, a
// private keyring, the peakrss spawner) is made lazily by the first benchmark
// that needs it, so `go test ./...` without -bench only runs the cheap
// fixture checks.
//
// ETCD_CTX_BENCH_BIN names a directory holding prebuilt etcd-ctx,
// etcd-certwiz, etcd-diag and etcdctl (make bench passes bin/, the release
// build; a relative path is taken from the module root); without it the
// binaries are built with harness.BuildBinaries.
package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// EnvBin names the directory of prebuilt binaries.
const EnvBin = "ETCD_CTX_BENCH_BIN"

// Names of the contexts the fixtures create.
const (
	currentName = "ctx05" // current context of the 10-context configs
	keyringCtx  = "bench" // mTLS context with its material in the keyring
	pathCtx     = "bench-path"
)

// TestMain only tears down what the benchmarks started: the etcd, the
// keyring daemons and the temp dir, also on Ctrl-C.
func TestMain(m *testing.M) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		teardown()
		os.Exit(130)
	}()
	code := m.Run()
	signal.Stop(sig)
	teardown()
	os.Exit(code)
}

// shared is the state the fixtures build once.
var shared struct {
	mu       sync.Mutex
	root     string // temp dir holding everything below
	cleanups []func()

	binOnce sync.Once
	bin     string
	binErr  error

	currentOnce sync.Once
	current     *currentFixture
	currentErr  error

	tlsOnce sync.Once
	tls     *tlsFixture
	tlsErr  error

	peakOnce sync.Once
	peak     string // the peakrss spawner
	peakErr  error
}

func teardown() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	for i := len(shared.cleanups) - 1; i >= 0; i-- {
		shared.cleanups[i]()
	}
	shared.cleanups = nil
	if shared.root != "" {
		os.RemoveAll(shared.root)
		shared.root = ""
	}
}

func onTeardown(f func()) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.cleanups = append(shared.cleanups, f)
}

// tempHome returns a new directory under the shared root and a private
// $HOME inside it for the commands a fixture runs.
func tempHome(name string) (dir, home string, err error) {
	if dir, err = tempDir(name); err != nil {
		return "", "", err
	}
	home = filepath.Join(dir, "home")
	return dir, home, os.MkdirAll(home, 0o700)
}

// tempDir returns a new directory under the shared root.
func tempDir(name string) (string, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.root == "" {
		d, err := os.MkdirTemp("", "etcd-ctx-bench-")
		if err != nil {
			return "", err
		}
		shared.root = d
	}
	d := filepath.Join(shared.root, name)
	return d, os.MkdirAll(d, 0o700)
}

// binaries returns the directory holding the three binaries and etcdctl 3.7.
func binaries(b *testing.B) string {
	b.Helper()
	shared.binOnce.Do(func() {
		if dir := os.Getenv(EnvBin); dir != "" {
			shared.bin = dir
			if !filepath.IsAbs(dir) { // relative to the module root, like make's bin/
				var root string
				root, shared.binErr = harness.ModuleRoot()
				shared.bin = filepath.Join(root, dir)
			}
		} else {
			shared.bin, shared.binErr = tempDir("bin")
			if shared.binErr == nil {
				shared.binErr = harness.BuildBinaries(shared.bin)
			}
		}
		if shared.binErr != nil {
			return
		}
		for _, name := range append(harness.Binaries[:len(harness.Binaries):len(harness.Binaries)], "etcdctl") {
			if _, err := os.Stat(filepath.Join(shared.bin, name)); err != nil {
				shared.binErr = fmt.Errorf("%s: %w (make build etcdctl, or unset %s)", name, err, EnvBin)
				return
			}
		}
		if v := harness.EtcdctlVersion(filepath.Join(shared.bin, "etcdctl")); !strings.HasPrefix(v, "3.7.") {
			shared.binErr = fmt.Errorf("%s/etcdctl is version %q, want the 3.7 pinned by go.mod", shared.bin, v)
		}
	})
	if shared.binErr != nil {
		b.Fatal(shared.binErr)
	}
	return shared.bin
}

// peakRSS returns the path of tests/bench/peakrss, built once.
func peakRSS(b *testing.B) string {
	b.Helper()
	shared.peakOnce.Do(func() {
		var dir, root string
		if dir, shared.peakErr = tempDir("tools"); shared.peakErr != nil {
			return
		}
		if root, shared.peakErr = harness.ModuleRoot(); shared.peakErr != nil {
			return
		}
		shared.peak = filepath.Join(dir, "peakrss")
		cmd := exec.Command("go", "build", "-o", shared.peak, "./tests/bench/peakrss")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			shared.peakErr = fmt.Errorf("build peakrss: %v\n%s", err, out)
		}
	})
	if shared.peakErr != nil {
		b.Fatal(shared.peakErr)
	}
	return shared.peak
}

// peakKiB runs p once through the peakrss spawner and returns its peak
// memory in KiB.
func peakKiB(spawner string, p proc) (int64, error) {
	out, err := run(p.env, append([]string{spawner}, p.argv...)...)
	if err != nil {
		return 0, err
	}
	var exit int
	var kib int64
	if _, err := fmt.Sscan(out, &exit, &kib); err != nil {
		return 0, fmt.Errorf("peakrss printed %q: %v", out, err)
	}
	if exit != p.exit {
		return 0, fmt.Errorf("%s: exit status %d, want %d", strings.Join(p.argv, " "), exit, p.exit)
	}
	return kib, nil
}

// memRuns is how many extra runs of each command measure its peak memory.
const memRuns = 3

// run runs argv once with env and returns its stdout, failing with the
// combined output when it does not exit 0.
func run(env []string, argv ...string) (string, error) {
	return runExit(env, 0, argv...)
}

// runExit is run for a command whose expected exit status is exit.
func runExit(env []string, exit int, argv ...string) (string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := exited(cmd.Run(), cmd, exit); err != nil {
		return stdout.String(), fmt.Errorf("%s: %v\n%s%s", strings.Join(argv, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// exited turns the result of cmd.Run into an error unless the command ran
// and exited with the status want.
func exited(err error, cmd *exec.Cmd, want int) error {
	if cmd.ProcessState == nil || (err != nil && !errors.As(err, new(*exec.ExitError))) {
		return err
	}
	if got := cmd.ProcessState.ExitCode(); got != want {
		return fmt.Errorf("exit status %d, want %d", got, want)
	}
	return nil
}

// proc is one measured command: a label (the metrics become
// "<label>-ns/op" and "<label>-peak-KiB"), its environment and argv, and
// the exit status it must end with (etcd-diag exits 1 on a finding).
type proc struct {
	label string
	env   []string
	argv  []string
	exit  int
}

// rotate is the measured part of every whole-process benchmark: each round
// starts every command once and waits for it, b.N rounds, and each command's
// mean wall time is reported as "<label>-ns/op" (ns/op is the whole round),
// its median as "<label>-p50-ns/op" (a burst of load on a shared machine
// moves a mean more than a median).
// Then, outside the timed rounds, each command runs min(b.N, memRuns) more
// times through the peakrss spawner, and its peak memory (the largest
// ru_maxrss, KiB) is reported as "<label>-peak-KiB": the ru_maxrss of the
// timed runs would be the test process's own peak (see tests/bench/peakrss).
// The commands take turns, in alternating order, instead of running one
// benchmark after the other, so a comparison is made under the same load:
// on a shared 2-core machine the load drifts over seconds, and separate runs
// of 100 differed by several milliseconds. Output goes to /dev/null; a
// failure stops the benchmark with the command's output.
func rotate(b *testing.B, procs ...proc) {
	b.Helper()
	for _, p := range procs { // fail early, and warm the page cache
		if _, err := runExit(p.env, p.exit, p.argv...); err != nil {
			b.Fatal(err)
		}
	}
	spawner := peakRSS(b)
	total := make([]time.Duration, len(procs))
	each := make([][]time.Duration, len(procs))
	b.ResetTimer()
	for round := range b.N {
		for j := range procs {
			i := j
			if round%2 == 1 {
				i = len(procs) - 1 - j
			}
			p := procs[i]
			cmd := exec.Command(p.argv[0], p.argv[1:]...)
			cmd.Env = p.env
			start := time.Now()
			err := cmd.Run()
			took := time.Since(start)
			total[i] += took
			each[i] = append(each[i], took)
			if err := exited(err, cmd, p.exit); err != nil {
				b.StopTimer()
				_, again := runExit(p.env, p.exit, p.argv...)
				b.Fatalf("%s failed during the benchmark: %v (run again: %v)", strings.Join(p.argv, " "), err, again)
			}
		}
	}
	b.StopTimer()
	for i, p := range procs {
		b.ReportMetric(float64(total[i].Nanoseconds())/float64(b.N), p.label+"-ns/op")
		slices.Sort(each[i])
		b.ReportMetric(float64(each[i][len(each[i])/2].Nanoseconds()), p.label+"-p50-ns/op")
		var peak int64
		for range min(b.N, memRuns) {
			kib, err := peakKiB(spawner, p)
			if err != nil {
				b.Fatal(err)
			}
			peak = max(peak, kib)
		}
		b.ReportMetric(float64(peak), p.label+"-peak-KiB")
	}
}

// baseEnv is the environment every measured process starts from: nothing
// inherited but PATH, so a developer's ETCD_CTX, KUBECONFIG or ETCDCTL_*
// cannot change what is measured.
func baseEnv(path, home string) []string {
	return []string{"PATH=" + path, "HOME=" + home, "NO_COLOR=1", "LANG=C"}
}

// --- 1. etcd-ctx current vs kubectx -c -------------------------------------

// currentFixture is an equivalent pair of configs: the same 10 contexts
// (plaintext endpoints, no users) as a kubeconfig and as an etcd-ctx config
// written by `etcd-ctx add`, both with ctx05 current.
type currentFixture struct {
	etcdCtxEnv, kubeEnv []string
	etcdCtx             string // path of the binary
}

const numContexts = 10

func contextName(i int) string { return fmt.Sprintf("ctx%02d", i) }

func current(b *testing.B) *currentFixture {
	b.Helper()
	bin := binaries(b)
	shared.currentOnce.Do(func() { shared.current, shared.currentErr = newCurrentFixture(bin) })
	if shared.currentErr != nil {
		b.Fatal(shared.currentErr)
	}
	return shared.current
}

func newCurrentFixture(bin string) (*currentFixture, error) {
	dir, home, err := tempHome("current")
	if err != nil {
		return nil, err
	}
	f := &currentFixture{etcdCtx: filepath.Join(bin, "etcd-ctx")}
	env := baseEnv(os.Getenv("PATH"), home)
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, kubeconfigYAML(numContexts, currentName), 0o600); err != nil {
		return nil, err
	}
	f.kubeEnv = append(env[:len(env):len(env)], "KUBECONFIG="+kubeconfig)
	f.etcdCtxEnv = append(env[:len(env):len(env)], contexts.EnvConfig+"="+filepath.Join(dir, "etcd-ctx.yaml"))
	for i := range numContexts {
		if _, err := run(f.etcdCtxEnv, f.etcdCtx, "add", contextName(i), "--endpoints", "http://127.0.0.1:2379"); err != nil {
			return nil, err
		}
	}
	if _, err := run(f.etcdCtxEnv, f.etcdCtx, "use", currentName); err != nil {
		return nil, err
	}
	if out, err := run(f.etcdCtxEnv, f.etcdCtx, "current"); err != nil {
		return nil, err
	} else if strings.TrimSpace(out) != currentName {
		return nil, fmt.Errorf("etcd-ctx current printed %q, want %q", out, currentName)
	}
	return f, nil
}

// kubeconfigYAML is n contexts, each with its own plaintext cluster and no
// user: what `etcd-ctx add NAME --endpoints http://…` writes, in kubeconfig
// form.
func kubeconfigYAML(n int, current string) []byte {
	var s strings.Builder
	fmt.Fprintf(&s, "apiVersion: v1\nkind: Config\npreferences: {}\ncurrent-context: %s\nclusters:\n", current)
	for i := range n {
		fmt.Fprintf(&s, "- name: %s\n  cluster:\n    server: http://127.0.0.1:2379\n", contextName(i))
	}
	s.WriteString("contexts:\n")
	for i := range n {
		fmt.Fprintf(&s, "- name: %s\n  context:\n    cluster: %s\n", contextName(i), contextName(i))
	}
	s.WriteString("users: []\n")
	return []byte(s.String())
}

// BenchmarkCurrent: `etcd-ctx current` against Debian's `kubectx -c` (a bash
// script that runs `kubectl config current-context`), same 10 contexts.
// Metrics: etcd-ctx-ns/op, kubectx-ns/op, and version-ns/op for
// `etcd-ctx --version`, the part of etcd-ctx's time that is process start.
func BenchmarkCurrent(b *testing.B) {
	f := current(b)
	procs := []proc{
		{label: "etcd-ctx", env: f.etcdCtxEnv, argv: []string{f.etcdCtx, "current"}},
		{label: "version", env: f.etcdCtxEnv, argv: []string{f.etcdCtx, "--version"}},
	}
	if kubectx, why := kubectxUsable(f); why != "" {
		b.Logf("kubectx not measured: %s", why)
	} else {
		procs = append(procs, proc{label: "kubectx", env: f.kubeEnv, argv: []string{kubectx, "-c"}})
	}
	rotate(b, procs...)
}

// kubectxUsable returns kubectx's path, or why it cannot be the baseline.
func kubectxUsable(f *currentFixture) (string, string) {
	kubectx, err := exec.LookPath("kubectx")
	if err != nil {
		return "", "kubectx is not installed (apt-get install kubectx)"
	}
	out, err := run(f.kubeEnv, kubectx, "-c")
	if err != nil {
		_, why, _ := strings.Cut(strings.TrimSpace(err.Error()), "\n")
		return "", fmt.Sprintf("kubectx -c fails (it runs kubectl: apt-get install kubernetes-client): %.200q", why)
	}
	if strings.TrimSpace(out) != currentName {
		return "", fmt.Sprintf("kubectx -c printed %q, want %q", out, currentName)
	}
	return kubectx, ""
}

// --- 2. etcd-ctx exec -- etcdctl get k vs bare etcdctl ----------------------

// tlsFixture is a real embedded etcd with TLS and client-certificate auth, a
// private Secret Service, and an etcd-ctx config with two contexts for it:
// "bench" (material in the keyring, current) and "bench-path" (--store=path).
type tlsFixture struct {
	cluster  *harness.Cluster
	keyring  *harness.Keyring
	env      []string // PATH with the bench etcdctl first, the keyring's bus, XDG_CONFIG_HOME
	etcdCtx  string
	etcdctl  string
	bareArgs []string // etcdctl --endpoints … --cacert … --cert … --key …
}

func tlsSetup(b *testing.B) *tlsFixture {
	b.Helper()
	for _, tool := range harness.KeyringTools {
		harness.Need(b, harness.HasCommand(tool), tool+" (apt-get install dbus gnome-keyring)")
	}
	bin := binaries(b)
	shared.tlsOnce.Do(func() { shared.tls, shared.tlsErr = newTLSFixture(bin) })
	if shared.tlsErr != nil {
		b.Fatal(shared.tlsErr)
	}
	return shared.tls
}

func newTLSFixture(bin string) (*tlsFixture, error) {
	dir, err := tempDir("tls")
	if err != nil {
		return nil, err
	}
	f := &tlsFixture{etcdCtx: filepath.Join(bin, "etcd-ctx"), etcdctl: filepath.Join(bin, "etcdctl")}
	opts := harness.MTLS
	opts.Dir = filepath.Join(dir, "etcd")
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, err
	}
	if f.cluster, err = harness.Start(opts); err != nil {
		return nil, err
	}
	onTeardown(f.cluster.Close)
	if err := putKey(f.cluster); err != nil {
		return nil, err
	}
	if f.keyring, err = harness.StartKeyring(filepath.Join(dir, "keyring")); err != nil {
		return nil, err
	}
	onTeardown(f.keyring.Close)

	config := filepath.Join(dir, "config")
	if err := os.MkdirAll(config, 0o700); err != nil {
		return nil, err
	}
	for _, kv := range f.keyring.Env() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PATH", "XDG_CONFIG_HOME":
			continue
		}
		f.env = append(f.env, kv)
	}
	f.env = append(f.env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "XDG_CONFIG_HOME="+config, "NO_COLOR=1", "LANG=C")

	ep, pki := f.cluster.Endpoints[0], f.cluster.PKI
	if _, err := run(f.env, f.etcdCtx, "add", keyringCtx, "--endpoints", ep, "--cacert", pki.CA, "--cert", pki.RootCert, "--key", pki.RootKey, "--use"); err != nil {
		return nil, err
	}
	if _, err := run(f.env, f.etcdCtx, "add", pathCtx, "--store=path", "--endpoints", ep, "--cacert", pki.CA, "--cert", pki.RootCert, "--key", pki.RootKey); err != nil {
		return nil, err
	}
	// The keyring context must really be read from the keyring, and the path
	// context must not be.
	data, err := os.ReadFile(filepath.Join(config, "etcd-ctx", "config.yaml"))
	if err != nil {
		return nil, err
	}
	cfg, err := contexts.Parse(data)
	if err != nil {
		return nil, err
	}
	if u, ok := cfg.User(keyringCtx); !ok || u.Key == nil || u.Key.Keyring == "" {
		return nil, fmt.Errorf("context %q does not keep its key in the keyring:\n%s", keyringCtx, data)
	}
	if u, ok := cfg.User(pathCtx); !ok || u.Key == nil || u.Key.Path == "" {
		return nil, fmt.Errorf("context %q does not reference its key file:\n%s", pathCtx, data)
	}

	f.bareArgs = []string{f.etcdctl, "--endpoints", ep, "--cacert", pki.CA, "--cert", pki.RootCert, "--key", pki.RootKey}
	bare, err := run(f.env, append(f.bareArgs, "get", "k")...)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{keyringCtx, pathCtx} {
		wrapped, err := run(f.env, f.etcdCtx, "exec", "--context", name, "--", "etcdctl", "get", "k")
		if err != nil {
			return nil, err
		}
		if wrapped != bare || bare != "k\nv\n" {
			return nil, fmt.Errorf("etcd-ctx exec (%s) printed %q, bare etcdctl %q; want %q", name, wrapped, bare, "k\nv\n")
		}
	}
	return f, nil
}

func putKey(c *harness.Cluster) error {
	cli, err := c.Client()
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = cli.Put(ctx, "k", "v")
	return err
}

// BenchmarkGet: a real `get k` over mTLS, bare etcdctl with the four flags
// against `etcd-ctx exec -- etcdctl get k` with the material in the keyring
// (the same etcdctl binary, found on PATH). Metrics: etcdctl-ns/op,
// etcd-ctx-exec-ns/op.
func BenchmarkGet(b *testing.B) {
	f := tlsSetup(b)
	rotate(b,
		proc{label: "etcdctl", env: f.env, argv: append(f.bareArgs, "get", "k")},
		proc{label: "etcd-ctx-exec", env: f.env, argv: []string{f.etcdCtx, "exec", "--context", keyringCtx, "--", "etcdctl", "get", "k"}},
	)
}

// BenchmarkExecTrue breaks the exec overhead down by running `true`:
// process spawn alone (true-ns/op), etcd-ctx's start-up (version-ns/op),
// exec with the --store=path context: config, files and exec(2), no keyring,
// no memfd (path-ns/op), and exec with the keyring context, which adds the
// D-Bus connection, one Secret Service session for the context's two items
// and the memfd hand-off (keyring-ns/op).
func BenchmarkExecTrue(b *testing.B) {
	f := tlsSetup(b)
	truePath, err := exec.LookPath("true")
	if err != nil {
		b.Fatal(err)
	}
	rotate(b,
		proc{label: "true", env: f.env, argv: []string{truePath}},
		proc{label: "version", env: f.env, argv: []string{f.etcdCtx, "--version"}},
		proc{label: "path", env: f.env, argv: []string{f.etcdCtx, "exec", "--context", pathCtx, "--", "true"}},
		proc{label: "keyring", env: f.env, argv: []string{f.etcdCtx, "exec", "--context", keyringCtx, "--", "true"}},
	)
}

// --- in-process work ---------------------------------------------------------

// BenchmarkKeyringGetMany is what exec reads from the keyring: the
// context's two items (the cluster's CA, the user's certificate and key),
// through the same code the binary uses, over a connection already open: a
// SearchItems per item, then GetSecrets, in the session the connection kept
// (a fresh process also opens the connection and the session, with a Ping,
// in its first round trip). The cost without the set-up a fresh process
// pays.
func BenchmarkKeyringGetMany(b *testing.B) {
	f := tlsSetup(b)
	b.Setenv("DBUS_SESSION_BUS_ADDRESS", f.keyring.Address)
	k := contexts.NewOSKeyring()
	items := []string{"cluster/" + keyringCtx, "user/" + keyringCtx}
	b.ResetTimer()
	for range b.N {
		got, err := k.GetMany(items...)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != len(items) {
			b.Fatalf("GetMany found %d of %v", len(got), items)
		}
	}
}

// BenchmarkKeyringGet is one keyring item read through go-keyring, as every
// item was read before (one session, seven calls each), over an already
// connected D-Bus.
func BenchmarkKeyringGet(b *testing.B) {
	f := tlsSetup(b)
	// godbus connects the session bus once per process, from this variable.
	b.Setenv("DBUS_SESSION_BUS_ADDRESS", f.keyring.Address)
	k := contexts.NewOSKeyring()
	if _, err := k.Get("user/" + keyringCtx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := k.Get("user/" + keyringCtx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandoffMemfd is the memfd hand-off of a CA, certificate and key:
// three sealed memory files, as exec does before exec(2).
func BenchmarkHandoffMemfd(b *testing.B) {
	spec := contexts.Spec{
		CA:   contexts.Material{PEM: bytes.Repeat([]byte("c"), 700)},
		Cert: contexts.Material{PEM: bytes.Repeat([]byte("c"), 700)},
		Key:  contexts.Material{PEM: bytes.Repeat([]byte("k"), 250)},
	}
	b.ReportAllocs()
	for range b.N {
		h, err := contexts.NewHandoff(spec)
		if err != nil {
			b.Fatal(err)
		}
		if !strings.HasPrefix(h.Paths.Key, "/dev/fd/") {
			b.Fatalf("hand-off used %q, not a memfd", h.Paths.Key)
		}
		h.Close()
	}
}

// BenchmarkParseConfig parses a 50-context config, as every command does.
func BenchmarkParseConfig(b *testing.B) {
	data, err := configYAML(50)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for range b.N {
		if _, err := contexts.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// configYAML is a realistic config of n contexts: three TLS endpoints and a
// CA per cluster, certificate users in the keyring, some password users, some
// file references, prefixes and notes.
func configYAML(n int) ([]byte, error) {
	cfg := &contexts.Config{CurrentContext: "prod-0", PreviousContext: "prod-1"}
	for i := range n {
		name := fmt.Sprintf("prod-%d", i)
		cl := contexts.Cluster{
			Endpoints:   []string{fmt.Sprintf("https://10.0.%d.1:2379", i), fmt.Sprintf("https://10.0.%d.2:2379", i), fmt.Sprintf("https://10.0.%d.3:2379", i)},
			CA:          &contexts.Ref{Keyring: "cluster/" + name},
			DialTimeout: contexts.Duration(5 * time.Second),
		}
		u := contexts.User{Cert: &contexts.Ref{Keyring: "user/" + name}, Key: &contexts.Ref{Keyring: "user/" + name}}
		switch i % 5 {
		case 1:
			u = contexts.User{Username: "alice", Password: &contexts.Ref{Keyring: "user/" + name}}
		case 2:
			cl.CA = &contexts.Ref{Path: "/etc/etcd/pki/" + name + "/ca.crt"}
			u = contexts.User{Cert: &contexts.Ref{Path: "/etc/etcd/pki/" + name + "/client.crt"}, Key: &contexts.Ref{Path: "/etc/etcd/pki/" + name + "/client.key"}}
		case 3:
			cl.ServerName = "etcd.example.internal"
		}
		cfg.Clusters = append(cfg.Clusters, contexts.NamedCluster{Name: name, Cluster: cl})
		cfg.Users = append(cfg.Users, contexts.NamedUser{Name: name, User: u})
		cfg.Contexts = append(cfg.Contexts, contexts.NamedContext{Name: name, Context: contexts.Context{
			Cluster: name, User: name, Prefix: fmt.Sprintf("/app-%d/", i), Note: "benchmark context " + name,
		}})
	}
	return cfg.Marshal()
}

// --- cheap checks that run in go test ./... ---------------------------------

// TestFixtures checks, without building or starting anything, that the
// in-process fixtures are what the benchmarks claim.
func TestFixtures(t *testing.T) {
	data, err := configYAML(50)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := contexts.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Contexts) != 50 || len(cfg.Clusters) != 50 || len(cfg.Users) != 50 {
		t.Fatalf("config has %d contexts, %d clusters, %d users; want 50 each", len(cfg.Contexts), len(cfg.Clusters), len(cfg.Users))
	}
	kube := string(kubeconfigYAML(numContexts, currentName))
	if got := strings.Count(kube, "\n- name: "); got != 2*numContexts {
		t.Fatalf("kubeconfig has %d named entries, want %d:\n%s", got, 2*numContexts, kube)
	}
	if !strings.Contains(kube, "current-context: "+currentName+"\n") {
		t.Fatalf("kubeconfig lacks current-context %s:\n%s", currentName, kube)
	}
}

// onceFixture is a benchmark fixture made once per process, on the release
// binaries in bin, and shared by every benchmark that needs it.
type onceFixture[T any] struct {
	once sync.Once
	v    T
	err  error
}

// get makes the fixture with newFixture on the first call, and fails b if making
// it failed (then or on an earlier call).
func (o *onceFixture[T]) get(b *testing.B, newFixture func(bin string) (T, error)) T {
	b.Helper()
	bin := binaries(b)
	o.once.Do(func() { o.v, o.err = newFixture(bin) })
	if o.err != nil {
		b.Fatal(o.err)
	}
	return o.v
}
