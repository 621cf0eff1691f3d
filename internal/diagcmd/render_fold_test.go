package diagcmd

import (
	"bytes"
	"strings"
	"testing"

	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

// TestRenderFoldsTheSameFinding: the same finding from each endpoint of a
// cluster is shown once, with its endpoints; a finding that differs, or
// has no endpoint, stays on its own, and counts follow what is shown.
func TestRenderFoldsTheSameFinding(t *testing.T) {
	same := diag.Finding{ID: "server-ca-untrusted", Severity: diag.Error, Cause: "not signed by a CA in the bundle", Fix: "use the CA"}
	a, b, c := same, same, same
	a.Endpoint, a.Evidence = "https://m0:2379", []string{"x509: unknown authority"}
	b.Endpoint, b.Evidence = "https://m1:2379", []string{"x509: unknown authority"}
	c.Endpoint, c.Cause = "https://m2:2379", "another cause"
	local := diag.Finding{ID: "client-cert-expiring", Severity: diag.Warning, Cause: "expires", Fix: "renew"}
	var out bytes.Buffer
	render(&out, &diag.Report{Findings: []diag.Finding{a, b, c, local}}, clix.Painter{}, 0)
	text := out.String()
	if n := strings.Count(text, "server-ca-untrusted"); n != 2 {
		t.Fatalf("server-ca-untrusted shown %d times, want 2 (the folded pair, the other cause):\n%s", n, text)
	}
	if !strings.Contains(text, "server-ca-untrusted  https://m0:2379, https://m1:2379\n") || strings.Count(text, "seen:  x509: unknown authority") != 1 {
		t.Fatalf("not folded with both endpoints and one evidence line:\n%s", text)
	}
	if !strings.Contains(text, "2 error(s), 1 warning(s)") {
		t.Fatalf("counts:\n%s", text)
	}
}
