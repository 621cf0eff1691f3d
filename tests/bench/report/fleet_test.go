package main

import (
	"strings"
	"testing"
)

const fleetSample = `pkg: github.com/etcd-ctx/etcd-ctx/tests/bench
BenchmarkFleet-2      	     100	 600000000 ns/op	 450000000 fleet-ns/op	     29316 fleet-peak-KiB	 150000000 one-ns/op	     21388 one-peak-KiB	 110000000 fleet-client-cpu-ns	 90000000 fleet-server-cpu-ns	 20000000 one-client-cpu-ns	 5000000 one-server-cpu-ns	 2.000 cpus
BenchmarkFleetLatency-2 	     100	 130000000 ns/op	  95000000 fleet-ns/op	     29316 fleet-peak-KiB	  35000000 one-ns/op	     21388 one-peak-KiB	   2000000 rtt-ns
BenchmarkFleetHung-2  	       5	2100000000 ns/op	2100000000 hung-ns/op	     29020 hung-peak-KiB	1000000000 timeout-ns
BenchmarkExporter-2   	       5	 978846930 ns/op	  96000000 cpu-ns/run	     30880 rss-KiB	 144000000 run-ns	         5.000 runs
PASS
`

func TestFleetTable(t *testing.T) {
	out := Fleet(Parse(fleetSample), Times{"100x", "5x", "10x"})
	for _, want := range []string{
		"20 healthy clusters                    | 450.0 ms | etcd-diag --context (one of them): 150.0 ms | 3.00×",
		"| 3.00×                           | ≤ 3×                    | yes",
		"the same through relays, 2.00 ms round trip to each cluster    | 95.0 ms  | etcd-diag --context (one of them): 35.0 ms  | 2.71×                           | ≤ 3×                    | yes",
		"20 + 2 that never answer, --timeout 1s | 2.10 s   | timeout: 1.00 s",
		"+1.10 s",
		"| ≤ 2.00 s (timeout + 1s) | NO",
		"CPU per run          | 96.0 ms  | wall per run: 144.0 ms",
		"0.16% of a CPU at --interval 1m",
		"30.2 MiB",
		"--all-contexts 110.0 ms in etcd-diag + 90.0 ms in the 20 servers; --context 20.0 ms + 5.00 ms. On 2 CPUs the fleet run cannot take\nless than 100.0 ms (0.67× one's wall time)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if out := Fleet(Parse(""), Times{"100x", "5x", "10x"}); !strings.Contains(out, "n/a: BenchmarkFleet:fleet: not measured") {
		t.Errorf("without results:\n%s", out)
	}
}
