package main

import (
	"fmt"
	"strings"
)

// Issue 17's fleet targets: 20 healthy clusters diagnosed in at most three
// times the time of one; 20 clusters plus 2 that never answer within the
// timeout plus one second.
const (
	fleetRatioTarget = 3.0
	fleetHungSlack   = 1000.0 // ms over the timeout
)

// fleetBenchmarks are the benchmarks whose rounds take a second or more:
// make bench runs them with the hung-member diagnosis's -benchtime.
const fleetBenchmarks = "BenchmarkFleetHung|BenchmarkExporter"

// Fleet renders BenchmarkFleet, BenchmarkFleetLatency, BenchmarkFleetHung
// and BenchmarkExporter: etcd-diag over many contexts, on loopback and over
// a delayed link, and what the exporter costs per run.
func Fleet(r Results, t Times) string {
	var b strings.Builder
	fmt.Fprintf(&b, "etcd-diag across a fleet: 20 single-member mTLS etcd 3.7 servers (embedded in the benchmark process, one PKI),\n"+
		"contexts in one etcd-ctx config; mean of %s rounds (with the hung ones and the exporter: %s)\n\n", runs(t.Bench), runs(t.Hung))
	var rows []row
	var notes []string
	get := func(key string) (float64, bool) {
		v, ok := r.ms(key)
		if !ok {
			notes = append(notes, fmt.Sprintf("n/a: %s: %s", key, r.missing(key)))
		}
		return v, ok
	}
	na := func(v float64, ok bool) string {
		if !ok {
			return "n/a"
		}
		return fmtMS(v)
	}

	fl, okF := get("BenchmarkFleet:fleet")
	one, okO := get("BenchmarkFleet:one")
	x := row{figure: "etcd-diag --all-contexts, 20 healthy clusters", measured: na(fl, okF), baseline: "etcd-diag --context (one of them): " + na(one, okO),
		compare: "–", target: fmt.Sprintf("≤ %.0f×", fleetRatioTarget), met: "–"}
	if okF && okO {
		x.compare = fmt.Sprintf("%.2f×", fl/one)
		x.met = yesNo(fl/one <= fleetRatioTarget)
	}
	rows = append(rows, x)

	lf, okLF := get("BenchmarkFleetLatency:fleet")
	lo, okLO := get("BenchmarkFleetLatency:one")
	rtt := r.Bench["BenchmarkFleetLatency"].Metrics["rtt-ns"] / 1e6
	x = row{figure: fmt.Sprintf("  the same through relays, %s round trip to each cluster", fmtMS(rtt)), measured: na(lf, okLF), baseline: "etcd-diag --context (one of them): " + na(lo, okLO),
		compare: "–", target: fmt.Sprintf("≤ %.0f×", fleetRatioTarget), met: "–"}
	if okLF && okLO {
		x.compare = fmt.Sprintf("%.2f×", lf/lo)
		x.met = yesNo(lf/lo <= fleetRatioTarget)
	}
	rows = append(rows, x)

	timeout := defaultHungTimeout
	if v, ok := r.Bench["BenchmarkFleetHung"].Metrics["timeout-ns"]; ok {
		timeout = v / 1e6
	}
	hu, okH := get("BenchmarkFleetHung:hung")
	x = row{figure: fmt.Sprintf("etcd-diag --all-contexts, 20 + 2 that never answer, --timeout %s", fmtSeconds(timeout)), measured: na(hu, okH),
		baseline: "timeout: " + fmtMS(timeout), compare: "–", target: fmt.Sprintf("≤ %s (timeout + %s)", fmtMS(timeout+fleetHungSlack), fmtSeconds(fleetHungSlack)), met: "–"}
	if okH {
		x.compare = fmtDelta(hu - timeout)
		x.met = yesNo(hu <= timeout+fleetHungSlack)
	}
	rows = append(rows, x)

	if m, ok := r.Bench["BenchmarkExporter"]; ok {
		rows = append(rows, row{figure: "etcd-diag serve --interval 1s, 20 contexts: CPU per run", measured: fmtMS(m.Metrics["cpu-ns/run"] / 1e6),
			baseline: "wall per run: " + fmtMS(m.Metrics["run-ns"]/1e6), compare: fmt.Sprintf("%.2f%% of a CPU at --interval 1m", m.Metrics["cpu-ns/run"]/1e6/600),
			target: "–", met: "–"})
		rows = append(rows, row{figure: "  its resident memory after the runs", measured: fmtMiB(m.Metrics["rss-KiB"]), baseline: "–",
			compare: fmt.Sprintf("%.0f runs", m.Metrics["runs"]), target: "–", met: "–"})
	} else {
		notes = append(notes, "n/a: BenchmarkExporter: "+r.missing("BenchmarkExporter"))
	}
	b.WriteString(grid(row{"figure", "measured", "baseline (same run)", "ratio / overhead", "target", "met"}.cells(), rowCells(rows)))
	if m := r.Bench["BenchmarkFleet"].Metrics; m["cpus"] > 0 && okO {
		fc, fs := m["fleet-client-cpu-ns"]/1e6, m["fleet-server-cpu-ns"]/1e6
		oc, osv := m["one-client-cpu-ns"]/1e6, m["one-server-cpu-ns"]/1e6
		floor := (fc + fs) / m["cpus"]
		fmt.Fprintf(&b, "\nOn loopback the fleet run is CPU-bound, and the servers run on the same CPUs. CPU time per run (rusage):\n"+
			"--all-contexts %s in etcd-diag + %s in the 20 servers; --context %s + %s. On %.0f CPUs the fleet run cannot take\n"+
			"less than %s (%.2f× one's wall time), whatever etcd-diag's parallelism.\n",
			fmtMS(fc), fmtMS(fs), fmtMS(oc), fmtMS(osv), m["cpus"], fmtMS(floor), floor/one)
	}
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
	return b.String()
}
