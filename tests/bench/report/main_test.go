package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/etcd-ctx/etcd-ctx/tests/bench
BenchmarkCurrent-2        	      30	   5000000 ns/op	   5000000 etcd-ctx-ns/op	      8192 etcd-ctx-peak-KiB
--- BENCH: BenchmarkCurrent-2
    bench_test.go:251: kubectx not measured: kubectx is not installed (apt-get install kubectx)
BenchmarkGet-2            	      30	  40000000 ns/op	  28000000 etcd-ctx-exec-ns/op	  12000000 etcdctl-ns/op
BenchmarkExecTrue-2       	      30	  22000000 ns/op	  12000000 keyring-ns/op	   5000000 path-ns/op	   1000000 true-ns/op	   4000000 version-ns/op
BenchmarkKeyringGet-2     	      30	   2700000 ns/op
BenchmarkHandoffMemfd     	      30	     13660 ns/op	     768 B/op	      19 allocs/op
--- SKIP: BenchmarkParseConfig
    bench_test.go:99: no config today
BenchmarkCertwizInit-2    	      30	  25000000 ns/op	  25000000 init-ns/op	     24576 init-peak-KiB
BenchmarkDiag-2           	      30	 100000000 ns/op	  40000000 etcd-diag-ns/op	     43008 etcd-diag-peak-KiB	  30000000 health-ns/op	  30000000 status-ns/op
PASS
`

const hungSample = `pkg: github.com/etcd-ctx/etcd-ctx/tests/bench
BenchmarkDiagHung-2   	       5	1600000000 ns/op	1600000000 hung-ns/op	     45000 hung-peak-KiB	1000000000 timeout-ns
PASS
`

const pkiSample = `pkg: github.com/etcd-ctx/etcd-ctx/certwiz
BenchmarkFullPKI-2      	      10	   8000000 ns/op	  396077 B/op	    5773 allocs/op
BenchmarkOpenSSLPKI-2   	      10	 640000000 ns/op
PASS
`

func results() Results {
	r := Parse(sample)
	r.merge(Parse(hungSample))
	r.merge(Parse(pkiSample))
	return r
}

func TestParseAndTable(t *testing.T) {
	r := results()
	if got := len(r.Bench); got != 10 {
		t.Fatalf("parsed %d results, want 10: %v", got, r.Bench)
	}
	if v, _ := r.ms("BenchmarkGet:etcd-ctx-exec"); v != 28 {
		t.Errorf("etcd-ctx-exec = %v ms, want 28", v)
	}
	if v, _ := r.ms("BenchmarkHandoffMemfd"); v != 0.01366 {
		t.Errorf("memfd (no -N suffix) = %v ms, want 0.01366", v)
	}
	if got := r.Bench["BenchmarkHandoffMemfd"].Metrics["allocs/op"]; got != 19 {
		t.Errorf("allocs/op = %v", got)
	}
	if v, ok := r.peakKiB("BenchmarkCurrent:etcd-ctx"); v != 8192 || !ok {
		t.Errorf("etcd-ctx peak = %v %v, want 8192 KiB", v, ok)
	}
	if _, ok := r.ms("BenchmarkCurrent:kubectx"); ok {
		t.Errorf("kubectx has a result")
	}
	if got := r.missing("BenchmarkCurrent:kubectx"); !strings.Contains(got, "not installed") {
		t.Errorf("kubectx missing reason = %q", got)
	}
	if got := r.Skipped["BenchmarkParseConfig"]; got != "no config today" {
		t.Errorf("skip reason = %q", got)
	}
	table := Table(r, Times{"30x", "5x", "10x"})
	flat := strings.Join(strings.Fields(table), " ") // padding aside
	for _, want := range []string{
		"kubectx not measured: kubectx is not installed",
		"+16.0 ms", // exec overhead
		"| NO",     // over the 15 ms target
		"+7.00 ms", // keyring step (a) − (b)
		"13.7 µs",
		"skipped: no config today",
		"30.0 ms + 30.0 ms = 60.0 ms | 0.67× | ≤ 1.00× | yes", // diag vs health + status
		"--timeout 1s | 1.60 s | timeout: 1.00 s | +600.0 ms | ≤ 1.50 s (timeout + 0.5s) | NO",
		"openssl script, same 22 files: 640.0 ms | 80.0× faster | ≥ 20× faster | yes",
		"25.6× faster", // whole-process init vs openssl
		"mean of 30 runs", "hung-member diagnosis: 5 runs", "10 runs each",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	// Every row of the table has the same number of columns.
	table, _, _ = strings.Cut(table, "\n\nn/a")
	for _, line := range strings.Split(strings.TrimSpace(table), "\n")[4:] {
		if n := strings.Count(line, " | "); n != 5 {
			t.Errorf("line has %d separators, want 5: %q", n, line)
		}
	}
}

func TestResources(t *testing.T) {
	bins := []Binary{{Name: "etcd-ctx", Size: 5 << 20, Stripped: true}, {Name: "etcdctl", Size: 24 << 20}}
	out := Resources(results(), bins)
	flat := strings.Join(strings.Fields(out), " ") // padding aside
	for _, want := range []string{
		"etcd-ctx (make build: -trimpath -s -w, CGO_ENABLED=0) | 5.0 MiB | stripped",
		"etcdctl 3.7 (reference: make etcdctl, plain go build) | 24.0 MiB | not stripped",
		"etcd-ctx current (10 contexts) | 8.0 MiB | 5.00 ms",
		"etcd-diag, healthy 3-member cluster | 42.0 MiB | 40.0 ms",
		"etcd-diag, 3 members + 1 that never answers | 43.9 MiB | 1.60 s",
		"etcd-certwiz init --plan (3 members, 3 clients) | 24.0 MiB | 25.0 ms",
		"etcd-ctx exec -- etcdctl get k (keyring)¹ | n/a | 28.0 ms",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("resources lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "kubectx") {
		t.Errorf("a command never measured is listed:\n%s", out)
	}
	if out := Resources(results(), nil); strings.Contains(out, "binary sizes") {
		t.Errorf("sizes without a bin directory:\n%s", out)
	}
}
