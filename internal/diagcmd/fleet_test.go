package diagcmd

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/diag"
)

// TestKeyringGate: once the keyring failed as a whole, the other contexts
// that need it get the same error without asking it again; contexts kept in
// files are still loaded; an item missing from a working keyring is that
// context's own problem.
func TestKeyringGate(t *testing.T) {
	g := &keyringGate{}
	calls := 0
	missing := errors.New("keyring item etcd-ctx/cluster/a is missing")
	if err := g.do(true, func() error { calls++; return missing }); err != missing {
		t.Fatal(err)
	}
	locked := &contexts.KeyringError{Err: errors.New("no answer within 10s")}
	if err := g.do(true, func() error { calls++; return locked }); err != locked {
		t.Fatal(err)
	}
	if err := g.do(true, func() error { calls++; return nil }); err != locked {
		t.Fatalf("after a keyring failure: %v", err)
	}
	if err := g.do(false, func() error { calls++; return nil }); err != nil {
		t.Fatalf("a context kept in files: %v", err)
	}
	if calls != 3 {
		t.Fatalf("%d loads, want 3 (the one after the failure skipped)", calls)
	}
}

// TestSelectContexts: globs in name order, duplicates once, all with none.
func TestSelectContexts(t *testing.T) {
	cfg, err := contexts.Parse([]byte("clusters: []\nusers: []\ncontexts:\n" +
		"- {name: stage, context: {cluster: x}}\n- {name: prod-us, context: {cluster: x}}\n- {name: prod-eu, context: {cluster: x}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := selectContexts(cfg, false, []string{"prod-*", "prod-eu", "st?ge"})
	if err != nil || strings.Join(got, " ") != "prod-eu prod-us stage" {
		t.Fatalf("%v %v", got, err)
	}
	if got, err = selectContexts(cfg, true, nil); err != nil || len(got) != 3 || got[0] != "prod-eu" {
		t.Fatalf("all: %v %v", got, err)
	}
	if _, err := selectContexts(cfg, false, []string{"dev-*"}); err == nil || err.Error() != `no context matches "dev-*"` {
		t.Fatalf("no match: %v", err)
	}
}

// TestExporterLoop: runs never overlap, a run longer than the interval
// delays the next instead of overlapping it, and each completed run is
// published; the loop ends with its context.
func TestExporterLoop(t *testing.T) {
	e := &exporter{log: io.Discard, interval: 10 * time.Millisecond, timeout: time.Second, started: time.Now(), errs: map[string]string{}}
	var running, overlaps, loads atomic.Int32
	load := func() ([]diag.Target, error) {
		return []diag.Target{{Name: "slow", Load: func() (diag.Input, error) {
			if running.Add(1) > 1 {
				overlaps.Add(1)
			}
			loads.Add(1)
			time.Sleep(30 * time.Millisecond) // three intervals
			running.Add(-1)
			return diag.Input{}, errors.New("no such file")
		}}}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	e.loop(ctx, load, diag.FleetOptions{})
	if overlaps.Load() != 0 || loads.Load() < 2 {
		t.Fatalf("%d runs, %d overlapping", loads.Load(), overlaps.Load())
	}
	if s := e.metrics.last.Load(); s == nil || s.runs < 1 || s.runs > int(loads.Load()) {
		t.Fatalf("published %+v after %d runs", s, loads.Load())
	}
}

// TestCollector: one series per certificate and place (a certificate served
// on two client URLs of a member is one series), findings counted by id and
// severity, a context that could not run is down and unhealthy.
func TestCollector(t *testing.T) {
	notAfter := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	cert := diag.Certificate{Context: "a", Role: "server", Port: "client", Member: "m0", URL: "https://x:2379", Subject: "CN=m0", Issuer: "CN=ca", Serial: "0A", NotAfter: notAfter}
	r := &diag.Report{Context: "a", Healthy: false, Endpoints: []*diag.Endpoint{{URL: "https://x:2379", Reachable: true}},
		Findings: []diag.Finding{{ID: "timeout", Severity: diag.Error}, {ID: "timeout", Severity: diag.Error}, {ID: "auth-disabled", Severity: diag.Info}}}
	second := cert
	second.URL = "https://y:2379"
	failed := &diag.Report{Context: "b", Error: "keyring item etcd-ctx/cluster/b is missing"}
	c := &collector{}
	c.last.Store(&snapshot{contexts: []contextState{stateOf(r, []diag.Certificate{cert, second}), stateOf(failed, nil)}, ended: time.Unix(1700000000, 0), runs: 4})
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	want := `
# HELP etcd_diag_cert_not_after_seconds ` + certHelp + `
# TYPE etcd_diag_cert_not_after_seconds gauge
etcd_diag_cert_not_after_seconds{context="a",issuer="CN=ca",member="m0",port="client",role="server",serial="0A",subject="CN=m0"} 1.893553445e+09
# HELP etcd_diag_findings Findings of the last diagnosis by id (etcd-diag explain's and the README's ids) and severity (error, warning, info).
# TYPE etcd_diag_findings gauge
etcd_diag_findings{context="a",id="auth-disabled",severity="info"} 1
etcd_diag_findings{context="a",id="timeout",severity="error"} 2
# HELP etcd_diag_up 1 when the last diagnosis of the context ran and at least one endpoint answered as etcd, else 0.
# TYPE etcd_diag_up gauge
etcd_diag_up{context="a"} 1
etcd_diag_up{context="b"} 0
# HELP etcd_diag_runs_total Runs over every context completed since the exporter started.
# TYPE etcd_diag_runs_total counter
etcd_diag_runs_total 4
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "etcd_diag_cert_not_after_seconds", "etcd_diag_findings", "etcd_diag_up", "etcd_diag_runs_total"); err != nil {
		t.Fatal(err)
	}
}
