package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/etcd-ctx/etcd-ctx/tests/bench
BenchmarkCurrent-2        	      30	   5000000 ns/op	   5000000 etcd-ctx-ns/op
--- BENCH: BenchmarkCurrent-2
    bench_test.go:251: kubectx not measured: kubectx is not installed (apt-get install kubectx)
BenchmarkGet-2            	      30	  40000000 ns/op	  28000000 etcd-ctx-exec-ns/op	  12000000 etcdctl-ns/op
BenchmarkExecTrue-2       	      30	  22000000 ns/op	  12000000 keyring-ns/op	   5000000 path-ns/op	   1000000 true-ns/op	   4000000 version-ns/op
BenchmarkKeyringGet-2     	      30	   2700000 ns/op
BenchmarkHandoffMemfd     	      30	     13660 ns/op	     768 B/op	      19 allocs/op
--- SKIP: BenchmarkParseConfig
    bench_test.go:99: no config today
PASS
`

func TestParseAndTable(t *testing.T) {
	r := Parse(sample)
	if got := len(r.Bench); got != 5 {
		t.Fatalf("parsed %d results, want 5: %v", got, r.Bench)
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
	if _, ok := r.ms("BenchmarkCurrent:kubectx"); ok {
		t.Errorf("kubectx has a result")
	}
	if got := r.missing("BenchmarkCurrent:kubectx"); !strings.Contains(got, "not installed") {
		t.Errorf("kubectx missing reason = %q", got)
	}
	if got := r.Skipped["BenchmarkParseConfig"]; got != "no config today" {
		t.Errorf("skip reason = %q", got)
	}
	table := Table(r, "30x")
	for _, want := range []string{
		"kubectx not measured: kubectx is not installed",
		"+16.0 ms", // exec overhead
		"| NO",     // over the 15 ms target
		"+7.00 ms", // keyring step (a) − (b)
		"13.7 µs",
		"skipped: no config today",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	// Every row of the table has the same number of columns.
	table, _, _ = strings.Cut(table, "\n\nn/a")
	for _, line := range strings.Split(strings.TrimSpace(table), "\n")[3:] {
		if n := strings.Count(line, " | "); n != 5 {
			t.Errorf("line has %d separators, want 5: %q", n, line)
		}
	}
}
