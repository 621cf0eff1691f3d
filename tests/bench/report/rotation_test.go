package main

import (
	"strings"
	"testing"
)

// TestRotationFigures: the rows of rotate status against etcd-diag and of
// the rotation test's writer.
func TestRotationFigures(t *testing.T) {
	r := results()
	r.merge(Parse("pkg: x\nBenchmarkRotateStatus-2  30  90000000 ns/op  50000000 rotate-status-ns/op  40000000 etcd-diag-ns/op\nPASS\n"))
	r.merge(ParseFigures("TestRotateUnderLoad/embedded-3.7\tacked=548\tfailed=0\tmaxstall=487ms\tbefore=1.7ms/6.5ms/6.5ms\tduring=1.6ms/14.6ms/487.5ms\n"))
	if v, _ := r.ms("RotateWriter:during-p99"); v != 14.6 {
		t.Errorf("during p99 = %v ms, want 14.6", v)
	}
	table := Table(r, Times{"30x", "5x", "10x"})
	for _, want := range []string{
		"etcd-certwiz rotate status, healthy 3 members, phase 1",
		"50.0 ms",
		"etcd-diag, same cluster and context: 40.0 ms",
		"1.25×",
		"≤ 2.00×",
		"writer's put p99 during a CA rotation (embedded 3.7)",
		"14.6 ms",
		"before the rotation: 6.50 ms",
		"2.2×",
		"548, 0, 487.0 ms",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}
