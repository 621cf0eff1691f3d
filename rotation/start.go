package rotation

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

// StartOptions controls Start.
type StartOptions struct {
	// Scope is the CAs to replace; the zero value means every CA of the
	// tree (client and peer). A tree with one CA rotates it for both.
	Scope Scope
	Tree  TreeOptions
	Files MemberFileOptions
	Now   time.Time
}

// ScopeError is a --client/--peer choice the tree cannot honour.
type ScopeError struct{ Msg string }

func (e *ScopeError) Error() string { return e.Msg }

// Hint says what to do.
func (e *ScopeError) Hint() string {
	return "one CA signs server, client and peer certificates here: rotate it for both (drop --client/--peer)"
}

// InProgressError is a start refused because a rotation is under way.
type InProgressError struct {
	Dir   string
	Phase Phase
	Since time.Time
}

func (e *InProgressError) Error() string {
	return fmt.Sprintf("a CA rotation is already in progress in %s (phase %s, started %s)", e.Dir, e.Phase, e.Since.UTC().Format(time.RFC3339))
}

// Hint says how to go on.
func (e *InProgressError) Hint() string {
	return "see where it stands with 'etcd-certwiz rotate status " + e.Dir + "'; go on with 'rotate next', or undo it with 'rotate abort'"
}

// Start begins a CA rotation of the tree at dir: it makes the new CA(s)
// with a distinct subject (the date in the CN), keeps copies of the files
// it will replace (for abort), writes per-member trust bundles holding the
// old and the new CA under DIR/rotation/<member>/ and the clients' bundle
// under DIR/rotation/clients/, and records it all in DIR/rotation.yaml at
// phase trust-both. It checks first that every leaf in scope is signed by
// the CA being replaced and has its key, since the second phase reissues
// them with their keys. It writes nothing when it refuses.
func Start(dir string, opts StartOptions) (*State, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	abs, unlock, err := lock(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if s, err := Load(abs); err == nil {
		return nil, &InProgressError{Dir: dir, Phase: s.Phase, Since: s.Started}
	} else if !errors.As(err, new(*NoRotationError)) {
		return nil, err
	}
	if exists(filepath.Join(abs, RotationDirName)) {
		return nil, &certwiz.ExistsError{Path: filepath.Join(abs, RotationDirName)}
	}
	t, err := FindTree(dir, opts.Tree)
	if err != nil {
		return nil, err
	}
	scope, err := chooseScope(t, opts.Scope)
	if err != nil {
		return nil, err
	}
	files, err := MemberFiles(t, opts.Files)
	if err != nil {
		return nil, err
	}
	s := &State{Version: 1, Layout: t.Layout, Phase: PhaseTrustBoth, Started: opts.Now.UTC(), Scope: scope,
		Written: map[string]string{}, Originals: map[string]string{}, dir: abs}
	b := &starter{s: s, t: t, now: opts.Now}
	if err := b.cas(); err != nil {
		return nil, err
	}
	if err := b.checkLeaves(); err != nil {
		return nil, err
	}
	for _, m := range t.Members {
		if err := safeName(m.Name); err != nil {
			return nil, err
		}
		ms := MemberState{Name: m.Name, Files: files[m.Name], Sources: map[Slot]string{}, Local: t.Layout == LayoutKubeadm && m.Dir == t.Dir}
		for slot, p := range m.Leaves {
			if b.inScope(slot) {
				ms.Sources[slot] = s.rel(p)
			}
		}
		s.Members = append(s.Members, ms)
	}
	if scope.Client {
		for _, c := range t.Clients {
			s.Clients = append(s.Clients, ClientState{Name: c.Name, Source: s.rel(c.Cert)})
		}
	}
	if err := b.write(); err != nil {
		// Nothing of a half-made rotation stays behind.
		os.RemoveAll(filepath.Join(abs, RotationDirName))
		return nil, err
	}
	s.event(opts.Now, "started: new CA(s) made, old+new trust bundles written")
	if err := s.Save(); err != nil {
		os.RemoveAll(filepath.Join(abs, RotationDirName))
		return nil, err
	}
	return s, nil
}

func chooseScope(t *Tree, want Scope) (Scope, error) {
	if !t.SeparatePeerCA() {
		if want.Client != want.Peer {
			return Scope{}, &ScopeError{Msg: "the tree has one CA (" + filepath.Base(t.ClientCA) + ") for clients and peers: it cannot be rotated for one of them only"}
		}
		return Scope{Client: true, Peer: true}, nil
	}
	if !want.Client && !want.Peer {
		return Scope{Client: true, Peer: true}, nil
	}
	return want, nil
}

type starter struct {
	s        *State
	t        *Tree
	now      time.Time
	oldCA    map[string]*certwiz.Issued // by tree CA file
	oldPEM   map[string][]byte          // the tree's CA file, whole
	newCA    map[string]*certwiz.Issued
	newNames map[string]string // tree CA file → rotation/new/<name>
}

func (b *starter) inScope(slot Slot) bool {
	switch slot {
	case SlotPeerCert:
		return b.s.Scope.Peer
	case SlotCert, SlotHealthcheckClient, SlotAPIServerClient:
		return b.s.Scope.Client
	}
	return false
}

// cas loads the old CA(s) and makes the new one(s).
func (b *starter) cas() error {
	b.oldCA, b.oldPEM, b.newCA, b.newNames = map[string]*certwiz.Issued{}, map[string][]byte{}, map[string]*certwiz.Issued{}, map[string]string{}
	var files []string
	if b.s.Scope.Client {
		files = append(files, b.t.ClientCA)
	}
	if b.s.Scope.Peer {
		files = append(files, b.t.PeerCA)
	}
	for _, f := range dedupe(files) {
		old, err := certwiz.LoadCA(f)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		nu, err := NewCA(old.Cert, b.now)
		if err != nil {
			return fmt.Errorf("new CA for %s: %w", f, err)
		}
		b.oldCA[f], b.oldPEM[f], b.newCA[f] = old, data, nu
		b.newNames[f] = filepath.Join(RotationDirName, "new", filepath.Base(f))
		change := &CAChange{File: b.s.rel(f), Old: caRef(old.Cert, filepath.Join(RotationDirName, "original", filepath.Base(f))),
			New: caRef(nu.Cert, b.newNames[f])}
		if f == b.t.ClientCA && b.s.Scope.Client {
			b.s.ClientCA = change
		}
		if f == b.t.PeerCA && b.s.Scope.Peer {
			b.s.PeerCA = change
		}
	}
	return nil
}

func caRef(c *x509.Certificate, rel string) CARef {
	return CARef{Subject: c.Subject.String(), SHA256: Fingerprint(c.Raw), NotAfter: c.NotAfter.UTC(), Cert: rel}
}

var datedCN = regexp.MustCompile(`\s+\d{4}-\d{2}-\d{2}(T\d{4}Z?)?$`)

// NewCA makes the successor of old: the same subject but for the date in
// its CN (a CA of the same name as the one it replaces is a known trap:
// clients and members pick CAs by name), the same key type and lifetime.
// Keys certwiz cannot generate (another curve or RSA size) become
// ECDSA P-256.
func NewCA(old *x509.Certificate, now time.Time) (*certwiz.Issued, error) {
	subject := old.Subject
	base := datedCN.ReplaceAllString(subject.CommonName, "")
	if base == "" {
		base = "etcd CA"
	}
	subject.CommonName = base + " " + now.UTC().Format("2006-01-02")
	if subject.CommonName == old.Subject.CommonName {
		subject.CommonName = base + " " + now.UTC().Format("2006-01-02T1504Z")
	}
	kt, ok := certwiz.KeyTypeOf(old.PublicKey)
	if !ok {
		kt = certwiz.ECDSAP256
	}
	days := int(old.NotAfter.Sub(old.NotBefore).Hours()/24 + 0.5)
	if days < 1 {
		days = 1
	}
	key, err := certwiz.GenerateKey(kt)
	if err != nil {
		return nil, err
	}
	return certwiz.Issue(certwiz.Request{Role: certwiz.RoleCA, Subject: &subject, Days: days, NotBefore: now.Add(-time.Minute)}, key, nil, nil)
}

// checkLeaves makes sure every leaf in scope is signed by the CA being
// replaced and has its key: the second phase reissues it with that key.
func (b *starter) checkLeaves() error {
	for _, l := range b.t.Leaves() {
		if l.Member != "" && !b.inScope(l.Slot) {
			continue
		}
		if l.Client != "" && !b.s.Scope.Client {
			continue
		}
		caFile := b.t.ClientCA
		if l.Peer {
			caFile = b.t.PeerCA
		}
		it, err := LoadLeaf(l.Path)
		if err != nil {
			var none *pki.NoKeyError
			if errors.As(err, &none) {
				return fmt.Errorf("%w: the rotation reissues every certificate with its own key", err)
			}
			return err
		}
		if it.Cert.CheckSignatureFrom(b.oldCA[caFile].Cert) != nil {
			return fmt.Errorf("%s (%s) is not signed by %s (%s): fix the tree first ('etcd-certwiz check %s')",
				l.Path, it.Cert.Subject, caFile, b.oldCA[caFile].Cert.Subject, b.t.Dir)
		}
	}
	return nil
}

// memberFile is the name of a slot's file under rotation/<member>/.
func memberFile(slot Slot, shared bool) string {
	switch slot {
	case SlotTrustedCA:
		return "ca.crt"
	case SlotPeerTrustedCA:
		if shared {
			return "ca.crt"
		}
		return "peer-ca.crt"
	case SlotCert:
		return "server.crt"
	case SlotPeerCert:
		return "peer.crt"
	case SlotHealthcheckClient:
		return "healthcheck-client.crt"
	case SlotAPIServerClient:
		return "apiserver-etcd-client.crt"
	}
	return string(slot)
}

// MemberPath is where the rotation keeps a member's file for slot, relative
// to the PKI directory; original selects the copy kept for abort.
func MemberPath(s *State, member string, slot Slot, original bool) string {
	dir := filepath.Join(RotationDirName, member)
	if original {
		dir = filepath.Join(RotationDirName, "original", member)
	}
	return filepath.Join(dir, memberFile(slot, s.SharedCA() || s.PeerCA == nil || s.ClientCA == nil))
}

// ClientPath is where the rotation keeps a client's certificate (name) or
// the clients' CA bundle (name ""), relative to the PKI directory.
func ClientPath(name string, original bool) string {
	dir := filepath.Join(RotationDirName, "clients")
	if original {
		dir = filepath.Join(RotationDirName, "original", "clients")
	}
	if name == "" {
		return filepath.Join(dir, "ca.crt")
	}
	return filepath.Join(dir, name+".crt")
}

// write puts the new CAs, the originals and the old+new bundles on disk.
func (b *starter) write() error {
	s := b.s
	for f, nu := range b.newCA {
		if err := s.write(s.Path(b.newNames[f]), nu.CertPEM, certwiz.CertMode, false); err != nil {
			return err
		}
		if err := s.write(s.Path(certwiz.KeyPath(b.newNames[f])), nu.KeyPEM, certwiz.KeyMode, false); err != nil {
			return err
		}
		if err := s.write(s.Path(filepath.Join(RotationDirName, "original", filepath.Base(f))), b.oldPEM[f], certwiz.CertMode, false); err != nil {
			return err
		}
		s.Originals[s.rel(f)] = digest(b.oldPEM[f])
		if key, err := os.ReadFile(certwiz.KeyPath(f)); err == nil {
			s.Originals[s.rel(certwiz.KeyPath(f))] = digest(key)
		}
	}
	bundle := func(caFile string) []byte {
		return append(append([]byte{}, pemCerts(b.oldPEM[caFile])...), b.newCA[caFile].CertPEM...)
	}
	for _, m := range b.t.Members {
		if s.Scope.Client {
			if err := b.pair(m.Name, SlotTrustedCA, bundle(b.t.ClientCA), b.oldPEM[b.t.ClientCA]); err != nil {
				return err
			}
		}
		if s.Scope.Peer {
			if err := b.pair(m.Name, SlotPeerTrustedCA, bundle(b.t.PeerCA), b.oldPEM[b.t.PeerCA]); err != nil {
				return err
			}
		}
		for slot, p := range m.Leaves {
			if !b.inScope(slot) {
				continue
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := s.write(s.Path(MemberPath(s, m.Name, slot, true)), data, certwiz.CertMode, false); err != nil {
				return err
			}
			s.Originals[s.rel(p)] = digest(data)
		}
	}
	if s.Scope.Client {
		if err := s.write(s.Path(ClientPath("", false)), bundle(b.t.ClientCA), certwiz.CertMode, false); err != nil {
			return err
		}
		if err := s.write(s.Path(ClientPath("", true)), b.oldPEM[b.t.ClientCA], certwiz.CertMode, false); err != nil {
			return err
		}
		for _, c := range b.t.Clients {
			data, err := os.ReadFile(c.Cert)
			if err != nil {
				return err
			}
			if err := s.write(s.Path(ClientPath(c.Name, true)), data, certwiz.CertMode, false); err != nil {
				return err
			}
			s.Originals[s.rel(c.Cert)] = digest(data)
		}
	}
	return nil
}

// pair writes a member's bundle for slot and the original it replaces.
func (b *starter) pair(member string, slot Slot, bundle, original []byte) error {
	s := b.s
	if err := s.write(s.Path(MemberPath(s, member, slot, false)), bundle, certwiz.CertMode, false); err != nil {
		return err
	}
	return s.write(s.Path(MemberPath(s, member, slot, true)), original, certwiz.CertMode, false)
}

// pemCerts is the certificates of a PEM file re-encoded, one after the
// other, without comments or other blocks.
func pemCerts(data []byte) []byte {
	var out []byte
	for _, c := range pki.ParseFile(data).Certs {
		out = append(out, certwiz.EncodeCert(c)...)
	}
	return out
}

// safeName refuses member names that would escape rotation/<member>/.
func safeName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || name == "original" || name == "clients" || name == "new" {
		return fmt.Errorf("member name %q cannot name a directory of the rotation", name)
	}
	return nil
}
