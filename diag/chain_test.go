package diag

import (
	"strings"
	"testing"

	"github.com/etcd-ctx/etcd-ctx/pki"
)

// TestChainFindingIDs: each kind of broken link has its finding id.
func TestChainFindingIDs(t *testing.T) {
	want := map[pki.Kind]string{
		pki.KindMissingIntermediate: "chain-incomplete", pki.KindEKURestricted: "ca-eku-restricted",
		pki.KindKeyMismatch: "ca-key-mismatch", pki.KindCAExpired: "ca-invalid", pki.KindNotCA: "ca-invalid",
		pki.KindNoCertSign: "ca-invalid", pki.KindPathLength: "ca-invalid", pki.KindWeakSignature: "cert-unsupported",
		pki.KindUnsupportedKey: "cert-unsupported", pki.KindOther: "tls-handshake-failed",
	}
	ids := map[string]bool{}
	for _, id := range IDs {
		ids[id.ID] = true
	}
	for kind, id := range want {
		f := chainFinding(&Input{}, &pki.Break{Kind: kind, Cause: "c", Fix: "f"}, "")
		if f.ID != id || f.Severity != Error || f.Cause != "c" || f.Fix != "f" {
			t.Errorf("%s: %+v, want id %s", kind, f, id)
		}
		if !ids[id] {
			t.Errorf("%s is not in IDs", id)
		}
	}
}

// TestDedupeConfirms: a local warning that a server confirms as an error
// becomes one error, with the server's view as evidence; other endpoint
// findings stay, and a finding about the whole cluster (no endpoint, not
// local) absorbs none.
func TestDedupeConfirms(t *testing.T) {
	r := &Report{Findings: []Finding{
		{ID: "ca-key-mismatch", Severity: Warning, Cause: "local view", local: true},
		{ID: "ca-key-mismatch", Severity: Error, Endpoint: "https://a:2379", Cause: "server view"},
		{ID: "timeout", Severity: Error, Endpoint: "https://b:2379", Cause: "slow"},
		{ID: "etcd-error", Severity: Warning, Cause: "cannot read the member list"},
		{ID: "etcd-error", Severity: Error, Endpoint: "https://b:2379", Cause: "an endpoint's own error"},
	}}
	dedupe(r)
	if len(r.Findings) != 4 || r.Findings[0].Severity != Error || r.Findings[0].Endpoint != "" ||
		!strings.Contains(strings.Join(r.Findings[0].Evidence, " "), "confirmed by https://a:2379: server view") || r.Findings[1].ID != "timeout" ||
		r.Findings[2].Severity != Warning || r.Findings[3].Endpoint != "https://b:2379" {
		t.Fatalf("%+v", r.Findings)
	}
}

// TestDedupeFoldsExplainedRefusal: when the local check of the client
// certificate failed, a server's generic refusal of that certificate
// ("bad certificate") is the local finding's confirmation, not a second
// error; a generic failure without a certificate alert, or with the local
// check passed, stays.
func TestDedupeFoldsExplainedRefusal(t *testing.T) {
	refusal := Finding{ID: "tls-handshake-failed", Severity: Error, Endpoint: "https://a:2379", Cause: "\"CN=app\" is expired",
		Evidence: []string{"server alert: bad certificate"}}
	other := Finding{ID: "tls-handshake-failed", Severity: Error, Endpoint: "https://b:2379", Cause: "alert",
		Evidence: []string{"server alert: protocol version"}}
	r := &Report{Local: []Check{{Name: "client certificate", OK: false}}, Findings: []Finding{
		{ID: "client-cert-expired", Severity: Error, Cause: "expired", local: true}, refusal, other,
	}}
	dedupe(r)
	if len(r.Findings) != 2 || r.Findings[0].ID != "client-cert-expired" || r.Findings[1].Endpoint != "https://b:2379" ||
		!strings.Contains(strings.Join(r.Findings[0].Evidence, " "), "refused by https://a:2379 too (server alert: bad certificate)") {
		t.Fatalf("%+v", r.Findings)
	}
	r = &Report{Local: []Check{{Name: "client certificate", OK: true}}, Findings: []Finding{
		{ID: "client-cert-expiring", Severity: Warning, Cause: "soon", local: true}, refusal,
	}}
	dedupe(r)
	if len(r.Findings) != 2 {
		t.Fatalf("a refusal the local check does not explain was dropped: %+v", r.Findings)
	}
}

// TestClusterWideOnce: the same auth finding from several endpoints is one
// finding about the cluster naming them; a member that says otherwise, a
// finding seen once, and per-member ids stay per endpoint.
func TestClusterWideOnce(t *testing.T) {
	denied := func(ep, cause string) Finding {
		return Finding{ID: "permission-denied", Severity: Error, Endpoint: ep, Cause: cause, Fix: "grant", Evidence: []string{"roles: r"}}
	}
	out := clusterWide([]Finding{
		denied("https://c:2379", "alice may not read /x"), denied("https://a:2379", "alice may not read /x"),
		{ID: "timeout", Severity: Error, Endpoint: "https://d:2379", Cause: "slow"},
		denied("https://b:2379", "alice may not read /x"), denied("https://e:2379", "other cause"),
		{ID: "timeout", Severity: Error, Endpoint: "https://f:2379", Cause: "slow"},
	})
	if len(out) != 4 {
		t.Fatalf("%d findings: %+v", len(out), out)
	}
	if f := out[0]; f.Endpoint != "" || f.ID != "permission-denied" || len(f.Evidence) != 2 ||
		f.Evidence[0] != "the same at endpoints: https://a:2379, https://b:2379, https://c:2379" || f.Evidence[1] != "roles: r" {
		t.Errorf("merged: %+v", f)
	}
	if out[1].Endpoint != "https://d:2379" || out[2].Endpoint != "https://e:2379" || out[3].Endpoint != "https://f:2379" {
		t.Errorf("kept: %+v", out[1:])
	}
}
