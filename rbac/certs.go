package rbac

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

// PKI is a PKI tree in certwiz's layout whose client CA (ca.crt, ca.key)
// issues and vouches for the users' client certificates (CN = user name).
// A certificate belongs to the tree when it verifies up to ca.crt, not when
// its issuer merely has the CA's name.
type PKI struct {
	Dir string
	cas []*x509.Certificate
	now time.Time
}

// OpenPKI reads dir/ca.crt (a bundle is fine: every certificate in it is a
// trusted root for the check).
func OpenPKI(dir string, now time.Time) (*PKI, error) {
	caPath := certwiz.Layout{Dir: dir}.CA()
	data, err := os.ReadFile(caPath)
	if err != nil {
		return nil, err
	}
	cas, err := pki.ParseCerts(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", caPath, err)
	}
	return &PKI{Dir: dir, cas: cas, now: now}, nil
}

// verify checks that the chain in certs (leaf first) leads to the client CA
// and allows clientAuth, at the given time.
func (p *PKI) verify(certs []*x509.Certificate, at time.Time) error {
	located := pki.Locate(certs, "the client certificate file")
	_, brk := pki.Verify(pki.ChainInput{Leaf: located[0], Presented: located[1:], Roots: pki.Locate(p.cas, "ca.crt"),
		Role: pki.RoleClient, Now: at, RootsName: "ca.crt"})
	if brk != nil {
		return brk
	}
	return nil
}

func expired(err error) bool {
	var inv x509.CertificateInvalidError
	return errors.As(err, &inv) && inv.Reason == x509.Expired
}

// Certificates finds the client certificates under clients/ that the client
// CA issued, by CN (the etcd user they log in as). When several have the
// same CN, clients/<CN>.crt wins, then the one that expires last. File is
// relative to the PKI directory.
func (p *PKI) Certificates() (map[string]*Certificate, error) {
	dir := filepath.Join(p.Dir, "clients")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]*Certificate{}, nil
	}
	if err != nil {
		return nil, err
	}
	found := map[string]*Certificate{}
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".crt" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		certs, err := pki.ParseCerts(data)
		if err != nil {
			continue // not a certificate: not ours to judge here
		}
		leaf := certs[0]
		err = p.verify(certs, p.now)
		if expired(err) {
			err = p.verify(certs, leaf.NotBefore.Add(time.Second))
		}
		if err != nil || leaf.Subject.CommonName == "" {
			continue
		}
		cn := leaf.Subject.CommonName
		c := &Certificate{File: filepath.Join("clients", e.Name()), Expires: leaf.NotAfter.UTC().Truncate(time.Second)}
		if old := found[cn]; old != nil {
			own := filepath.Join("clients", cn+".crt")
			if old.File == own || (c.File != own && !c.Expires.After(old.Expires)) {
				continue
			}
		}
		found[cn] = c
	}
	return found, nil
}

// Annotate sets, for every user of m with a certificate from the tree, that
// certificate's file and expiry.
func (p *PKI) Annotate(m *Model) error {
	certs, err := p.Certificates()
	if err != nil {
		return err
	}
	for i := range m.Users {
		if c := certs[m.Users[i].Name]; c != nil {
			m.Users[i].Certificate = c
		}
	}
	return nil
}

// plan decides what u's certificate needs: nothing when a fitting one exists
// (issued by the client CA, CN = user, clientAuth, key beside it, valid
// now); a new one when there is none; a replacement (with force) for one
// that does not fit. Without force, an unfit certificate is an error and an
// expired one a note.
func (p *PKI) plan(u User, force bool) (*CertChange, string, error) {
	rel := u.CertFile()
	path := filepath.Join(p.Dir, rel)
	c := &CertChange{File: rel, Days: u.Certificate.Days}
	_, statErr := os.Lstat(path)
	if errors.Is(statErr, fs.ErrNotExist) {
		return c, "", nil
	}
	why := p.unfit(u.Name, path)
	switch {
	case why == "":
		return nil, "", nil
	case force:
		c.Replace = why
		return c, "", nil
	case why == "expired":
		return nil, fmt.Sprintf("user %s: certificate %s has expired; renew it with 'etcd-certwiz renew %s' (or apply --force to issue a new one)", u.Name, path, path), nil
	}
	return nil, "", &RefusedError{
		Msg: fmt.Sprintf("user %s: %s exists but %s; not overwritten", u.Name, path, why),
		Fix: "pass --force to issue a new certificate in its place, or give the user another certificate file: in the file",
	}
}

// unfit says why the certificate at path is not u's client certificate
// from this CA ("" when it is).
func (p *PKI) unfit(user, path string) string {
	it, err := certwiz.LoadPair(path, "")
	if err != nil {
		return fmt.Sprintf("cannot be used (%v)", err)
	}
	chain := []*x509.Certificate{it.Cert}
	if data, err := os.ReadFile(path); err == nil {
		if certs, err := pki.ParseCerts(data); err == nil {
			chain = certs
		}
	}
	if err := p.verify(chain, p.now); err != nil {
		if expired(err) {
			return "expired"
		}
		return fmt.Sprintf("does not verify against %s for clientAuth (%v)", certwiz.Layout{Dir: p.Dir}.CA(), err)
	}
	if cn := it.Cert.Subject.CommonName; cn != user {
		return fmt.Sprintf("has CN %q, so etcd would take it for user %q", cn, cn)
	}
	return ""
}

// Issue writes u's new client certificate and key (CN = user, clientAuth,
// signed by the client CA) atomically, the key 0600, replacing an existing
// pair only when the change says why. It returns the paths written.
func (p *PKI) Issue(user string, c *CertChange, kt certwiz.KeyType) ([]string, error) {
	ca, err := certwiz.LoadCA(certwiz.Layout{Dir: p.Dir}.CA())
	if err != nil {
		return nil, err
	}
	leaf, err := certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleClient, CommonName: user, Days: c.Days}, kt, ca)
	if err != nil {
		return nil, err
	}
	files := certwiz.PairFiles(filepath.Join(p.Dir, c.File), leaf)
	if err := certwiz.WriteFiles(files, c.Replace != ""); err != nil {
		return nil, err
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	return paths, nil
}
