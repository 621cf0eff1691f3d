// Command report is `make bench`: it runs the benchmarks in tests/bench once
// (`go test -run '^$' -bench . -benchtime 100x`) and prints one table: each
// figure, the baseline measured in the same run, their ratio or difference,
// the target and whether it is met. Targets are reported, never enforced:
// the exit status is 1 only when the benchmarks could not run.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Targets from the design: a prompt segment must cost a tenth of kubectx's,
// and wrapping etcdctl may add at most 15 ms.
const (
	currentRatioTarget = 0.10
	execOverheadTarget = 15.0 // ms
)

func main() {
	bin := flag.String("bin", "", "directory with prebuilt etcd-ctx and etcdctl (default: the benchmarks build them)")
	benchtime := flag.String("benchtime", "100x", "go test -benchtime")
	pkg := flag.String("pkg", "./tests/bench/", "benchmark package")
	verbose := flag.Bool("v", false, "also copy go test's output to stderr as it runs")
	flag.Parse()

	args := []string{"test", "-run", "^$", "-bench", ".", "-benchtime", *benchtime, "-count", "1", *pkg}
	cmd := exec.Command("go", args...)
	cmd.Env = os.Environ()
	if *bin != "" {
		abs, err := filepath.Abs(*bin)
		if err != nil {
			fail(err)
		}
		cmd.Env = append(cmd.Env, "ETCD_CTX_BENCH_BIN="+abs)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if *verbose {
		cmd.Stdout = io.MultiWriter(&out, os.Stderr)
		cmd.Stderr = cmd.Stdout
	}
	fmt.Fprintf(os.Stderr, "running go %s …\n", strings.Join(args, " "))
	if err := cmd.Run(); err != nil {
		if !*verbose {
			os.Stderr.Write(out.Bytes())
		}
		fail(fmt.Errorf("go test: %v", err))
	}
	res := Parse(out.String())
	if len(res.Bench) == 0 {
		os.Stderr.Write(out.Bytes())
		fail(fmt.Errorf("no benchmark results in the output"))
	}
	fmt.Print(Table(res, *benchtime))
	fmt.Println()
	for _, note := range Notes(res) {
		fmt.Println(note)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench: error:", err)
	os.Exit(1)
}

// Result is one benchmark line: ns/op and any other unit it reported.
type Result struct {
	Name    string
	N       int
	Metrics map[string]float64 // unit → value, e.g. "ns/op", "B/op", "allocs/op"
}

// Results are the parsed benchmark output.
type Results struct {
	Bench   map[string]Result
	Skipped map[string]string   // benchmark → reason
	Logs    map[string][]string // benchmark → lines it logged
}

var (
	benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.+)$`)
	headLine  = regexp.MustCompile(`^\s*--- (SKIP|BENCH|FAIL): (Benchmark\S+?)(?:-\d+)?$`)
	logLine   = regexp.MustCompile(`^\s+\S+\.go:\d+: (.*)$`)
)

// Parse reads `go test -bench` output.
func Parse(out string) Results {
	res := Results{Bench: map[string]Result{}, Skipped: map[string]string{}, Logs: map[string][]string{}}
	current := "" // the benchmark whose log lines follow
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if m := headLine.FindStringSubmatch(line); m != nil {
			current = m[2]
			if m[1] == "SKIP" {
				res.Skipped[current] = "skipped"
			}
			continue
		}
		if m := logLine.FindStringSubmatch(line); m != nil && current != "" {
			res.Logs[current] = append(res.Logs[current], m[1])
			if _, ok := res.Skipped[current]; ok {
				res.Skipped[current] = m[1]
			}
			continue
		}
		current = ""
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		r := Result{Name: m[1], N: n, Metrics: map[string]float64{}}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				r.Metrics[f[i+1]] = v
			}
		}
		res.Bench[r.Name] = r
	}
	return res
}

// ms returns a metric in milliseconds: "Bench" for its ns/op, or
// "Bench:label" for the "label-ns/op" of one command of a rotation.
func (r Results) ms(key string) (float64, bool) {
	name, label, _ := strings.Cut(key, ":")
	unit := "ns/op"
	if label != "" {
		unit = label + "-ns/op"
	}
	b, ok := r.Bench[name]
	if !ok {
		return 0, false
	}
	v, ok := b.Metrics[unit]
	return v / 1e6, ok
}

// missing says why a metric is absent: the benchmark's skip reason or what
// it logged.
func (r Results) missing(key string) string {
	name, _, _ := strings.Cut(key, ":")
	if why, ok := r.Skipped[name]; ok {
		return "skipped: " + why
	}
	if logs := r.Logs[name]; len(logs) > 0 {
		return logs[0]
	}
	return "not measured"
}

func fmtMS(v float64) string {
	switch {
	case v < 0.1:
		return fmt.Sprintf("%.1f µs", v*1000)
	case v < 10:
		return fmt.Sprintf("%.2f ms", v)
	}
	return fmt.Sprintf("%.1f ms", v)
}

func fmtDelta(v float64) string {
	if v < 0 {
		return "−" + fmtMS(-v)
	}
	return "+" + fmtMS(v)
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

// row is one table line, as displayed.
type row struct {
	figure, measured, baseline, compare, target, met string
}

// Table renders the results.
func Table(r Results, benchtime string) string {
	var rows []row
	var footnotes []string
	get := func(name string) (float64, string, bool) {
		v, ok := r.ms(name)
		if !ok {
			why := fmt.Sprintf("n/a: %s: %s", name, r.missing(name))
			if !slices.Contains(footnotes, why) {
				footnotes = append(footnotes, why)
			}
			return 0, "n/a", false
		}
		return v, fmtMS(v), true
	}

	// 1. etcd-ctx current vs kubectx -c.
	cur, curS, okC := get("BenchmarkCurrent:etcd-ctx")
	kx, kxS, okK := get("BenchmarkCurrent:kubectx")
	r1 := row{figure: "etcd-ctx current (10 contexts)", measured: curS, baseline: "kubectx -c: " + kxS, compare: "–",
		target: fmt.Sprintf("≤ %.2f×", currentRatioTarget), met: "–"}
	if okC && okK {
		ratio := cur / kx
		r1.compare = fmt.Sprintf("%.3f×", ratio)
		r1.met = yesNo(ratio <= currentRatioTarget)
	}
	rows = append(rows, r1)

	// 2. etcd-ctx exec -- etcdctl get k vs bare etcdctl.
	wrapped, wS, okW := get("BenchmarkGet:etcd-ctx-exec")
	bare, bS, okB := get("BenchmarkGet:etcdctl")
	r2 := row{figure: "etcd-ctx exec -- etcdctl get k (mTLS, keyring)", measured: wS, baseline: "etcdctl + 4 TLS flags: " + bS,
		compare: "–", target: fmt.Sprintf("≤ +%.0f ms", execOverheadTarget), met: "–"}
	if okW && okB {
		r2.compare = fmtDelta(wrapped - bare)
		r2.met = yesNo(wrapped-bare <= execOverheadTarget)
	}
	rows = append(rows, r2)

	// Break-down of the exec overhead, each step against the one before.
	steps := []struct{ name, figure, base, baseLabel string }{
		{"BenchmarkExecTrue:version", "  (c) etcd-ctx --version: process start", "BenchmarkExecTrue:true", "true"},
		{"BenchmarkExecTrue:path", "  (b) exec -- true, --store=path: + config, files, exec(2)", "BenchmarkExecTrue:version", "(c)"},
		{"BenchmarkExecTrue:keyring", "  (a) exec -- true, keyring: + D-Bus, Secret Service, memfd", "BenchmarkExecTrue:path", "(b)"},
	}
	for _, s := range steps {
		v, vS, ok1 := get(s.name)
		b, bS, ok2 := get(s.base)
		x := row{figure: s.figure, measured: vS, baseline: s.baseLabel + ": " + bS, compare: "–", target: "–", met: "–"}
		if ok1 && ok2 {
			x.compare = fmtDelta(v - b)
		}
		rows = append(rows, x)
	}
	_, kgS, _ := get("BenchmarkKeyringGet")
	rows = append(rows, row{figure: "      keyring item read, warm D-Bus (in-process)", measured: kgS, baseline: "–", compare: "–", target: "–", met: "–"})
	_, mfS, _ := get("BenchmarkHandoffMemfd")
	rows = append(rows, row{figure: "      memfd hand-off, CA + cert + key (in-process)", measured: mfS, baseline: "–", compare: "–", target: "–", met: "–"})

	// In-process parse.
	_, pS, okP := get("BenchmarkParseConfig")
	rp := row{figure: "contexts.Parse, 50-context config (in-process)", measured: pS, baseline: "–", compare: "–", target: "–", met: "–"}
	if okP {
		m := r.Bench["BenchmarkParseConfig"].Metrics
		rp.compare = fmt.Sprintf("%.0f KiB, %.0f allocs/op", m["B/op"]/1024, m["allocs/op"])
	}
	rows = append(rows, rp)

	header := row{"figure", "etcd-ctx", "baseline (same run)", "ratio / overhead", "target", "met"}
	out := render(append([]row{header}, rows...), benchtime)
	if len(footnotes) > 0 {
		out += "\n" + strings.Join(footnotes, "\n") + "\n"
	}
	return out
}

func render(rows []row, benchtime string) string {
	cells := func(x row) []string { return []string{x.figure, x.measured, x.baseline, x.compare, x.target, x.met} }
	width := make([]int, 6)
	for _, x := range rows {
		for i, c := range cells(x) {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	line := func(cs []string) {
		for i, c := range cs {
			if i > 0 {
				b.WriteString(" | ")
			}
			b.WriteString(c)
			if i < len(cs)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)))
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "etcd-ctx benchmarks: whole-process wall times, mean of %s runs each after a warm-up run;\n"+
		"the commands compared take turns, so each ratio is measured under the same load\n\n", strings.TrimSuffix(benchtime, "x"))
	line(cells(rows[0]))
	sep := make([]string, 6)
	for i := range sep {
		sep[i] = strings.Repeat("-", width[i])
	}
	line(sep)
	for _, x := range rows[1:] {
		line(cells(x))
	}
	return b.String()
}

// Notes explains the table: the consistency of the break-down and what the
// kubectx baseline actually ran.
func Notes(r Results) []string {
	var notes []string
	cur, okC := r.ms("BenchmarkCurrent:etcd-ctx")
	ver, okV := r.ms("BenchmarkCurrent:version")
	if okC && okV {
		notes = append(notes, fmt.Sprintf("etcd-ctx current %s vs etcd-ctx --version %s in the same turns (%s): current's time is process start, not its work.",
			fmtMS(cur), fmtMS(ver), fmtDelta(cur-ver)))
	}
	a, okA := r.ms("BenchmarkExecTrue:keyring")
	t, okT := r.ms("BenchmarkExecTrue:true")
	w, okW := r.ms("BenchmarkGet:etcd-ctx-exec")
	b, okB := r.ms("BenchmarkGet:etcdctl")
	if okA && okT && okW && okB {
		notes = append(notes, fmt.Sprintf("exec(2) in place means etcd-ctx's whole run is the overhead: (a) − true = %s, measured %s.",
			fmtDelta(a-t), fmtDelta(w-b)))
	}
	notes = append(notes, "kubectx: "+describeKubectx())
	return notes
}

// describeKubectx says what `kubectx -c` is on this machine.
func describeKubectx() string {
	path, err := exec.LookPath("kubectx")
	if err != nil {
		return "not installed"
	}
	desc := path
	if v := dpkgVersion("kubectx"); v != "" {
		desc += " (Debian kubectx " + v + ")"
	}
	if f, err := os.Open(path); err == nil {
		first, _ := bufio.NewReader(f).ReadString('\n')
		f.Close()
		if strings.HasPrefix(first, "#!") {
			desc += ", a " + strings.TrimSpace(strings.TrimPrefix(first, "#!")) + " script running `kubectl config current-context`"
		}
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		return desc + "; kubectl: not installed"
	}
	if real, err := filepath.EvalSymlinks(kubectl); err == nil && real != kubectl {
		kubectl += " → " + real
	}
	out, _ := exec.Command("kubectl", "version", "--client").Output()
	ver, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if ver == "" {
		ver = "kubectl version --client failed"
	}
	return desc + "; kubectl: " + kubectl + " (" + ver + ")"
}

func dpkgVersion(pkg string) string {
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", pkg).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
