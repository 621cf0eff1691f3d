package diag

import (
	"sort"

	"github.com/etcd-ctx/etcd-ctx/internal/words"
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

	local  bool // found by the local checks, before any network
	server bool // about a certificate the member sent: never a repeat of a local finding
}

// IDs is the contract for scripts: every id etcd-diag may report, with the
// situation it names. The README lists them; tests check they stay stable.
var IDs = []struct{ ID, Situation string }{
	{"endpoint-invalid", "an endpoint is not a valid URL (scheme://host:port)"},
	{"dns-unresolvable", "the endpoint's host name does not resolve"},
	{"connection-refused", "nothing listens there"},
	{"connection-failed", "the TCP connection failed otherwise (no route, network unreachable)"},
	{"timeout", "no answer (filtered port, or a peer that never finishes the handshake)"},
	{"proxy-in-path", "HTTPS_PROXY applies to the member (NO_PROXY does not cover it): gRPC clients go through the proxy, which is down or refuses (error) or tunnels (info)"},
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
	{"ca-invalid", "a CA is unusable: the bundle is unreadable or all its CAs expired, or a CA on the chain is expired, not a CA, lacks keyCertSign or has its path length exceeded"},
	{"ca-expired-in-bundle", "the CA bundle also holds an expired CA; harmless while another is valid: drop it"},
	{"ca-bundle-holds-leaf", "the CA bundle holds a certificate that is not a CA (a client or server certificate given as the CA): it verifies only a server presenting that very certificate"},
	{"chain-incomplete", "an intermediate CA is missing from the certificate file presented (the member's --cert-file, or --cert)"},
	{"ca-eku-restricted", "a CA on the chain restricts extended key usage, so Go (and so etcd) refuse every certificate under it for that usage"},
	{"ca-key-mismatch", "a CA of the right name but another key (regenerated): the certificate was signed by a different one"},
	{"server-key-id-mismatch", "the server's chain names an issuer's key id (AuthorityKeyId) that the issuer does not carry (SubjectKeyId): Go clients accept it, OpenSSL-based clients (curl, Python, gRPC's C core) and Java refuse it"},
	{"cert-unsupported", "a certificate or key uses a curve, key type or signature Go (and so etcd) refuses (secp256k1, RSA < 1024, SHA-1, MD5); RSA < 2048 warns"},
	{"tls-negotiation-failed", "client and member share no TLS version or cipher suite (--cipher-suites, --tls-min-version, --tls-max-version; suites for another key type than the certificate's)"},
	{"tls-handshake-failed", "the TLS handshake failed for another reason (the alert is shown)"},
	{"grpc-unreachable", "TLS works but etcd's gRPC service does not answer"},
	{"auth-credentials-missing", "auth is on and no user, token or usable cert CN was given"},
	{"auth-bad-credentials", "wrong user or password"},
	{"auth-token-invalid", "token refused: expired (with the time), minted before an auth change, or signed by another key or cluster, as the claims and the members' answers tell"},
	{"jwt-keys-differ", "some members accept the token and others refuse it: they verify JWTs with different keys"},
	{"auth-disabled", "auth is off: anyone who reaches the port may read and write everything (a warning when credentials were given: they are unused)"},
	{"root-role-required", "with --admin: the identity lacks the root role that admin calls (defrag, snapshot, member operations) need"},
	{"permission-denied", "the identity may not do this on the key (with the RBAC explanation)"},
	{"no-leader", "a member reports no leader"},
	{"quorum-lost", "no member can commit: fewer than a majority of the voting members run (or they cannot reach each other), though some still answer status and serializable reads"},
	{"alarm-active", "NOSPACE, CORRUPT or another alarm"},
	{"member-unreachable", "listed in the member list but not reachable with these settings (the reason seen at its URL)"},
	{"endpoint-is-peer-url", "an endpoint is a member's peer URL, not its client URL (from a member list; or, with separate client and peer CAs, likely so when the port serves a serverAuth+clientAuth certificate from the CA it takes for clients, on port 2380 or from a CA named as a peer CA)"},
	{"peer-cert-expiring", "a member's peer certificate expires within the warning window and its last third"},
	// The live diagnosis also reports auth-user-not-found, peer-san-mismatch,
	// peer-cert-no-clientauth, peer-cert-no-serverauth, peer-cert-expired and
	// server-cert-no-clientauth, registered with explain's below.
	{"peer-port-unreachable", "peer URLs cannot be reached from here, so peer certificates were not checked (information)"},
	{"cluster-id-mismatch", "the endpoints belong to different clusters"},
	{"version-skew", "members run different versions"},
	{"db-size-near-quota", "the database is close to its space quota"},
	{"etcd-error", "etcd answered with an error not covered above"},

	// Found by explain (diag/explain_catalog.go, explain_tls.go); the README
	// lists them by family.
	{"server-cert-no-serverauth", "server cert lacks the serverAuth usage"},
	{"server-cert-no-clientauth", "the member's own server cert lacks clientAuth, which it needs to dial itself"},
	{"server-cert-invalid", "the member cannot load its own certificate or key"},
	{"cert-signature-insecure", "a certificate is signed with SHA-1 or MD5, which Go refuses"},
	{"peer-cert-expired", "a member's peer cert expired or not yet valid"},
	{"peer-ca-untrusted", "a member's peer cert not signed by the other's --peer-trusted-ca-file"},
	{"peer-cert-no-clientauth", "a member's peer cert lacks clientAuth"},
	{"peer-cert-no-serverauth", "a member's peer cert lacks serverAuth"},
	{"peer-san-mismatch", "a member's peer cert lacks the IP or name it is reached at or connects from"},
	{"peer-cert-required", "a member requires a peer cert and none was sent"},
	{"peer-cert-rejected", "a peer refused this member's peer cert"},
	{"peer-tls-mismatch", "members disagree on https vs http for peer URLs"},
	{"peer-unreachable", "a member cannot reach a peer's peer URL"},
	{"etcdctl-env-conflict", "a setting given both as ETCDCTL_* variable and as a flag"},
	{"endpoint-unhealthy", "etcdctl endpoint health found an endpoint unhealthy"},
	{"auth-root-user-missing", "auth enable without a root user"},
	{"auth-root-role-missing", "auth enable while root lacks the root role"},
	{"auth-user-not-found", "the named user, or the certificate CN or token user, is not an etcd user"},
	{"auth-user-exists", "the user already exists"},
	{"auth-role-not-found", "the role does not exist"},
	{"auth-role-exists", "the role already exists"},
	{"auth-role-empty", "no role name given"},
	{"auth-role-not-granted", "revoking a role the user does not hold"},
	{"auth-permission-not-granted", "revoking a permission the role does not hold"},
	{"auth-permission-not-given", "a grant without a permission"},
	{"auth-mgmt-invalid", "the change would lock root out (delete root, revoke its root role)"},
	{"request-too-large", "request above --max-request-bytes (1.5 MiB by default)"},
	{"txn-too-many-ops", "transaction above --max-txn-ops (128 by default)"},
	{"txn-duplicate-key", "a transaction writes one key twice"},
	{"too-many-requests", "the member is overloaded (applied index lags committed)"},
	{"lease-ttl-too-large", "lease TTL above etcd's maximum"},
	{"request-key-empty", "no key given"},
	{"request-key-not-found", "--ignore-value/--ignore-lease on a key that does not exist"},
	{"request-value-provided", "a value given with --ignore-value"},
	{"request-lease-provided", "a lease given with --ignore-lease"},
	{"request-sort-invalid", "invalid sort order or target"},
	{"client-api-version-invalid", "the client's API version header is not valid"},
	{"lease-not-found", "the lease does not exist (expired, revoked, wrong ID)"},
	{"lease-exists", "the lease ID is taken"},
	{"revision-compacted", "the revision asked for was compacted away"},
	{"revision-future", "the revision asked for is not there yet"},
	{"not-leader", "the request must go to the leader"},
	{"leader-changed", "the leader changed during the request"},
	{"request-timeout", "the member could not commit the request in time"},
	{"cluster-unhealthy", "a membership change would break the active quorum"},
	{"member-not-enough-started", "a membership change would leave too few started members"},
	{"member-not-found", "no member has that ID"},
	{"member-exists", "a member with that ID exists"},
	{"member-peer-url-exists", "another member has that peer URL"},
	{"member-urls-invalid", "the peer URLs given are invalid"},
	{"member-not-learner", "promoting a member that is not a learner"},
	{"learner-not-ready", "the learner has not caught up with the leader"},
	{"learner-too-many", "the cluster has as many learners as it allows"},
	{"learner-rpc-unsupported", "a learner got a request only voting members serve"},
	{"leader-transferee-bad", "move-leader to a member that cannot lead"},
	{"listen-address-unavailable", "a member cannot listen: an IP in its listen URLs is not on the host"},
	{"listen-address-in-use", "a member cannot listen: another process has its client or peer port"},
	{"initial-cluster-invalid", "a member's --name, --initial-advertise-peer-urls and --initial-cluster disagree"},
	{"initial-cluster-mismatch", "a member joining with --initial-cluster-state existing lists other members or URLs than the cluster has (no member add first)"},
	{"member-data-lost", "a member the cluster knows started with an empty or older data directory (already bootstrapped; tocommit out of range)"},
	{"member-removed", "a removed member still runs with its old data directory"},
	{"peer-unknown", "a member got raft messages from a member not in its member list"},
	{"data-dir-locked", "another process holds the lock of a member's database: two etcd on one data directory, or etcdutl on a running member's"},
	{"data-dir-access-denied", "a member may not read or write its data directory"},
	{"disk-slow", "a member's disk is too slow: slow fdatasync, or a leader's late heartbeats"},
	{"request-slow", "a member applied a request slowly, or waited long for a ReadIndex"},
	{"not-capable", "the cluster version does not enable this API yet"},
	{"api-unsupported", "the member's etcd version lacks the API the client called"},
	{"server-stopped", "the member is shutting down"},
	{"downgrade-target-invalid", "the downgrade target version is invalid"},
	{"downgrade-cluster-version-unknown", "the cluster version is not settled for a downgrade"},
	{"downgrade-in-progress", "a downgrade is already under way"},
	{"downgrade-not-in-progress", "no downgrade to cancel"},
	{"request-canceled", "the request was canceled (the client went away)"},
	{"watch-canceled", "the watch was canceled"},
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
	// Error says why the diagnosis could not run at all (a context that
	// could not be loaded, in a run over many contexts); empty otherwise.
	Error string `json:"error,omitempty"`

	certs []Certificate // the certificate inventory (Certificates)
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

func list(items []string) string { return words.List(items) }
