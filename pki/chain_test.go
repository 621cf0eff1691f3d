package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

// TestVerifyNamesTheBrokenLink: chains of every shape etcd operators have,
// as PEM-level inputs (leaf, what is presented with it, the bundle, what
// else is known), give crypto/x509's verdict and, when it refuses, the
// exact certificate at fault and a cause and fix that name it.
func TestVerifyNamesTheBrokenLink(t *testing.T) {
	type want struct {
		kind  Kind   // "" = verifies
		fault string // CN of Break.Cert
		cause []string
		fix   []string
		chain int // verified path length, leaf to anchor
	}
	cases := []struct {
		name string
		make func(t *testing.T) ChainInput
		want want
	}{
		{"two levels", func(t *testing.T) ChainInput {
			r := root(t, "Root")
			return ChainInput{Leaf: leaf(t, "srv", r, both...).at("server.crt"), Roots: []Located{r.at("ca.crt")}, Role: RoleServer}
		}, want{chain: 2}},
		{"three levels, intermediate presented", func(t *testing.T) ChainInput {
			r := root(t, "Root")
			i := intermediate(t, "Int", r)
			return ChainInput{Leaf: leaf(t, "cli", i, clientAuth).at("client.crt"), Presented: []Located{i.at("client.crt")}, Roots: []Located{r.at("ca.crt")}, Role: RoleClient}
		}, want{chain: 3}},
		{"intermediate in the bundle is an anchor", func(t *testing.T) ChainInput {
			r := root(t, "Root")
			i := intermediate(t, "Int", r)
			return ChainInput{Leaf: leaf(t, "cli", i, clientAuth).at("client.crt"), Roots: []Located{i.at("ca.crt")}, Role: RoleClient}
		}, want{chain: 2}},
		{"four levels, two intermediates missing and known", func(t *testing.T) ChainInput {
			r := root(t, "Root")
			i1 := intermediate(t, "Int1", r)
			i2 := intermediate(t, "Int2", i1)
			return ChainInput{Leaf: leaf(t, "srv", i2, both...).at("server.crt"), Roots: []Located{r.at("ca.crt")},
				Elsewhere: []Located{i1.at("int1.crt"), i2.at("int2.crt")}, Role: RoleServer}
		}, want{kind: KindMissingIntermediate, fault: "Int2", cause: []string{`"CN=Int2"`, `"CN=Int1"`, "server.crt"}, fix: []string{"cat server.crt int2.crt int1.crt > chain.crt"}}},
		{"intermediate missing, known elsewhere", func(t *testing.T) ChainInput {
			r := root(t, "Root")
			i := intermediate(t, "Int", r)
			return ChainInput{Leaf: leaf(t, "srv", i, both...).at("server.crt"), Roots: []Located{r.at("ca.crt")}, Elsewhere: []Located{i.at("int.crt")}, Role: RoleServer}
		}, want{kind: KindMissingIntermediate, fault: "Int", cause: []string{"missing from server.crt"}, fix: []string{"cat server.crt int.crt > chain.crt"}}},
		{"intermediate missing, unknown", func(t *testing.T) ChainInput {
			r := root(t, "Root")
			i := intermediate(t, "Int", r)
			return ChainInput{Leaf: leaf(t, "srv", i, both...).at("server.crt"), Roots: []Located{r.at("ca.crt")}, RootsName: "ca.crt", Role: RoleServer}
		}, want{kind: KindUnknownIssuer, fault: "srv", cause: []string{`issued by "CN=Int"`, "ca.crt"}, fix: []string{"append it to server.crt"}}},
		{"intermediate restricted to OCSPSigning", func(t *testing.T) ChainInput {
			r := root(t, "Root")
			i := intermediate(t, "Int", r, x509.ExtKeyUsageOCSPSigning)
			return ChainInput{Leaf: leaf(t, "srv", i, both...).at("server.crt"), Presented: []Located{i.at("server.crt")}, Roots: []Located{r.at("ca.crt")}, Role: RoleServer}
		}, want{kind: KindEKURestricted, fault: "Int", cause: []string{"OCSPSigning", "serverAuth and clientAuth"}, fix: []string{`"CN=Int"`, "without extendedKeyUsage"}}},
		{"intermediate with serverAuth only, used for a client", func(t *testing.T) ChainInput {
			r := root(t, "Root")
			i := intermediate(t, "Int", r, serverAuth)
			return ChainInput{Leaf: leaf(t, "cli", i, clientAuth).at("client.crt"), Presented: []Located{i.at("client.crt")}, Roots: []Located{r.at("ca.crt")}, Role: RoleClient}
		}, want{kind: KindEKURestricted, fault: "Int", cause: []string{"to serverAuth", "for clientAuth"}}},
		{"peer under a serverAuth-only intermediate", func(t *testing.T) ChainInput {
			r := root(t, "Root")
			i := intermediate(t, "Int", r, serverAuth)
			return ChainInput{Leaf: leaf(t, "peer", i, both...).at("peer.crt"), Presented: []Located{i.at("peer.crt")}, Roots: []Located{r.at("peer-ca.crt")}, Role: RolePeer}
		}, want{kind: KindEKURestricted, fault: "Int", cause: []string{"for clientAuth"}}},
		{"root restricted to clientAuth, server leaf", func(t *testing.T) ChainInput {
			r := mk(t, spec{cn: "Root", ca: true, pathlen: -1, eku: []x509.ExtKeyUsage{clientAuth}}, nil)
			return ChainInput{Leaf: leaf(t, "srv", r, both...).at("server.crt"), Roots: []Located{r.at("ca.crt")}, Role: RoleServer}
		}, want{kind: KindEKURestricted, fault: "Root", cause: []string{"for serverAuth"}}},
		{"same-name CA with another key", func(t *testing.T) ChainInput {
			old := root(t, "etcd CA")
			regenerated := root(t, "etcd CA")
			return ChainInput{Leaf: leaf(t, "cli", old, clientAuth).at("client.crt"), Roots: []Located{regenerated.at("ca.crt")}, Role: RoleClient}
		}, want{kind: KindKeyMismatch, fault: "cli", cause: []string{"AuthorityKeyId", "regenerated", "ca.crt"}, fix: []string{"really signed it"}}},
		{"same-name CA with another key beside the right one", func(t *testing.T) ChainInput {
			old := root(t, "etcd CA")
			regenerated := root(t, "etcd CA")
			return ChainInput{Leaf: leaf(t, "cli", old, clientAuth).at("client.crt"), Roots: []Located{regenerated.at("ca.crt"), old.at("old-ca.crt")}, Role: RoleClient}
		}, want{chain: 2}},
		{"expired intermediate", func(t *testing.T) ChainInput {
			r := root(t, "Root")
			i := mk(t, spec{cn: "Int", ca: true, pathlen: -1, notBefore: testNow.AddDate(-2, 0, 0), notAfter: testNow.AddDate(0, 0, -1)}, r)
			l := mk(t, spec{cn: "srv", eku: both, hosts: true, notBefore: testNow.AddDate(-1, 0, 0)}, i)
			return ChainInput{Leaf: l.at("server.crt"), Presented: []Located{i.at("server.crt")}, Roots: []Located{r.at("ca.crt")}, Role: RoleServer}
		}, want{kind: KindCAExpired, fault: "Int", cause: []string{"intermediate CA", "expired on"}, fix: []string{`renew "CN=Int"`}}},
		{"not yet valid root", func(t *testing.T) ChainInput {
			r := mk(t, spec{cn: "Root", ca: true, pathlen: -1, notBefore: testNow.Add(time.Hour)}, nil)
			return ChainInput{Leaf: leaf(t, "srv", r, both...).at("server.crt"), Roots: []Located{r.at("ca.crt")}, Role: RoleServer}
		}, want{kind: KindCAExpired, fault: "Root", cause: []string{"not valid before"}}},
		{"expired root beside its renewal (same key)", func(t *testing.T) ChainInput {
			key := ecKey(t)
			old := mk(t, spec{cn: "Root", ca: true, pathlen: -1, key: key, notBefore: testNow.AddDate(-3, 0, 0), notAfter: testNow.AddDate(0, 0, -1)}, nil)
			renewed := mk(t, spec{cn: "Root", ca: true, pathlen: -1, key: key}, nil)
			return ChainInput{Leaf: leaf(t, "srv", old, both...).at("server.crt"), Roots: []Located{old.at("ca.crt"), renewed.at("ca.crt")}, Role: RoleServer}
		}, want{chain: 2}},
		{"path length exceeded", func(t *testing.T) ChainInput {
			r := mk(t, spec{cn: "Root", ca: true, pathlen: 0}, nil)
			i := intermediate(t, "Int", r)
			return ChainInput{Leaf: leaf(t, "srv", i, both...).at("server.crt"), Presented: []Located{i.at("server.crt")}, Roots: []Located{r.at("ca.crt")}, Role: RoleServer}
		}, want{kind: KindPathLength, fault: "Root", cause: []string{"pathlen:0", "has 1"}}},
		{"CA without keyCertSign", func(t *testing.T) ChainInput {
			r := root(t, "Root")
			i := mk(t, spec{cn: "Int", ca: true, pathlen: -1, ku: x509.KeyUsageDigitalSignature}, r)
			return ChainInput{Leaf: leaf(t, "srv", i, both...).at("server.crt"), Presented: []Located{i.at("server.crt")}, Roots: []Located{r.at("ca.crt")}, Role: RoleServer}
		}, want{kind: KindNoCertSign, fault: "Int", cause: []string{"keyCertSign"}}},
		{"issuer is not a CA", func(t *testing.T) ChainInput {
			r := root(t, "Root")
			notCA := leaf(t, "a leaf", r, both...)
			return ChainInput{Leaf: leaf(t, "srv", notCA, both...).at("server.crt"), Presented: []Located{notCA.at("server.crt")}, Roots: []Located{r.at("ca.crt")}, Role: RoleServer}
		}, want{kind: KindNotCA, fault: "a leaf", cause: []string{"not a CA"}}},
		{"version 1 intermediate (openssl x509 -req without -extfile)", func(t *testing.T) ChainInput {
			r := root(t, "Root")
			i := v1(t, "Int", r)
			return ChainInput{Leaf: leaf(t, "cli", i, clientAuth).at("client.crt"), Presented: []Located{i.at("client.crt")}, Roots: []Located{r.at("ca.crt")}, Role: RoleClient}
		}, want{kind: KindNotCA, fault: "Int", cause: []string{`intermediate CA "CN=Int"`, `chain of "CN=cli"`, "version 1"}, fix: []string{`reissue "CN=Int" with basicConstraints=critical,CA:TRUE`}}},
		{"version 1 intermediate, known elsewhere", func(t *testing.T) ChainInput {
			r := root(t, "Root")
			i := v1(t, "Int", r)
			return ChainInput{Leaf: leaf(t, "srv", i, both...).at("server.crt"), Roots: []Located{r.at("ca.crt")}, Elsewhere: []Located{i.at("int.crt")}, Role: RoleServer}
		}, want{kind: KindNotCA, fault: "Int", cause: []string{"version 1"}}},
		{"version 3 intermediate without basicConstraints", func(t *testing.T) ChainInput {
			r := root(t, "Root")
			i := mk(t, spec{cn: "Int", noBasic: true, ku: x509.KeyUsageCertSign}, r)
			return ChainInput{Leaf: leaf(t, "srv", i, both...).at("server.crt"), Presented: []Located{i.at("server.crt")}, Roots: []Located{r.at("ca.crt")}, Role: RoleServer}
		}, want{kind: KindNotCA, fault: "Int", cause: []string{"has no basicConstraints extension,"}}},
		{"version 1 root: Go trusts an anchor as it is", func(t *testing.T) ChainInput {
			r := v1(t, "Root", nil)
			return ChainInput{Leaf: leaf(t, "srv", r, both...).at("server.crt"), Roots: []Located{r.at("ca.crt")}, Role: RoleServer}
		}, want{chain: 2}},
		{"version 1 intermediate in the bundle is an anchor", func(t *testing.T) ChainInput {
			r := root(t, "Root")
			i := v1(t, "Int", r)
			return ChainInput{Leaf: leaf(t, "cli", i, clientAuth).at("client.crt"), Roots: []Located{i.at("ca.crt")}, Role: RoleClient}
		}, want{chain: 2}},
		{"leaf signed with SHA-1", func(t *testing.T) ChainInput {
			r := mk(t, spec{cn: "Root", ca: true, pathlen: -1, key: rsaKey(t, 2048)}, nil)
			l := mk(t, spec{cn: "srv", eku: both, hosts: true, sigAlg: x509.SHA1WithRSA}, r)
			return ChainInput{Leaf: l.at("server.crt"), Roots: []Located{r.at("ca.crt")}, Role: RoleServer}
		}, want{kind: KindWeakSignature, fault: "srv", cause: []string{"SHA1-RSA"}, fix: []string{"SHA-256"}}},
		{"intermediate signed with SHA-1", func(t *testing.T) ChainInput {
			r := mk(t, spec{cn: "Root", ca: true, pathlen: -1, key: rsaKey(t, 2048)}, nil)
			i := mk(t, spec{cn: "Int", ca: true, pathlen: -1, sigAlg: x509.SHA1WithRSA}, r)
			return ChainInput{Leaf: leaf(t, "srv", i, both...).at("server.crt"), Presented: []Located{i.at("server.crt")}, Roots: []Located{r.at("ca.crt")}, Role: RoleServer}
		}, want{kind: KindWeakSignature, fault: "Int", cause: []string{"signed by \"CN=Root\" with SHA1-RSA"}}},
		{"server leaf without clientAuth", func(t *testing.T) ChainInput {
			r := root(t, "Root")
			return ChainInput{Leaf: leaf(t, "srv", r, serverAuth).at("server.crt"), Roots: []Located{r.at("ca.crt")}, Role: RoleServer}
		}, want{kind: KindLeafUsage, fault: "srv", cause: []string{"lacks the clientAuth"}}},
		{"expired leaf", func(t *testing.T) ChainInput {
			r := root(t, "Root")
			l := mk(t, spec{cn: "cli", eku: []x509.ExtKeyUsage{clientAuth}, notBefore: testNow.AddDate(0, -2, 0), notAfter: testNow.AddDate(0, -1, 0)}, r)
			return ChainInput{Leaf: l.at("client.crt"), Roots: []Located{r.at("ca.crt")}, Role: RoleClient}
		}, want{kind: KindLeafExpired, fault: "cli", cause: []string{"expired on"}}},
		{"chain ends at another root", func(t *testing.T) ChainInput {
			r1, r2 := root(t, "Root 1"), root(t, "Root 2")
			return ChainInput{Leaf: leaf(t, "srv", r2, both...).at("server.crt"), Roots: []Located{r1.at("ca.crt")}, Elsewhere: []Located{r2.at("other-ca.crt")}, RootsName: "ca.crt", Role: RoleServer}
		}, want{kind: KindUntrustedRoot, fault: "Root 2", cause: []string{"ends at root CA \"CN=Root 2\" (other-ca.crt)", "ca.crt"}}},
		{"self-signed leaf", func(t *testing.T) ChainInput {
			r := root(t, "Root")
			self := mk(t, spec{cn: "self", eku: both, hosts: true}, nil)
			return ChainInput{Leaf: self.at("server.crt"), Roots: []Located{r.at("ca.crt")}, Role: RoleServer}
		}, want{kind: KindUntrustedRoot, fault: "self", cause: []string{"self-signed"}}},
		{"cross-signed root bridges old and new", func(t *testing.T) ChainInput {
			oldKey := ecKey(t)
			oldRoot := mk(t, spec{cn: "Old Root", ca: true, pathlen: -1, key: oldKey}, nil)
			newRoot := root(t, "New Root")
			cross := mk(t, spec{cn: "Old Root", ca: true, pathlen: -1, key: oldKey}, newRoot)
			i := intermediate(t, "Int", oldRoot)
			return ChainInput{Leaf: leaf(t, "srv", i, both...).at("server.crt"), Presented: []Located{i.at("server.crt"), cross.at("server.crt")},
				Roots: []Located{newRoot.at("ca.crt")}, Role: RoleServer}
		}, want{chain: 4}},
		{"cross-signed root missing", func(t *testing.T) ChainInput {
			oldKey := ecKey(t)
			oldRoot := mk(t, spec{cn: "Old Root", ca: true, pathlen: -1, key: oldKey}, nil)
			newRoot := root(t, "New Root")
			i := intermediate(t, "Int", oldRoot)
			return ChainInput{Leaf: leaf(t, "srv", i, both...).at("server.crt"), Presented: []Located{i.at("server.crt")},
				Roots: []Located{newRoot.at("ca.crt")}, RootsName: "ca.crt", Role: RoleServer}
		}, want{kind: KindUnknownIssuer, fault: "Int", cause: []string{`intermediate "CN=Int"`, `"CN=Old Root"`}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.make(t)
			in.Now = testNow
			path, brk := Verify(in)
			if tc.want.kind == "" {
				if brk != nil {
					t.Fatalf("want a chain, got %s: %s (x509: %v)", brk.Kind, brk.Cause, brk.Err)
				}
				if len(path) != tc.want.chain || path[0].Cert != in.Leaf.Cert {
					t.Fatalf("chain of %d certificates, want %d from the leaf", len(path), tc.want.chain)
				}
				return
			}
			if brk == nil {
				t.Fatalf("verified (%d certificates), want %s", len(path), tc.want.kind)
			}
			if brk.Kind != tc.want.kind {
				t.Fatalf("kind %s, want %s: %s", brk.Kind, tc.want.kind, brk.Cause)
			}
			if brk.Err == nil {
				t.Error("no crypto/x509 error kept as evidence")
			}
			if got := brk.Cert.Cert.Subject.CommonName; got != tc.want.fault {
				t.Errorf("fault on %q, want %q", got, tc.want.fault)
			}
			for _, s := range tc.want.cause {
				if !strings.Contains(brk.Cause, s) {
					t.Errorf("cause lacks %q:\n%s", s, brk.Cause)
				}
			}
			for _, s := range tc.want.fix {
				if !strings.Contains(brk.Fix, s) {
					t.Errorf("fix lacks %q:\n%s", s, brk.Fix)
				}
			}
			if brk.Fix == "" {
				t.Error("no fix")
			}
		})
	}
}

// TestVerifyKeyMismatchNamesBothKeys: a regenerated CA is told by its key
// ids, the leaf's AuthorityKeyId against the bundle CA's SubjectKeyId.
func TestVerifyKeyMismatchNamesBothKeys(t *testing.T) {
	old, regenerated := root(t, "etcd CA"), root(t, "etcd CA")
	l := leaf(t, "cli", old, clientAuth)
	_, brk := Verify(ChainInput{Leaf: l.at("client.crt"), Roots: []Located{regenerated.at("ca.crt")}, Role: RoleClient, Now: testNow})
	if brk == nil || brk.Kind != KindKeyMismatch {
		t.Fatalf("got %+v", brk)
	}
	for _, id := range []string{hexID(l.cert.AuthorityKeyId), hexID(regenerated.cert.SubjectKeyId)} {
		if !strings.Contains(brk.Cause, id) {
			t.Errorf("cause lacks key id %s:\n%s", id, brk.Cause)
		}
	}
	if len(brk.Others) != 1 || brk.Others[0].Cert != regenerated.cert {
		t.Errorf("others %v, want the regenerated CA", brk.Others)
	}
}

// TestVerifyAgreesWithX509: whenever Verify finds a chain, crypto/x509 does
// for each usage, and the other way round, over random mixes of the
// certificates above.
func TestVerifyAgreesWithX509(t *testing.T) {
	r := root(t, "Root")
	other := root(t, "Root")
	i := intermediate(t, "Int", r)
	bad := intermediate(t, "Int", r, x509.ExtKeyUsageOCSPSigning)
	old := v1(t, "V1 Int", r) // openssl x509 -req without -extfile: an anchor only
	leaves := []*tcert{leaf(t, "a", i, both...), leaf(t, "b", bad, both...), leaf(t, "c", r, serverAuth), leaf(t, "d", other, clientAuth), leaf(t, "e", old, clientAuth)}
	pool := []*tcert{r, other, i, bad, old}
	for mask := 0; mask < 1<<len(pool); mask++ {
		for pmask := 0; pmask < 8; pmask++ {
			for _, l := range leaves {
				in := ChainInput{Leaf: l.at("leaf"), Role: RoleClient, Now: testNow}
				for k, c := range pool {
					if mask&(1<<k) != 0 {
						in.Roots = append(in.Roots, c.at("bundle"))
					}
				}
				if pmask&1 != 0 {
					in.Presented = append(in.Presented, i.at("leaf"))
				}
				if pmask&2 != 0 {
					in.Presented = append(in.Presented, bad.at("leaf"))
				}
				if pmask&4 != 0 {
					in.Presented = append(in.Presented, old.at("leaf"))
				}
				_, brk := Verify(in)
				roots, inter := x509.NewCertPool(), x509.NewCertPool()
				for _, c := range in.Roots {
					roots.AddCert(c.Cert)
				}
				for _, c := range in.Presented {
					inter.AddCert(c.Cert)
				}
				_, err := l.cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: testNow, KeyUsages: []x509.ExtKeyUsage{clientAuth}})
				if (err == nil) != (brk == nil) {
					t.Fatalf("leaf %s roots %b presented %b: x509 %v, Verify %+v", l.cert.Subject.CommonName, mask, pmask, err, brk)
				}
				if brk != nil && brk.Kind == KindOther {
					t.Errorf("leaf %s roots %b presented %b: unnamed break: %s (x509: %v)", l.cert.Subject.CommonName, mask, pmask, brk.Cause, err)
				}
			}
		}
	}
}

func TestCanSignAndFitness(t *testing.T) {
	r := root(t, "Root")
	ocsp := intermediate(t, "OCSP", r, x509.ExtKeyUsageOCSPSigning)
	srvOnly := intermediate(t, "Srv", r, serverAuth)
	noSign := mk(t, spec{cn: "NoSign", ca: true, pathlen: -1, ku: x509.KeyUsageDigitalSignature}, r)
	cases := []struct {
		ca                   *tcert
		server, peer, client bool
		fitCA                bool
		reason               string
	}{
		{r, true, true, true, true, ""},
		{ocsp, false, false, false, false, "OCSPSigning"},
		{srvOnly, false, false, false, true, "lacks clientAuth"},
		{noSign, false, false, false, false, "keyCertSign"},
	}
	for _, tc := range cases {
		name := tc.ca.cert.Subject.CommonName
		got := []bool{CanSign(tc.ca.cert, RoleServer).OK, CanSign(tc.ca.cert, RolePeer).OK, CanSign(tc.ca.cert, RoleClient).OK}
		if want := []bool{tc.server, tc.peer, tc.client}; got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("%s signs server/peer/client = %v, want %v", name, got, want)
		}
		fit := Fitness(tc.ca.cert, RoleCA)
		if fit.OK != tc.fitCA {
			t.Errorf("%s fit as CA = %v (%v), want %v", name, fit.OK, fit.Reasons, tc.fitCA)
		}
		if tc.reason != "" {
			all := strings.Join(append(fit.Reasons, CanSign(tc.ca.cert, RoleServer).Reasons...), "; ")
			if !strings.Contains(all, tc.reason) {
				t.Errorf("%s: reasons %q lack %q", name, all, tc.reason)
			}
		}
	}
}

// TestExpiringIsProportional: a certificate is expiring when under the
// window AND under a third of its lifetime.
func TestExpiringIsProportional(t *testing.T) {
	day := 24 * time.Hour
	cases := []struct {
		name     string
		lifetime time.Duration
		age      time.Duration
		warn     time.Duration
		want     bool
	}{
		{"fresh 30-day cert, 30-day window", 30 * day, time.Minute, 30 * day, false},
		{"30-day cert, 9 days left", 30 * day, 21 * day, 30 * day, true},
		{"30-day cert, 11 days left", 30 * day, 19 * day, 30 * day, false},
		{"fresh 24-hour cert", day, time.Minute, 30 * day, false},
		{"24-hour cert, 7 hours left", day, 17 * time.Hour, 30 * day, true},
		{"one-year cert, 29 days left", 365 * day, 336 * day, 30 * day, true},
		{"one-year cert, 31 days left", 365 * day, 334 * day, 30 * day, false},
		{"one-year cert, 100 days left, 7-day window", 365 * day, 265 * day, 7 * day, false},
		{"expired", 30 * day, 31 * day, 30 * day, false},
	}
	for _, tc := range cases {
		nb := testNow.Add(-tc.age)
		c := &x509.Certificate{Subject: pkix.Name{CommonName: "x"}, NotBefore: nb, NotAfter: nb.Add(tc.lifetime)}
		if got := Expiring(c, tc.warn, testNow); got != tc.want {
			t.Errorf("%s: Expiring = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestBundle(t *testing.T) {
	valid := root(t, "Current CA")
	old := mk(t, spec{cn: "Old CA", ca: true, pathlen: -1, notBefore: time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC), notAfter: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)}, nil)
	b := JudgeBundle([]*x509.Certificate{valid.cert, old.cert}, testNow)
	if err := b.Err(testNow); err != nil {
		t.Fatalf("a bundle with a valid CA: %v", err)
	}
	w := b.Warnings(testNow)
	if len(w) != 1 || !strings.Contains(w[0], `"CN=Old CA"`) || !strings.Contains(w[0], "drop it") || !strings.Contains(w[0], "2022-01-01") {
		t.Fatalf("warnings %q", w)
	}
	only := JudgeBundle([]*x509.Certificate{old.cert}, testNow)
	if err := only.Err(testNow); err == nil || !strings.Contains(err.Error(), `"CN=Old CA"`) {
		t.Fatalf("all expired: %v", err)
	}
	if only.Warnings(testNow) != nil {
		t.Fatal("an all-expired bundle is an error, not warnings")
	}
}

// v1 issues a version 1 certificate (no extensions at all), as openssl x509
// -req makes without -extfile, signed by parent (nil: self-signed). Go
// cannot make one, so its TBSCertificate is encoded here.
func v1(t testing.TB, cn string, parent *tcert) *tcert {
	t.Helper()
	key := ecKey(t)
	tmpl := mk(t, spec{cn: cn, key: key}, parent).cert // subject, issuer, key, dates
	type algo struct{ Algorithm asn1.ObjectIdentifier }
	type validity struct{ NotBefore, NotAfter time.Time }
	type tbs struct {
		Serial    *big.Int
		Signature algo
		Issuer    asn1.RawValue
		Validity  validity
		Subject   asn1.RawValue
		PublicKey asn1.RawValue
	}
	ecdsaSHA256 := algo{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}}
	issuer, signer := tmpl.RawSubject, key
	if parent != nil {
		issuer, signer = parent.cert.RawSubject, parent.key
	}
	raw, err := asn1.Marshal(tbs{tmpl.SerialNumber, ecdsaSHA256, asn1.RawValue{FullBytes: issuer},
		validity{tmpl.NotBefore.UTC(), tmpl.NotAfter.UTC()}, asn1.RawValue{FullBytes: tmpl.RawSubject}, asn1.RawValue{FullBytes: tmpl.RawSubjectPublicKeyInfo}})
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(raw)
	sig, err := signer.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	der, err := asn1.Marshal(struct {
		TBS       asn1.RawValue
		Algorithm algo
		Signature asn1.BitString
	}{asn1.RawValue{FullBytes: raw}, ecdsaSHA256, asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != 1 {
		t.Fatalf("version %d", c.Version)
	}
	return &tcert{cert: c, key: key}
}

// TestKeyIDMismatches: a CA re-signed from its own key with another
// SubjectKeyId still verifies what it signed in Go, and the link whose
// AuthorityKeyId no longer names it is reported (OpenSSL and Java refuse
// it), unless the original CA is at hand too; chains with matching ids are
// silent.
func TestKeyIDMismatches(t *testing.T) {
	r := root(t, "Root")
	l := leaf(t, "srv", r, x509.ExtKeyUsageServerAuth)
	resigned := mk(t, spec{cn: "Root", ca: true, pathlen: -1, key: r.key, ski: []byte{1, 2, 3, 4}}, nil)
	for _, tc := range []struct {
		name  string
		roots []Located
		want  int
	}{
		{"the CA as it was", []Located{r.at("ca.crt")}, 0},
		{"re-signed with another id", []Located{resigned.at("ca.crt")}, 1},
		{"both in the bundle", []Located{resigned.at("ca.crt"), r.at("old.crt")}, 0},
	} {
		in := ChainInput{Leaf: l.at("server.crt"), Roots: tc.roots, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, Now: testNow}
		chain, brk := Verify(in)
		if brk != nil {
			t.Fatalf("%s: Go refused the chain: %v", tc.name, brk)
		}
		got := in.KeyIDMismatches(chain)
		if len(got) != tc.want {
			t.Fatalf("%s: %d mismatches, want %d: %+v", tc.name, len(got), tc.want, got)
		}
		if tc.want == 1 {
			b := got[0]
			if b.Kind != KindKeyIDMismatch || b.Cert.Cert != resigned.cert || b.Child.Cert != l.cert ||
				!strings.Contains(b.Cause, "SubjectKeyId 01:02:03:04") || !strings.Contains(b.Fix, "subjectKeyIdentifier="+KeyIDBytes(l.cert.AuthorityKeyId)) {
				t.Fatalf("%s: %+v", tc.name, b)
			}
		}
	}
}

// TestFitnessAddressAsDNSName: an address written as a DNS SAN makes a
// server or peer certificate unfit, unless the same address is an IP SAN
// too.
func TestFitnessAddressAsDNSName(t *testing.T) {
	r := root(t, "Root")
	mkWith := func(dns []string, ips []net.IP) *x509.Certificate {
		c := leaf(t, "m0", r, x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth).cert
		c.DNSNames, c.IPAddresses = dns, ips
		return c
	}
	wrong := Fitness(mkWith([]string{"10.0.0.5", "etcd-0"}, nil), RoleServer)
	if wrong.OK || len(wrong.Reasons) != 1 || !strings.Contains(wrong.Reasons[0], "DNS:10.0.0.5 is an address written as a DNS name") || !strings.Contains(wrong.Reasons[0], "IP:10.0.0.5") {
		t.Fatalf("DNS:10.0.0.5 alone: %+v", wrong)
	}
	if fit := Fitness(mkWith([]string{"10.0.0.5"}, []net.IP{net.ParseIP("10.0.0.5")}), RolePeer); !fit.OK {
		t.Fatalf("with IP:10.0.0.5 beside it: %+v", fit)
	}
}
