package diagcmd

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/words"
)

// render prints the report as a checklist: ✓ passed, ✗ error, ! warning,
// i info (colour only on a terminal).
func render(w io.Writer, r *diag.Report, p clix.Painter, timeout time.Duration) {
	ok, bad := p.Green("✓"), p.Red("✗")
	what := "explicit settings"
	if r.Context != "" {
		what = fmt.Sprintf("context %q", r.Context)
	}
	fmt.Fprintf(w, "%s: %s, %d endpoint(s), timeout %s\n", p.Bold("etcd-diag"), what, len(r.Endpoints), timeout)
	if len(r.Local) > 0 {
		fmt.Fprintln(w, p.Bold("Local"))
		for _, c := range r.Local {
			fmt.Fprintf(w, "  %s %s: %s\n", mark(c.OK, ok, bad), c.Name, c.Detail)
		}
	}
	for _, ep := range r.Endpoints {
		fmt.Fprintln(w, p.Bold(ep.URL))
		for _, s := range ep.Steps {
			fmt.Fprintf(w, "  %s %-7s %s\n", mark(s.OK, ok, bad), s.Name, s.Detail)
		}
	}
	if c := r.Cluster; c != nil {
		fmt.Fprintln(w, p.Bold("Cluster"))
		reachable := 0
		for _, m := range c.Members {
			if m.Reachable {
				reachable++
			}
		}
		fmt.Fprintf(w, "  %s %d member(s), %d reachable; leader %s; version %s; alarms: %s\n",
			mark(len(c.Members) > 0 && reachable == len(c.Members) && len(c.Alarms) == 0, ok, bad), len(c.Members), reachable, words.Or(c.Leader), words.List(c.Versions), words.List(c.Alarms))
		for _, m := range c.Members {
			renderMember(w, m, ok, bad)
		}
	}
	if len(r.Findings) > 0 {
		fmt.Fprintln(w, p.Bold("Findings"))
	}
	errs, warns := 0, 0
	for _, g := range foldEndpoints(r.Findings) {
		f := g.Finding
		sym := p.Dim("i")
		switch f.Severity {
		case diag.Error:
			sym, errs = bad, errs+1
		case diag.Warning:
			sym, warns = p.Yellow("!"), warns+1
		}
		where := ""
		if len(g.endpoints) > 0 {
			where = "  " + strings.Join(g.endpoints, ", ")
		}
		fmt.Fprintf(w, "  %s %s%s\n      cause: %s\n      fix:   %s\n", sym, p.Bold(f.ID), where, f.Cause, f.Fix)
		for _, e := range f.Evidence {
			fmt.Fprintf(w, "      seen:  %s\n", e)
		}
	}
	verdict := p.Green("healthy")
	if !r.Healthy {
		verdict = p.Red("problems found")
	}
	fmt.Fprintf(w, "%s: %d error(s), %d warning(s) in %.0f ms\n", verdict, errs, warns, float64(r.Elapsed))
}

// renderMember prints a member's URLs as checked: the advertised client URLs
// no endpoint dialled, and what each peer URL's handshake showed.
func renderMember(w io.Writer, m diag.Member, ok, bad string) {
	name := m.Name
	if name == "" {
		name = m.ID
	}
	fmt.Fprintf(w, "  %s member %s (%s): client %s; peer %s\n", mark(m.Reachable, ok, bad), name, m.ID, words.List(m.ClientURLs), words.List(m.PeerURLs))
	for _, ep := range m.Advertised {
		if n := len(ep.Steps); n > 0 {
			last := ep.Steps[n-1]
			fmt.Fprintf(w, "      %s %s: %s %s\n", mark(last.OK, ok, bad), ep.URL, last.Name, last.Detail)
		}
	}
	for _, pt := range m.PeerTLS {
		switch {
		case !pt.Reachable:
			fmt.Fprintf(w, "      - peer %s not reachable from here: %s\n", pt.URL, pt.Error)
		case !pt.TLS:
			fmt.Fprintf(w, "      - peer %s: plaintext\n", pt.URL)
		case pt.NotAfter != nil:
			fmt.Fprintf(w, "      - peer %s: %s issued by %s, SANs %s, %s, until %s\n", pt.URL, pt.Subject, pt.Issuer, words.List(pt.SANs), strings.Join(pt.ExtKeyUsages, "+"), pt.NotAfter.Format(time.DateOnly))
		default:
			fmt.Fprintf(w, "      - peer %s: %s\n", pt.URL, pt.Error)
		}
	}
}

func mark(cond bool, ok, bad string) string {
	if cond {
		return ok
	}
	return bad
}

// folded is a finding as the text shows it: the same finding from several
// endpoints (id, severity, cause and fix alike) once, with each endpoint
// and the evidence of all. JSON keeps one finding per endpoint.
type folded struct {
	diag.Finding
	endpoints []string
}

func foldEndpoints(fs []diag.Finding) []folded {
	var out []folded
	at := map[string]int{}
	for _, f := range fs {
		k := f.ID + "\x00" + string(f.Severity) + "\x00" + f.Cause + "\x00" + f.Fix
		i, seen := at[k]
		if !seen || f.Endpoint == "" || len(out[i].endpoints) == 0 {
			g := folded{Finding: f}
			g.Evidence = slices.Clone(f.Evidence)
			if f.Endpoint != "" {
				g.endpoints = []string{f.Endpoint}
				at[k] = len(out)
			}
			out = append(out, g)
			continue
		}
		out[i].endpoints = append(out[i].endpoints, f.Endpoint)
		for _, e := range f.Evidence {
			if !slices.Contains(out[i].Evidence, e) {
				out[i].Evidence = append(out[i].Evidence, e)
			}
		}
	}
	return out
}
