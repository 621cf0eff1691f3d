package bench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// FleetSize is the number of healthy clusters of the fleet benchmarks, and
// FleetHungTimeout the --timeout of the run with two that never answer (its
// target is this plus one second).
const (
	FleetSize        = 20
	FleetHungTimeout = "1s"
)

// fleetFixture is FleetSize real single-member etcd 3.7 servers (embedded,
// mTLS, one PKI) and an etcd-ctx config with a context for each (fleet-00…)
// plus two whose endpoint accepts TCP and never answers (hung-a, hung-b),
// in a second config file.
type fleetFixture struct {
	env            []string
	etcdDiag       string
	config, hungCf string
}

var fleetShared onceFixture[*fleetFixture]

func fleetSetup(b *testing.B) *fleetFixture { return fleetShared.get(b, newFleetFixture) }

func newFleetFixture(bin string) (*fleetFixture, error) {
	f, dir, p, endpoints, err := newFleet(bin, "fleet", 0)
	if err != nil {
		return nil, err
	}
	f.hungCf = filepath.Join(dir, "fleet-hung.yaml")
	names := make([]string, FleetSize)
	for i := range names {
		names[i] = fmt.Sprintf("fleet-%02d", i)
	}
	if err := os.WriteFile(f.config, fleetConfig(names, endpoints, p), 0o600); err != nil {
		return nil, err
	}
	var hung []string
	for range 2 {
		addr, stop, err := silentListener()
		if err != nil {
			return nil, err
		}
		onTeardown(stop)
		hung = append(hung, "https://"+addr)
	}
	if err := os.WriteFile(f.hungCf, fleetConfig(append(names, "hung-a", "hung-b"), append(endpoints, hung...), p), 0o600); err != nil {
		return nil, err
	}

	// The fleet must be healthy, and the hung run must show the two
	// timeouts and nothing else wrong.
	for _, c := range []struct {
		config string
		exit   int
		want   int
	}{{f.config, 0, FleetSize}, {f.hungCf, 1, FleetSize + 2}} {
		out, err := runExit(f.env, c.exit, f.etcdDiag, "--config", c.config, "--all-contexts", "--timeout", FleetHungTimeout, "-o", "json")
		if err != nil {
			return nil, err
		}
		var reports []diag.Report
		if err := json.Unmarshal([]byte(out), &reports); err != nil || len(reports) != c.want {
			return nil, fmt.Errorf("etcd-diag --all-contexts: %d reports (%v), want %d", len(reports), err, c.want)
		}
		for _, r := range reports {
			hung := strings.HasPrefix(r.Context, "hung-")
			if r.Healthy == hung || (hung && r.Findings[0].ID != "timeout") {
				return nil, fmt.Errorf("etcd-diag --all-contexts: context %s healthy=%v findings %v", r.Context, r.Healthy, r.Findings)
			}
		}
	}
	return f, nil
}

// newFleet makes the common part of a fleet fixture in a directory of its
// own (name): a private HOME, a PKI, the FleetSize servers (behind relays
// with latency one way when it is not zero); the config is the caller's to
// write, at f.config.
func newFleet(bin, name string, latency time.Duration) (f *fleetFixture, dir string, p *harness.PKI, endpoints []string, err error) {
	dir, home, err := tempHome(name)
	if err != nil {
		return nil, "", nil, nil, err
	}
	f = &fleetFixture{etcdDiag: filepath.Join(bin, "etcd-diag"), config: filepath.Join(dir, "fleet.yaml")}
	f.env = append(baseEnv(os.Getenv("PATH"), home), "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(dir, "no-bus"))
	if p, err = harness.NewPKI(filepath.Join(dir, "pki"), []string{"m0"}, harness.User); err != nil {
		return nil, "", nil, nil, err
	}
	endpoints, err = startFleet(dir, p, latency)
	return f, dir, p, endpoints, err
}

// startFleet starts FleetSize single-member mTLS servers on the PKI p, in
// parallel, each behind relays with the given one-way latency when it is not
// zero, and returns their client URLs.
func startFleet(dir string, p *harness.PKI, latency time.Duration) ([]string, error) {
	endpoints := make([]string, FleetSize)
	errs := make([]error, FleetSize)
	var wg sync.WaitGroup
	for i := range endpoints {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := harness.Start(harness.Options{TLS: true, ClientCertAuth: true, PKI: p, Latency: latency, Dir: filepath.Join(dir, fmt.Sprintf("c%02d", i))})
			if err != nil {
				errs[i] = err
				return
			}
			onTeardown(c.Close)
			endpoints[i] = c.Endpoints[0]
		}()
	}
	wg.Wait()
	return endpoints, errors.Join(errs...)
}

// fleetConfig is a hand-written etcd-ctx config: a context per endpoint,
// all with the PKI's root client certificate, kept as file references.
func fleetConfig(names, endpoints []string, p *harness.PKI) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "current-context: %s\nusers:\n- name: root\n  user:\n    client-certificate: {path: %q}\n    client-key: {path: %q}\nclusters:\n", names[0], p.RootCert, p.RootKey)
	for i, n := range names {
		fmt.Fprintf(&b, "- name: %s\n  cluster:\n    endpoints: [%q]\n    certificate-authority: {path: %q}\n", n, endpoints[i], p.CA)
	}
	b.WriteString("contexts:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "- name: %s\n  context: {cluster: %s, user: root}\n", n, n)
	}
	return []byte(b.String())
}

// BenchmarkFleet: `etcd-diag --all-contexts` over FleetSize healthy
// single-member mTLS clusters against `etcd-diag --context fleet-00`, one of
// them, taking turns. Metrics: fleet-ns/op, one-ns/op; target fleet ≤ 3×
// one. On loopback the fleet run is CPU-bound, and the servers share the
// machine's CPUs with etcd-diag: after the timed rounds, cpuRounds more of
// each measure the CPU time etcd-diag used (its rusage) and the servers
// used (this process's, which embeds them): fleet-client-cpu-ns,
// fleet-server-cpu-ns, one-client-cpu-ns, one-server-cpu-ns, per run.
func BenchmarkFleet(b *testing.B) {
	f := fleetSetup(b)
	fleet := proc{label: "fleet", env: f.env, argv: []string{f.etcdDiag, "--config", f.config, "--all-contexts"}}
	one := proc{label: "one", env: f.env, argv: []string{f.etcdDiag, "--config", f.config, "--context", "fleet-00"}}
	rotate(b, fleet, one)
	for _, p := range []proc{fleet, one} {
		var client, server time.Duration
		for range cpuRounds {
			before := selfCPU(b)
			cmd := exec.Command(p.argv[0], p.argv[1:]...)
			cmd.Env = p.env
			if err := exited(cmd.Run(), cmd, 0); err != nil {
				b.Fatalf("%s: %v", strings.Join(p.argv, " "), err)
			}
			server += selfCPU(b) - before
			client += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
		b.ReportMetric(float64(client.Nanoseconds())/cpuRounds, p.label+"-client-cpu-ns")
		b.ReportMetric(float64(server.Nanoseconds())/cpuRounds, p.label+"-server-cpu-ns")
	}
	b.ReportMetric(float64(runtime.NumCPU()), "cpus")
}

// FleetLatency is the one-way delay of BenchmarkFleetLatency's relays: a 2 ms
// round trip, as between racks or availability zones.
const FleetLatency = time.Millisecond

var fleetLatencyShared onceFixture[*fleetFixture]

// newFleetLatencyFixture is FleetSize more servers, each reached through
// harness relays with FleetLatency each way (they advertise the relays, so
// the member list names them too), and a config with a context for each.
func newFleetLatencyFixture(bin string) (*fleetFixture, error) {
	f, _, p, endpoints, err := newFleet(bin, "fleet-latency", FleetLatency)
	if err != nil {
		return nil, err
	}
	names := make([]string, FleetSize)
	for i := range names {
		names[i] = fmt.Sprintf("far-%02d", i)
	}
	if err := os.WriteFile(f.config, fleetConfig(names, endpoints, p), 0o600); err != nil {
		return nil, err
	}
	out, err := runExit(f.env, 0, f.etcdDiag, "--config", f.config, "--all-contexts", "-o", "json")
	if err != nil {
		return nil, err
	}
	var reports []diag.Report
	if err := json.Unmarshal([]byte(out), &reports); err != nil || len(reports) != FleetSize {
		return nil, fmt.Errorf("etcd-diag --all-contexts through the relays: %d reports (%v), want %d", len(reports), err, FleetSize)
	}
	for _, r := range reports {
		if !r.Healthy || len(r.Cluster.Members) != 1 || len(r.Cluster.Members[0].Advertised) != 0 {
			return nil, fmt.Errorf("etcd-diag --all-contexts through the relays: context %s healthy=%v findings %v (its member must be the endpoint dialled)", r.Context, r.Healthy, r.Findings)
		}
	}
	return f, nil
}

// BenchmarkFleetLatency is BenchmarkFleet against servers reached with a
// round trip of 2 × FleetLatency: what a diagnosis waits on is the network,
// and the parallel run costs about the slowest context. Metrics:
// fleet-ns/op, one-ns/op.
func BenchmarkFleetLatency(b *testing.B) {
	f := fleetLatencyShared.get(b, newFleetLatencyFixture)
	rotate(b,
		proc{label: "fleet", env: f.env, argv: []string{f.etcdDiag, "--config", f.config, "--all-contexts"}},
		proc{label: "one", env: f.env, argv: []string{f.etcdDiag, "--config", f.config, "--context", "far-00"}})
	b.ReportMetric(float64(2*FleetLatency.Nanoseconds()), "rtt-ns")
}

// cpuRounds is how many runs of each command measure its CPU time.
const cpuRounds = 10

// selfCPU is the CPU time this process (and its embedded etcd servers) used.
func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFleetHung: --all-contexts over the FleetSize clusters plus two
// endpoints that never answer, --timeout FleetHungTimeout; exit 1 with the
// two timeouts. Target: the timeout plus one second. Metrics: hung-ns/op,
// timeout-ns. Over a second per round: make bench runs it with the
// hung-member benchmark's smaller -benchtime.
func BenchmarkFleetHung(b *testing.B) {
	f := fleetSetup(b)
	timeout, err := time.ParseDuration(FleetHungTimeout)
	if err != nil {
		b.Fatal(err)
	}
	rotate(b, proc{label: "hung", env: f.env, exit: 1, argv: []string{f.etcdDiag, "--config", f.hungCf, "--all-contexts", "--timeout", FleetHungTimeout}})
	b.ReportMetric(float64(timeout.Nanoseconds()), "timeout-ns")
}

// BenchmarkExporter: what etcd-diag serve costs while it watches the
// FleetSize clusters with --interval 1s: b.N runs are waited for, and the
// CPU time the process used (user + system, from /proc) is divided by the
// runs it completed. Metrics: cpu-ns/run, run-ns (the wall time of one run
// over every context, from its log), rss-KiB (VmRSS at the end), runs.
func BenchmarkExporter(b *testing.B) {
	f := fleetSetup(b)
	cmd := exec.Command(f.etcdDiag, "serve", "--config", f.config, "--listen", "127.0.0.1:0", "--interval", "1s")
	cmd.Env = f.env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	runLine := regexp.MustCompile(`^etcd-diag: run (\d+): (\d+) context\(s\) in ([\d.]+) s: (\d+) healthy`)
	// waitRun returns the number and duration of the next completed run.
	waitRun := func() (int, float64) {
		for line := range lines {
			if m := runLine.FindStringSubmatch(line); m != nil {
				if m[2] != strconv.Itoa(FleetSize) || m[4] != strconv.Itoa(FleetSize) {
					b.Fatalf("etcd-diag serve: %s", line)
				}
				n, _ := strconv.Atoi(m[1])
				s, _ := strconv.ParseFloat(m[3], 64)
				return n, s
			}
		}
		b.Fatal("etcd-diag serve stopped")
		return 0, 0
	}
	waitRun() // the first run warms up
	cpu0 := cpuTime(b, cmd.Process.Pid)
	b.ResetTimer()
	var wall float64
	first, last := 0, 0
	for i := 0; i < b.N; i++ {
		n, s := waitRun()
		if first == 0 {
			first = n
		}
		last, wall = n, wall+s
	}
	b.StopTimer()
	cpu := cpuTime(b, cmd.Process.Pid) - cpu0
	runs := last - first + 1
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(runs), "cpu-ns/run")
	b.ReportMetric(wall/float64(runs)*1e9, "run-ns")
	b.ReportMetric(float64(rssKiB(b, cmd.Process.Pid)), "rss-KiB")
	b.ReportMetric(float64(runs), "runs")
}

// cpuTime is a process's user + system CPU time (/proc/PID/stat).
func cpuTime(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name in parentheses: utime is the 14th
	// field, stime the 15th, in clock ticks (100 per second on Linux).
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// rssKiB is a process's resident memory now (VmRSS).
func rssKiB(b *testing.B, pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kib
		}
	}
	return 0
}
