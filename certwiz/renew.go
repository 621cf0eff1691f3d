package certwiz

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

// RenewOptions controls Renew.
type RenewOptions struct {
	AddSANs   []string // extra hosts for the new certificate
	RotateKey bool     // generate a new key of the same type
	Days      int      // 0 keeps the old certificate's lifetime
	CADir     string   // where the issuing CA lives; "" searches upwards
	KeyPath   string   // the certificate's key; "" finds it beside the certificate (pki.FindKey)
	Now       time.Time
}

// Renewed is a reissued certificate and where its CA came from.
type Renewed struct {
	*Issued
	Old     *x509.Certificate
	CAPath  string
	KeyPath string // where the key was read, and where a rotated key goes
}

// Renew reissues the certificate at certPath with the same subject, SANs and
// key usages (plus opts.AddSANs), signed by the CA that signed it, keeping its
// key unless opts.RotateKey. A self-signed CA is renewed with its own key, so
// the certificates it signed keep verifying. The intermediates that followed
// the certificate in its file follow the new one. With opts.RotateKey a
// key file beside it that belongs to another key is no obstacle: the new
// key replaces it. Nothing is written.
func Renew(certPath string, opts RenewOptions) (*Renewed, error) {
	old, err := LoadPair(certPath, opts.KeyPath)
	var mismatch *pki.KeyMismatchError
	if opts.RotateKey && errors.As(err, &mismatch) {
		// The key beside it is another's: a new key needs no old one, and
		// goes where the certificate's key is looked for first.
		if old, err = LoadCert(certPath); err == nil {
			old.KeyPath = mismatch.Keys[0]
		}
	}
	if err != nil {
		return nil, err
	}
	add, err := ParseHosts(opts.AddSANs...)
	if err != nil {
		return nil, err
	}
	key := old.Key
	if opts.RotateKey {
		kt, ok := KeyTypeOf(old.Cert.PublicKey)
		if !ok {
			return nil, &hintedError{msg: fmt.Sprintf("%s: cannot generate a new %s key", certPath, kt), hint: "renew without --rotate-key (the key is kept), or issue a new certificate with a supported --key-type"}
		}
		if key, err = GenerateKey(kt); err != nil {
			return nil, err
		}
	}
	r := &Renewed{Old: old.Cert, KeyPath: old.KeyPath}
	var ca *Issued // nil: self-signed, with its own key
	if !isSelfSigned(old.Cert) {
		if ca, r.CAPath, err = FindIssuer(certPath, old.Cert, opts.CADir); err != nil {
			return nil, err
		}
	}
	if r.Issued, err = reissue(old.Cert, key, ca, add, opts); err != nil {
		return nil, err
	}
	for _, c := range old.Chain {
		r.CertPEM = append(r.CertPEM, EncodeCert(c)...)
	}
	return r, nil
}

// Reissue signs a new certificate for key with everything that defines
// old's role and identity — subject (byte for byte), SANs, key usages,
// basic constraints — and its lifetime (opts.Days overrides), signed by ca:
// the CA that signed old for a renewal, a new CA for a CA rotation. Only the
// serial, the validity and the key identifiers change. Nothing is written.
func Reissue(old *x509.Certificate, key crypto.Signer, ca *Issued, opts RenewOptions) (*Issued, error) {
	if ca == nil || ca.Key == nil {
		return nil, errors.New("reissue needs the signing CA's key")
	}
	return reissue(old, key, ca, Hosts{}, opts)
}

func reissue(old *x509.Certificate, key crypto.Signer, ca *Issued, add Hosts, opts RenewOptions) (*Issued, error) {
	t, err := renewTemplate(old, add, opts)
	if err != nil {
		return nil, err
	}
	if t.SubjectKeyId, err = keyID(key.Public()); err != nil {
		return nil, err
	}
	if len(old.SubjectKeyId) > 0 && pki.KeyMatches(old, key) {
		// The same key keeps its identifier, however its issuer computed
		// it (cfssl, openssl and kubeadm differ): the certificates a CA
		// signed name it in their AuthorityKeyId, and OpenSSL-based clients
		// (curl, Python, openssl verify) refuse a chain where they differ.
		t.SubjectKeyId = old.SubjectKeyId
	}
	if ca == nil {
		ca = &Issued{Cert: t, Key: key}
	}
	return sign(t, key, ca.Cert, ca.Key)
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil
}

// renewTemplate copies everything that defines the certificate's role and
// identity; only serial, validity, key identifiers and added SANs change.
func renewTemplate(old *x509.Certificate, add Hosts, opts RenewOptions) (*x509.Certificate, error) {
	t, err := Template(Request{Role: RoleClient, CommonName: "renew", NotBefore: opts.Now})
	if err != nil {
		return nil, err
	}
	days := opts.Days
	if days <= 0 {
		days = int((old.NotAfter.Sub(old.NotBefore) + 12*time.Hour) / (24 * time.Hour))
	}
	t.NotAfter = t.NotBefore.Add(time.Duration(days) * 24 * time.Hour)
	t.Subject = old.Subject
	t.Subject.ExtraNames = nil
	t.RawSubject = old.RawSubject // byte-identical subject, as chains and etcd match on it
	t.KeyUsage, t.ExtKeyUsage, t.UnknownExtKeyUsage = old.KeyUsage, old.ExtKeyUsage, old.UnknownExtKeyUsage
	t.BasicConstraintsValid, t.IsCA = old.BasicConstraintsValid, old.IsCA
	t.MaxPathLen, t.MaxPathLenZero = old.MaxPathLen, old.MaxPathLenZero
	h := Hosts{DNS: old.DNSNames, IPs: old.IPAddresses}
	h.Merge(add)
	t.DNSNames, t.IPAddresses = h.DNS, h.IPs
	t.URIs, t.EmailAddresses = old.URIs, old.EmailAddresses
	return t, nil
}

// FindIssuer finds the CA certificate and key that signed cert: a CA
// whose signature on cert verifies (names are not trusted), with a key
// beside its file that matches it (pki.FindKey: ca.key, ca-key.pem…). Every
// certificate of a file counts, so a bundle (intermediate and root, or old
// and new CA) yields the one that signed. It looks in caDir if given, else
// in the certificate's directory and its parents (the layouts put CAs at
// the top of the tree; kubeadm's in etcd/ beside apiserver-etcd-client.crt),
// in each directory first in the files named like CAs (ca.crt, peer-ca.crt,
// ca.pem, etcd-ca.pem…), then in the other certificate files. A CA found
// without its key does not end the search: another file may hold it with
// its key (a ca-bundle.pem beside inter.pem and inter.key).
func FindIssuer(certPath string, cert *x509.Certificate, caDir string) (*Issued, string, error) {
	dirs := []string{caDir}
	if caDir == "" {
		dirs = nil
		abs, err := filepath.Abs(filepath.Dir(certPath))
		if err != nil {
			return nil, "", err
		}
		for d := abs; ; d = filepath.Dir(d) {
			// kubeadm keeps etcd's CA in etcd/ below apiserver-etcd-client.crt.
			dirs = append(dirs, d, filepath.Join(d, "etcd"))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	var keyless *IssuerError // the first CA found without its key
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		var named, others []string
		for _, e := range entries {
			p := filepath.Join(d, e.Name())
			if e.IsDir() || !pki.IsCertPath(p) || pki.IsKeyPath(p) {
				continue
			}
			if role, _ := pki.RoleFromPath(p); role == RoleCA {
				named = append(named, p)
			} else {
				others = append(others, p)
			}
		}
		files := append(named, others...)
		for i, p := range files {
			data, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			for _, c := range pki.ParseFile(data).Certs {
				if !c.IsCA || cert.CheckSignatureFrom(c) != nil {
					continue
				}
				keyPath, key, err := pki.FindKey(p, c, "")
				if err != nil {
					var none *pki.NoKeyError
					if keyless == nil && (i < len(named) || errors.As(err, &none)) {
						keyless = &IssuerError{Cert: certPath, Issuer: cert.Issuer.String(), CADir: caDir, CA: p, Err: err}
					}
					continue
				}
				return &Issued{Cert: c, Key: key, CertPEM: EncodeCert(c), KeyPath: keyPath}, p, nil
			}
		}
	}
	if keyless != nil {
		return nil, "", keyless
	}
	return nil, "", &IssuerError{Cert: certPath, Issuer: cert.Issuer.String(), CADir: caDir}
}

// hintedError is an error that knows its way out (clix prints Hint).
type hintedError struct{ msg, hint string }

func (e *hintedError) Error() string { return e.msg }
func (e *hintedError) Hint() string  { return e.hint }

// IssuerError is a certificate to renew whose issuing CA, with its key,
// was not found where FindIssuer looked.
type IssuerError struct {
	Cert   string // the certificate to renew
	Issuer string // the name of the CA that signed it
	CADir  string // the --ca-dir looked in; "" when searched upwards from Cert
	CA     string // the CA certificate found when its key is what is missing
	Err    error  // why the CA's key could not be read
}

func (e *IssuerError) Error() string {
	if e.CA != "" {
		return fmt.Sprintf("found the issuing CA %s but not its key: %v", e.CA, e.Err)
	}
	where := "beside it or in a parent directory"
	if e.CADir != "" {
		where = "in " + e.CADir
	}
	return fmt.Sprintf("no CA that signed %s (issuer %s) with its key %s", e.Cert, e.Issuer, where)
}

func (e *IssuerError) Unwrap() error { return e.Err }

// Hint names --ca-dir, and where the CA's key goes when only it is missing.
func (e *IssuerError) Hint() string {
	switch {
	case e.CA != "":
		return "put the CA's key beside " + e.CA + " (" + caKeyNames(e.CA) + "), or point --ca-dir DIR at a directory holding the CA certificate and its key"
	case e.CADir != "":
		return "--ca-dir DIR must hold the CA certificate that signed it (" + e.Issuer + ") and its key"
	}
	return "give the directory holding the CA that signed it (" + e.Issuer + ") and its key with --ca-dir DIR"
}

// caKeyNames are the names a CA's key is looked for by, beside caPath.
func caKeyNames(caPath string) string {
	var names []string
	for _, k := range pki.KeyCandidates(caPath) {
		names = append(names, filepath.Base(k))
	}
	return strings.Join(names, ", ")
}

// LoadCA reads a CA pair (e.g. dir/ca.crt and dir/ca.key) for signing.
func LoadCA(certPath string) (*Issued, error) {
	ca, err := LoadPair(certPath, "")
	if err != nil {
		return nil, err
	}
	if !ca.Cert.IsCA {
		return nil, fmt.Errorf("%s is not a CA certificate", certPath)
	}
	return ca, nil
}

// WriteRenewed replaces the certificate (and the key when it changed). A
// file that is a symbolic link (/etc/etcd/server.crt -> pki/server.crt, a
// Secret mount's tls.crt -> ..data/tls.crt) is replaced where it points
// (fileio.Write writes through links), so the link, and the layout it
// makes, stay.
func WriteRenewed(certPath string, r *Renewed, keyChanged bool) error {
	if keyChanged {
		keyPath := r.KeyPath
		if keyPath == "" {
			keyPath = KeyPath(certPath)
		}
		if err := fileio.Write(keyPath, r.KeyPEM, KeyMode); err != nil {
			return err
		}
	}
	return fileio.Write(certPath, r.CertPEM, certMode(certPath))
}

func certMode(path string) os.FileMode {
	if fi, err := os.Stat(path); err == nil {
		return fi.Mode().Perm()
	}
	return CertMode
}

// Due lists the leaf certificate files of the tree at dir that check would
// warn about for their dates — expiring (pki.Expiring: under warn and
// under a third of their lifetime) or expired — or every leaf with all, in
// check's order. A file is listed by its first certificate (the leaf;
// intermediates after it are kept by Renew). CAs are never listed: renew
// one explicitly (its key is kept), or rotate it.
func Due(dir string, warn time.Duration, all bool, now time.Time) ([]string, *TreeCheck, error) {
	check, err := CheckTree(dir, warn, now)
	if err != nil {
		return nil, nil, err
	}
	var out []string
	for _, r := range check.Results {
		if r.Index != 1 || r.Role == RoleCA || r.Role == "" {
			continue
		}
		if all || r.Status == StatusExpiring || r.Status == StatusExpired {
			out = append(out, filepath.Join(dir, r.Path))
		}
	}
	return out, check, nil
}
