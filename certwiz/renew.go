package certwiz

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// RenewOptions controls Renew.
type RenewOptions struct {
	AddSANs   []string // extra hosts for the new certificate
	RotateKey bool     // generate a new key of the same type
	Days      int      // 0 keeps the old certificate's lifetime
	CADir     string   // where the issuing CA lives; "" searches upwards
	Now       time.Time
}

// Renewed is a reissued certificate and where its CA came from.
type Renewed struct {
	*Issued
	Old    *x509.Certificate
	CAPath string
}

// Renew reissues the certificate at certPath with the same subject, SANs and
// key usages (plus opts.AddSANs), signed by the CA that signed it, keeping its
// key unless opts.RotateKey. A self-signed CA is renewed with its own key, so
// the certificates it signed keep verifying. Nothing is written.
func Renew(certPath string, opts RenewOptions) (*Renewed, error) {
	old, err := LoadPair(certPath, true)
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
			return nil, fmt.Errorf("cannot generate a new %s key; renew without --rotate-key", kt)
		}
		if key, err = GenerateKey(kt); err != nil {
			return nil, err
		}
	}
	t, err := renewTemplate(old.Cert, add, opts)
	if err != nil {
		return nil, err
	}
	if t.SubjectKeyId, err = keyID(key.Public()); err != nil {
		return nil, err
	}
	r := &Renewed{Old: old.Cert}
	ca := &Issued{Cert: t, Key: key}
	if !isSelfSigned(old.Cert) {
		if ca, r.CAPath, err = FindIssuer(certPath, old.Cert, opts.CADir); err != nil {
			return nil, err
		}
	}
	if r.Issued, err = sign(t, key, ca.Cert, ca.Key); err != nil {
		return nil, err
	}
	return r, nil
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

// FindIssuer finds the CA certificate and key that signed cert: in caDir if
// given, else in the certificate's directory and its parents (the layout puts
// ca.crt and peer-ca.crt at the top of the tree).
func FindIssuer(certPath string, cert *x509.Certificate, caDir string) (*Issued, string, error) {
	dirs := []string{caDir}
	if caDir == "" {
		dirs = nil
		abs, err := filepath.Abs(filepath.Dir(certPath))
		if err != nil {
			return nil, "", err
		}
		for d := abs; ; d = filepath.Dir(d) {
			dirs = append(dirs, d)
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, d := range dirs {
		for _, name := range []string{"ca.crt", "peer-ca.crt"} {
			p := filepath.Join(d, name)
			ca, err := LoadPair(p, false)
			if err != nil || cert.CheckSignatureFrom(ca.Cert) != nil {
				continue
			}
			if ca, err = LoadPair(p, true); err != nil {
				return nil, "", fmt.Errorf("found the issuing CA %s but not its key: %w", p, err)
			}
			return ca, p, nil
		}
	}
	where := "beside it or in a parent directory"
	if caDir != "" {
		where = "in " + caDir
	}
	return nil, "", errors.New("no CA that signed " + certPath + " (ca.crt or peer-ca.crt with its key) " + where)
}

// LoadCA reads a CA pair (e.g. dir/ca.crt and dir/ca.key) for signing.
func LoadCA(certPath string) (*Issued, error) {
	ca, err := LoadPair(certPath, true)
	if err != nil {
		return nil, err
	}
	if !ca.Cert.IsCA {
		return nil, fmt.Errorf("%s is not a CA certificate", certPath)
	}
	return ca, nil
}

// WriteRenewed replaces the certificate (and the key when it changed).
func WriteRenewed(certPath string, r *Renewed, keyChanged bool) error {
	if keyChanged {
		if err := WriteFile(KeyPath(certPath), r.KeyPEM, KeyMode); err != nil {
			return err
		}
	}
	return WriteFile(certPath, r.CertPEM, certMode(certPath))
}

func certMode(path string) os.FileMode {
	if fi, err := os.Stat(path); err == nil {
		return fi.Mode().Perm()
	}
	return CertMode
}
