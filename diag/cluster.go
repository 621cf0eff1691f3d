package diag

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

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

// clusterView reads the member list and alarms from a reachable endpoint,
// checks what the member list promises (checkMembers) and that everyone
// agrees. It returns the ladders it ran on members' URLs.
func clusterView(ctx context.Context, in *Input, probes []*prober, r *Report) []*prober {
	var cli *clientv3.Client
	ids := map[string]bool{}
	leaders := map[string]bool{}
	for _, p := range probes {
		if p.ep.Status == nil {
			continue
		}
		if cli == nil && p.client != nil {
			cli = p.client
		}
		ids[p.ep.Status.ClusterID] = true
		if p.ep.Status.Leader != "0" {
			leaders[p.ep.Status.Leader] = true
		}
	}
	if cli == nil {
		dialledPeerURLs(ctx, in, probes, nil, r)
		return nil
	}
	view := &ClusterView{ClusterIDs: sortedKeys(ids), Members: []Member{}}
	r.Cluster = view
	if len(ids) > 1 {
		r.add(Finding{ID: "cluster-id-mismatch", Severity: Error, Cause: "the endpoints belong to different etcd clusters",
			Fix:      "list only one cluster's members in the endpoints (etcdctl member list -w table on each shows who is who)",
			Evidence: []string{"cluster IDs: " + list(view.ClusterIDs)}})
	}
	if len(leaders) > 1 {
		r.add(Finding{ID: "no-leader", Severity: Error, Cause: "members disagree on the leader (a split or an election in progress)",
			Fix: "check peer connectivity on port 2380 and the member logs; run etcd-diag again in a few seconds", Evidence: []string{"leaders: " + list(sortedKeys(leaders))}})
	}
	if len(leaders) == 1 {
		view.Leader = sortedKeys(leaders)[0]
	}
	members, err := cli.MemberList(ctx)
	if err != nil {
		r.add(Finding{ID: "etcd-error", Severity: Warning, Cause: "cannot read the member list: " + err.Error(), Fix: "see the member logs"})
		dialledPeerURLs(ctx, in, probes, nil, r)
		return nil
	}
	own := checkMembers(ctx, in, probes, members.Members, view, r)
	alarms(ctx, cli, view, r)
	versions := map[string]string{} // member id → version
	for _, p := range append(slices.Clone(probes), own...) {
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
	return own
}

func alarms(ctx context.Context, cli *clientv3.Client, view *ClusterView, r *Report) {
	resp, err := cli.AlarmList(ctx)
	if err != nil {
		return // needs no special right, but a denied or failed call is not worth a finding
	}
	for _, a := range resp.Alarms {
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
