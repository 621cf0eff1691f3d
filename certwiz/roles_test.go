package certwiz

import (
	"crypto/x509"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/etcd-ctx/etcd-ctx/pki"
)

// TestRolesVerifyForTheirUsage: each role's certificate verifies with
// x509.Verify for its intended usage against its CA, and fails for the wrong
// usage or the wrong CA.
func TestRolesVerifyForTheirUsage(t *testing.T) {
	k := mustGenerate(t, testPlan(t, t.TempDir()))
	m := k.Members[0]
	serverAuth := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	clientAuth := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	cases := []struct {
		name   string
		cert   *x509.Certificate
		roots  *x509.CertPool
		host   string
		usages []x509.ExtKeyUsage
		ok     bool
	}{
		{"server as server", m.Server.Cert, pool(k.CA.Cert), "10.0.1.10", serverAuth, true},
		{"server via localhost", m.Server.Cert, pool(k.CA.Cert), "localhost", serverAuth, true},
		{"server as client (gateway)", m.Server.Cert, pool(k.CA.Cert), "", clientAuth, true},
		{"server for another member's IP", m.Server.Cert, pool(k.CA.Cert), "10.0.1.11", serverAuth, false},
		{"peer as server", m.Peer.Cert, pool(k.PeerCA.Cert), "10.0.1.10", serverAuth, true},
		{"peer as client", m.Peer.Cert, pool(k.PeerCA.Cert), "", clientAuth, true},
		{"peer against the client CA", m.Peer.Cert, pool(k.CA.Cert), "", clientAuth, false},
		{"client as client", k.Clients[0].Cert, pool(k.CA.Cert), "", clientAuth, true},
		{"client as server", k.Clients[0].Cert, pool(k.CA.Cert), "", serverAuth, false},
		{"client against the peer CA", k.Clients[0].Cert, pool(k.PeerCA.Cert), "", clientAuth, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.cert.Verify(x509.VerifyOptions{Roots: tc.roots, DNSName: tc.host, KeyUsages: tc.usages})
			if (err == nil) != tc.ok {
				t.Fatalf("verify: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// TestRolePresets: CA, server, peer and client carry the extensions etcd needs.
func TestRolePresets(t *testing.T) {
	k := mustGenerate(t, testPlan(t, t.TempDir()))
	ca := k.CA.Cert
	if !ca.IsCA || !ca.MaxPathLenZero || ca.MaxPathLen != 0 || ca.KeyUsage&x509.KeyUsageCertSign == 0 || ca.KeyUsage&x509.KeyUsageCRLSign == 0 {
		t.Fatalf("CA preset wrong: IsCA=%v pathlen=%d/%v usage=%v", ca.IsCA, ca.MaxPathLen, ca.MaxPathLenZero, ca.KeyUsage)
	}
	if ca.NotAfter.Sub(ca.NotBefore).Hours()/24 != DefaultCADays {
		t.Fatalf("CA validity %v", ca.NotAfter.Sub(ca.NotBefore))
	}
	for _, it := range []*Issued{k.CA, k.PeerCA, k.Members[0].Server, k.Members[0].Peer, k.Clients[0].Issued} {
		c := it.Cert
		if c.SerialNumber.BitLen() < 64 || c.SerialNumber.BitLen() > 128 {
			t.Errorf("%s: serial of %d bits", c.Subject, c.SerialNumber.BitLen())
		}
		if len(c.SubjectKeyId) == 0 || (!c.IsCA && !slices.Equal(c.AuthorityKeyId, k.CA.Cert.SubjectKeyId) && !slices.Equal(c.AuthorityKeyId, k.PeerCA.Cert.SubjectKeyId)) {
			t.Errorf("%s: SKI/AKI missing", c.Subject)
		}
	}
	srv := k.Members[0].Server.Cert
	if !slices.Equal(pki.ExtKeyUsageNames(srv), []string{"serverAuth", "clientAuth"}) || srv.NotAfter.Sub(srv.NotBefore).Hours()/24 != DefaultLeafDays {
		t.Fatalf("server EKUs %v validity %v", pki.ExtKeyUsageNames(srv), srv.NotAfter.Sub(srv.NotBefore))
	}
	for _, want := range []string{"localhost", "etcd-0"} {
		if !slices.Contains(srv.DNSNames, want) {
			t.Errorf("server SANs %v lack %s", srv.DNSNames, want)
		}
	}
	if !slices.ContainsFunc(srv.IPAddresses, net.ParseIP("::1").Equal) || !slices.ContainsFunc(srv.IPAddresses, net.ParseIP("10.0.1.10").Equal) {
		t.Errorf("server IPs %v", srv.IPAddresses)
	}
	peer := k.Members[0].Peer.Cert
	if slices.Contains(peer.DNSNames, "localhost") || !slices.ContainsFunc(peer.IPAddresses, net.ParseIP("10.0.1.10").Equal) {
		t.Errorf("peer SANs should be the member's peer addresses: %v %v", peer.DNSNames, peer.IPAddresses)
	}
	app := k.Clients[1].Cert
	if app.Subject.CommonName != "app-user" || !slices.Equal(app.Subject.Organization, []string{"ops"}) || !slices.Equal(pki.ExtKeyUsageNames(app), []string{"clientAuth"}) {
		t.Fatalf("client preset: %s %v", app.Subject, pki.ExtKeyUsageNames(app))
	}
}

// TestFitnessExplains: certificates lacking what etcd needs are unfit, with
// the reason in etcd's terms.
func TestFitnessExplains(t *testing.T) {
	k := mustGenerate(t, testPlan(t, t.TempDir()))
	serverOnly := &x509.Certificate{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, DNSNames: []string{"x"}}
	cases := []struct {
		cert   *x509.Certificate
		role   Role
		reason string
	}{
		{serverOnly, RolePeer, "no clientAuth: etcd will reject this as a peer cert"},
		{serverOnly, RoleServer, "gRPC gateway"},
		{k.Clients[0].Cert, RoleServer, "no serverAuth"},
		{k.Clients[0].Cert, RoleCA, "not a CA"},
		{&x509.Certificate{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}, RoleServer, "no SANs"},
		{&x509.Certificate{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, RoleClient, "no CN"},
	}
	for _, tc := range cases {
		f := pki.Fitness(tc.cert, tc.role)
		if f.OK || !strings.Contains(strings.Join(f.Reasons, "; "), tc.reason) {
			t.Errorf("%s as %s: %+v, want unfit with %q", tc.cert.Subject, tc.role, f, tc.reason)
		}
	}
	for _, role := range []Role{RoleServer, RolePeer, RoleClient} {
		if f := pki.Fitness(k.Members[0].Server.Cert, role); !f.OK {
			t.Errorf("server cert unfit as %s: %v", role, f.Reasons)
		}
	}
	if g := pki.Guess(k.Clients[0].Cert); g != RoleClient {
		t.Errorf("guess client = %s", g)
	}
}
