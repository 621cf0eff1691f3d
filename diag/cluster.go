package diag

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/etcd-ctx/etcd-ctx/internal/v3client"
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
}

// clusterView reads the member list and alarms from a reachable endpoint,
// probes members the endpoints did not cover, and checks that everyone agrees.
func clusterView(ctx context.Context, in *Input, probes []*prober, r *Report) {
	var cli *clientv3.Client
	ids := map[string]bool{}
	leaders := map[string]bool{}
	versions := map[string]string{} // member id → version
	reached := map[string]*prober{}
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
		versions[p.ep.Status.MemberID] = p.ep.Status.Version
		reached[p.ep.Status.MemberID] = p
	}
	if cli == nil {
		return
	}
	view := &ClusterView{ClusterIDs: sortedKeys(ids)}
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
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, m := range members.Members {
		mem := Member{ID: id(m.ID), Name: m.Name, ClientURLs: m.ClientURLs, PeerURLs: m.PeerURLs, Learner: m.IsLearner}
		if p, ok := reached[mem.ID]; ok {
			mem.Reachable, mem.Version = true, p.ep.Status.Version
			view.Members = append(view.Members, mem)
			continue
		}
		if covered(probes, m.ClientURLs) || len(m.ClientURLs) == 0 {
			view.Members = append(view.Members, mem)
			continue
		}
		idx := len(view.Members)
		view.Members = append(view.Members, mem)
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := memberStatus(ctx, in, m.ClientURLs)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				view.Members[idx].Reachable, view.Members[idx].Version = true, v
				versions[mem.ID] = v
			}
		}()
	}
	wg.Wait()
	for _, mem := range view.Members {
		if mem.Reachable {
			continue
		}
		cause := fmt.Sprintf("member %s (%s) is in the member list but cannot be reached with these settings", mem.Name, mem.ID)
		ev := []string{"client URLs: " + list(mem.ClientURLs), "peer URLs: " + list(mem.PeerURLs)}
		if len(mem.ClientURLs) == 0 {
			cause = fmt.Sprintf("member %s is in the member list but has never started (no client URLs published)", mem.ID)
		}
		r.add(Finding{ID: "member-unreachable", Severity: Error, Endpoint: firstOr(mem.ClientURLs, ""), Cause: cause,
			Fix:      fmt.Sprintf("start it or fix its --advertise-client-urls; if it is gone for good, remove it: etcdctl member remove %s", mem.ID),
			Evidence: ev})
	}
	alarms(ctx, cli, view, r)
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

func covered(probes []*prober, urls []string) bool {
	for _, p := range probes {
		if slices.Contains(urls, p.ep.URL) {
			return true
		}
	}
	return false
}

// memberStatus asks a member the endpoints did not list for its version.
func memberStatus(ctx context.Context, in *Input, urls []string) (string, error) {
	s := in.Settings
	s.Endpoints = urls[:1]
	cfg, err := v3client.Config(s)
	if err != nil {
		return "", err
	}
	cfg.DialTimeout, cfg.Context = remaining(ctx), ctx
	cli, err := clientv3.New(cfg)
	if err != nil {
		return "", err
	}
	defer cli.Close()
	st, err := cli.Status(ctx, urls[0])
	if err != nil {
		return "", err
	}
	return st.Version, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
