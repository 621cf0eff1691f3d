package certwiz

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// issueAt writes a client certificate valid from notBefore for days into dir/clients.
func issueAt(t *testing.T, l Layout, name string, notBefore time.Time, days int) {
	t.Helper()
	ca, err := LoadCA(l.CA())
	if err != nil {
		t.Fatal(err)
	}
	key, err := GenerateKey(ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	it, err := Issue(Request{Role: RoleClient, CommonName: name, NotBefore: notBefore, Days: days}, key, ca.Cert, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteFiles(PairFiles(l.Client(name), it), false); err != nil {
		t.Fatal(err)
	}
}

func statusOf(results []CheckResult, path string) CheckResult {
	for _, r := range results {
		if r.Path == path {
			return r
		}
	}
	return CheckResult{}
}

// TestCheckTree: a fresh tree passes; an expired and an expiring certificate
// fail it (check exits 1), as do a peer cert signed by the client CA and a
// key that does not match.
func TestCheckTree(t *testing.T) {
	l, _ := writtenPKI(t)
	now := time.Now()
	results, err := CheckTree(l.Dir, 30*24*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if Failed(results) || len(results) != 10 {
		t.Fatalf("fresh tree: %+v", results)
	}
	// A 400-day window flags every 365-day leaf as expiring, but not the CAs.
	results, _ = CheckTree(l.Dir, 400*24*time.Hour, now)
	if !Failed(results) || statusOf(results, "ca.crt").Status != StatusOK || statusOf(results, "clients/root.crt").Status != StatusExpiring {
		t.Fatalf("400d window: %+v", results)
	}

	issueAt(t, l, "old", now.AddDate(0, 0, -400), 365)
	results, _ = CheckTree(l.Dir, 30*24*time.Hour, now)
	if r := statusOf(results, "clients/old.crt"); r.Status != StatusExpired || !Failed(results) {
		t.Fatalf("expired cert: %+v", r)
	}
	os.Remove(l.Client("old"))
	os.Remove(KeyPath(l.Client("old")))

	issueAt(t, l, "soon", now.AddDate(0, 0, -350), 365)
	results, _ = CheckTree(l.Dir, 30*24*time.Hour, now)
	if r := statusOf(results, "clients/soon.crt"); r.Status != StatusExpiring || !Failed(results) {
		t.Fatalf("expiring cert: %+v", r)
	}
	results, _ = CheckTree(l.Dir, 7*24*time.Hour, now)
	if Failed(results) {
		t.Fatalf("a cert with 15 days left fails a 7-day window: %+v", statusOf(results, "clients/soon.crt"))
	}
}

func TestCheckTreeUnfit(t *testing.T) {
	l, k := writtenPKI(t)
	// etcd-0's peer cert re-signed by the client CA: any client cert would then pass as a peer.
	wrong, err := Issue(Request{Role: RolePeer, CommonName: "etcd-0", DNS: []string{"etcd-0"}}, k.Members[0].Peer.Key, k.CA.Cert, k.CA.Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(l.Peer("etcd-0"), wrong.CertPEM, CertMode); err != nil {
		t.Fatal(err)
	}
	// etcd-1's server key swapped for another.
	other, _ := os.ReadFile(KeyPath(l.Server("etcd-2")))
	if err := WriteFile(KeyPath(l.Server("etcd-1")), other, KeyMode); err != nil {
		t.Fatal(err)
	}
	results, _ := CheckTree(l.Dir, 0, time.Now())
	for _, p := range []string{filepath.Join("etcd-0", "peer.crt"), filepath.Join("etcd-1", "server.crt")} {
		if r := statusOf(results, p); r.Status != StatusUnfit {
			t.Errorf("%s: %+v, want unfit", p, r)
		}
	}
	if r := statusOf(results, "etcd-2/server.crt"); r.Status != StatusOK {
		t.Errorf("etcd-2: %+v", r)
	}
}

func TestParseDays(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 720 * time.Hour, "0d": 0, "36h": 36 * time.Hour} {
		if got, err := ParseDays(in); err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"d", "3x", "1.5d"} {
		if _, err := ParseDays(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
