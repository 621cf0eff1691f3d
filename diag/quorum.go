package diag

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// quorumVerdict decides from every member's answers whether the cluster can
// commit, once all ladders ended. Each member that answered status was
// asked for a linearizable read (the quorum rung), which etcd serves only
// after the leader confirmed with a quorum that it still leads:
//
//   - some member served it: the cluster commits. A member that did not is
//     cut off from the others (no-leader, or request-timeout when it still
//     names a leader); members that do not answer are said to leave the
//     quorum standing (and whether one more loss would end it).
//   - none did: quorum-lost, with the members that answer and what each
//     still reports (no leader, a leader that does not answer, itself), the
//     members that do not answer and why, and a fix that does not rely on
//     the quorum (member remove needs one). A member keeps naming its old
//     leader until its election timeout passes (a follower with pre-vote, or
//     a leader until its check-quorum), so status alone does not tell.
func quorumVerdict(probes []*prober, cr *clusterRun, view *ClusterView, r *Report) {
	answered := map[string]*prober{} // member ID → the ladder that got furthest
	for _, p := range append(slices.Clone(probes), cr.own...) {
		st := p.ep.Status
		if st == nil || st.Learner {
			continue
		}
		key := pick(st.MemberID != "", st.MemberID, p.ep.URL) // a member that would not say who it is
		if q, ok := answered[key]; ok && (q.committed || !p.committed) {
			continue
		}
		answered[key] = p
	}
	var committed, stuck []string
	for mid, p := range answered {
		switch {
		case p.committed:
			committed = append(committed, mid)
		case p.noLeader || p.commitErr != nil:
			stuck = append(stuck, mid)
		}
	}
	sort.Strings(committed)
	sort.Strings(stuck)
	names := memberNames(cr)
	var voters []string
	for _, m := range cr.members {
		if !m.IsLearner {
			voters = append(voters, id(m.ID))
		}
	}
	up := 0
	for _, v := range voters {
		if _, ok := answered[v]; ok {
			up++
		}
	}
	majority := len(voters)/2 + 1
	switch {
	case len(stuck) == 0:
		if len(committed) > 0 && len(voters) > 0 && up < len(voters) {
			keepsQuorum(r, up, len(voters), majority)
		}
	case len(committed) > 0:
		for _, mid := range stuck {
			cutOff(answered[mid], names, committed, answered, r)
		}
	default:
		lostQuorum(answered, stuck, voters, majority, up, names, view, r)
	}
}

// memberNames maps member IDs to "name (id)".
func memberNames(cr *clusterRun) map[string]string {
	out := map[string]string{}
	for _, m := range cr.members {
		out[id(m.ID)] = pick(m.Name != "", fmt.Sprintf("%s (%s)", m.Name, id(m.ID)), id(m.ID))
	}
	return out
}

func nameOf(names map[string]string, mid string) string {
	if n, ok := names[mid]; ok {
		return n
	}
	return mid
}

// keepsQuorum says on each member-unreachable finding that the cluster
// still commits, and when one more loss would stop it.
func keepsQuorum(r *Report, up, voters, majority int) {
	note := fmt.Sprintf("; the cluster keeps its quorum (%d of %d voting members answer, %d needed)", up, voters, majority)
	if up == majority {
		note += ": one more member down and it stops committing"
	}
	for i, f := range r.Findings {
		if f.ID == "member-unreachable" && f.Severity == Error {
			r.Findings[i].Cause += note
		}
	}
}

// cutOff names a member that answers status but cannot commit while others
// can: it does not reach the leader (or applies too slowly).
func cutOff(p *prober, names map[string]string, committed []string, answered map[string]*prober, r *Report) {
	st := p.ep.Status
	others := make([]string, len(committed))
	for i, mid := range committed {
		others[i] = nameOf(names, mid)
	}
	leader := ""
	if q := answered[committed[0]]; q.ep.Status != nil {
		leader = nameOf(names, q.ep.Status.Leader)
	}
	if p.noLeader {
		for i, f := range r.Findings {
			if f.ID == "no-leader" && f.Endpoint == p.ep.URL {
				r.Findings[i].Cause = fmt.Sprintf("member %s reports no leader while %s commit with leader %s: it is cut off from them (its peer URL, a firewall on the peer port, peer TLS) or has just restarted", nameOf(names, st.MemberID), list(others), leader)
				r.Findings[i].Fix = "read its log (journalctl -u etcd | etcd-diag explain -) for peer errors; check that it reaches the others' peer URLs (curl --cacert ca.crt https://PEER:2380/version) and they reach its own"
			}
		}
		return
	}
	r.add(Finding{ID: "request-timeout", Severity: Error, Endpoint: p.ep.URL,
		Cause:    fmt.Sprintf("member %s answers status and names %s as leader, but could not serve a linearizable read in time while %s did: it does not reach the leader (its peer connections) or applies too slowly (its disk)", nameOf(names, st.MemberID), nameOf(names, st.Leader), list(others)),
		Fix:      "read its log (journalctl -u etcd | etcd-diag explain -) for lost peer streams or \"apply request took too long\"; check its disk (etcd_disk_wal_fsync_duration_seconds) and peer network",
		Evidence: []string{fmt.Sprintf("status: raft term %d, index %d, leader %s", st.RaftTerm, st.RaftIndex, st.Leader), "linearizable read: " + p.commitErr.Error()}})
}

// lostQuorum reports that no member that answers can commit.
func lostQuorum(answered map[string]*prober, stuck, voters []string, majority, up int, names map[string]string, view *ClusterView, r *Report) {
	var says, ev, down []string
	for _, mid := range stuck {
		p := answered[mid]
		st := p.ep.Status
		name := nameOf(names, mid)
		if st.MemberID == "" {
			name = "the member at " + p.ep.URL
		}
		switch _, leaderUp := answered[st.Leader]; {
		case p.noLeader:
			says = append(says, name+" reports no leader")
		case st.Leader == "":
			says = append(says, name+" answers, but not to a login, which needs a quorum")
		case st.Leader == mid:
			says = append(says, name+" still calls itself the leader (a leader steps down once it has not heard from a quorum for an election timeout)")
		case !leaderUp:
			says = append(says, fmt.Sprintf("%s still names %s as leader, which does not answer (a follower keeps its leader until its election timeout passes)", name, nameOf(names, st.Leader)))
		default:
			says = append(says, fmt.Sprintf("%s names %s as leader", name, nameOf(names, st.Leader)))
		}
		e := fmt.Sprintf("member %s at %s: status answers (raft term %d, index %d, leader %s)", name, p.ep.URL, st.RaftTerm, st.RaftIndex, pick(st.Leader != "0", st.Leader, "none"))
		if st.Leader == "" {
			e = fmt.Sprintf("member %s: answers without credentials", pick(st.MemberID != "", name+" at "+p.ep.URL, "at "+p.ep.URL))
		}
		if p.commitErr != nil {
			e += "; linearizable read: " + p.commitErr.Error()
		}
		if p.serialOK {
			e += "; a serializable read answers"
		}
		ev = append(ev, e)
	}
	for _, v := range voters {
		if _, ok := answered[v]; !ok {
			down = append(down, nameOf(names, v))
		}
	}
	for _, f := range r.Findings {
		if f.ID == "member-unreachable" {
			_, reason, _ := strings.Cut(f.Cause, "cannot be reached ")
			ev = append(ev, "not answering: "+pick(reason != "", reason, f.Cause))
		}
	}
	symptoms := "writes, linearizable reads (etcdctl get without --consistency=s), member and auth changes wait until they time out (\"context deadline exceeded\"), while status and serializable reads still answer"
	var cause, fix string
	switch {
	case len(voters) == 0:
		cause = fmt.Sprintf("no member that answers can commit: %s; %s (the member list could not be read, so whether a majority runs is not known)", strings.Join(says, "; "), symptoms)
		fix = "start the members that are down and check that they reach each other on their peer URLs; read their logs (journalctl -u etcd | etcd-diag explain -)"
	case up < majority:
		cause = fmt.Sprintf("the cluster has lost its quorum: only %d of its %d voting members answer, and %d are needed to elect a leader and commit (not answering: %s); %s; %s",
			up, len(voters), majority, list(down), strings.Join(says, "; "), symptoms)
		fix = fmt.Sprintf("start the members that are down with their data directories intact (on each: systemctl start etcd; journalctl -u etcd): once %d of %d run and reach each other, they elect a leader by themselves. If a majority is lost for good, rebuild from a survivor: stop it, start it once with --force-new-cluster (it keeps its data and forms a one-member cluster), then add the others back one at a time (etcdctl member add NAME --peer-urls URL; start each with an empty data directory and --initial-cluster-state existing), or restore a snapshot (etcdutl snapshot restore). etcdctl member remove cannot help: it needs the quorum that is missing",
			majority, len(voters))
	default:
		cause = fmt.Sprintf("the cluster cannot commit although %d of its %d voting members answer here, a majority: %s; so they do not reach each other on their peer URLs (a firewall on the peer port, peer TLS refused, members of different clusters); %s",
			up, len(voters), strings.Join(says, "; "), symptoms)
		fix = "read the members' logs for peer errors (journalctl -u etcd | etcd-diag explain -: rejected connections on the peer endpoint, unhealthy probers, cluster ID mismatch) and check that each reaches the others' peer URLs (curl --cacert ca.crt https://PEER:2380/version)"
	}
	// What the verdict explains is not said again: each member's "no
	// leader", the member list that timed out; a down member's fix must not
	// be a member remove, which needs the quorum.
	kept := r.Findings[:0]
	for _, f := range r.Findings {
		switch {
		case f.ID == "no-leader":
			continue
		case f.ID == "etcd-error" && strings.HasPrefix(f.Cause, "cannot read the member list"):
			continue
		case f.ID == "member-unreachable" && strings.Contains(f.Fix, "member remove"):
			f.Fix = "start it (systemctl start etcd; journalctl -u etcd on its host) with its data directory intact; while the quorum is lost, etcdctl member remove cannot run (see quorum-lost)"
		}
		kept = append(kept, f)
	}
	r.Findings = kept
	r.add(Finding{ID: "quorum-lost", Severity: Error, Cause: cause, Fix: fix, Evidence: ev})
	view.Leader = ""
}
