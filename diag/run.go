package diag

import (
	"context"
	"sync"
	"time"
)

// DefaultTimeout is the default per-probe budget.
const DefaultTimeout = 2 * time.Second

// Diagnose runs the local checks, then the ladder on every endpoint in
// parallel, then the cluster view, and returns the report. Each endpoint's
// ladder shares one deadline, so a member that never answers costs at most
// the timeout, however many rungs it stalls.
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
	roots := caPool(st)

	probes := make([]*prober, len(st.endpoints))
	var wg sync.WaitGroup
	for i, ep := range st.endpoints {
		probes[i] = &prober{in: &in, st: st, roots: roots, ep: &Endpoint{URL: ep, Steps: []Check{}}}
		r.Endpoints = append(r.Endpoints, probes[i].ep)
		wg.Add(1)
		go func(p *prober) {
			defer wg.Done()
			pctx, cancel := context.WithTimeout(ctx, in.Timeout)
			defer cancel()
			p.run(pctx)
		}(probes[i])
	}
	wg.Wait()
	for _, p := range probes {
		r.Findings = append(r.Findings, p.findings...)
	}
	cctx, cancel := context.WithTimeout(ctx, in.Timeout)
	clusterView(cctx, &in, probes, r)
	cancel()
	for _, p := range probes {
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
// that a server confirms as an error becomes an error.
func dedupe(r *Report) {
	local := map[string]int{}
	for i, f := range r.Findings {
		if f.Endpoint == "" {
			local[f.ID] = i
		}
	}
	for _, f := range r.Findings {
		if i, ok := local[f.ID]; ok && f.Endpoint != "" && f.Severity == Error && r.Findings[i].Severity != Error {
			r.Findings[i].Severity = Error
			r.Findings[i].Evidence = append(r.Findings[i].Evidence, "confirmed by "+f.Endpoint+": "+f.Cause)
		}
	}
	out := r.Findings[:0]
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if _, ok := local[f.ID]; ok && f.Endpoint != "" {
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
