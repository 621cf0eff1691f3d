package rotation

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

// PhaseError is a step the current phase does not allow.
type PhaseError struct {
	Phase Phase
	Msg   string
	Hint_ string
}

func (e *PhaseError) Error() string { return e.Msg }

// Hint says what to do instead.
func (e *PhaseError) Hint() string { return e.Hint_ }

// NextPhase is the phase after p, or "" at the end.
func NextPhase(p Phase) Phase {
	switch p {
	case PhaseTrustBoth:
		return PhaseServeNew
	case PhaseServeNew:
		return PhaseTrustNew
	case PhaseTrustNew:
		return PhaseDone
	case PhaseAbortServeOld:
		return PhaseAbortTrustOld
	case PhaseAbortTrustOld:
		return PhaseAborted
	}
	return ""
}

// AdvanceOptions controls Advance and Abort.
type AdvanceOptions struct {
	Now time.Time
	// Note is recorded in the history (e.g. that the gate held, or was
	// passed with --force and why).
	Note string
	// Force replaces files of the tree that are neither the originals nor
	// this rotation's own at the end (done).
	Force bool
}

// Advance moves the rotation in dir from phase from to the next phase and
// writes that phase's files: after trust-both, every server, peer and
// client certificate in scope reissued from the new CA(s) with its own key
// (rotation/<member>/server.crt, peer.crt…, rotation/clients/<name>.crt);
// after serve-new, bundles holding the new CA(s) only; after trust-new, the
// end: the old CA(s) moved to DIR/retired/<start time>/, the new CA(s) and
// the new certificates installed in the tree, and rotation.yaml with
// rotation/ moved there too. Abort's phases lead to aborted: the new CA's
// keys are deleted and the rotation is kept under retired/ for the record.
// The caller checks the gate first; from guards against another command
// having moved the rotation meanwhile.
func Advance(dir string, from Phase, opts AdvanceOptions) (*State, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	s, unlock, err := lockedState(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if s.Phase != from {
		return nil, &PhaseError{Phase: s.Phase, Msg: fmt.Sprintf("the rotation moved to phase %s meanwhile", s.Phase), Hint_: "check it again with 'etcd-certwiz rotate status'"}
	}
	to := NextPhase(s.Phase)
	switch s.Phase {
	case PhaseTrustBoth:
		err = s.issueLeaves(opts.Now)
	case PhaseServeNew:
		err = s.newOnlyBundles()
	case PhaseTrustNew:
		return s, s.finish(opts)
	case PhaseAbortServeOld:
	case PhaseAbortTrustOld:
		return s, s.retireAborted(opts)
	default:
		return nil, &PhaseError{Phase: s.Phase, Msg: "the rotation is " + string(s.Phase) + ": there is no next phase", Hint_: "start a new one with 'etcd-certwiz rotate start'"}
	}
	if err != nil {
		return nil, err
	}
	s.Phase = to
	s.event(opts.Now, opts.Note)
	return s, s.Save()
}

// Abort turns the rotation in dir back: from trust-both straight to
// abort-trust-old (put the original bundles back, rolling restart); from
// serve-new to abort-serve-old first (put the original certificates back,
// no restart), since a member that trusts the old CA only must not come up
// while others serve new certificates. Once the old CA is being dropped
// (trust-new) there is no way back but forward.
func Abort(dir string, opts AdvanceOptions) (*State, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	s, unlock, err := lockedState(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	switch s.Phase {
	case PhaseTrustBoth:
		s.Phase = PhaseAbortTrustOld
	case PhaseServeNew:
		s.Phase = PhaseAbortServeOld
	case PhaseTrustNew:
		return nil, &PhaseError{Phase: s.Phase, Msg: "the old CA is being dropped (phase trust-new): the rotation can no longer be aborted",
			Hint_: "finish it: copy the new-CA-only bundles, restart the members one at a time, then 'etcd-certwiz rotate next'"}
	case PhaseAbortServeOld, PhaseAbortTrustOld:
		return nil, &PhaseError{Phase: s.Phase, Msg: "the rotation is already being aborted (phase " + string(s.Phase) + ")",
			Hint_: "follow 'etcd-certwiz rotate status', then 'rotate next'"}
	default:
		return nil, &PhaseError{Phase: s.Phase, Msg: "the rotation is " + string(s.Phase), Hint_: "nothing to abort"}
	}
	s.event(opts.Now, "abort: "+opts.Note)
	return s, s.Save()
}

// newCA loads a new CA pair of the rotation.
func (s *State) newCA(c *CAChange) (*certwiz.Issued, error) {
	return certwiz.LoadCA(s.Path(c.New.Cert))
}

// issueLeaves reissues every leaf in scope from the new CA(s).
func (s *State) issueLeaves(now time.Time) error {
	cas := map[string]*certwiz.Issued{} // by the tree's CA file
	for _, c := range s.CAs() {
		ca, err := s.newCA(c)
		if err != nil {
			return err
		}
		cas[c.File] = ca
	}
	caFor := func(slot Slot) *certwiz.Issued {
		change := s.ClientCA
		if slot == SlotPeerCert {
			change = s.PeerCA
		}
		if change == nil {
			return nil
		}
		return cas[change.File]
	}
	type job struct {
		src, dst string
		set      func(serial string)
		ca       *certwiz.Issued
	}
	var jobs []job
	for i := range s.Members {
		m := &s.Members[i]
		for _, slot := range sortedSlots(m.Sources) {
			ca := caFor(slot)
			if ca == nil {
				continue
			}
			if m.Serials == nil {
				m.Serials = map[Slot]string{}
			}
			jobs = append(jobs, job{src: s.Path(m.Sources[slot]), dst: s.Path(MemberPath(s, m.Name, slot, false)), ca: ca,
				set: func(serial string) { m.Serials[slot] = serial }})
		}
	}
	for i := range s.Clients {
		c := &s.Clients[i]
		jobs = append(jobs, job{src: s.Path(c.Source), dst: s.Path(ClientPath(c.Name, false)), ca: caFor(SlotCert),
			set: func(serial string) { c.Serial = serial }})
	}
	type issued struct {
		dst  string
		pem  []byte
		set  func(string)
		hexs string
	}
	var out []issued
	for _, j := range jobs {
		old, err := LoadLeaf(j.src)
		if err != nil {
			return err
		}
		it, err := certwiz.Reissue(old.Cert, old.Key, j.ca, certwiz.RenewOptions{Now: now})
		if err != nil {
			return fmt.Errorf("reissue %s: %w", j.src, err)
		}
		out = append(out, issued{dst: j.dst, pem: it.CertPEM, set: j.set, hexs: SerialHex(it.Cert)})
	}
	for _, o := range out {
		if err := s.write(o.dst, o.pem, certwiz.CertMode, false); err != nil {
			return err
		}
		o.set(o.hexs)
	}
	return nil
}

// newOnlyBundles writes the bundles that hold the new CA(s) only.
func (s *State) newOnlyBundles() error {
	for _, m := range s.Members {
		if s.ClientCA != nil {
			if err := s.copyCA(s.ClientCA, MemberPath(s, m.Name, SlotTrustedCA, false)); err != nil {
				return err
			}
		}
		if s.PeerCA != nil {
			if err := s.copyCA(s.PeerCA, MemberPath(s, m.Name, SlotPeerTrustedCA, false)); err != nil {
				return err
			}
		}
	}
	if s.ClientCA != nil && s.Scope.Client {
		return s.copyCA(s.ClientCA, ClientPath("", false))
	}
	return nil
}

func (s *State) copyCA(c *CAChange, rel string) error {
	data, err := s.newOnly(c)
	if err != nil {
		return err
	}
	return s.write(s.Path(rel), data, certwiz.CertMode, false)
}

// newOnly is the bundle without the old CA: the new CA first (certwiz's
// layout pairs the first certificate of ca.crt with ca.key), then whatever
// else the tree's CA file held besides the CA replaced (another CA the
// members also trust is kept).
func (s *State) newOnly(c *CAChange) ([]byte, error) {
	nu, err := os.ReadFile(s.Path(c.New.Cert))
	if err != nil {
		return nil, err
	}
	orig, err := os.ReadFile(s.Path(c.Old.Cert))
	if err != nil {
		return nil, err
	}
	out := pemCerts(nu)
	for _, x := range pki.ParseFile(orig).Certs {
		if Fingerprint(x.Raw) != c.Old.SHA256 {
			out = append(out, certwiz.EncodeCert(x)...)
		}
	}
	return out, nil
}

// RetiredDir is where the rotation's old CA and records go at the end.
func (s *State) RetiredDir() string {
	stamp := s.Started.UTC().Format("20060102T150405Z")
	if s.Phase == PhaseAborted || s.Phase == PhaseAbortTrustOld {
		stamp += "-aborted"
	}
	return filepath.Join(s.dir, RetiredDirName, stamp)
}

// install is one file of the tree replaced at the end.
type install struct {
	rel, from string // tree path; the rotation's file holding the new content
	key       bool
}

// finish retires the old CA(s) and installs the new ones and the new
// certificates in the tree. Every check comes before any write.
func (s *State) finish(opts AdvanceOptions) error {
	var todo []install
	bundles := map[string][]byte{}
	for _, c := range s.CAs() {
		b, err := s.newOnly(c)
		if err != nil {
			return err
		}
		bundles[c.File] = b
		todo = append(todo, install{rel: c.File}, install{rel: keyRel(c.File), from: keyRel(c.New.Cert), key: true})
	}
	for _, m := range s.Members {
		for slot, src := range m.Sources {
			if _, ok := m.Serials[slot]; ok {
				todo = append(todo, install{rel: src, from: MemberPath(s, m.Name, slot, false)})
			}
		}
	}
	for _, c := range s.Clients {
		if c.Serial != "" {
			todo = append(todo, install{rel: c.Source, from: ClientPath(c.Name, false)})
		}
	}
	// Checks: every file to replace is the original or this rotation's.
	for _, in := range todo {
		cur, err := os.ReadFile(s.Path(in.rel))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if !s.ours(in.rel, cur) && !opts.Force {
			return &certwiz.ExistsError{Path: s.Path(in.rel)}
		}
	}
	retired := s.RetiredDir()
	// The old CA(s): the certificate as the tree held it at the start, the
	// key from the tree (unless an earlier, interrupted run moved it).
	for _, c := range s.CAs() {
		old, err := os.ReadFile(s.Path(c.Old.Cert))
		if err != nil {
			return err
		}
		if err := s.write(filepath.Join(retired, c.File), old, certwiz.CertMode, false); err != nil {
			return err
		}
		key, err := os.ReadFile(s.Path(keyRel(c.File)))
		if err == nil && digest(key) == s.Originals[keyRel(c.File)] {
			if err := s.write(filepath.Join(retired, keyRel(c.File)), key, certwiz.KeyMode, false); err != nil {
				return err
			}
		}
	}
	for _, in := range todo {
		data, ok := bundles[in.rel]
		var err error
		if !ok {
			data, err = os.ReadFile(s.Path(in.from))
		}
		if errors.Is(err, os.ErrNotExist) && in.key {
			continue // installed by an earlier, interrupted run
		}
		if err != nil {
			return err
		}
		mode := certwiz.CertMode
		if in.key {
			mode = certwiz.KeyMode
		}
		if err := s.write(s.Path(in.rel), data, mode, true); err != nil {
			return err
		}
	}
	// The new CA keys now live in the tree only.
	for _, c := range s.CAs() {
		if err := os.Remove(s.Path(keyRel(c.New.Cert))); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	s.Phase = PhaseDone
	s.event(opts.Now, opts.Note+"; old CA(s) retired to "+s.rel(retired))
	return s.retire(retired)
}

// retireAborted ends an aborted rotation: the new CA keys are deleted (the
// members trust them no longer) and the records kept under retired/.
func (s *State) retireAborted(opts AdvanceOptions) error {
	for _, c := range s.CAs() {
		if err := os.Remove(s.Path(keyRel(c.New.Cert))); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	s.Phase = PhaseAborted
	s.event(opts.Now, opts.Note+"; the new CA's key deleted")
	return s.retire(s.RetiredDir())
}

// retire saves the state and moves it with rotation/ under retired.
func (s *State) retire(retired string) error {
	if err := s.Save(); err != nil {
		return err
	}
	if err := os.MkdirAll(retired, certwiz.DirMode); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(s.dir, RotationDirName), filepath.Join(retired, RotationDirName)); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(s.dir, StateFileName), filepath.Join(retired, StateFileName)); err != nil {
		return err
	}
	if err := fileio.SyncDir(retired); err != nil {
		return err
	}
	return fileio.SyncDir(s.dir)
}

func keyRel(certRel string) string { return certwiz.KeyPath(certRel) }
