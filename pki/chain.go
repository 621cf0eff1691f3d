package pki

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Located is a certificate and where it was found, as messages name it: a
// file ("int.crt"), "the server's chain", "the CA bundle".
type Located struct {
	Cert   *x509.Certificate
	Source string
	// Pos is the certificate's 1-based position in Source when Source holds
	// several, else 0.
	Pos int
}

// Where names the place: "int.crt", "ca.crt, certificate 2".
func (l Located) Where() string {
	if l.Pos > 0 {
		return fmt.Sprintf("%s, certificate %d", l.Source, l.Pos)
	}
	return l.Source
}

// ChainInput is what a chain is built from, as a TLS peer builds it: the
// leaf, the certificates presented with it, and the trust bundle.
type ChainInput struct {
	Leaf Located
	// Presented are the certificates sent with the leaf: the rest of its
	// file (etcd and etcdctl send a cert file whole), or the rest of the
	// chain a server sent.
	Presented []Located
	// Roots is the trust bundle: etcd's --trusted-ca-file, etcdctl's
	// --cacert. Go trusts every certificate in it as an anchor.
	Roots []Located
	// Elsewhere are other known certificates (the rest of a PKI tree, the
	// user's own CA bundle…). They are never trusted; they name an
	// intermediate that is missing from what is presented.
	Elsewhere []Located
	// Usages the chain must allow, each on its own; nil means Usages(Role).
	Usages []x509.ExtKeyUsage
	Role   Role
	Now    time.Time
	// LeafFile is where the leaf is presented from, for fixes ("client.crt",
	// "the member's --cert-file"); Leaf.Source when empty.
	LeafFile string
	// RootsName names the bundle in messages ("ca.crt", "the CA bundle in
	// use"); "the trusted CA bundle" when empty.
	RootsName string
}

// Kind names the link that breaks a chain.
type Kind string

const (
	// The leaf itself.
	KindLeafExpired Kind = "leaf-expired" // outside its validity period
	KindLeafUsage   Kind = "leaf-usage"   // lacks the extended key usage
	// Links.
	KindMissingIntermediate Kind = "missing-intermediate" // an intermediate is known but not presented
	KindUnknownIssuer       Kind = "unknown-issuer"       // no CA of the issuer's name is known at all
	KindUntrustedRoot       Kind = "untrusted-root"       // the chain ends at a self-signed root outside the bundle
	KindKeyMismatch         Kind = "key-mismatch"         // a CA of the right name but another key
	KindEKURestricted       Kind = "eku-restricted"       // a CA on the path restricts extended key usage
	KindCAExpired           Kind = "ca-expired"           // a CA on the path is expired or not yet valid
	KindNotCA               Kind = "not-ca"               // the issuer is not a CA (basic constraints)
	KindNoCertSign          Kind = "no-cert-sign"         // the issuer lacks the keyCertSign key usage
	KindPathLength          Kind = "path-length"          // a CA's pathlen is exceeded
	KindWeakSignature       Kind = "weak-signature"       // SHA-1 or MD5
	KindUnsupportedKey      Kind = "unsupported-key"      // a key Go cannot use
	KindOther               Kind = "other"                // anything else crypto/x509 refuses
	// Not a break for Go, only for OpenSSL and Java (KeyIDMismatches).
	KindKeyIDMismatch Kind = "key-id-mismatch" // AuthorityKeyId is not the issuer's SubjectKeyId
)

// Break is the exact link that breaks a chain, said in one sentence with
// its fix.
type Break struct {
	Kind Kind
	// Cert is the certificate to fix: the leaf for leaf kinds and for a key
	// or weak signature of the leaf; the CA for CA kinds; the certificate
	// whose issuer is unknown, signed by another key, or missing above it;
	// the root outside the bundle; the first missing intermediate.
	Cert Located
	// Child is the certificate below Cert on the path, when there is one.
	Child Located
	// Missing lists every intermediate to append, nearest the leaf first.
	Missing []Located
	// Others are the CAs of the right name but another key (key-mismatch).
	Others []Located
	// Lacks are the usages a restricted CA or the leaf does not allow.
	Lacks []x509.ExtKeyUsage
	Cause string
	Fix   string
	Err   error // crypto/x509's own verdict, for evidence
}

func (b *Break) Error() string { return b.Cause }

// Unwrap gives crypto/x509's own verdict, so errors.As finds its types.
func (b *Break) Unwrap() error { return b.Err }

// Name is how messages name a certificate: its subject, quoted.
func Name(c *x509.Certificate) string {
	if c == nil {
		return `""`
	}
	return fmt.Sprintf("%q", c.Subject.String())
}

func (l Located) name() string {
	if l.Source == "" {
		return Name(l.Cert)
	}
	return Name(l.Cert) + " (" + l.Where() + ")"
}

// Verify builds the chain for every usage the role needs and returns it,
// leaf first, anchor last; or the link that breaks it. It agrees with
// crypto/x509 by construction: x509 decides, and only on its refusal is the
// path walked again to name the broken link.
func Verify(in ChainInput) ([]Located, *Break) {
	usages := in.Usages
	if usages == nil {
		usages = Usages(in.Role)
	}
	if in.LeafFile == "" {
		in.LeafFile = in.Leaf.Source
	}
	if in.RootsName == "" {
		in.RootsName = "the trusted CA bundle"
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for _, r := range in.Roots {
		roots.AddCert(r.Cert)
	}
	for _, p := range in.Presented {
		inter.AddCert(p.Cert)
	}
	var path []Located
	for _, u := range usages {
		opts := x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: in.Now, KeyUsages: []x509.ExtKeyUsage{u}}
		chains, err := in.Leaf.Cert.Verify(opts)
		if err != nil {
			b := in.diagnose(u, usages)
			b.Err = err
			return nil, b
		}
		if path == nil {
			path = in.locate(chains[0])
		}
	}
	return path, nil
}

const (
	placeRoot = iota
	placePresented
	placeElsewhere
)

type candidate struct {
	Located
	place int
}

func (in *ChainInput) all() []candidate {
	var out []candidate
	for _, r := range in.Roots {
		out = append(out, candidate{r, placeRoot})
	}
	for _, p := range in.Presented {
		out = append(out, candidate{p, placePresented})
	}
	for _, e := range in.Elsewhere {
		out = append(out, candidate{e, placeElsewhere})
	}
	return out
}

// locate names the certificates of a chain crypto/x509 built.
func (in *ChainInput) locate(chain []*x509.Certificate) []Located {
	out := []Located{in.Leaf}
	for _, c := range chain[1:] {
		l := Located{Cert: c}
		for _, k := range in.all() {
			if k.Cert.Equal(c) {
				l = k.Located
				break
			}
		}
		out = append(out, l)
	}
	return out
}

// walker searches the paths crypto/x509 would consider, bounded.
type walker struct {
	in     *ChainInput
	all    []candidate
	usage  x509.ExtKeyUsage
	usages []x509.ExtKeyUsage
	steps  int
}

// outcome of a path: ok with the elsewhere certificates it needed, or a
// break found at depth (longer paths got further, so say more).
type outcome struct {
	ok      bool
	missing []Located
	brk     *Break
	depth   int
	linked  bool // the break is past a valid signature (not a same-name stranger)
}

func (in *ChainInput) diagnose(usage x509.ExtKeyUsage, usages []x509.ExtKeyUsage) *Break {
	leaf := in.Leaf
	for _, p := range KeyProblems(leaf.Cert) {
		if p.Severity == SevError {
			kind := KindUnsupportedKey
			if weakSignature(leaf.Cert.SignatureAlgorithm) && strings.HasPrefix(p.Msg, "signed with") {
				kind = KindWeakSignature
			}
			return &Break{Kind: kind, Cert: leaf, Cause: leaf.name() + ": " + p.Msg, Fix: strings.Replace(p.Fix, "reissue it", "reissue "+Name(leaf.Cert), 1)}
		}
	}
	if err := CheckValidity(leaf.Cert, in.Now); err != nil {
		return &Break{Kind: KindLeafExpired, Cert: leaf, Cause: leaf.name() + " is " + err.Error(),
			Fix: "renew it (etcd-certwiz renew " + in.LeafFile + "); if the dates look right, fix the clock"}
	}
	var lacks []x509.ExtKeyUsage
	for _, u := range usages {
		if !HasEKU(leaf.Cert, u) {
			lacks = append(lacks, u)
		}
	}
	if len(lacks) > 0 {
		return &Break{Kind: KindLeafUsage, Cert: leaf, Lacks: lacks,
			Cause: fmt.Sprintf("%s lacks the %s extended key usage (it has %s)", leaf.name(), ekuList(lacks), ExtKeyUsageList(leaf.Cert)),
			Fix:   "reissue it with " + ekuList(usages)}
	}
	if len(leaf.Cert.UnhandledCriticalExtensions) > 0 {
		return &Break{Kind: KindOther, Cert: leaf, Cause: leaf.name() + " carries a critical extension Go does not handle, so etcd refuses it",
			Fix: "reissue it without that extension"}
	}
	w := &walker{in: in, all: in.all(), usage: usage, usages: usages}
	start := candidate{leaf, placePresented}
	for _, r := range in.Roots {
		if r.Cert.Equal(leaf.Cert) {
			start.place = placeRoot
		}
	}
	o := w.walk(start, []candidate{start})
	switch {
	case o.brk != nil:
		return o.brk
	case o.ok && len(o.missing) > 0:
		return in.missingBreak(o.missing)
	}
	return &Break{Kind: KindOther, Cert: leaf, Cause: leaf.name() + " does not verify against " + in.RootsName,
		Fix: "compare it with the bundle: etcd-certwiz inspect " + in.LeafFile}
}

func (w *walker) walk(cur candidate, chain []candidate) outcome {
	if cur.place == placeRoot {
		return outcome{ok: true}
	}
	w.steps++
	depth := len(chain)
	if w.steps > 64 || depth > 10 {
		return outcome{brk: &Break{Kind: KindOther, Cert: cur.Located, Cause: "the chain above " + cur.name() + " is too long or loops"}, depth: depth}
	}
	var cands []candidate
	for _, c := range w.all {
		if bytes.Equal(c.Cert.RawSubject, cur.Cert.RawIssuer) && !inChain(c, chain) {
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 {
		return outcome{brk: w.in.noIssuerBreak(cur, chain), depth: depth}
	}
	var best *outcome
	var strangers []Located
	for _, c := range cands {
		o := w.consider(cur, c, chain)
		if o.ok && len(o.missing) == 0 {
			return o
		}
		if o.brk != nil && o.brk.Kind == KindKeyMismatch && !o.linked {
			strangers = append(strangers, c.Located)
		}
		if best == nil || better(o, *best) {
			best = &o
		}
	}
	if best.brk != nil && best.brk.Kind == KindKeyMismatch && !best.linked {
		best.brk = w.in.keyMismatchBreak(cur, strangers)
	}
	return *best
}

// better prefers a complete path (however many intermediates it misses),
// then a break past a valid signature, then the deeper break.
func better(a, b outcome) bool {
	if a.ok != b.ok {
		return a.ok
	}
	if a.ok {
		return len(a.missing) < len(b.missing)
	}
	if a.linked != b.linked {
		return a.linked
	}
	return a.depth > b.depth
}

func inChain(c candidate, chain []candidate) bool {
	for _, k := range chain {
		if k.Cert.Equal(c.Cert) {
			return true
		}
	}
	return false
}

// consider checks parent as the issuer of child the way crypto/x509's chain
// building does, then climbs on.
func (w *walker) consider(child, parent candidate, chain []candidate) outcome {
	depth := len(chain)
	in := w.in
	brk := func(kind Kind, cause, fix string) outcome {
		return outcome{brk: &Break{Kind: kind, Cert: parent.Located, Child: child.Located, Cause: cause, Fix: fix}, depth: depth, linked: true}
	}
	if uk := publicKeyProblem(parent.Cert.PublicKey); uk != nil {
		return brk(KindUnsupportedKey, parent.name()+" cannot verify what it signed: "+uk.Error(), "reissue CA "+Name(parent.Cert)+" and the certificates under it")
	}
	err := parent.Cert.CheckSignature(child.Cert.SignatureAlgorithm, child.Cert.RawTBSCertificate, child.Cert.Signature)
	var insecure x509.InsecureAlgorithmError
	if err != nil && !errors.As(err, &insecure) {
		return outcome{brk: &Break{Kind: KindKeyMismatch, Cert: child.Located}, depth: depth}
	}
	if weakSignature(child.Cert.SignatureAlgorithm) {
		o := brk(KindWeakSignature, fmt.Sprintf("%s is signed by %s with %s, which Go (and so etcd) refuses", child.name(), Name(parent.Cert), child.Cert.SignatureAlgorithm),
			"reissue "+Name(child.Cert)+" with SHA-256 (openssl … -sha256)")
		o.brk.Cert, o.brk.Child = child.Located, Located{}
		return o
	}
	// crypto/x509 refuses a signature by a version 3 certificate without
	// basicConstraints, or with CA:FALSE (CheckSignatureFrom, for every
	// issuer, anchors included); an intermediate must moreover carry
	// CA:TRUE, so a version 1 one (openssl x509 -req without -extfile) is
	// refused too ("not authorized to sign other certificates"). An anchor
	// of the bundle is not checked further: Go trusts it as it is.
	if (parent.Cert.Version == 3 && !parent.Cert.BasicConstraintsValid) || (parent.Cert.BasicConstraintsValid && !parent.Cert.IsCA) ||
		(parent.place != placeRoot && !parent.Cert.BasicConstraintsValid) {
		return brk(KindNotCA, notCACause(parent.Located, child.Located, in.Leaf), notCAFix(parent.Cert, child.Cert))
	}
	if parent.Cert.KeyUsage != 0 && parent.Cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return brk(KindNoCertSign, fmt.Sprintf("CA %s lacks the keyCertSign key usage, so the certificates it signs do not verify", parent.name()),
			"reissue "+Name(parent.Cert)+" with keyUsage=critical,keyCertSign,cRLSign (keeping its key, so what it signed stays valid)")
	}
	if err := CheckValidity(parent.Cert, in.Now); err != nil {
		what := "CA"
		if !selfSigned(parent.Cert) {
			what = "intermediate CA"
		}
		return brk(KindCAExpired, fmt.Sprintf("%s %s is %s", what, parent.name(), err.Error()),
			"renew "+Name(parent.Cert)+" with its key kept (etcd-certwiz renew keeps it, so what it signed stays valid) and replace it everywhere it is used; if the dates look right, fix the clock")
	}
	if n := depth - 1; parent.Cert.BasicConstraintsValid && parent.Cert.MaxPathLen >= 0 && n > parent.Cert.MaxPathLen {
		return brk(KindPathLength, fmt.Sprintf("CA %s allows %d intermediate CA(s) below it (pathlen:%d), but the chain has %d", parent.name(), parent.Cert.MaxPathLen, parent.Cert.MaxPathLen, n),
			"reissue "+Name(parent.Cert)+" with a larger pathlen (or none), keeping its key")
	}
	if len(parent.Cert.UnhandledCriticalExtensions) > 0 {
		return brk(KindOther, parent.name()+" carries a critical extension Go does not handle, so the chain through it is refused",
			"reissue "+Name(parent.Cert)+" without that extension")
	}
	if !HasEKU(parent.Cert, w.usage) {
		var lacks []x509.ExtKeyUsage
		for _, u := range w.usages {
			if !HasEKU(parent.Cert, u) {
				lacks = append(lacks, u)
			}
		}
		o := brk(KindEKURestricted, fmt.Sprintf("CA %s restricts extended key usage to %s, so Go (and so etcd and etcdctl) refuse %s for %s: every CA on the chain must allow the leaf's usage or carry no extended key usage",
			parent.name(), ExtKeyUsageList(parent.Cert), Name(in.Leaf.Cert), ekuList(lacks)),
			"reissue CA "+Name(parent.Cert)+" without extendedKeyUsage (or with serverAuth and clientAuth), keeping its key, and replace it wherever it is sent or trusted; or sign the certificates with a CA that carries no extended key usage")
		o.brk.Lacks = lacks
		return o
	}
	if parent.place == placeRoot {
		return outcome{ok: true}
	}
	o := w.walk(parent, append(chain[:len(chain):len(chain)], parent))
	if o.ok && parent.place == placeElsewhere && !selfSigned(parent.Cert) {
		o.missing = append([]Located{parent.Located}, o.missing...)
	}
	if !o.ok && o.brk != nil && o.depth > depth {
		o.linked = true
	}
	return o
}

// notCACause says which certificate is not a CA and how: a version 1
// certificate has no extensions at all (openssl x509 -req without
// -extfile), a version 3 one lacks basicConstraints or says CA:FALSE.
func notCACause(parent, child, leaf Located) string {
	c := parent.Cert
	what := "has no basicConstraints extension (a version 1 certificate, as openssl x509 -req makes without -extfile)"
	switch {
	case c.BasicConstraintsValid:
		what = "has basicConstraints CA:FALSE"
	case c.Version == 3:
		what = "has no basicConstraints extension"
	}
	role := "the CA"
	if !selfSigned(c) {
		role = "the intermediate CA"
	}
	of := Name(leaf.Cert)
	if !child.Cert.Equal(leaf.Cert) {
		of = Name(child.Cert) + " and so of " + of
	}
	return fmt.Sprintf("%s %s on the chain of %s is not a CA: it %s, so Go (and so etcd and etcdctl) refuses every certificate it signed (\"x509: certificate is not authorized to sign other certificates\")",
		role, parent.name(), of, what)
}

func notCAFix(parent, child *x509.Certificate) string {
	reissue := fmt.Sprintf("reissue %s with basicConstraints=critical,CA:TRUE (and keyUsage=critical,keyCertSign,cRLSign), keeping its key so what it signed stays valid: openssl x509 -req -in inter.csr -CA ca.crt -CAkey ca.key -extfile ext.cnf (those two lines in ext.cnf); then replace it in every file that carries it (the members' --cert-file and the clients' --cert bundles)", Name(parent))
	if selfSigned(parent) {
		reissue = fmt.Sprintf("reissue %s with basicConstraints=critical,CA:TRUE (and keyUsage=critical,keyCertSign,cRLSign), keeping its key: openssl req -x509 -key ca.key -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign …; then replace it wherever it is trusted", Name(parent))
	}
	if parent.BasicConstraintsValid {
		// CA:FALSE: usually a leaf certificate used to sign.
		return "sign " + Name(child) + " with a real CA, or " + reissue
	}
	return reissue + "; or sign " + Name(child) + " with a real CA"
}

// noIssuerBreak: nothing of the issuer's name is known.
func (in *ChainInput) noIssuerBreak(cur candidate, chain []candidate) *Break {
	c := cur.Cert
	if bytes.Equal(c.RawIssuer, c.RawSubject) {
		if len(chain) == 1 {
			return &Break{Kind: KindUntrustedRoot, Cert: cur.Located,
				Cause: fmt.Sprintf("%s is self-signed and not in %s", cur.name(), in.RootsName),
				Fix:   "use a certificate issued by a CA in " + in.RootsName + ", or add this one to the bundle"}
		}
		return &Break{Kind: KindUntrustedRoot, Cert: cur.Located, Child: chain[len(chain)-2].Located,
			Cause: fmt.Sprintf("the chain of %s ends at root CA %s, which %s does not hold", Name(in.Leaf.Cert), cur.name(), in.RootsName),
			Fix:   fmt.Sprintf("add %s to %s (cat it >> the bundle), or reissue from a CA the bundle holds", Name(c), in.RootsName)}
	}
	issuer := fmt.Sprintf("%q", issuerString(c))
	if len(chain) == 1 {
		return &Break{Kind: KindUnknownIssuer, Cert: cur.Located,
			Cause: fmt.Sprintf("%s was issued by %s, which is neither in %s nor presented with it", cur.name(), issuer, in.RootsName),
			Fix: fmt.Sprintf("use the CA bundle that holds %s; if %s is an intermediate CA, append it to %s (cat leaf.crt intermediate.crt > chain.crt, leaf first)",
				issuer, issuer, in.LeafFile)}
	}
	return &Break{Kind: KindUnknownIssuer, Cert: cur.Located, Child: chain[len(chain)-2].Located,
		Cause: fmt.Sprintf("intermediate %s was issued by %s, which is not in %s", cur.name(), issuer, in.RootsName),
		Fix:   fmt.Sprintf("add %s to %s, or append it to %s after the intermediate", issuer, in.RootsName, in.LeafFile)}
}

func (in *ChainInput) keyMismatchBreak(cur candidate, others []Located) *Break {
	var ids, where []string
	for _, o := range others {
		ids = append(ids, KeyID(o.Cert))
		where = append(where, o.Where())
	}
	aki := hexID(cur.Cert.AuthorityKeyId)
	return &Break{Kind: KindKeyMismatch, Cert: cur.Located, Others: others,
		Cause: fmt.Sprintf("%s was signed by the key %s (its AuthorityKeyId) but the CA named %q in %s has the key %s, and its signature does not verify: the CA was regenerated under the same name",
			cur.name(), aki, issuerString(cur.Cert), strings.Join(dedupe(where), ", "), strings.Join(dedupe(ids), ", ")),
		Fix: fmt.Sprintf("use the CA certificate that really signed it (key %s), or reissue %s from the new CA", aki, Name(cur.Cert))}
}

func (in *ChainInput) missingBreak(missing []Located) *Break {
	first := missing[0]
	var names, files []string
	whole := true
	for _, m := range missing {
		names = append(names, m.name())
		files = append(files, m.Source)
		whole = whole && m.Pos == 0 && m.Source != ""
	}
	fix := fmt.Sprintf("append it after the leaf: cat %s %s > chain.crt, and use chain.crt in place of %s",
		in.LeafFile, strings.Join(dedupe(files), " "), in.LeafFile)
	if !whole {
		fix = fmt.Sprintf("append it after the leaf (save it from %s to intermediate.crt, e.g. with etcd-certwiz inspect or openssl x509): cat %s intermediate.crt > chain.crt, and use chain.crt in place of %s",
			strings.Join(dedupe(whereAll(missing)), " and "), in.LeafFile, in.LeafFile)
	}
	return &Break{Kind: KindMissingIntermediate, Cert: first, Missing: missing, Child: in.Leaf,
		Cause: fmt.Sprintf("the intermediate CA %s is missing from %s: without it nothing links %s to %s",
			strings.Join(names, " and "), in.LeafFile, Name(in.Leaf.Cert), in.RootsName),
		Fix: fix}
}

func whereAll(ls []Located) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Where()
	}
	return out
}

func issuerString(c *x509.Certificate) string { return c.Issuer.String() }

func ekuList(us []x509.ExtKeyUsage) string {
	names := make([]string, len(us))
	for i, u := range us {
		names[i] = EKUName(u)
	}
	return strings.Join(names, " and ")
}

func dedupe(s []string) []string {
	var out []string
	for _, x := range s {
		dup := false
		for _, y := range out {
			dup = dup || x == y
		}
		if !dup && x != "" {
			out = append(out, x)
		}
	}
	return out
}

// KeyIDMismatches returns, for each link of chain (as Verify returned it
// for in: leaf first) whose certificate names its issuer's key
// (AuthorityKeyId) otherwise than that issuer names its own
// (SubjectKeyId), a Break of kind KindKeyIDMismatch (Cert the issuer,
// Child the certificate); a link is fine when another certificate of in by
// the issuer's name carries that id. Go, so etcd and etcdctl, verifies a
// link by its signature and accepts it; OpenSSL (curl, Python, gRPC's C
// core) and Java look the issuer up by that key id first and refuse the
// chain ("unable to get local issuer certificate"). It happens when a CA
// is re-signed from its own key by a tool that computes the id another way
// (SHA-1 against Go 1.25's truncated SHA-256) or sets it by hand. Links
// where either id is absent are fine for both. Nil when none.
func (in ChainInput) KeyIDMismatches(chain []Located) []*Break {
	var out []*Break
	for i := 0; i+1 < len(chain); i++ {
		child, parent := chain[i], chain[i+1]
		aki, ski := child.Cert.AuthorityKeyId, parent.Cert.SubjectKeyId
		if len(aki) == 0 || len(ski) == 0 || bytes.Equal(aki, ski) {
			continue
		}
		if slices.ContainsFunc(in.all(), func(c candidate) bool {
			return bytes.Equal(c.Cert.SubjectKeyId, aki) && bytes.Equal(c.Cert.RawSubject, child.Cert.RawIssuer)
		}) {
			continue
		}
		out = append(out, &Break{Kind: KindKeyIDMismatch, Cert: parent, Child: child,
			Cause: fmt.Sprintf("%s names its issuer's key %s (AuthorityKeyId), but its issuer %s has the SubjectKeyId %s: Go (etcd, etcdctl) accepts the chain by its signature, OpenSSL-based clients (curl, Python, gRPC's C core) and Java refuse it (\"unable to get local issuer certificate\")",
				child.name(), hexID(aki), parent.name(), hexID(ski)),
			Fix: fmt.Sprintf("re-sign %s from its own key with -addext subjectKeyIdentifier=%s (what it signed stays valid), or reissue %s from it as it is",
				Name(parent.Cert), hexID(aki), Name(child.Cert))})
	}
	return out
}
