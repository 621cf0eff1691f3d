package certwiz

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
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

// TestFindIssuerReadsBundlesAndGoesOn: the issuer is found by signature in
// any certificate of a file, and a CA found without its key (a bundle of
// intermediate and root) does not end the search when another file of the
// directory holds the CA with its key, whatever the files are named.
func TestFindIssuerReadsBundlesAndGoesOn(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data ...[]byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, bytes.Join(data, nil), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	root, err := NewCA("root", ECDSAP256, 3650)
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewCA("other", ECDSAP256, 3650)
	if err != nil {
		t.Fatal(err)
	}
	interKey, err := GenerateKey(ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	inter, err := Issue(Request{Role: RoleCA, CommonName: "inter", Days: 1000}, interKey, root.Cert, root.Key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := NewLeaf(Request{Role: RoleClient, CommonName: "leaf"}, ECDSAP256, inter)
	if err != nil {
		t.Fatal(err)
	}
	write("ca-bundle.pem", inter.CertPEM, root.CertPEM) // no key beside it
	write("inter.pem", inter.CertPEM)
	write("inter.key", inter.KeyPEM)
	leafPath := write("leaf.crt", leaf.CertPEM)
	ca, path, err := FindIssuer(leafPath, leaf.Cert, "")
	if err != nil || filepath.Base(path) != "inter.pem" || !ca.Cert.Equal(inter.Cert) {
		t.Fatalf("FindIssuer = %v, %q; want inter.pem", err, path)
	}
	if _, path, err = FindIssuer(leafPath, leaf.Cert, dir); err != nil || filepath.Base(path) != "inter.pem" {
		t.Fatalf("FindIssuer --ca-dir = %v, %q; want inter.pem", err, path)
	}

	// ca.crt holds another CA first, then the one that signed, whose key is ca.key.
	os.Remove(filepath.Join(dir, "ca-bundle.pem"))
	write("ca.crt", other.CertPEM, root.CertPEM)
	write("ca.key", root.KeyPEM)
	interPath := write("intermediate.crt", inter.CertPEM)
	if ca, path, err = FindIssuer(interPath, inter.Cert, ""); err != nil || filepath.Base(path) != "ca.crt" || !ca.Cert.Equal(root.Cert) {
		t.Fatalf("FindIssuer in a bundle = %v, %q", err, path)
	}

	// Only the keyless bundle: the error names it and what its key is called.
	write("ca-bundle.pem", inter.CertPEM)
	os.Remove(filepath.Join(dir, "inter.key"))
	_, _, err = FindIssuer(leafPath, leaf.Cert, "")
	var ie *IssuerError
	if !errors.As(err, &ie) || filepath.Base(ie.CA) != "ca-bundle.pem" {
		t.Fatalf("without inter.key: %v", err)
	}
}

// TestWriteRenewedKeepsSymlinks: a certificate and key that are symbolic
// links (a Secret mount's ..data, /etc/etcd/server.crt -> pki/…) are
// renewed where they point; the links stay.
func TestWriteRenewedKeepsSymlinks(t *testing.T) {
	l, _ := writtenPKI(t)
	dir := filepath.Join(l.Dir, "etcd-0")
	data := filepath.Join(dir, "..data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"server.crt", "server.key"} {
		if err := os.Rename(filepath.Join(dir, f), filepath.Join(data, f)); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..data", f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	path := l.Server("etcd-0")
	r, err := Renew(path, RenewOptions{RotateKey: true, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteRenewed(path, r, true); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"server.crt", "server.key"} {
		if fi, err := os.Lstat(filepath.Join(dir, f)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("%s is no longer a symbolic link (%v)", f, err)
		}
	}
	got, err := LoadPair(filepath.Join(data, "server.crt"), "")
	if err != nil || !got.Cert.Equal(r.Cert) {
		t.Fatalf("the link's target is not the renewed pair: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(data, "server.key")); err != nil || fi.Mode().Perm() != KeyMode {
		t.Fatalf("key mode %v (%v)", fi.Mode(), err)
	}
}

// TestRenewRotateKeyPastMismatchedKey: a key file beside the certificate
// that is another's stops a renewal that keeps the key (saying so, with the
// way out), not one that makes a new key: that key takes its place.
func TestRenewRotateKeyPastMismatchedKey(t *testing.T) {
	l, k := writtenPKI(t)
	path := l.Client("root")
	if err := os.WriteFile(KeyPath(path), k.Clients[1].KeyPEM, KeyMode); err != nil {
		t.Fatal(err)
	}
	_, err := Renew(path, RenewOptions{Now: time.Now()})
	var me *pki.KeyMismatchError
	if !errors.As(err, &me) {
		t.Fatalf("keeping a mismatched key: %v", err)
	}
	r, err := Renew(path, RenewOptions{RotateKey: true, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if r.KeyPath != KeyPath(path) {
		t.Fatalf("new key goes to %q", r.KeyPath)
	}
	if err := WriteRenewed(path, r, true); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPair(path, ""); err != nil {
		t.Fatalf("after --rotate-key: %v", err)
	}
}
