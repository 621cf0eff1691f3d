package diag

import (
	"sort"
	"strings"
)

// Severity ranks findings: errors break access, warnings will (or hide a
// risk), info is context worth knowing.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

// Finding is one named problem: a stable id for scripts, where it was seen,
// what was seen, the cause in a sentence, and the fix as commands or flags.
type Finding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Endpoint string   `json:"endpoint,omitempty"`
	Cause    string   `json:"cause"`
	Fix      string   `json:"fix"`
	Evidence []string `json:"evidence,omitempty"`
}

// IDs is the contract for scripts: every id etcd-diag may report, with the
// situation it names. The README lists them; tests check they stay stable.
var IDs = []struct{ ID, Situation string }{
	{"endpoint-invalid", "an endpoint is not a valid URL (scheme://host:port)"},
	{"dns-unresolvable", "the endpoint's host name does not resolve"},
	{"connection-refused", "nothing listens there"},
	{"connection-failed", "the TCP connection failed otherwise (no route, network unreachable)"},
	{"timeout", "no answer (filtered port, or a peer that never finishes the handshake)"},
	{"server-not-tls", "https:// (or a CA given) but the server speaks plaintext"},
	{"server-requires-tls", "http:// but the server speaks TLS"},
	{"server-ca-untrusted", "server cert not signed by the CA bundle in use"},
	{"server-san-mismatch", "dialled name/IP not in the server cert's SANs"},
	{"server-cert-expired", "server cert expired or not yet valid"},
	{"server-cert-expiring", "server cert expires within the warning window"},
	{"client-cert-required", "the server wants a client cert and none was given"},
	{"client-ca-untrusted", "client cert from a CA the server does not accept"},
	{"client-cert-no-clientauth", "client cert lacks the clientAuth usage"},
	{"client-cert-expired", "client cert expired or not yet valid"},
	{"client-cert-expiring", "client cert expires within the warning window"},
	{"client-cert-invalid", "client cert or key unreadable, unparsable, encrypted or mismatched"},
	{"ca-invalid", "the CA bundle is unreadable, unparsable or expired"},
	{"tls-handshake-failed", "the TLS handshake failed for another reason (the alert is shown)"},
	{"grpc-unreachable", "TLS works but etcd's gRPC service does not answer"},
	{"auth-credentials-missing", "auth is on and no user, token or usable cert CN was given"},
	{"auth-bad-credentials", "wrong user or password"},
	{"auth-token-invalid", "token rejected (expired, other cluster, stale auth revision)"},
	{"auth-disabled", "auth is off: anyone who reaches the port may read and write everything"},
	{"permission-denied", "the identity may not do this on the key (with the RBAC explanation)"},
	{"no-leader", "a member reports no leader"},
	{"alarm-active", "NOSPACE, CORRUPT or another alarm"},
	{"member-unreachable", "listed in the member list but not reachable with these settings"},
	{"cluster-id-mismatch", "the endpoints belong to different clusters"},
	{"version-skew", "members run different versions"},
	{"db-size-near-quota", "the database is close to its space quota"},
	{"etcd-error", "etcd answered with an error not covered above"},
}

// Report is the result of a diagnosis.
type Report struct {
	Healthy   bool         `json:"healthy"`
	Context   string       `json:"context,omitempty"`
	Local     []Check      `json:"local"`
	Endpoints []*Endpoint  `json:"endpoints"`
	Cluster   *ClusterView `json:"cluster,omitempty"`
	Findings  []Finding    `json:"findings"`
	Elapsed   JSONDuration `json:"elapsedMs"`
}

// Check is one rung or local check that passed or failed, for the checklist.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// add records a finding.
func (r *Report) add(f Finding) { r.Findings = append(r.Findings, f) }

// finish sorts findings (errors first, then by endpoint) and decides health:
// healthy means no error and no warning.
func (r *Report) finish() {
	rank := map[Severity]int{Error: 0, Warning: 1, Info: 2}
	sort.SliceStable(r.Findings, func(i, j int) bool {
		a, b := r.Findings[i], r.Findings[j]
		if rank[a.Severity] != rank[b.Severity] {
			return rank[a.Severity] < rank[b.Severity]
		}
		return a.Endpoint < b.Endpoint
	})
	r.Healthy = true
	for _, f := range r.Findings {
		if f.Severity != Info {
			r.Healthy = false
		}
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
}

// JSONDuration is a duration shown in milliseconds.
type JSONDuration float64

func ms(d interface{ Seconds() float64 }) JSONDuration {
	return JSONDuration(float64(int64(d.Seconds()*1e5)) / 100)
}

func list(items []string) string {
	if len(items) == 0 {
		return "(none)"
	}
	return strings.Join(items, ", ")
}
