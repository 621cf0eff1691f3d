package certwiz

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

// Status of one certificate in a check, worst last.
type Status string

const (
	StatusOK       Status = "ok"
	StatusExpiring Status = "expiring"
	StatusWarning  Status = "warning"
	StatusExpired  Status = "expired"
	StatusUnfit    Status = "unfit"
	StatusInvalid  Status = "invalid"
)

// CheckResult is one certificate of a tree (or a file that should hold one
// and does not).
type CheckResult struct {
	Path     string    `json:"path"`
	Index    int       `json:"index"` // 1-based position of the certificate in its file
	Subject  string    `json:"subject"`
	Role     Role      `json:"role"`
	Issuer   string    `json:"issuer"`
	NotAfter time.Time `json:"not_after"`
	DaysLeft int       `json:"days_left"`
	Status   Status    `json:"status"`
	Problems []string  `json:"problems,omitempty"`
	Key      string    `json:"key,omitempty"` // the key file paired with it
}

// Name is the result's file, with the certificate's position when its file
// holds several: "ca.crt[2]".
func (r CheckResult) Name() string {
	if r.Index > 1 {
		return fmt.Sprintf("%s[%d]", r.Path, r.Index)
	}
	return r.Path
}

// Skipped is a file (or the part of one) check did not judge as a
// certificate: a key paired with none, a CSR, another PEM block, a file of
// Kubernetes' own PKI.
type Skipped struct {
	Path string `json:"path"`
	What string `json:"what"`
}

// TreeCheck is the result of CheckTree.
type TreeCheck struct {
	Results []CheckResult
	Skipped []Skipped
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

// CheckTree checks every certificate of every file under dir, in any of the
// layouts pki knows (certwiz, cfssl, kubeadm, openssl): that it chains,
// through the certificates its file presents with it, to a CA of the tree
// for its role's usages (and when not, the exact broken link), that it is
// fit for its role (from its path, else its usages), that its key (found by
// the layout's conventions) matches and is usable, and that it is not
// expiring (pki.Expiring: under warn and under a third of its lifetime). An
// expired CA in a bundle that also holds a valid one is a warning (drop it);
// a bundle whose CAs are all expired is an error. Keys, CSRs and other PEM
// blocks are recorded in Skipped; empty or garbage files are invalid rows.
// It never fails on what a file holds, only on an unreadable tree.
func CheckTree(dir string, warn time.Duration, now time.Time) (*TreeCheck, error) {
	return Check(dir, CheckOptions{Warn: warn, Now: now})
}

// CheckOptions controls Check.
type CheckOptions struct {
	Warn time.Duration // the expiry warning window (pki.Expiring)
	Now  time.Time
	// CA is a trust bundle kept outside the tree (check --cacert), as etcd's
	// --trusted-ca-file or etcdctl's --cacert would be given it: when set,
	// every certificate of the tree that is not a self-signed CA must chain
	// to one of its certificates, instead of to the tree's own CA files.
	CA     []*x509.Certificate
	CAFile string // where CA was read, for messages
	// PeerCA, when set with CA, is the bundle peer certificates chain to
	// instead (etcd's --peer-trusted-ca-file, when peers have a CA of
	// their own).
	PeerCA     []*x509.Certificate
	PeerCAFile string
}

// Check is CheckTree with options: an outside CA bundle.
func Check(dir string, o CheckOptions) (*TreeCheck, error) {
	t := &tree{dir: dir, now: o.Now, warn: o.Warn, caFile: o.CAFile, peerCAFile: o.PeerCAFile}
	t.outside = pki.Locate(o.CA, o.CAFile)
	if len(o.CA) > 0 {
		t.outsidePeer = pki.Locate(o.PeerCA, o.PeerCAFile)
	}
	if err := t.load(); err != nil {
		return nil, err
	}
	if len(t.files) == 0 {
		return nil, fmt.Errorf("no certificates (*.crt, *.pem, *.cer) under %s", dir)
	}
	t.index()
	for _, l := range append(slices.Clone(t.outside), t.outsidePeer...) {
		if l.Cert.IsCA {
			t.cas = append(t.cas, l)
		}
	}
	out := &TreeCheck{}
	for _, f := range t.files {
		out.Results = append(out.Results, t.checkFile(f)...)
	}
	out.Skipped = t.skipped
	var unpaired []string
	for k := range t.keys {
		unpaired = append(unpaired, k)
	}
	sort.Strings(unpaired)
	for _, k := range unpaired {
		rel, _ := filepath.Rel(t.dir, k)
		out.Skipped = append(out.Skipped, Skipped{Path: rel, What: "a private key no certificate of the tree pairs with"})
	}
	unpaired = unpaired[:0]
	for k := range t.unreadable {
		unpaired = append(unpaired, k)
	}
	sort.Strings(unpaired)
	for _, k := range unpaired {
		rel, _ := filepath.Rel(t.dir, k)
		out.Skipped = append(out.Skipped, Skipped{Path: rel, What: "not readable (" + errors.Unwrap(t.unreadable[k]).Error() + "), not checked"})
	}
	if len(out.Results) == 0 {
		return out, fmt.Errorf("no certificates under %s (only %s)", dir, describeSkipped(out.Skipped))
	}
	sort.SliceStable(out.Results, func(i, j int) bool {
		a, b := out.Results[i], out.Results[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Index < b.Index
	})
	return out, nil
}

func describeSkipped(s []Skipped) string {
	if len(s) == 0 {
		return "nothing"
	}
	var parts []string
	for _, k := range s {
		parts = append(parts, k.Path+": "+k.What)
	}
	return strings.Join(parts, "; ")
}

type treeFile struct {
	path, rel string
	pem       *pki.File
	err       error // unreadable
	certs     []pki.Located
}

type tree struct {
	dir   string
	now   time.Time
	warn  time.Duration
	files []*treeFile // files that hold, or by their name should hold, certificates
	keys  map[string]bool
	// Key files the user may not read, until a certificate pairs with one.
	unreadable map[string]error
	skipped    []Skipped
	kubeadm    bool
	anchors    []pki.Located // self-signed CAs, and the CAs of bundles holding one
	cas        []pki.Located // every CA certificate of the tree (and of the outside bundle)
	outside    []pki.Located // the outside CA bundle (CheckOptions.CA), when given
	caFile     string
	// outsidePeer is the outside peer CA bundle (CheckOptions.PeerCA).
	outsidePeer []pki.Located
	peerCAFile  string
}

func (t *tree) load() error {
	t.keys, t.unreadable = map[string]bool{}, map[string]error{}
	t.kubeadm = fileio.IsRegular(filepath.Join(t.dir, "etcd", "ca.crt")) && fileio.IsRegular(filepath.Join(t.dir, "apiserver-etcd-client.crt"))
	// A tree reached through a symbolic link (/etc/etcd/pki -> /srv/pki, a
	// mounted volume) is walked through it: WalkDir does not follow a
	// link given as its root, but does with a trailing separator. Links
	// inside the tree are read as files (a Secret mount's ca.crt ->
	// ..data/ca.crt), never followed as directories.
	root := t.dir
	if fi, err := os.Lstat(root); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		root += string(filepath.Separator)
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && path != root {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if what := rotationDir(path, d); what != "" {
			rel, _ := filepath.Rel(t.dir, path)
			t.skipped = append(t.skipped, Skipped{Path: rel + string(filepath.Separator), What: what})
			return filepath.SkipDir
		}
		ext := strings.ToLower(filepath.Ext(path))
		if d.IsDir() || !(pki.IsCertPath(path) || ext == ".key" || ext == ".csr") {
			return nil
		}
		rel, _ := filepath.Rel(t.dir, path)
		if t.kubeadm && !strings.HasPrefix(rel, "etcd"+string(filepath.Separator)) && !strings.HasPrefix(d.Name(), "apiserver-etcd-client.") {
			t.skipped = append(t.skipped, Skipped{Path: rel, What: "not an etcd certificate (kubeadm's Kubernetes PKI)"})
			return nil
		}
		f := &treeFile{path: path, rel: rel}
		data, rerr := os.ReadFile(path)
		if rerr != nil && errors.Is(rerr, fs.ErrPermission) && (ext == ".key" || pki.IsKeyPath(path)) {
			// A key etcd's user owns (0600), met by another user: said on
			// the row of its certificate, else in the skipped files.
			t.unreadable[path] = rerr
			return nil
		}
		if rerr != nil {
			f.err = rerr
			t.files = append(t.files, f)
			return nil
		}
		f.pem = pki.ParseFile(data)
		certish := len(f.pem.Certs) > 0 || len(f.pem.BadCerts()) > 0
		switch {
		case certish:
			t.files = append(t.files, f)
			if n := f.pem.Count(pki.HoldsCSR); n > 0 {
				t.skipped = append(t.skipped, Skipped{Path: rel, What: fmt.Sprintf("%d certificate request(s) beside the certificates", n)})
			}
		case f.pem.Count(pki.HoldsPrivateKey) > 0:
			t.keys[path] = true
		case len(f.pem.Entries) > 0:
			t.skipped = append(t.skipped, Skipped{Path: rel, What: f.pem.Describe()})
		case pki.IsCertPath(path) || ext == ".key":
			t.files = append(t.files, f) // empty or garbage where a certificate or key should be
		default:
			t.skipped = append(t.skipped, Skipped{Path: rel, What: f.pem.Describe()})
		}
		return nil
	})
	sort.SliceStable(t.files, func(i, j int) bool { return t.files[i].path < t.files[j].path })
	return err
}

// index locates every certificate and sorts out the anchors: a trust
// bundle is a file holding a self-signed CA; every CA of it is trusted.
func (t *tree) index() {
	for _, f := range t.files {
		if f.pem == nil {
			continue
		}
		// Positions count every certificate block, parsed or not, as
		// messages and rows number them.
		n, total := 0, f.pem.Count(pki.HoldsCertificate)
		for _, e := range f.pem.Entries {
			if e.Holds != pki.HoldsCertificate {
				continue
			}
			n++
			if e.Cert != nil {
				l := pki.Located{Cert: e.Cert, Source: f.rel}
				if total > 1 {
					l.Pos = n
				}
				f.certs = append(f.certs, l)
			}
		}
		bundle := false
		for _, c := range f.pem.Certs {
			bundle = bundle || (c.IsCA && pki.SelfSigned(c))
		}
		for _, l := range f.certs {
			if !l.Cert.IsCA {
				continue
			}
			t.cas = append(t.cas, l)
			if bundle {
				t.anchors = append(t.anchors, l)
			}
		}
	}
}

func (t *tree) checkFile(f *treeFile) []CheckResult {
	base := CheckResult{Path: f.rel, Status: StatusInvalid}
	switch {
	case f.err != nil:
		base.Problems = []string{f.err.Error()}
		return []CheckResult{base}
	case len(f.pem.Certs) == 0 && len(f.pem.BadCerts()) == 0:
		what := "empty file"
		if f.pem.Text {
			what = "not PEM data (expected -----BEGIN CERTIFICATE-----)"
			if pki.IsKeyPath(f.path) {
				what = "not PEM data (expected -----BEGIN PRIVATE KEY-----)"
			}
		}
		if f.pem.Broken > 0 {
			what = f.pem.Describe()
		}
		base.Problems = []string{what}
		return []CheckResult{base}
	}
	var out []CheckResult
	n := 0
	bundle := pki.JudgeBundle(caCerts(f.pem.Certs), t.now)
	for _, e := range f.pem.Entries {
		if e.Holds != pki.HoldsCertificate {
			continue
		}
		n++
		if e.Bad != nil {
			r := CheckResult{Path: f.rel, Index: n, Subject: e.Bad.CommonName, Issuer: e.Bad.Issuer, NotAfter: e.Bad.NotAfter,
				Status: StatusInvalid, Problems: []string{e.Bad.Err.Error()}}
			if role, ok := pki.RoleFromPath(f.path); ok && n == 1 {
				r.Role = role
			}
			if !e.Bad.NotAfter.IsZero() {
				r.DaysLeft = pki.DaysLeft(&x509.Certificate{NotAfter: e.Bad.NotAfter}, t.now)
			}
			if n == 1 {
				r.Key, r.Problems = t.badCertKey(f, r.Problems)
			}
			out = append(out, r)
			continue
		}
		out = append(out, t.checkCert(f, n, e.Cert, bundle))
	}
	if f.pem.Broken > 0 && len(out) > 0 {
		out[0].Problems = append(out[0].Problems, fmt.Sprintf("%d PEM block(s) do not decode", f.pem.Broken))
		out[0].Status = StatusInvalid
	}
	return out
}

func caCerts(certs []*x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	for _, c := range certs {
		if c.IsCA {
			out = append(out, c)
		}
	}
	return out
}

func (t *tree) checkCert(f *treeFile, n int, cert *x509.Certificate, bundle pki.Bundle) CheckResult {
	r := CheckResult{Path: f.rel, Index: n, Status: StatusOK, Subject: cert.Subject.CommonName, Issuer: cert.Issuer.CommonName,
		NotAfter: cert.NotAfter, DaysLeft: pki.DaysLeft(cert, t.now)}
	role, ok := pki.RoleFromPath(f.path)
	if n > 1 || !ok {
		role = pki.Guess(cert)
	}
	r.Role = role
	var errs, warns []string
	errs = append(errs, pki.Fitness(cert, role).Reasons...)
	for _, p := range pki.KeyProblems(cert) {
		if p.Severity == pki.SevError {
			errs = append(errs, p.Msg)
		} else {
			warns = append(warns, p.Msg)
		}
	}
	brk, keyIDs := t.chain(f, n, cert, role)
	if brk != nil {
		errs = append(errs, "does not chain: "+brk.Cause+"; fix: "+brk.Fix)
	}
	for _, m := range keyIDs {
		warns = append(warns, m.Cause+"; fix: "+m.Fix)
	}
	if n == 1 {
		keyPath, p, warn := t.keyProblem(f, cert)
		switch {
		case p != "" && warn:
			warns = append(warns, p)
		case p != "":
			errs = append(errs, p)
		}
		if keyPath != "" {
			r.Key, _ = filepath.Rel(t.dir, keyPath)
		}
	}
	validity := pki.CheckValidity(cert, t.now)
	stale := validity != nil && cert.IsCA && len(bundle.Valid) > 0
	switch {
	case len(errs) > 0:
		r.Status = StatusUnfit
		if validity != nil {
			errs = append(errs, pki.Expiry(cert, t.now))
		}
	case stale:
		r.Status = StatusWarning
		for _, w := range bundle.Warnings(t.now) {
			if strings.Contains(w, pki.Name(cert)) {
				errs = append(errs, w)
				break
			}
		}
	case validity != nil && t.now.Before(cert.NotBefore):
		r.Status, errs = StatusInvalid, append(errs, pki.Expiry(cert, t.now))
	case validity != nil:
		r.Status, errs = StatusExpired, append(errs, pki.Expiry(cert, t.now))
		if cert.IsCA && len(bundle.Certs) > 1 {
			errs = append(errs, "every CA of this bundle is expired: nothing verifies against it")
		}
	case pki.Expiring(cert, t.warn, t.now):
		r.Status, errs = StatusExpiring, append(errs, pki.Expiry(cert, t.now))
	case len(warns) > 0:
		r.Status = StatusWarning
	}
	r.Problems = append(errs, warns...)
	return r
}

// chain verifies cert against the tree's anchors for its role, through the
// certificates its file presents after it. It is judged at a time the
// certificate itself is valid, so an expired certificate reports "expired"
// rather than a chain error; a CA whose own validity is the problem is
// reported on the CA's row too. A self-signed CA is its own anchor. A
// server certificate that chains also gets the links OpenSSL and Java
// clients refuse (pki.ChainInput.KeyIDMismatches).
func (t *tree) chain(f *treeFile, n int, cert *x509.Certificate, role Role) (*pki.Break, []*pki.Break) {
	if cert.IsCA && pki.SelfSigned(cert) {
		return nil, nil
	}
	at := t.now
	if at.Before(cert.NotBefore) {
		at = cert.NotBefore
	}
	if at.After(cert.NotAfter) {
		at = cert.NotAfter
	}
	roots, rootsName := t.expectedAnchors(f, role)
	i := slices.IndexFunc(f.certs, func(l pki.Located) bool { return l.Cert == cert })
	in := pki.ChainInput{Leaf: f.certs[i], Presented: f.certs[i+1:], Roots: roots, Elsewhere: t.cas, Role: role, Now: at,
		LeafFile: f.rel, RootsName: rootsName}
	if role == RoleCA {
		in.Usages = []x509.ExtKeyUsage{x509.ExtKeyUsageAny}
	}
	chain, brk := pki.Verify(in)
	if brk == nil {
		if role == RoleServer {
			// Clients verify a server's chain, and OpenSSL-based ones
			// (curl, Python, gRPC's C core) by key id; etcd (Go)
			// verifies peers' and clients' chains by signature.
			return nil, in.KeyIDMismatches(chain)
		}
		return nil, nil
	}
	if brk.Kind == pki.KindLeafUsage || brk.Kind == pki.KindLeafExpired || (brk.Kind == pki.KindUnsupportedKey && brk.Cert.Cert == cert) ||
		(brk.Kind == pki.KindWeakSignature && brk.Cert.Cert == cert) {
		return nil, nil // said by Fitness, the validity or KeyProblems already
	}
	if brk.Kind == pki.KindCAExpired && !at.Equal(t.now) && pki.CheckValidity(brk.Cert.Cert, t.now) == nil {
		return nil, nil // a CA valid today, judged at the end of this expired certificate's life
	}
	return brk, nil
}

// expectedAnchors are the CAs a certificate must chain to: the outside
// bundle when one is given; in certwiz's layout, ca.crt (peer-ca.crt for peers when there is one), since a peer
// certificate signed by the client CA would let any client in as a peer;
// elsewhere every trust bundle of the tree.
func (t *tree) expectedAnchors(f *treeFile, role Role) ([]pki.Located, string) {
	if role == RolePeer && len(t.outsidePeer) > 0 {
		return t.outsidePeer, t.peerCAFile
	}
	if len(t.outside) > 0 {
		return t.outside, t.caFile
	}
	l := Layout{Dir: t.dir}
	inLayout := fileio.IsRegular(l.CA()) && (filepath.Base(f.path) == "server.crt" || filepath.Base(f.path) == "peer.crt" ||
		filepath.Base(filepath.Dir(f.path)) == "clients")
	if inLayout && role != RoleCA {
		want := l.CA()
		if role == RolePeer && fileio.IsRegular(l.PeerCA()) {
			want = l.PeerCA()
		}
		for _, g := range t.files {
			if g.path == want && len(g.certs) > 0 {
				rel, _ := filepath.Rel(t.dir, want)
				return g.certs, rel
			}
		}
	}
	return t.anchors, "the tree's CA files"
}

// badCertKey names the key beside a certificate that does not parse, and
// its own problem when it has one (a secp256k1 key beside a secp256k1
// certificate), so the key is not reported as unpaired.
func (t *tree) badCertKey(f *treeFile, problems []string) (string, []string) {
	for _, p := range pki.KeyCandidates(f.path) {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		delete(t.keys, p)
		rel, _ := filepath.Rel(t.dir, p)
		if _, err := pki.ParseKey(data); err != nil && !strings.Contains(strings.Join(problems, ";"), err.Error()) {
			problems = append(problems, filepath.Base(p)+": "+err.Error())
		}
		return rel, problems
	}
	return "", problems
}

// keyProblem pairs the key file with the certificate by the layout's
// conventions (or a key in the same file), if there is one. A key the user
// may not read is a warning (warn): nothing is known against it.
func (t *tree) keyProblem(f *treeFile, cert *x509.Certificate) (keyPath, problem string, warn bool) {
	if f.pem.Count(pki.HoldsPrivateKey) > 0 {
		data, err := os.ReadFile(f.path)
		if err == nil {
			key, err := pki.ParseKey(data)
			switch {
			case err != nil:
				return f.path, "its private key (in the same file): " + err.Error(), false
			case !pki.KeyMatches(cert, key):
				return f.path, "the private key in the same file does not match the certificate", false
			}
			return f.path, "", false
		}
	}
	keyPath, _, err := pki.FindKey(f.path, cert, "")
	var none *pki.NoKeyError
	var unreadable *pki.UnreadableKeyError
	switch {
	case errors.As(err, &none):
		return "", "", false
	case errors.Is(err, pki.ErrKeyMismatch):
		return "", filepath.Base(keyPath) + " does not match the certificate", false
	case errors.As(err, &unreadable):
		delete(t.unreadable, keyPath)
		return keyPath, filepath.Base(keyPath) + " not readable (" + errors.Unwrap(unreadable.Err).Error() + "): its match was not checked (run check as its owner or root)", true
	case err != nil:
		return keyPath, filepath.Base(keyPath) + ": " + strings.TrimPrefix(err.Error(), keyPath+": "), false
	}
	delete(t.keys, keyPath)
	return keyPath, "", false
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

// rotationDir says what a directory of 'etcd-certwiz rotate' beside a CA
// holds, or "" for any other path: rotation/ (the files of a rotation in
// progress, checked live by 'rotate status') and retired/ (old CAs and
// finished rotations, no longer in use).
func rotationDir(path string, d fs.DirEntry) string {
	if !d.IsDir() || !fileio.IsRegular(filepath.Join(filepath.Dir(path), "ca.crt")) {
		return ""
	}
	switch d.Name() {
	case "rotation":
		return "the files of a CA rotation in progress (etcd-certwiz rotate status)"
	case "retired":
		return "old CAs and the records of finished CA rotations, no longer in use"
	}
	return ""
}
