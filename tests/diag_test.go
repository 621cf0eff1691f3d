package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/pki"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// diagReport runs etcd-diag -o json and decodes the report.
func diagReport(t *testing.T, u *user, stdin string, args ...string) (*diag.Report, int, string) {
	t.Helper()
	out, errs, code := u.run(stdin, append([]string{"etcd-diag", "-o", "json", "--timeout", "10s"}, args...)...)
	var r diag.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("etcd-diag %v: exit %d, not JSON: %v\nstdout: %s\nstderr: %s", args, code, err, out, errs)
	}
	return &r, code, out
}

func findingIDs(r *diag.Report) []string {
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.ID)
	}
	return ids
}

// expectFinding asserts exit 1 and a finding with the id whose fix mentions fixText.
func expectFinding(t *testing.T, r *diag.Report, code int, id, fixText string) diag.Finding {
	t.Helper()
	if code != 1 || r.Healthy {
		t.Errorf("exit %d healthy=%v, want 1 and unhealthy", code, r.Healthy)
	}
	for _, f := range r.Findings {
		if f.ID == id {
			if !strings.Contains(f.Fix, fixText) {
				t.Errorf("%s: fix %q does not mention %q", id, f.Fix, fixText)
			}
			return f
		}
	}
	t.Fatalf("no %s finding; got %v", id, findingIDs(r))
	return diag.Finding{}
}

// caOf loads the harness CA to issue broken certificates from it.
func caOf(t *testing.T, c *harness.Cluster) *certwiz.Issued {
	t.Helper()
	certs, err := pki.ParseCerts(mustRead(t, c.PKI.CA))
	if err != nil {
		t.Fatal(err)
	}
	key, err := pki.ParseKey(mustRead(t, c.PKI.CAKey))
	if err != nil {
		t.Fatal(err)
	}
	return &certwiz.Issued{Cert: certs[0], Key: key}
}

// issueFiles writes a leaf signed by ca and returns its cert and key paths.
func issueFiles(t *testing.T, ca *certwiz.Issued, req certwiz.Request) (string, string) {
	t.Helper()
	leaf, err := certwiz.NewLeaf(req, certwiz.ECDSAP256, ca)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	crt, key := filepath.Join(dir, "c.crt"), filepath.Join(dir, "c.key")
	os.WriteFile(crt, leaf.CertPEM, 0o600)
	os.WriteFile(key, leaf.KeyPEM, 0o600)
	return crt, key
}

// rotateServerCert replaces member 0's server certificate in place (same
// key): etcd reads its cert files on each handshake, as in a botched rotation.
func rotateServerCert(t *testing.T, c *harness.Cluster, req certwiz.Request) {
	t.Helper()
	ca := caOf(t, c)
	key, err := pki.ParseKey(mustRead(t, c.PKI.Members[0].ServerKey))
	if err != nil {
		t.Fatal(err)
	}
	req.Role, req.CommonName = certwiz.RoleServer, "m0"
	leaf, err := certwiz.Issue(req, key, ca.Cert, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.PKI.Members[0].ServerCert, leaf.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDiagCluster covers the cluster findings on a real 3-member cluster:
// a stopped member (the cluster keeps its quorum, one more loss stops it),
// then a lost quorum. The member that stays is the leader: until its
// check-quorum steps it down it still calls itself the leader, then it
// reports none; either way its linearizable reads time out, which is what
// quorum-lost rests on (audit_quorum_*.txtar covers a follower that still
// names a dead leader, on etcd 3.4 to 3.7).
func TestDiagCluster(t *testing.T) {
	u := newUser(t, false)
	c := startCluster(t, harness.Cluster3)
	p := c.PKI
	creds := []string{"--cacert", p.CA, "--cert", p.RootCert, "--key", p.RootKey}

	r, code, _ := diagReport(t, u, "", append([]string{"--endpoints", strings.Join(c.Endpoints, ",")}, creds...)...)
	if code != 0 || len(r.Cluster.Members) != 3 || r.Cluster.Leader == "" {
		t.Fatalf("healthy 3-member cluster: exit %d %v %+v", code, findingIDs(r), r.Cluster)
	}
	leader := -1
	for _, ep := range r.Endpoints {
		if ep.Status != nil && ep.Status.IsLeader {
			leader = slices.Index(c.Endpoints, ep.URL)
		}
	}
	if leader < 0 {
		t.Fatalf("no endpoint says it is the leader: %+v", r.Endpoints)
	}
	var others []int
	for i := range c.Endpoints {
		if i != leader {
			others = append(others, i)
		}
	}

	c.Stop(others[0])
	r, code, _ = diagReport(t, u, "", append([]string{"--endpoints", c.Endpoints[leader]}, creds...)...)
	f := expectFinding(t, r, code, "member-unreachable", "etcdctl member remove")
	if f.Endpoint != c.Endpoints[others[0]] || !strings.Contains(f.Cause, "nothing listens on "+strings.TrimPrefix(c.Endpoints[others[0]], "https://")) ||
		!strings.Contains(f.Cause, "keeps its quorum (2 of 3 voting members answer, 2 needed): one more member down") {
		t.Errorf("member-unreachable names %q (%s), want %s, the reason and the quorum left", f.Endpoint, f.Cause, c.Endpoints[others[0]])
	}

	c.Stop(others[1])
	r, code, _ = diagReport(t, u, "", append([]string{"--endpoints", c.Endpoints[leader], "--timeout", "3s"}, creds...)...)
	f = expectFinding(t, r, code, "quorum-lost", "--force-new-cluster")
	if !strings.Contains(f.Cause, "only 1 of its 3 voting members answer, and 2 are needed") || !strings.Contains(f.Fix, "member remove cannot help") {
		t.Errorf("quorum-lost: %+v", f)
	}
	for _, g := range r.Findings {
		if g.ID == "member-unreachable" && strings.Contains(g.Fix, "remove it as root") {
			t.Errorf("a member remove proposed while the quorum is lost: %+v", g)
		}
		if g.ID == "no-leader" || g.ID == "timeout" || g.ID == "etcd-error" {
			t.Errorf("%s beside quorum-lost: %+v", g.ID, g)
		}
	}
}

// TestREADMEListsEveryFindingID keeps the documented contract complete.
func TestREADMEListsEveryFindingID(t *testing.T) {
	readme := string(mustRead(t, filepath.Join("..", "README.md")))
	for _, id := range diag.IDs {
		if !strings.Contains(readme, "| `"+id.ID+"` |") {
			t.Errorf("README does not list finding id %s", id.ID)
		}
	}
}
