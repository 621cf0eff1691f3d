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
