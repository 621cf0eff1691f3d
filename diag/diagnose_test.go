package diag_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/internal/conn"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// TestDiagnoseInProcess runs the whole diagnosis in this process (so that
// `make race` checks its parallel probes and the cluster view) against a
// real 3-member cluster plus an endpoint that refuses and one that never
// answers: every probe finishes within the timeout, the members are seen,
// and each failing endpoint gets its own finding.
func TestDiagnoseInProcess(t *testing.T) {
	c, err := harness.Start(harness.Options{TLS: true, ClientCertAuth: true, RBAC: true, Members: 3, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	read := func(p string) []byte {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	refusedAddr := harness.ClosedPort(t)
	silentAddr := harness.SilentListener(t)

	endpoints := append(slices.Clone(c.Endpoints), "https://"+refusedAddr, "https://"+silentAddr)
	in := diag.Input{
		Settings: conn.Settings{Endpoints: endpoints, CA: read(c.PKI.CA), Cert: read(c.PKI.UserCert), Key: read(c.PKI.UserKey)},
		KeyPath:  "/other/",
		Prefix:   true,
		Timeout:  2 * time.Second,
	}
	start := time.Now()
	r := diag.Diagnose(context.Background(), in)
	// The hung endpoint costs one probe timeout, not a hang; the bound is
	// loose because a loaded machine is slow, not broken.
	if elapsed := time.Since(start); elapsed > 15*time.Second {
		t.Errorf("diagnosis took %v with a %v timeout", elapsed, in.Timeout)
	}
	ids := map[string]bool{}
	for _, f := range r.Findings {
		ids[f.ID] = true
	}
	for _, want := range []string{"connection-refused", "timeout", "permission-denied"} {
		if !ids[want] {
			t.Errorf("no %s finding; got %v", want, ids)
		}
	}
	reachable := 0
	for _, ep := range r.Endpoints {
		if ep.Reachable {
			reachable++
		}
	}
	if r.Healthy || reachable != 3 || len(r.Cluster.Members) != 3 {
		t.Errorf("healthy=%v, %d reachable endpoints, %d members; want unhealthy, 3, 3", r.Healthy, reachable, len(r.Cluster.Members))
	}
}
