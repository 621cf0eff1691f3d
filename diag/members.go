package diag

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/etcd-ctx/etcd-ctx/internal/conn"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

// memberCheck is one member of the member list and what its URLs answered.
type memberCheck struct {
	m      *pb.Member
	view   *Member
	probes []*prober // ladders on its client URLs: dialled endpoints, then our own
	own    []*prober // ladders run here on URLs nobody dialled
	peers  []*peerCheck
	faults []Finding // what its peer certificates showed
	// notJoined: no client URLs published, but its peer port answers.
	notJoined bool
}

func (mc *memberCheck) label() string {
	if mc.m.Name == "" {
		return id(mc.m.ID)
	}
	return fmt.Sprintf("%s (%s)", mc.m.Name, id(mc.m.ID))
}

// checkMembers checks what the member list promises, as every client that
// uses it (etcdctl --cluster, the Go client's endpoint sync) relies on: each
// member's advertised client URLs that no endpoint dialled get the endpoint
// ladder (TLS, etcd, auth) with the same settings, and each peer URL a
// handshake whose certificate is judged. Everything runs in parallel under
// ctx (the one --timeout), beside the dialled endpoints' own ladders.
//
// Peer ports are often firewalled from clients, which is normal: once every
// client URL has answered, the peer handshakes get peerGrace more (scaled
// to the slowest TCP connect seen), not the whole timeout, and those still
// pending are reported unreachable (information).
func checkMembers(ctx context.Context, in *Input, st *localState, dialled []*prober, members []*pb.Member, dialledDone <-chan struct{}) ([]*memberCheck, []*prober) {
	isDialled := map[string]bool{}
	for _, p := range dialled {
		isDialled[normURL(p.ep.URL)] = true
	}
	peerCtx, stopPeers := context.WithCancel(ctx)
	defer stopPeers()
	var (
		wg, peersWG sync.WaitGroup
		checks      []*memberCheck
		own         []*prober
	)
	for _, m := range members {
		mc := &memberCheck{m: m, view: &Member{ID: id(m.ID), Name: m.Name, ClientURLs: m.ClientURLs, PeerURLs: m.PeerURLs, Learner: m.IsLearner}}
		checks = append(checks, mc)
		for _, cu := range m.ClientURLs {
			if isDialled[normURL(cu)] || (!strings.HasPrefix(cu, "http://") && !strings.HasPrefix(cu, "https://")) {
				continue // dialled already, or a unix socket: not reachable from here
			}
			if unspecifiedHost(cu) {
				continue // judged as it stands (memberVerdict): dialling it reaches this host
			}
			p := &prober{in: in, st: st, roots: caPool(st), ep: &Endpoint{URL: cu, Steps: []Check{}}, member: true, learner: m.IsLearner}
			mc.own = append(mc.own, p)
			own = append(own, p)
			wg.Add(1)
			go func() { defer wg.Done(); p.run(ctx) }()
		}
		// A member with no client URLs has not published them: it never
		// started, or it runs but has not joined (its peers refuse it, or
		// it refuses them). Its peer port tells which.
		for _, pu := range m.PeerURLs {
			pc := &peerCheck{}
			mc.peers = append(mc.peers, pc)
			peersWG.Add(1)
			go func() { defer peersWG.Done(); *pc = *probePeer(peerCtx, mc.label(), pu) }()
		}
	}
	wg.Wait()
	<-dialledDone
	grace := peerGrace
	for _, p := range append(slices.Clone(dialled), own...) {
		grace = max(grace, 5*p.dialTook)
	}
	peersDone := make(chan struct{})
	go func() { peersWG.Wait(); close(peersDone) }()
	select {
	case <-peersDone:
	case <-time.After(grace):
		stopPeers()
		<-peersDone
	}
	return checks, own
}

// peerGrace is how long peer handshakes may run on once the client side is
// done (at least; five times the slowest client TCP connect if longer).
const peerGrace = 300 * time.Millisecond

// memberVerdicts judges every member once all ladders ended: which dialled
// endpoints reached it (by URL or member ID), its advertised URLs, its peer
// certificates, and dialled endpoints that are its peer URLs.
func memberVerdicts(in *Input, dialled []*prober, checks []*memberCheck, view *ClusterView, r *Report) {
	byURL := map[string]*prober{}
	byID := map[string]*prober{}
	for _, p := range dialled {
		byURL[normURL(p.ep.URL)] = p
		if p.ep.Status != nil {
			byID[p.ep.Status.MemberID] = p
		}
	}
	for _, mc := range checks {
		var probes []*prober
		if p, ok := byID[mc.view.ID]; ok {
			probes = append(probes, p)
		}
		for _, cu := range mc.m.ClientURLs {
			if p, ok := byURL[normURL(cu)]; ok && !slices.Contains(probes, p) {
				probes = append(probes, p)
			}
		}
		mc.probes = append(probes, mc.own...)
	}
	peerVerdicts(in, checks, r)
	for _, mc := range checks {
		memberVerdict(in, mc, checks, r)
		view.Members = append(view.Members, *mc.view)
	}
	dialledPeerURLs(in, dialled, checks, r)
	notJoinedEndpoints(dialled, checks, r)
}

// notJoinedEndpoints: a dialled endpoint that accepts TCP and never answers
// TLS, and is no published member's client URL, is most likely the client
// URL of a member that runs without having joined (etcd listens before it
// serves): on the same host as its peer URL, or the only such member. Its
// timeout is said as that member's finding, not as a firewall or a hang.
func notJoinedEndpoints(dialled []*prober, checks []*memberCheck, r *Report) {
	var joinless []*memberCheck
	published := map[string]bool{}
	for _, mc := range checks {
		if mc.notJoined {
			joinless = append(joinless, mc)
		}
		for _, cu := range mc.m.ClientURLs {
			published[normURL(cu)] = true
		}
	}
	if len(joinless) == 0 {
		return
	}
	for _, p := range dialled {
		if !p.silentTLS || published[normURL(p.ep.URL)] {
			continue
		}
		var sameHost []*memberCheck
		for _, mc := range joinless {
			if slices.ContainsFunc(mc.m.PeerURLs, func(u string) bool { pu, err := url.Parse(u); return err == nil && pu.Hostname() == p.host }) {
				sameHost = append(sameHost, mc)
			}
		}
		mc := (*memberCheck)(nil)
		switch {
		case len(sameHost) == 1:
			mc = sameHost[0]
		case len(sameHost) == 0 && len(joinless) == 1:
			mc = joinless[0]
		default:
			continue
		}
		for i, f := range r.Findings {
			if f.ID == "member-unreachable" && strings.HasPrefix(f.Cause, "member "+mc.label()+" runs but has not joined") {
				r.Findings[i].Evidence = append(r.Findings[i].Evidence, fmt.Sprintf("the endpoint %s, no published member's client URL, accepts TCP connections and never answers TLS, as the client port of a member that has not joined does: it is most likely member %s's", p.ep.URL, mc.label()))
			}
		}
		kept := r.Findings[:0]
		for _, f := range r.Findings {
			if f.ID == "timeout" && f.Endpoint == p.ep.URL {
				continue
			}
			kept = append(kept, f)
		}
		r.Findings = kept
	}
}

// memberVerdict decides whether a member is reachable (any of its URLs got
// an answer from etcd) and reports its URLs that fail.
func memberVerdict(in *Input, mc *memberCheck, checks []*memberCheck, r *Report) {
	var reached *prober
	for _, p := range mc.probes {
		if p.answered {
			reached = p
			break
		}
	}
	if reached != nil {
		mc.view.Reachable = true
		if reached.ep.Status != nil {
			mc.view.Version = reached.ep.Status.Version
		}
	}
	for _, p := range mc.own {
		mc.view.Advertised = append(mc.view.Advertised, p.ep)
	}
	for _, cu := range mc.m.ClientURLs {
		if unspecifiedHost(cu) {
			r.add(Finding{ID: "endpoint-invalid", Severity: Error, Endpoint: cu,
				Cause: fmt.Sprintf("member %s advertises the client URL %s: an unspecified address means every interface to a listener, but to a client it means itself, so etcdctl --cluster and clients that sync endpoints dial their own host", mc.label(), cu),
				Fix:   fmt.Sprintf("keep it in --listen-client-urls, and give --advertise-client-urls an address clients reach (the member's IP or DNS name) on member %s, then restart it", mc.label())})
		}
	}
	switch {
	case len(mc.m.ClientURLs) == 0:
		r.add(unpublished(mc, checks))
		return
	case reached == nil:
		r.add(unreachable(in, mc, checks))
		return
	}
	// Reachable: each advertised URL that fails is a trap for clients that
	// use the member list.
	for _, p := range mc.own {
		if p.answered {
			mc.keepAuthFindings(p, r)
			continue
		}
		for _, f := range p.findings {
			if f.Severity == Info {
				continue
			}
			f.Cause = fmt.Sprintf("member %s advertises the client URL %s, which etcdctl --cluster and clients that sync endpoints from the member list dial, and there %s", mc.label(), p.ep.URL, f.Cause)
			f.Fix = advertisedFix(mc, p, f)
			r.add(f)
		}
	}
}

// unpublished judges a member with no client URLs: a member publishes them
// once it has joined the cluster, so it never started, or it runs (its peer
// port answers) and has not joined: it and the other members do not accept
// each other's peer connections, or do not reach each other.
func unpublished(mc *memberCheck, checks []*memberCheck) Finding {
	var alive *peerCheck
	var ev []string
	silent := false
	for _, pc := range mc.peers {
		switch {
		case pc.leaf != nil:
			alive = pc
			ev = append(ev, fmt.Sprintf("its peer URL %s answers TLS with the peer certificate %s", pc.info.URL, peerCertDesc(pc)))
		case pc.info.Reachable:
			if alive == nil {
				alive = pc
			}
			ev = append(ev, fmt.Sprintf("its peer URL %s accepts connections (%s)", pc.info.URL, pick(pc.info.Error != "", pc.info.Error, "plaintext")))
		default:
			silent = silent || pc.info.Error == errNoPeerAnswer
			ev = append(ev, fmt.Sprintf("its peer URL %s: %s", pc.info.URL, pc.info.Error))
		}
	}
	if len(mc.peers) == 0 {
		ev = append(ev, "peer URLs: "+list(mc.m.PeerURLs))
	}
	if alive == nil {
		f := Finding{ID: "member-unreachable", Severity: Error, Cause: fmt.Sprintf("member %s is in the member list but has never started (no client URLs published, nothing listens on its peer URL)", mc.label()),
			Fix:      fmt.Sprintf("start it with the --initial-cluster it was added with, or, if it will not join, remove it as root: etcdctl member remove %s", id(mc.m.ID)),
			Evidence: ev}
		if silent {
			f.Cause = fmt.Sprintf("member %s is in the member list but has published no client URLs: it never started, or it runs without having joined the cluster; its peer URL does not answer from here, which does not tell", mc.label())
			f.Fix = fmt.Sprintf("on its host, check whether etcd runs (systemctl status etcd) and read its log (journalctl -u etcd | etcd-diag explain -) for refused peer connections; if it was never started, start it with the --initial-cluster it was added with; if it will not join, remove it as root: etcdctl member remove %s", id(mc.m.ID))
		}
		return f
	}
	mc.notJoined = true
	f := Finding{ID: "member-unreachable", Severity: Error, Endpoint: alive.info.URL,
		Cause: fmt.Sprintf("member %s runs but has not joined the cluster: its peer URL %s answers, yet it has published no client URLs, which a member does once it has joined (until then its client port accepts connections and never answers): it and the other members refuse each other's peer connections (--peer-trusted-ca-file, --peer-cert-allowed-cn or -hostname, the peer certificates) or do not reach each other",
			mc.label(), alive.info.URL),
		Fix:      notJoinedFix,
		Evidence: ev}
	var hints []string
	for _, pf := range mc.faults {
		if pf.Severity == Error {
			hints = append(hints, fmt.Sprintf("its peer certificate is at fault (%s), so the other members refuse it", pf.ID))
			break
		}
	}
	hints = append(hints, comparePeers(mc, alive, checks, &f.Evidence)...)
	if len(hints) > 0 {
		f.Cause += "; " + strings.Join(hints, "; ")
	}
	return f
}

// notJoinedFix is the fix for a member that runs without having joined.
const notJoinedFix = "read its log and the other members' for refused peer connections (journalctl -u etcd | grep 'rejected connection on peer endpoint' | etcd-diag explain -): each line says which side refuses which certificate and why; make its --peer-trusted-ca-file hold the CA of the others' peer certificates and its peer certificate meet their --peer-cert-allowed-cn/--peer-cert-allowed-hostname, then restart it (etcd reads its CA files only at start). Removing it does not help: it is not gone"

// answeringPeer is a peer URL of the member whose TLS handshake got as far
// as its certificate, or nil.
func answeringPeer(mc *memberCheck) *peerCheck {
	for _, pc := range mc.peers {
		if pc.leaf != nil {
			return pc
		}
	}
	return nil
}

// peerCertDesc names a peer certificate for evidence: subject, issuer and
// the issuer's key (AuthorityKeyId), and whether client certificates are
// asked for.
func peerCertDesc(pc *peerCheck) string {
	return fmt.Sprintf("%s, issued by %s (key %s)%s", pc.leaf.Subject.String(), pc.leaf.Issuer.String(), pki.KeyIDBytes(pc.leaf.AuthorityKeyId),
		pick(pc.info.ClientCertRequested, ", asking for a peer client certificate", ""))
}

// comparePeers sets a member that has not joined beside the members that
// did: another issuer key than all of theirs (their --peer-trusted-ca-file
// does not hold its CA, or it does not hold theirs), or another CN than the
// one they all share (a --peer-cert-allowed-cn rule). It adds their peer
// certificates to the evidence and returns what the differences suggest.
func comparePeers(mc *memberCheck, alive *peerCheck, checks []*memberCheck, ev *[]string) []string {
	if alive.leaf == nil {
		return nil
	}
	var others []*peerCheck
	for _, o := range checks {
		if o == mc || len(o.m.ClientURLs) == 0 {
			continue
		}
		for _, pc := range o.peers {
			if pc.leaf != nil {
				others = append(others, pc)
				*ev = append(*ev, fmt.Sprintf("member %s's peer certificate: %s", pc.member, peerCertDesc(pc)))
			}
		}
	}
	if len(others) == 0 {
		return nil
	}
	sameKey, sameCN, cn := false, true, others[0].leaf.Subject.CommonName
	for _, o := range others {
		sameKey = sameKey || bytes.Equal(o.leaf.AuthorityKeyId, alive.leaf.AuthorityKeyId) && len(o.leaf.AuthorityKeyId) > 0
		sameCN = sameCN && o.leaf.Subject.CommonName == cn
	}
	switch {
	case sameCN && len(others) > 1 && cn != "" && alive.leaf.Subject.CommonName != cn:
		return []string{fmt.Sprintf("its peer certificate's CN %q differs from the one all joined members share (%q): members started with --peer-cert-allowed-cn %s refuse it (\"client certificate authentication failed\" in their logs); reissue it with that CN", alive.leaf.Subject.CommonName, cn, cn)}
	case !sameKey && len(alive.leaf.AuthorityKeyId) > 0:
		return []string{fmt.Sprintf("its peer certificate was issued by another CA key (%s) than the joined members' peer certificates: unless every --peer-trusted-ca-file holds both CAs, they refuse each other (\"certificate signed by unknown authority\" in the logs)", pki.KeyIDBytes(alive.leaf.AuthorityKeyId))}
	case sameKey:
		return []string{"its peer certificate comes from the same CA key as the joined members', so if they log \"remote error: tls: bad certificate\" for its connections, it is its own --peer-trusted-ca-file that refuses theirs (a CA of the same name but another key, regenerated, is the usual cause; its log says \"certificate signed by unknown authority\")"}
	}
	return nil
}

// keepAuthFindings keeps what an advertised URL's ladder found beyond what
// the dialled endpoints already reported (the same credentials give the same
// auth answer everywhere; a member-specific one is news).
func (mc *memberCheck) keepAuthFindings(p *prober, r *Report) {
	for _, f := range p.findings {
		if f.Severity == Info || slices.ContainsFunc(r.Findings, func(g Finding) bool { return g.ID == f.ID }) {
			continue
		}
		f.Cause = "on member " + mc.label() + ": " + f.Cause
		r.add(f)
	}
}

// unreachable is member-unreachable with the reason its URLs gave.
func unreachable(in *Input, mc *memberCheck, checks []*memberCheck) Finding {
	f := Finding{ID: "member-unreachable", Severity: Error, Endpoint: firstOr(mc.m.ClientURLs, ""),
		Cause: fmt.Sprintf("member %s is in the member list but cannot be reached with these settings", mc.label()),
		Fix:   fmt.Sprintf("start it or fix its --advertise-client-urls; if it is gone for good, remove it as root: etcdctl member remove %s", id(mc.m.ID))}
	for _, p := range mc.probes {
		reason := firstProblem(p)
		if reason == nil {
			continue
		}
		f.Endpoint = p.ep.URL
		f.Cause = fmt.Sprintf("member %s is in the member list but cannot be reached at %s: %s", mc.label(), p.ep.URL, reason.Cause)
		f.Evidence = append(f.Evidence, "reason: "+reason.ID)
		f.Evidence = append(f.Evidence, reason.Evidence...)
		switch reason.ID {
		case "connection-refused", "connection-failed":
			f.Fix = fmt.Sprintf("start it (systemctl status etcd; journalctl -u etcd on its host), or fix its --advertise-client-urls if it listens elsewhere; if it is gone for good, remove it as root: etcdctl member remove %s", id(mc.m.ID))
		case "timeout":
			f.Fix = fmt.Sprintf("a member that has not joined the cluster accepts connections without answering: read its log (journalctl -u etcd | etcd-diag explain -) for refused peer connections or quorum errors; if it is gone for good, remove it as root: etcdctl member remove %s", id(mc.m.ID))
			if alive := answeringPeer(mc); p.silentTLS && alive != nil {
				mc.notJoined = true
				f.Cause = fmt.Sprintf("member %s runs but has not (re)joined the cluster: its peer URL %s answers, while its client URL %s accepts connections and never answers TLS, as etcd does until it has joined: it and the other members refuse each other's peer connections (--peer-trusted-ca-file, --peer-cert-allowed-cn or -hostname, the peer certificates) or do not reach each other",
					mc.label(), alive.info.URL, p.ep.URL)
				f.Fix = notJoinedFix
				if hints := comparePeers(mc, alive, checks, &f.Evidence); len(hints) > 0 {
					f.Cause += "; " + strings.Join(hints, "; ")
				}
			}
		default:
			f.Fix = advertisedFix(mc, p, *reason)
		}
		break
	}
	for _, pf := range mc.faults {
		if pf.Severity == Error {
			f.Cause += fmt.Sprintf("; its peer certificate is at fault too (%s), so the other members refuse it", pf.ID)
			f.Fix = "first fix its peer certificate (" + pf.ID + "), then restart it; " + f.Fix
			break
		}
	}
	f.Evidence = append(f.Evidence, "client URLs: "+list(mc.m.ClientURLs), "peer URLs: "+list(mc.m.PeerURLs))
	return f
}

// advertisedFix is a failing advertised URL's fix: the rung's own, or the
// member's flag, whichever is wrong.
func advertisedFix(mc *memberCheck, p *prober, f Finding) string {
	flag := fmt.Sprintf("or advertise a URL that works from clients: --advertise-client-urls on member %s (then restart it)", mc.label())
	switch f.ID {
	case "server-san-mismatch":
		host := p.host
		if p.u == nil {
			if u, err := url.Parse(p.ep.URL); err == nil {
				host = u.Hostname()
			}
		}
		return fmt.Sprintf("either reissue member %s's server certificate with that host, in place of the old file: etcd-certwiz renew server.crt --add-san %s (openssl: add it to subjectAltName; etcd reads certificate files on each handshake: no restart); %s", mc.label(), host, flag)
	case "dns-unresolvable":
		return fmt.Sprintf("make the name resolve for clients (DNS or /etc/hosts), %s", flag)
	}
	return f.Fix + "; " + flag
}

// firstProblem is the first error or warning a ladder found.
func firstProblem(p *prober) *Finding {
	for i := range p.findings {
		if p.findings[i].Severity != Info {
			return &p.findings[i]
		}
	}
	return nil
}

// peerVerdicts records each member's peer certificates and judges them;
// peer ports that cannot be reached from here are said once, as
// information (a firewall between clients and the peer network is normal).
func peerVerdicts(in *Input, checks []*memberCheck, r *Report) {
	var unreached []string
	for _, mc := range checks {
		for _, pc := range mc.peers {
			mc.view.PeerTLS = append(mc.view.PeerTLS, pc.info)
			if !pc.info.Reachable || (pc.info.TLS && pc.leaf == nil) {
				if len(mc.m.ClientURLs) == 0 || (isRefused(pc.info.Error) && !slices.ContainsFunc(mc.probes, func(p *prober) bool { return p.answered })) {
					continue // said by its member-unreachable (never started, not joined, or down: nothing listens)
				}
				unreached = append(unreached, pc.info.URL+" ("+pc.info.Error+")")
				continue
			}
			for _, f := range peerFindings(in, pc, len(checks) == 1) {
				r.add(f)
				mc.faults = append(mc.faults, f)
			}
		}
	}
	if len(unreached) > 0 {
		r.add(Finding{ID: "peer-port-unreachable", Severity: Info,
			Cause:    "the peer port of some members cannot be reached from here, so their peer certificates were not checked",
			Fix:      "nothing to do if a firewall keeps clients off the peer network (the peer port, 2380 by default); to check them, run etcd-diag from a host that reaches it",
			Evidence: unreached})
	}
}

// isRefused reports a dial error that says nothing listens there.
func isRefused(msg string) bool { return strings.Contains(msg, "connection refused") }

// dialledPeerURLs names a dialled endpoint that is a member's peer URL:
// etcd 3.4 and 3.5 also answer clients there over plaintext, 3.6 and later
// do not, and neither does any version over TLS. With no member list (the
// only endpoint given is a peer URL), the ladder asked the URL for the peer
// API's member list (prober.failed).
func dialledPeerURLs(in *Input, dialled []*prober, checks []*memberCheck, r *Report) {
	for _, p := range dialled {
		peerOf := p.peerOf
		for _, mc := range checks {
			if slices.ContainsFunc(mc.m.PeerURLs, func(u string) bool { return normURL(u) == normURL(p.ep.URL) }) {
				peerOf = mc.m
			}
		}
		if peerOf != nil {
			r.add(peerURLFinding(in, p, peerOf, r))
		} else {
			likelyPeerURL(in, p, r)
		}
	}
}

// likelyPeerURL judges an endpoint no member list names, whose handshake
// failed on the CAs, by what it served: with separate client and peer CAs,
// a peer port serves a certificate from the peer CA carrying serverAuth and
// clientAuth (members are each other's servers and clients) and asks for
// client certificates of that very CA (--peer-trusted-ca-file). Then the
// CA advice alone goes round in circles (use the peer CA; then add the
// client CA to the member's trust, which would let clients pass as peers).
// Port 2380, or a CA named as the peer CA, makes it the likely cause
// (endpoint-is-peer-url, replacing the ladder's finding); otherwise the
// ladder's finding keeps its fix with the peer port named as the way out.
func likelyPeerURL(in *Input, p *prober, r *Report) {
	info := p.ep.TLS
	if p.answered || p.member || info == nil || info.leaf == nil || !info.ClientCertRequested {
		return
	}
	leaf, ca := info.leaf, info.leaf.Issuer.String()
	if !pki.HasEKU(leaf, x509.ExtKeyUsageServerAuth) || !pki.HasEKU(leaf, x509.ExtKeyUsageClientAuth) || pki.SelfSigned(leaf) || !containsName(info.AcceptableClientCAs, ca) {
		return
	}
	if c := p.st.clientCert; c != nil && containsName(info.AcceptableClientCAs, c.Issuer.String()) {
		return // the client certificate is of the CA it asks for: not the clients' PKI against the peers'
	}
	at := -1
	for i, f := range r.Findings {
		if f.Endpoint == p.ep.URL && (f.ID == "server-ca-untrusted" || f.ID == "client-ca-untrusted") {
			at = i
			break
		}
	}
	if at < 0 {
		return
	}
	clientURL := p.u.Scheme + "://" + net.JoinHostPort(p.host, "CLIENT_PORT")
	if p.port == "2380" {
		clientURL = p.u.Scheme + "://" + net.JoinHostPort(p.host, "2379")
	}
	dial := "dial the member's client URL instead (port 2379 by default; etcdctl member list shows both URLs of each member): " + in.setFlag("endpoints", clientURL)
	served := fmt.Sprintf("the member there serves %s, issued by %q, with serverAuth and clientAuth (as a peer certificate must carry), and accepts client certificates of %q only", pki.Name(leaf), ca, ca)
	ev := []string{"served certificate: " + leaf.Subject.String() + ", issuer " + ca + ", extended key usages " + pki.ExtKeyUsageList(leaf),
		"client certificates accepted from: " + list(info.AcceptableClientCAs)}
	if c := p.st.clientCert; c != nil {
		ev = append(ev, "client certificate given: "+c.Subject.String()+", issuer "+c.Issuer.String())
	}
	var why []string
	if p.port == "2380" {
		why = append(why, "the port is 2380, etcd's peer port")
	}
	if strings.Contains(strings.ToLower(ca), "peer") {
		why = append(why, fmt.Sprintf("%q is named as a peer CA", ca))
	}
	if len(why) == 0 {
		g := &r.Findings[at]
		g.Fix = strings.Replace(g.Fix, "or add", "or, if this is the client URL, add", 1) +
			"; if it is a member's peer URL (" + served + ", as a peer port does with --peer-trusted-ca-file), " + dial + ", and never add the clients' CA to --peer-trusted-ca-file: clients could then pass as peers"
		g.Evidence = append(g.Evidence, ev...)
		return
	}
	f := Finding{ID: "endpoint-is-peer-url", Severity: Error, Endpoint: p.ep.URL,
		Cause: fmt.Sprintf("%s is likely a member's peer URL, not a client URL: %s, as a peer port does with --peer-trusted-ca-file, and %s; the clients' CA and certificates are not the peers', so no CA bundle makes this work",
			p.ep.URL, served, strings.Join(why, ", and ")),
		Fix:      dial + "; do not trust the peer CA as the clients' CA, and never add the clients' CA to --peer-trusted-ca-file: clients could then pass as peers",
		Evidence: ev}
	foldEndpoint(r, p.ep.URL, &f)
	r.Findings = append(r.Findings, f)
}

// foldEndpoint moves the findings of the ladder at url into f's evidence:
// they were the symptoms of the cause f names.
func foldEndpoint(r *Report, url string, f *Finding) {
	var kept []Finding
	for _, g := range r.Findings {
		if g.Endpoint == url {
			f.Evidence = append(f.Evidence, "the ladder there: "+g.ID+": "+g.Cause)
			continue
		}
		kept = append(kept, g)
	}
	r.Findings = kept
}

// failed runs when a dialled endpoint's ladder stopped: if the server
// answered, but not as etcd's client port (HTTP/1.1, or a close right after
// TLS), it may be a peer port: the peer API's GET /members tells, and which
// member it belongs to.
func (p *prober) failed(ctx context.Context) {
	if p.member || !p.connected || p.answered {
		return
	}
	if f := firstProblem(p); f == nil || f.ID == "timeout" {
		return // a silent server has had its time
	}
	p.peerOf = peerMembers(ctx, p.in, p.ep.URL)
}

// peerURLFinding replaces a peer URL's generic failures with the cause.
func peerURLFinding(in *Input, p *prober, m *pb.Member, r *Report) Finding {
	use := firstOr(m.ClientURLs, "its client URL (usually port 2379)")
	f := Finding{ID: "endpoint-is-peer-url", Severity: Warning, Endpoint: p.ep.URL,
		Cause:    fmt.Sprintf("%s is member %s's peer URL, not a client URL: etcd 3.4 and 3.5 still answer clients there over plaintext, 3.6 and later do not, and the peer port's TLS (peer CA, peer client certificates) is not the clients'", p.ep.URL, pick(m.Name != "", m.Name, id(m.ID))),
		Fix:      "use the member's client URL instead: " + in.setFlag("endpoints", use),
		Evidence: []string{"member " + pick(m.Name != "", m.Name, id(m.ID)) + ": peer URLs " + list(m.PeerURLs) + ", client URLs " + list(m.ClientURLs)}}
	if !p.answered {
		f.Severity = Error
		foldEndpoint(r, p.ep.URL, &f)
	}
	return f
}

// peerMembers asks a URL for etcd's peer member list (GET /members, served
// on the peer port only, with the X-Etcd-Cluster-ID header) and returns the
// member that URL belongs to, or nil.
func peerMembers(ctx context.Context, in *Input, endpoint string) *pb.Member {
	s := in.Settings
	cfg, err := s.TLSConfig()
	if err != nil {
		return nil
	}
	if cfg != nil {
		cfg = cfg.Clone()
		cfg.InsecureSkipVerify = true //nolint:gosec // only asks whether this is a peer port; nothing secret is sent
	} else if strings.HasPrefix(endpoint, "https://") {
		cfg = &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12} //nolint:gosec // as above
	}
	tr := &http.Transport{TLSClientConfig: cfg}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(endpoint, "/")+"/members", nil)
	if err != nil {
		return nil
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Etcd-Cluster-Id") == "" {
		return nil
	}
	var ms []struct {
		ID         json.Number `json:"id"`
		Name       string      `json:"name"`
		PeerURLs   []string    `json:"peerURLs"`
		ClientURLs []string    `json:"clientURLs"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ms) != nil {
		return nil
	}
	for _, m := range ms {
		if slices.ContainsFunc(m.PeerURLs, func(u string) bool { return normURL(u) == normURL(endpoint) }) {
			idv, _ := strconv.ParseUint(m.ID.String(), 10, 64)
			return &pb.Member{ID: idv, Name: m.Name, PeerURLs: m.PeerURLs, ClientURLs: m.ClientURLs}
		}
	}
	return nil
}

// unspecifiedHost reports a URL on 0.0.0.0 or ::, a listen address only.
func unspecifiedHost(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsUnspecified()
}

// normURL compares URLs as clients dial them: scheme, lower-case host, port.
func normURL(raw string) string {
	n, err := conn.NormalizeEndpoint(raw, strings.HasPrefix(raw, "https://"))
	if err != nil {
		return raw
	}
	return strings.ToLower(n)
}
