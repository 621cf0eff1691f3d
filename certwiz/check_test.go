package certwiz

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
	"github.com/etcd-ctx/etcd-ctx/internal/nodac"
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

func statusOf(results []CheckResult, name string) CheckResult {
	for _, r := range results {
		if r.Name() == filepath.FromSlash(name) {
			return r
		}
	}
	return CheckResult{}
}

func checkTree(t *testing.T, dir string, warn time.Duration, now time.Time) []CheckResult {
	t.Helper()
	c, err := CheckTree(dir, warn, now)
	if err != nil {
		t.Fatal(err)
	}
	return c.Results
}

// TestCheckTree: a fresh tree passes, even under a 400-day window (a fresh
// certificate is not expiring: expiry is proportional to the lifetime); an
// expired certificate, and one under the window and a third of its
// lifetime, fail it (check exits 1).
func TestCheckTree(t *testing.T) {
	l, _ := writtenPKI(t)
	now := time.Now()
	results := checkTree(t, l.Dir, 30*24*time.Hour, now)
	if Failed(results) || len(results) != 10 {
		t.Fatalf("fresh tree: %+v", results)
	}
	if r := statusOf(results, "clients/root.crt"); r.Key != filepath.FromSlash("clients/root.key") {
		t.Fatalf("key not paired: %+v", r)
	}
	if results := checkTree(t, l.Dir, 400*24*time.Hour, now); Failed(results) {
		t.Fatalf("fresh tree, 400d window: %+v", results)
	}

	issueAt(t, l, "old", now.AddDate(0, 0, -400), 365)
	results = checkTree(t, l.Dir, 30*24*time.Hour, now)
	if r := statusOf(results, "clients/old.crt"); r.Status != StatusExpired || !Failed(results) {
		t.Fatalf("expired cert: %+v", r)
	}
	os.Remove(l.Client("old"))
	os.Remove(KeyPath(l.Client("old")))

	issueAt(t, l, "soon", now.AddDate(0, 0, -350), 365)
	results = checkTree(t, l.Dir, 30*24*time.Hour, now)
	if r := statusOf(results, "clients/soon.crt"); r.Status != StatusExpiring || !Failed(results) {
		t.Fatalf("expiring cert: %+v", r)
	}
	if results := checkTree(t, l.Dir, 7*24*time.Hour, now); Failed(results) {
		t.Fatalf("a cert with 15 days left fails a 7-day window: %+v", statusOf(results, "clients/soon.crt"))
	}
	// A 20-day certificate with 15 days left is not expiring under 30 days.
	os.Remove(l.Client("soon"))
	os.Remove(KeyPath(l.Client("soon")))
	issueAt(t, l, "short", now.AddDate(0, 0, -5), 20)
	if results := checkTree(t, l.Dir, 30*24*time.Hour, now); Failed(results) {
		t.Fatalf("a fresh short-lived cert is expiring: %+v", statusOf(results, "clients/short.crt"))
	}
}

// TestCheckTreeThroughSymlink: a tree given by a symbolic link to its
// directory (/etc/etcd/pki -> /srv/pki) is checked whole, its paths named
// as under the link.
func TestCheckTreeThroughSymlink(t *testing.T) {
	l, _ := writtenPKI(t)
	link := filepath.Join(t.TempDir(), "pki")
	if err := os.Symlink(l.Dir, link); err != nil {
		t.Fatal(err)
	}
	results := checkTree(t, link, 30*24*time.Hour, time.Now())
	if Failed(results) || len(results) != 10 || statusOf(results, "clients/root.crt").Key != filepath.FromSlash("clients/root.key") {
		t.Fatalf("through a link: %+v", results)
	}
}

// TestCheckTreeUnreadableKey: a key the user may not read (etcd's own,
// 0600, met by an operator's account) is a warning on its certificate's
// row, not "unfit" and not a row of its own. As root, it runs
// without the capabilities that read anything (nodac).
func TestCheckTreeUnreadableKey(t *testing.T) {
	if !nodac.Run(t) {
		return
	}
	l, _ := writtenPKI(t)
	key := KeyPath(l.Client("root"))
	if err := os.Chmod(key, 0); err != nil {
		t.Fatal(err)
	}
	check, err := CheckTree(l.Dir, 30*24*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r := statusOf(check.Results, "clients/root.crt")
	if r.Status != StatusWarning || r.Key != filepath.FromSlash("clients/root.key") || len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "root.key not readable (permission denied)") {
		t.Fatalf("unreadable key: %+v", r)
	}
	for _, x := range check.Results {
		if strings.HasSuffix(x.Path, ".key") {
			t.Fatalf("a row for a key: %+v", x)
		}
	}
	if len(check.Skipped) != 0 {
		t.Fatalf("skipped: %+v", check.Skipped)
	}
}

func TestCheckTreeUnfit(t *testing.T) {
	l, k := writtenPKI(t)
	// etcd-0's peer cert re-signed by the client CA: any client cert would then pass as a peer.
	wrong, err := Issue(Request{Role: RolePeer, CommonName: "etcd-0", DNS: []string{"etcd-0"}}, k.Members[0].Peer.Key, k.CA.Cert, k.CA.Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := fileio.Write(l.Peer("etcd-0"), wrong.CertPEM, CertMode); err != nil {
		t.Fatal(err)
	}
	// etcd-1's server key swapped for another.
	other, _ := os.ReadFile(KeyPath(l.Server("etcd-2")))
	if err := fileio.Write(KeyPath(l.Server("etcd-1")), other, KeyMode); err != nil {
		t.Fatal(err)
	}
	results := checkTree(t, l.Dir, 0, time.Now())
	for p, want := range map[string]string{"etcd-0/peer.crt": "peer-ca.crt", "etcd-1/server.crt": "server.key does not match"} {
		if r := statusOf(results, p); r.Status != StatusUnfit || !strings.Contains(strings.Join(r.Problems, ";"), want) {
			t.Errorf("%s: %+v, want unfit naming %q", p, r, want)
		}
	}
	if r := statusOf(results, "etcd-2/server.crt"); r.Status != StatusOK {
		t.Errorf("etcd-2: %+v", r)
	}
}

// TestCheckTreeBundlesAndClutter: every certificate of a bundle is a row;
// an expired CA beside a valid one is a warning naming it, an all-expired
// bundle an error; keys, CSRs, garbage and empty files never crash check.
func TestCheckTreeBundlesAndClutter(t *testing.T) {
	l, k := writtenPKI(t)
	old, err := Issue(Request{Role: RoleCA, CommonName: "old etcd CA", NotBefore: time.Now().AddDate(-5, 0, 0), Days: 365}, k.CA.Key, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(l.Dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("bundle.crt", append(append([]byte{}, k.CA.CertPEM...), old.CertPEM...))
	write("stale.crt", old.CertPEM)
	write("empty.crt", nil)
	write("garbage.pem", []byte("hello\n"))
	write("orphan.key", k.Clients[0].KeyPEM)
	write("req.csr", []byte("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"))
	write("mixed.pem", bytes.Join([][]byte{k.Clients[1].CertPEM, k.Clients[1].KeyPEM}, nil))
	// A certificate that does not parse before one that does (found by FuzzCheckTree: a panic).
	write("bad-first.crt", append([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), k.Members[1].Server.CertPEM...))
	check, err := CheckTree(l.Dir, 30*24*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rs := check.Results
	if r := statusOf(rs, "bundle.crt[2]"); r.Status != StatusWarning || !strings.Contains(strings.Join(r.Problems, ";"), `"CN=old etcd CA"`) ||
		!strings.Contains(strings.Join(r.Problems, ";"), "drop it") {
		t.Errorf("expired CA in a bundle: %+v", r)
	}
	if r := statusOf(rs, "bundle.crt"); r.Status != StatusOK {
		t.Errorf("valid CA of the bundle: %+v", r)
	}
	if r := statusOf(rs, "stale.crt"); r.Status != StatusExpired {
		t.Errorf("all-expired bundle: %+v", r)
	}
	for _, p := range []string{"empty.crt", "garbage.pem"} {
		if r := statusOf(rs, p); r.Status != StatusInvalid {
			t.Errorf("%s: %+v", p, r)
		}
	}
	if r := statusOf(rs, "mixed.pem"); r.Status != StatusOK || r.Key != "mixed.pem" {
		t.Errorf("certificate with its key in one file: %+v", r)
	}
	if r := statusOf(rs, "bad-first.crt"); r.Status != StatusInvalid {
		t.Errorf("bad-first.crt[1]: %+v", r)
	}
	if r := statusOf(rs, "bad-first.crt[2]"); r.Status != StatusOK || r.Subject != "etcd-1" {
		t.Errorf("bad-first.crt[2]: %+v", r)
	}
	skipped := describeSkipped(check.Skipped)
	for _, want := range []string{"orphan.key: a private key no certificate", "req.csr: a certificate request"} {
		if !strings.Contains(skipped, want) {
			t.Errorf("skipped %q lacks %q", skipped, want)
		}
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
