package diag

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// tokenAnswers collects what each member made of the token, named by member.
func tokenAnswers(probes []*prober, view *ClusterView) []tokenAnswer {
	var out []tokenAnswer
	for _, p := range probes {
		if p.token == "" {
			continue
		}
		a := tokenAnswer{endpoint: p.ep.URL, where: p.ep.URL, verdict: p.token, err: p.tokenErr, authRev: p.authRev}
		if view != nil {
			for _, m := range view.Members {
				if slices.Contains(m.ClientURLs, p.ep.URL) || (p.ep.Status != nil && p.ep.Status.MemberID == m.ID) {
					a.where = fmt.Sprintf("member %s (%s)", pick(m.Name != "", m.Name, m.ID), p.ep.URL)
				}
			}
		}
		out = append(out, a)
	}
	return out
}

// DefaultTimeout is the default per-probe budget.
const DefaultTimeout = 2 * time.Second

// Diagnose runs the local checks, then the ladder on every endpoint in
// parallel and, as soon as one endpoint answers, the cluster view (member
// list, alarms, every member's advertised client URLs and peer URLs), and
// returns the report. Everything shares one deadline, the timeout: a member
// that never answers costs at most that, however many rungs and URLs stall.
func Diagnose(ctx context.Context, in Input) *Report {
	start := time.Now()
	if in.Timeout <= 0 {
		in.Timeout = DefaultTimeout
	}
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	if in.Warn == 0 {
		in.Warn = 30 * 24 * time.Hour
	}
	if in.Quota == 0 {
		in.Quota = DefaultQuota
	}
	r := &Report{Context: in.Context, Endpoints: []*Endpoint{}, Local: []Check{}}
	st := checkLocal(&in, r)
	for i := range r.Findings {
		r.Findings[i].local = true
	}
	roots := caPool(st)

	pctx, cancel := context.WithTimeout(ctx, in.Timeout)
	defer cancel()
	probes := make([]*prober, len(st.endpoints))
	ready := make(chan *prober, len(st.endpoints))
	var wg sync.WaitGroup
	for i, ep := range st.endpoints {
		probes[i] = &prober{in: &in, st: st, roots: roots, ep: &Endpoint{URL: ep, Steps: []Check{}}, ready: ready}
		r.Endpoints = append(r.Endpoints, probes[i].ep)
		wg.Add(1)
		go func(p *prober) {
			defer wg.Done()
			p.run(pctx)
		}(probes[i])
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	cv := startClusterView(pctx, &in, st, probes, ready, done)
	<-done
	cv.wait()
	var fromProbes []Finding
	for _, p := range probes {
		fromProbes = append(fromProbes, p.findings...)
	}
	r.Findings = append(r.Findings, clusterWide(fromProbes)...)
	clusterVerdicts(&in, probes, cv, r)
	all := append(probes, cv.own...)
	r.Findings = append(r.Findings, judgeToken(&in, tokenAnswers(all, r.Cluster))...)
	r.certs = inventory(&in, st, probes, cv)
	for _, p := range all {
		if p.client != nil {
			p.client.Close()
		}
	}
	dedupe(r)
	r.finish()
	r.Elapsed = ms(time.Since(start))
	return r
}

// dedupe drops a per-endpoint finding that repeats a local one (the same
// client certificate problem seen again by each server); a local warning
// that a server confirms as an error becomes an error. Findings about the
// whole cluster (no endpoint either) are not local ones.
func dedupe(r *Report) {
	local := map[string]int{}
	for i, f := range r.Findings {
		if f.local {
			local[f.ID] = i
		}
	}
	for _, f := range r.Findings {
		if i, ok := local[f.ID]; ok && f.Endpoint != "" && !f.server && f.Severity == Error && r.Findings[i].Severity != Error {
			r.Findings[i].Severity = Error
			r.Findings[i].Evidence = append(r.Findings[i].Evidence, "confirmed by "+f.Endpoint+": "+f.Cause)
		}
	}
	explained := certExplains(r)
	out := r.Findings[:0]
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if _, ok := local[f.ID]; ok && f.Endpoint != "" && !f.server {
			continue
		}
		if alert := refusalAlert(f); explained >= 0 && alert != "" {
			r.Findings[explained].Evidence = append(r.Findings[explained].Evidence, "refused by "+f.Endpoint+" too (server alert: "+alert+")")
			continue
		}
		key := f.ID + "\x00" + f.Endpoint + "\x00" + f.Cause
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, f)
	}
	r.Findings = out
}

// clientCertIDs are the ids the local check of the client certificate (and
// of the chain its file carries) reports.
var clientCertIDs = []string{"client-cert-expired", "client-cert-no-clientauth", "client-cert-invalid", "cert-unsupported",
	"ca-invalid", "ca-eku-restricted", "ca-key-mismatch", "chain-incomplete"}

// certExplains is the index of the local error finding that made the client
// certificate check fail, or -1: a server that then refuses the certificate
// is explained by it.
func certExplains(r *Report) int {
	failed := false
	for _, c := range r.Local {
		failed = failed || (c.Name == "client certificate" && !c.OK)
	}
	if !failed {
		return -1
	}
	for i, f := range r.Findings {
		if f.local && f.Severity == Error && slices.Contains(clientCertIDs, f.ID) {
			return i
		}
	}
	return -1
}

// refusalAlert is the alert of a generic per-endpoint handshake failure in
// which the server refused the client certificate ("bad certificate"…), or
// "".
func refusalAlert(f Finding) string {
	if f.ID != "tls-handshake-failed" || f.Endpoint == "" {
		return ""
	}
	for _, e := range f.Evidence {
		if a, ok := strings.CutPrefix(e, "server alert: "); ok && slices.Contains(certAlerts, a) {
			return a
		}
	}
	return ""
}

// certAlerts are the TLS alerts a server sends about the certificate it got.
var certAlerts = []string{"bad certificate", "unsupported certificate", "expired certificate", "certificate unknown", "unknown certificate authority"}

// clusterWideIDs are findings about the cluster's auth store, which every
// member shares: each endpoint says the same.
var clusterWideIDs = []string{"auth-disabled", "permission-denied", "root-role-required"}

// clusterWide reports a cluster-wide finding once: the same finding (id,
// severity, cause and fix) from several endpoints becomes one about the
// whole cluster (no endpoint) whose evidence names them. A member that
// answers otherwise keeps its own.
func clusterWide(fs []Finding) []Finding {
	key := func(f Finding) string { return f.ID + "\x00" + string(f.Severity) + "\x00" + f.Cause + "\x00" + f.Fix }
	where := map[string][]string{}
	for _, f := range fs {
		if f.Endpoint != "" && slices.Contains(clusterWideIDs, f.ID) {
			where[key(f)] = append(where[key(f)], f.Endpoint)
		}
	}
	var out []Finding
	at := map[string]int{}
	for _, f := range fs {
		k := key(f)
		eps := where[k]
		if len(eps) < 2 || f.Endpoint == "" {
			out = append(out, f)
			continue
		}
		if i, ok := at[k]; ok {
			for _, e := range f.Evidence {
				if !slices.Contains(out[i].Evidence, e) {
					out[i].Evidence = append(out[i].Evidence, e)
				}
			}
			continue
		}
		at[k] = len(out)
		f.Endpoint = ""
		sorted := slices.Clone(eps)
		slices.Sort(sorted)
		f.Evidence = append([]string{"the same at endpoints: " + strings.Join(sorted, ", ")}, slices.Clone(f.Evidence)...)
		out = append(out, f)
	}
	return out
}
