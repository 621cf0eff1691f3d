package certwiz

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/pki"
)

// TestRenewKeepsSANsUsagesAndKey: the renewed certificate has the same
// subject, SANs and usages (plus the added SAN), the same key unless rotated,
// a new serial, and verifies against the same CA.
func TestRenewKeepsSANsUsagesAndKey(t *testing.T) {
	l, k := writtenPKI(t)
	path := l.Peer("etcd-1")
	old := k.Members[1].Peer.Cert
	oldKey, _ := os.ReadFile(KeyPath(path))
	r, err := Renew(path, RenewOptions{AddSANs: []string{"10.9.9.9,etcd-1.new"}, Now: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteRenewed(path, r, false); err != nil {
		t.Fatal(err)
	}
	got, err := LoadPair(path, "")
	if err != nil {
		t.Fatal(err)
	}
	c := got.Cert
	if !bytes.Equal(c.RawSubject, old.RawSubject) || c.KeyUsage != old.KeyUsage || !slices.Equal(c.ExtKeyUsage, old.ExtKeyUsage) {
		t.Fatalf("subject/usages changed: %s %v %v", c.Subject, c.KeyUsage, c.ExtKeyUsage)
	}
	if !slices.Equal(c.DNSNames, append(slices.Clone(old.DNSNames), "etcd-1.new")) || len(c.IPAddresses) != len(old.IPAddresses)+1 || !c.IPAddresses[len(c.IPAddresses)-1].Equal(net.ParseIP("10.9.9.9")) {
		t.Fatalf("SANs %v %v, old %v %v", c.DNSNames, c.IPAddresses, old.DNSNames, old.IPAddresses)
	}
	if c.SerialNumber.Cmp(old.SerialNumber) == 0 || !c.NotAfter.After(old.NotAfter) {
		t.Fatal("serial or validity not renewed")
	}
	if newKey, _ := os.ReadFile(KeyPath(path)); !bytes.Equal(newKey, oldKey) || !pki.KeyMatches(c, got.Key) {
		t.Fatal("the key changed without --rotate-key")
	}
	if err := verifyRole(c, RolePeer, k.PeerCA.Cert, time.Now().Add(2*time.Hour)); err != nil {
		t.Fatalf("renewed peer cert does not verify against the peer CA: %v", err)
	}
	if r.CAPath != l.PeerCA() {
		t.Fatalf("signed by %s, want the peer CA", r.CAPath)
	}

	// --rotate-key: a new key of the same type, matching the new certificate.
	r, err = Renew(path, RenewOptions{RotateKey: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteRenewed(path, r, true); err != nil {
		t.Fatal(err)
	}
	rotated, err := LoadPair(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(rotated.KeyPEM, oldKey) {
		t.Fatal("--rotate-key kept the key")
	}
	if kt, _ := KeyTypeOf(rotated.Cert.PublicKey); kt != k.Plan.KeyType {
		t.Fatalf("rotated key type %s", kt)
	}

	// A bad SAN is refused before anything happens.
	if _, err := Renew(path, RenewOptions{AddSANs: []string{"bad_host"}}); err == nil {
		t.Fatal("bad SAN accepted")
	}
}

// TestRenewCAKeepsTrust: a renewed self-signed CA keeps its key and subject,
// so leaves it signed still verify against it.
func TestRenewCAKeepsTrust(t *testing.T) {
	l, k := writtenPKI(t)
	r, err := Renew(l.CA(), RenewOptions{Days: 7300})
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyRole(k.Clients[0].Cert, RoleClient, r.Cert, time.Now()); err != nil {
		t.Fatalf("old client does not verify against the renewed CA: %v", err)
	}
}

// TestRenewKeepsSubjectKeyID: a certificate renewed with its key keeps the
// SubjectKeyId its first issuer computed (cfssl, openssl and kubeadm each
// compute it their own way), so the AuthorityKeyId of the certificates a
// renewed CA signed still names it (OpenSSL refuses a mismatch); a new key
// gets a new identifier.
func TestRenewKeepsSubjectKeyID(t *testing.T) {
	key, err := GenerateKey(ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	foreignID := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "foreign-ca"}, SubjectKeyId: foreignID,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	old, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	r, err := reissue(old, key, nil, Hosts{}, RenewOptions{Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.Cert.SubjectKeyId, foreignID) {
		t.Fatalf("renewed CA: SubjectKeyId %X, want %X", r.Cert.SubjectKeyId, foreignID)
	}
	other, err := GenerateKey(ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	if r, err = reissue(old, other, nil, Hosts{}, RenewOptions{Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(r.Cert.SubjectKeyId, foreignID) {
		t.Fatal("a new key kept the old key's identifier")
	}
}
