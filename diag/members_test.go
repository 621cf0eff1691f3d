package diag

import (
	"context"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// TestPeerProbesDoNotHoldTheRun: a peer port that accepts connections and
// never answers (or a firewall that drops them) gets a short grace once the
// client side is done, not the whole timeout, and is reported as
// unreachable information.
func TestPeerProbesDoNotHoldTheRun(t *testing.T) {
	addr := harness.SilentListener(t)
	in := &Input{Timeout: 5 * time.Second, Now: time.Now(), Warn: time.Hour}
	members := []*pb.Member{{ID: 1, Name: "m0", ClientURLs: []string{"unix:///run/etcd.sock"}, PeerURLs: []string{"https://" + addr}}}
	done := make(chan struct{})
	close(done)
	ctx, cancel := context.WithTimeout(context.Background(), in.Timeout)
	defer cancel()
	start := time.Now()
	checks, own := checkMembers(ctx, in, &localState{}, nil, members, done)
	if took := time.Since(start); took > 2*peerGrace+200*time.Millisecond {
		t.Errorf("checkMembers took %v with a silent peer port; want about %v", took, peerGrace)
	}
	if len(own) != 0 || len(checks) != 1 || len(checks[0].peers) != 1 {
		t.Fatalf("checks %d, own %d", len(checks), len(own))
	}
	r := &Report{}
	view := &ClusterView{}
	memberVerdicts(in, nil, checks, view, r)
	var info *Finding
	for i, f := range r.Findings {
		if f.ID == "peer-port-unreachable" {
			info = &r.Findings[i]
		}
		if f.Severity == Error && f.ID != "member-unreachable" {
			t.Errorf("unexpected error finding %s: %s", f.ID, f.Cause)
		}
	}
	if info == nil || info.Severity != Info || len(info.Evidence) != 1 || info.Evidence[0] != "https://"+addr+" ("+errNoPeerAnswer+")" {
		t.Errorf("peer-port-unreachable: %+v (all: %+v)", info, r.Findings)
	}
}
