package certwiz

import (
	"crypto/x509"
	"path/filepath"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/pki"
)

// testPlan is a completed plan of a 3-member cluster with two clients.
func testPlan(t testing.TB, out string) *Plan {
	t.Helper()
	p := &Plan{Cluster: "test", Out: out, Clients: []Client{{Name: "root"}, {Name: "app", CN: "app-user", Org: StringList{"ops"}}}}
	for i, ip := range []string{"10.0.1.10", "10.0.1.11", "10.0.1.12"} {
		p.Members = append(p.Members, Member{Name: "etcd-" + string(rune('0'+i)), IPs: []string{ip}})
	}
	if err := p.Complete(); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustGenerate(t testing.TB, p *Plan) *PKI {
	t.Helper()
	k, err := Generate(p)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// writtenPKI writes a test PKI into a temp dir and returns its layout.
func writtenPKI(t *testing.T) (Layout, *PKI) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pki")
	k := mustGenerate(t, testPlan(t, dir))
	if _, err := k.Write(false); err != nil {
		t.Fatal(err)
	}
	return Layout{Dir: dir}, k
}

func pool(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

// verifyRole checks that cert chains to ca for every usage of role.
func verifyRole(cert *x509.Certificate, role Role, ca *x509.Certificate, now time.Time) error {
	_, brk := pki.Verify(pki.ChainInput{Leaf: pki.Located{Cert: cert}, Roots: []pki.Located{{Cert: ca}}, Role: role, Now: now})
	if brk != nil {
		return brk
	}
	return nil
}
