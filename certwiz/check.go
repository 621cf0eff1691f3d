package certwiz

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/etcd-ctx/etcd-ctx/internal/conn"
)

// Status of one certificate in a check, worst last.
type Status string

const (
	StatusOK       Status = "ok"
	StatusExpiring Status = "expiring"
	StatusExpired  Status = "expired"
	StatusUnfit    Status = "unfit"
	StatusInvalid  Status = "invalid"
)

// CheckResult is one certificate of a tree.
type CheckResult struct {
	Path     string    `json:"path"`
	Subject  string    `json:"subject"`
	Role     Role      `json:"role"`
	Issuer   string    `json:"issuer"`
	NotAfter time.Time `json:"not_after"`
	DaysLeft int       `json:"days_left"`
	Status   Status    `json:"status"`
	Problems []string  `json:"problems,omitempty"`
}

// Failed reports whether any result needs attention: check exits 1 then.
func Failed(results []CheckResult) bool {
	for _, r := range results {
		if r.Status != StatusOK {
			return true
		}
	}
	return false
}

// RoleFromPath infers a certificate's intended role from the standard layout;
// ok is false outside it.
func RoleFromPath(path string) (Role, bool) {
	base, parent := filepath.Base(path), filepath.Base(filepath.Dir(path))
	switch {
	case base == "ca.crt" || base == "peer-ca.crt":
		return RoleCA, true
	case parent == "clients":
		return RoleClient, true
	case base == "server.crt":
		return RoleServer, true
	case base == "peer.crt":
		return RolePeer, true
	}
	return "", false
}

// CheckTree checks every *.crt/*.pem certificate under dir: that it chains to
// a CA of the tree for its role's usages, is fit for its role, its key beside
// it matches, and it is valid for at least warn from now.
func CheckTree(dir string, warn time.Duration, now time.Time) ([]CheckResult, error) {
	certs, err := loadTree(dir)
	if err != nil {
		return nil, err
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("no certificates (*.crt, *.pem) under %s", dir)
	}
	var cas []*x509.Certificate
	for _, c := range certs {
		if c.cert.IsCA {
			cas = append(cas, c.cert)
		}
	}
	var results []CheckResult
	for _, c := range certs {
		results = append(results, checkOne(dir, c, cas, warn, now))
	}
	return results, nil
}

type treeCert struct {
	path string
	cert *x509.Certificate
	err  error
}

func loadTree(dir string) ([]treeCert, error) {
	var out []treeCert
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		ext := filepath.Ext(path)
		if d.IsDir() || (ext != ".crt" && ext != ".pem") || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			out = append(out, treeCert{path: path, err: err})
			return nil
		}
		certs, err := conn.ParseCerts(data)
		tc := treeCert{path: path, err: err}
		if err == nil {
			tc.cert = certs[0]
		}
		out = append(out, tc)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, err
}

func checkOne(dir string, c treeCert, cas []*x509.Certificate, warn time.Duration, now time.Time) CheckResult {
	rel, _ := filepath.Rel(dir, c.path)
	r := CheckResult{Path: rel, Status: StatusOK}
	if c.err != nil {
		r.Status, r.Problems = StatusInvalid, []string{c.err.Error()}
		return r
	}
	cert := c.cert
	role, ok := RoleFromPath(c.path)
	if !ok {
		role = Guess(cert)
	}
	r.Subject, r.Issuer, r.Role = cert.Subject.CommonName, cert.Issuer.CommonName, role
	r.NotAfter, r.DaysLeft = cert.NotAfter, DaysLeft(cert, now)
	fit := Fitness(cert, role)
	problems := fit.Reasons
	if err := chainsTo(cert, role, expectedCAs(dir, c.path, role, cas), now); err != nil {
		problems = append(problems, "does not chain to its CA in the tree: "+err.Error())
	}
	if p := keyProblem(c.path, cert); p != "" {
		problems = append(problems, p)
	}
	switch {
	case len(problems) > 0:
		r.Status = StatusUnfit
	case now.After(cert.NotAfter):
		r.Status, problems = StatusExpired, append(problems, Expiry(cert, now))
	case now.Before(cert.NotBefore):
		r.Status, problems = StatusInvalid, append(problems, Expiry(cert, now))
	case cert.NotAfter.Before(now.Add(warn)):
		r.Status, problems = StatusExpiring, append(problems, Expiry(cert, now))
	}
	if r.Status == StatusUnfit && now.After(cert.NotAfter) {
		problems = append(problems, Expiry(cert, now))
	}
	r.Problems = problems
	return r
}

// chainsTo verifies the chain at a time the certificate is valid, so an
// expired certificate reports "expired" rather than a chain error; a CA whose
// own validity is the problem is reported on the CA's row.
func chainsTo(cert *x509.Certificate, role Role, cas []*x509.Certificate, now time.Time) error {
	at := now
	if at.Before(cert.NotBefore) {
		at = cert.NotBefore
	}
	if at.After(cert.NotAfter) {
		at = cert.NotAfter
	}
	err := Verify(cert, role, cas, at)
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) && invalid.Reason == x509.Expired {
		for _, ca := range cas {
			if cert.CheckSignatureFrom(ca) == nil {
				return nil
			}
		}
	}
	return err
}

// expectedCAs narrows the tree's CAs to the one the layout says signs role:
// a peer certificate signed by the client CA would let any client in as a peer.
func expectedCAs(dir, path string, role Role, cas []*x509.Certificate) []*x509.Certificate {
	if _, inLayout := RoleFromPath(path); !inLayout || role == RoleCA {
		return cas
	}
	l := Layout{Dir: dir}
	want := l.CA()
	if role == RolePeer {
		if _, err := os.Stat(l.PeerCA()); err == nil {
			want = l.PeerCA()
		}
	}
	if it, err := LoadPair(want, false); err == nil {
		return []*x509.Certificate{it.Cert}
	}
	return cas
}

// keyProblem checks the key file beside a certificate, if there is one.
func keyProblem(certPath string, cert *x509.Certificate) string {
	keyPath := KeyPath(certPath)
	data, err := os.ReadFile(keyPath)
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		return err.Error()
	}
	key, err := conn.ParseKey(data)
	if err != nil {
		return filepath.Base(keyPath) + ": " + err.Error()
	}
	if !conn.KeyMatches(cert, key) {
		return filepath.Base(keyPath) + " does not match the certificate"
	}
	return ""
}

// ParseDays parses a duration that may use a "d" suffix for days ("30d"), as
// certificate lifetimes are counted, or anything time.ParseDuration takes.
func ParseDays(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		if _, err := fmt.Sscanf(n, "%d", &days); err == nil && fmt.Sprint(days) == n {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q: expected a duration such as 30d or 720h", s)
	}
	return d, nil
}
