package diag

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// ClusterView is the cluster as the reachable endpoints describe it.
type ClusterView struct {
	ClusterIDs []string `json:"clusterIds"`
	Leader     string   `json:"leader,omitempty"`
	Members    []Member `json:"members"`
	Alarms     []string `json:"alarms,omitempty"`
	Versions   []string `json:"versions"`
}

// Member is one entry of the member list and whether we could reach it.
type Member struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	ClientURLs []string `json:"clientUrls"`
	PeerURLs   []string `json:"peerUrls"`
	Learner    bool     `json:"learner,omitempty"`
	Reachable  bool     `json:"reachable"`
	Version    string   `json:"version,omitempty"`
	// Advertised are the ladders run on its client URLs that no endpoint
	// dialled (as etcdctl --cluster and endpoint sync would dial them).
	Advertised []*Endpoint `json:"advertised,omitempty"`
	// PeerTLS is what each peer URL's handshake showed.
	PeerTLS []PeerTLS `json:"peerTls,omitempty"`
}

// clusterRun is the cluster view under way: started by the first endpoint
// whose status arrives, it reads the member list and alarms there and runs
// the member checks, under the ladders' own deadline.
type clusterRun struct {
	finished  chan struct{}
	cli       *clientv3.Client
	members   []*pb.Member
	memberErr error
	alarms    []*pb.AlarmMember
	checks    []*memberCheck
	own       []*prober // ladders run on members' advertised URLs
}

func (cr *clusterRun) wait() { <-cr.finished }

// startClusterView waits for the first endpoint that answers status (or for
// every ladder to end without one), then reads the member list and alarms
// through its client and checks the members.
func startClusterView(ctx context.Context, in *Input, st *localState, probes []*prober, ready <-chan *prober, done <-chan struct{}) *clusterRun {
	cr := &clusterRun{finished: make(chan struct{})}
	go func() {
		defer close(cr.finished)
		// The member list is read serializably, from the member's own
		// copy: it needs no leader (a linearizable one times out once the
		// quorum is lost, exactly when it is most wanted); etcd 3.4 always
		// reads it so. A learner refuses it: the next member that answers
		// is asked.
		for {
			var next *prober
			select {
			case next = <-ready:
			case <-done:
				select {
				case next = <-ready:
				default:
					return
				}
			}
			if cr.cli == nil || cr.memberErr != nil {
				cr.cli = next.client
			}
			resp, err := next.client.MemberList(ctx, clientv3.WithSerializable())
			if err != nil {
				cr.memberErr = err
				if ctx.Err() != nil {
					return
				}
				continue
			}
			cr.cli, cr.memberErr, cr.members = next.client, nil, resp.Members
			break
		}
		// The alarm list goes through raft: without a quorum it waits out
		// the timeout, so it must not hold up the member checks.
		alarms := make(chan []*pb.AlarmMember, 1)
		go func() {
			a, err := cr.cli.AlarmList(ctx)
			if err != nil {
				alarms <- nil // needs no special right; a refusal is not worth a finding
				return
			}
			alarms <- a.Alarms
		}()
		cr.checks, cr.own = checkMembers(ctx, in, st, probes, cr.members, done)
		cr.alarms = <-alarms
	}()
	return cr
}

// clusterVerdicts reports what the cluster view found once every ladder
// ended: cluster ID agreement, one leader, the members, alarms, versions.
func clusterVerdicts(in *Input, probes []*prober, cr *clusterRun, r *Report) {
	ids := map[string]bool{}
	leaders := map[string]bool{}
	// Per cluster ID: endpoints of different clusters have different leaders
	// by nature; a split is two leaders within one cluster.
	split := false
	clusterLeaders := map[string]map[string]bool{}
	endpointsOf := map[string][]string{}
	for _, p := range probes {
		if p.ep.Status == nil {
			continue
		}
		cid := p.ep.Status.ClusterID
		ids[cid] = true
		endpointsOf[cid] = append(endpointsOf[cid], p.ep.URL)
		if p.ep.Status.Leader != "0" {
			leaders[p.ep.Status.Leader] = true
			if clusterLeaders[cid] == nil {
				clusterLeaders[cid] = map[string]bool{}
			}
			clusterLeaders[cid][p.ep.Status.Leader] = true
			split = split || len(clusterLeaders[cid]) > 1
		}
	}
	if cr.cli == nil {
		dialledPeerURLs(in, probes, nil, r)
		return
	}
	view := &ClusterView{ClusterIDs: sortedKeys(ids), Members: []Member{}}
	r.Cluster = view
	if len(ids) > 1 {
		ev := []string{"cluster IDs: " + list(view.ClusterIDs)}
		for _, cid := range view.ClusterIDs {
			ev = append(ev, "cluster "+cid+": "+list(endpointsOf[cid]))
		}
		r.add(Finding{ID: "cluster-id-mismatch", Severity: Error,
			Cause:    fmt.Sprintf("the endpoints belong to %d different etcd clusters: either the list mixes clusters, or a member meant to join formed a cluster of its own (started with --initial-cluster-state new, another --initial-cluster-token or --initial-cluster, or a data directory from elsewhere) and never joined", len(ids)),
			Fix:      "list only one cluster's members in the endpoints (etcdctl member list -w table on each shows who is who); for a member that formed its own cluster: stop it, move its data directory away, run etcdctl member add NAME --peer-urls URL on the real cluster and start it with --initial-cluster-state existing and the --initial-cluster that command prints",
			Evidence: ev})
	}
	if split {
		r.add(Finding{ID: "no-leader", Severity: Error, Cause: "members disagree on the leader (a split or an election in progress)",
			Fix: "check peer connectivity on port 2380 and the member logs; run etcd-diag again in a few seconds", Evidence: []string{"leaders: " + list(sortedKeys(leaders))}})
	}
	if len(leaders) == 1 {
		view.Leader = sortedKeys(leaders)[0]
	}
	if cr.memberErr != nil {
		// Learners refuse it: their own finding says to dial a voting member.
		if rpctypes.ErrorDesc(cr.memberErr) != rpctypes.ErrorDesc(rpctypes.ErrGRPCNotSupportedForLearner) {
			r.add(Finding{ID: "etcd-error", Severity: Warning, Cause: "cannot read the member list: " + cr.memberErr.Error(), Fix: "see the member logs"})
		}
		dialledPeerURLs(in, probes, nil, r)
		quorumVerdict(probes, cr, view, r)
		return
	}
	memberVerdicts(in, probes, cr.checks, view, r)
	quorumVerdict(probes, cr, view, r)
	reportAlarms(cr.alarms, view, r)
	versions := map[string]string{} // member id → version
	for _, p := range append(slices.Clone(probes), cr.own...) {
		if p.ep.Status != nil {
			versions[p.ep.Status.MemberID] = p.ep.Status.Version
		}
	}
	seen := map[string]bool{}
	var detail []string
	for mid, v := range versions {
		seen[v] = true
		detail = append(detail, mid+"="+v)
	}
	view.Versions = sortedKeys(seen)
	if len(seen) > 1 {
		sort.Strings(detail)
		r.add(Finding{ID: "version-skew", Severity: Warning, Cause: "members run different etcd versions: " + strings.Join(view.Versions, ", "),
			Fix:      "finish the rolling upgrade so every member runs the same version (mixed versions are only supported during an upgrade, one minor version apart)",
			Evidence: detail})
	}
}

func reportAlarms(alarms []*pb.AlarmMember, view *ClusterView, r *Report) {
	for _, a := range alarms {
		name := a.Alarm.String()
		view.Alarms = append(view.Alarms, fmt.Sprintf("%s on member %s", name, id(a.MemberID)))
		fix := "see the member log for the alarm's cause, fix it, then: etcdctl alarm disarm"
		switch name {
		case "NOSPACE":
			fix = "free space, then disarm: etcdctl compact REV (the current revision from etcdctl endpoint status -w json); etcdctl defrag --cluster; etcdctl alarm disarm; raise --quota-backend-bytes if the data really grew"
		case "CORRUPT":
			fix = "do not disarm: stop the corrupted member, then remove and re-add it (etcdctl member remove / member add) or restore it from a snapshot"
		}
		r.add(Finding{ID: "alarm-active", Severity: Error, Cause: fmt.Sprintf("the %s alarm is raised on member %s", name, id(a.MemberID)),
			Fix: fix, Evidence: []string{fmt.Sprintf("alarm %s member %s", name, id(a.MemberID))}})
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
