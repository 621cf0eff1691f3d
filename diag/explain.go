package diag

import (
	"strings"
	"sync"
)

// Side says whose certificate, configuration, state or request a line is
// about, which is where the fix goes.
type Side string

const (
	// SideClient is the client (etcdctl, an application): its certificate,
	// credentials, flags or request.
	SideClient Side = "client"
	// SideServer is the etcd member serving the client: its server
	// certificate, configuration or state.
	SideServer Side = "server"
	// SidePeer is another member, as seen by the member whose log this is:
	// its peer certificate, address or state.
	SidePeer Side = "peer"
	// SideSelf is the member whose log this is, about its own certificate
	// when it dials itself (the gRPC gateway) or its peers.
	SideSelf Side = "self"
)

// Explanation is what explain says about a pasted error.
type Explanation struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Cause    string   `json:"cause"`
	Fix      string   `json:"fix"`
	// Matched is the whole phrase recognised, as it stands in the text: it
	// is never cut inside a quoted value.
	Matched string `json:"matched"`
	Note    string `json:"note,omitempty"`
	Side    Side   `json:"side"`
	// SideWhy says how the side was concluded (shown by the text output).
	SideWhy string `json:"-"`
}

// Explain maps a pasted error (from etcdctl, a client's log or an etcd
// member's log, in capnslog text or zap JSON) to the finding it stands for,
// offline, and says whose side it is on. Rules are tried in order over every
// line, so a specific cause anywhere in the paste beats a vague one; the
// paste's other lines give context (a member's own and its peers'
// addresses). It returns false when nothing is recognised.
func Explain(text string) (Explanation, bool) {
	lines := strings.Split(text, "\n")
	ctx := readContext(lines)
	for _, r := range rules() {
		for _, line := range lines {
			h, ok := r.match(line, ctx)
			if !ok {
				continue
			}
			return h.explanation(line), true
		}
	}
	return Explanation{}, false
}

// matcher is one rule of explain: it looks at one line (with the context of
// the whole paste) and may name a finding.
type matcher interface {
	match(line string, c *pasteContext) (hit, bool)
}

// rules are the matchers in the order they are tried, compiled on first
// use (see quickRE).
var rules = sync.OnceValue(func() []matcher {
	var out []matcher
	for _, m := range compileMessages(localMessages) {
		out = append(out, m)
	}
	// Specific TLS evidence anywhere in the paste beats a generic alert
	// ("bad certificate") or a closed connection, and both beat the lines
	// probes leave (no certificate, plaintext, nothing in common).
	out = append(out, tlsRule{tierSpecific}, tlsRule{tierGeneric}, tlsRule{tierNoise})
	for _, m := range compileMessages(catalogue) {
		out = append(out, m)
	}
	// A dial to a proxy reads as "connection refused" or a timeout: before them.
	out = append(out, proxyRule{})
	for _, m := range compileMessages(connectionMessages) {
		out = append(out, m)
	}
	return out
})

// hit is one rule's verdict on one line: the finding, the side and why, and
// where in the line the evidence is.
type hit struct {
	id         string
	side       Side
	why        string
	sev        Severity
	cause, fix string
	note       string
	start, end int // the evidence, as byte offsets in the line
}

func (h hit) explanation(line string) Explanation {
	e := Explanation{ID: h.id, Severity: h.sev, Cause: h.cause, Fix: h.fix, Note: h.note, Side: h.side, SideWhy: h.why}
	if e.Severity == "" {
		e.Severity = Error
	}
	c, f := catalog(h.id)
	if e.Cause == "" {
		e.Cause = c
	}
	if e.Fix == "" {
		e.Fix = f
	}
	s, end := widen(line, h.start, h.end)
	e.Matched = line[s:end]
	return e
}

// catalog gives the generic cause and fix of an id; a rule may give more
// specific ones.
func catalog(id string) (cause, fix string) {
	c, ok := texts[id]
	if !ok {
		return "", ""
	}
	return c[0], c[1]
}

// widen extends [s, e) of line so that it cuts no quoted value: evidence
// inside a quoted value runs on to that value's closing quote, and a quoted
// value the evidence starts or ends inside is taken whole. Quotes nest by
// escaping, as in zap's JSON ("error":"… desc = \"…\"") and capnslog's %q
// (error "…"): a quote after 0, 1, 3, 7 … backslashes is at depth 0, 1, 2, 3 ….
func widen(line string, s, e int) (int, int) {
	spans := quotedSpans(line)
	// The innermost value holding the whole evidence: run to its end.
	inner := -1
	for i, q := range spans {
		if q.contentStart <= s && e <= q.contentEnd && (inner < 0 || q.contentStart > spans[inner].contentStart) {
			inner = i
		}
	}
	if inner >= 0 {
		e = spans[inner].contentEnd
	}
	// Take whole any value cut at either end.
	for changed := true; changed; {
		changed = false
		for _, q := range spans {
			switch {
			case s > q.start && s < q.end && e > q.end:
				s, changed = q.start, true
			case e > q.start && e < q.end && s < q.start:
				e, changed = q.end, true
			}
		}
	}
	return s, e
}

// span is one quoted value: [start, end) with its quotes (and their
// escapes), [contentStart, contentEnd) without.
type span struct{ start, contentStart, contentEnd, end int }

// quotedSpans finds the balanced quoted values of a line; an unbalanced
// quote is ignored.
func quotedSpans(line string) []span {
	type open struct{ depth, start, contentStart int }
	var stack []open
	var out []span
	for i := 0; i < len(line); i++ {
		if line[i] != '"' {
			continue
		}
		bs := 0
		for j := i - 1; j >= 0 && line[j] == '\\'; j-- {
			bs++
		}
		d := quoteDepth(bs)
		switch n := len(stack); {
		case d < 0:
		case n > 0 && stack[n-1].depth == d:
			out = append(out, span{stack[n-1].start, stack[n-1].contentStart, i - bs, i + 1})
			stack = stack[:n-1]
		case d == n:
			stack = append(stack, open{d, i - bs, i + 1})
		}
	}
	return out
}

// quoteDepth maps the number of backslashes before a quote to its nesting
// depth (0, 1, 3, 7 … backslashes), or -1.
func quoteDepth(bs int) int {
	for d, n := 0, 0; n <= bs; d, n = d+1, 2*n+1 {
		if n == bs {
			return d
		}
	}
	return -1
}
