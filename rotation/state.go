package rotation

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
	"github.com/etcd-ctx/etcd-ctx/internal/flock"
)

// Names inside the PKI directory.
const (
	StateFileName   = "rotation.yaml" // the state machine
	RotationDirName = "rotation"      // the files of the rotation in progress
	RetiredDirName  = "retired"       // old CAs and finished rotations
	lockFileName    = ".rotation.lock"
)

// Phase is where a rotation stands. The normal order is trust-both,
// serve-new, trust-new, done; abort leads back through abort-serve-old
// (when members already serve new certificates) and abort-trust-old to
// aborted.
type Phase string

const (
	// Every member trusts the old and the new CA (bundles, rolling restart).
	PhaseTrustBoth Phase = "trust-both"
	// Every member serves certificates from the new CA (leaf swap, no restart).
	PhaseServeNew Phase = "serve-new"
	// Every member trusts the new CA only (bundles, rolling restart).
	PhaseTrustNew Phase = "trust-new"
	// The old CA is retired; the tree holds the new one.
	PhaseDone Phase = "done"
	// Abort: every member serves its original certificates again.
	PhaseAbortServeOld Phase = "abort-serve-old"
	// Abort: every member trusts the old CA only again (rolling restart).
	PhaseAbortTrustOld Phase = "abort-trust-old"
	// The rotation was abandoned; the new CA is retired unused.
	PhaseAborted Phase = "aborted"
)

// Scope says which CAs a rotation replaces.
type Scope struct {
	Client bool `yaml:"client" json:"client"` // the CA of server and client certificates (ca.crt)
	Peer   bool `yaml:"peer" json:"peer"`     // the CA of peer certificates (peer-ca.crt)
}

// State is rotation.yaml: everything a rotation needs to go on from any
// machine holding the PKI directory. Paths of the rotation's own files are
// relative to the PKI directory; the members' files (members[].files) are
// the paths on each member.
type State struct {
	Version int       `yaml:"version"`
	Layout  string    `yaml:"layout"`
	Phase   Phase     `yaml:"phase"`
	Started time.Time `yaml:"started"`
	Scope   Scope     `yaml:"scope"`
	// ClientCA and PeerCA are the CAs being replaced (nil when out of
	// scope); the same when one CA signs both.
	ClientCA *CAChange     `yaml:"client-ca,omitempty"`
	PeerCA   *CAChange     `yaml:"peer-ca,omitempty"`
	Members  []MemberState `yaml:"members"`
	Clients  []ClientState `yaml:"clients,omitempty"`
	// Written holds the SHA-256 of every file this rotation wrote (path
	// relative to the PKI directory), Originals those of the tree's files
	// it will replace at the end: nothing else is overwritten without
	// --force.
	Written   map[string]string `yaml:"written"`
	Originals map[string]string `yaml:"originals"`
	History   []Event           `yaml:"history"`

	dir string
}

// CAChange is one CA being replaced.
type CAChange struct {
	File string `yaml:"file"` // the tree's CA file, relative (ca.crt, peer-ca.crt)
	Old  CARef  `yaml:"old"`
	New  CARef  `yaml:"new"`
}

// CARef names a CA certificate.
type CARef struct {
	Subject  string    `yaml:"subject" json:"subject"`
	SHA256   string    `yaml:"sha256" json:"sha256"` // fingerprint of the certificate (DER)
	NotAfter time.Time `yaml:"not-after" json:"notAfter"`
	// Cert is where the certificate is kept during the rotation, relative:
	// rotation/original/… for the old, rotation/new/… for the new (with
	// its key beside it).
	Cert string `yaml:"cert" json:"cert"`
}

// MemberState is one member of a rotation.
type MemberState struct {
	Name string `yaml:"name"`
	// Files are the paths on the member of the files its etcd (and, for
	// kubeadm, its node) reads: the "to" of every copy. Correct them here
	// if the member reads its files elsewhere.
	Files map[Slot]string `yaml:"files"`
	// Sources are the tree's leaf certificates of the member (their keys
	// beside them), reissued from the new CA by the second phase.
	Sources map[Slot]string `yaml:"sources"`
	// Local is set for the member whose files are the PKI directory itself
	// (kubeadm: the node the rotation runs on).
	Local bool `yaml:"local,omitempty"`
	// Serials of the certificates the rotation issued (hex), by slot.
	Serials map[Slot]string `yaml:"serials,omitempty"`
	// Verified is when a live check first saw the member pass each phase.
	Verified map[Phase]time.Time `yaml:"verified,omitempty"`
	// The URLs the last live check reached it at (from the member list),
	// used when the member list cannot be read.
	ClientURL string `yaml:"client-url,omitempty"`
	PeerURL   string `yaml:"peer-url,omitempty"`
}

// ClientState is one client certificate of the tree.
type ClientState struct {
	Name   string `yaml:"name"`
	Source string `yaml:"source"`
	Serial string `yaml:"serial,omitempty"`
}

// Event is one step of the rotation's history.
type Event struct {
	Time  time.Time `yaml:"time"`
	Phase Phase     `yaml:"phase"`
	Note  string    `yaml:"note"`
}

// Dir is the PKI directory the state belongs to.
func (s *State) Dir() string { return s.dir }

// Path makes a path relative to the PKI directory absolute.
func (s *State) Path(rel string) string {
	if filepath.IsAbs(rel) {
		return rel
	}
	return filepath.Join(s.dir, rel)
}

func (s *State) rel(abs string) string {
	if r, err := filepath.Rel(s.dir, abs); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return abs
}

// Member returns the member named name, or nil.
func (s *State) Member(name string) *MemberState {
	for i := range s.Members {
		if s.Members[i].Name == name {
			return &s.Members[i]
		}
	}
	return nil
}

// CAs are the CA changes in scope, without repeating a shared CA.
func (s *State) CAs() []*CAChange {
	var out []*CAChange
	if s.ClientCA != nil {
		out = append(out, s.ClientCA)
	}
	if s.PeerCA != nil && (s.ClientCA == nil || s.PeerCA.File != s.ClientCA.File) {
		out = append(out, s.PeerCA)
	}
	return out
}

// SharedCA reports whether one CA signs client, server and peer certificates.
func (s *State) SharedCA() bool {
	return s.ClientCA != nil && s.PeerCA != nil && s.ClientCA.File == s.PeerCA.File
}

// NoRotationError says there is no rotation in progress in a directory.
type NoRotationError struct{ Dir string }

func (e *NoRotationError) Error() string {
	return "no CA rotation in progress in " + e.Dir + " (no " + StateFileName + ")"
}

// Hint says how to start one.
func (e *NoRotationError) Hint() string {
	return "start one with 'etcd-certwiz rotate start " + e.Dir + "'"
}

// Load reads DIR/rotation.yaml.
func Load(dir string) (*State, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(abs, StateFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &NoRotationError{Dir: dir}
	}
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var s State
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, StateFileName), strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if s.Version != 1 {
		return nil, fmt.Errorf("%s: version %d; this etcd-certwiz knows version 1", filepath.Join(dir, StateFileName), s.Version)
	}
	s.dir = abs
	if s.Written == nil {
		s.Written = map[string]string{}
	}
	return &s, nil
}

// Save writes rotation.yaml atomically and durably.
func (s *State) Save() error {
	var buf bytes.Buffer
	buf.WriteString("# etcd-certwiz CA rotation: read by 'etcd-certwiz rotate status|next|abort'.\n" +
		"# members[].files are the paths on each member that the copies go to; correct them if a member reads its files elsewhere.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(s); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	return fileio.Write(filepath.Join(s.dir, StateFileName), buf.Bytes(), certwiz.CertMode)
}

// lock takes the rotation lock of dir for the time of one command, and
// returns dir as an absolute path.
func lock(dir string) (abs string, unlock func(), err error) {
	if abs, err = filepath.Abs(dir); err != nil {
		return "", nil, err
	}
	if err := os.MkdirAll(abs, certwiz.DirMode); err != nil {
		return "", nil, err
	}
	unlock, err = flock.Lock(filepath.Join(abs, lockFileName))
	return abs, unlock, err
}

// lockedState takes the rotation lock of dir and loads its rotation; the
// caller releases the lock with unlock once done (unlock is nil on error).
func lockedState(dir string) (s *State, unlock func(), err error) {
	abs, unlock, err := lock(dir)
	if err != nil {
		return nil, nil, err
	}
	if s, err = Load(abs); err != nil {
		unlock()
		return nil, nil, err
	}
	return s, unlock, nil
}

// event records a step.
func (s *State) event(now time.Time, note string) {
	s.History = append(s.History, Event{Time: now.UTC(), Phase: s.Phase, Note: note})
}

// write writes a file of the rotation (under DIR/rotation, or the tree's
// own files at the end) durably, recording its hash. A file that exists
// outside DIR/rotation/ (which start creates, so everything in it is this
// rotation's, even from a run interrupted before it saved the state) and
// that this rotation did not write is replaced only with force.
func (s *State) write(abs string, data []byte, mode fs.FileMode, force bool) error {
	rel := s.rel(abs)
	own := strings.HasPrefix(rel, RotationDirName+string(filepath.Separator))
	if cur, err := os.ReadFile(abs); err == nil && !own {
		sum := digest(cur)
		if sum != s.Written[rel] && sum != s.Originals[rel] && sum != digest(data) && !force {
			return &certwiz.ExistsError{Path: abs}
		}
	}
	if err := fileio.Write(abs, data, mode); err != nil {
		return err
	}
	s.Written[rel] = digest(data)
	return nil
}

// ours reports whether the file at rel is one this rotation wrote, or the
// tree's original: the only contents the end of a rotation replaces without
// --force.
func (s *State) ours(rel string, data []byte) bool {
	sum := digest(data)
	if sum == s.Originals[rel] {
		return true
	}
	for _, w := range s.Written {
		if w == sum {
			return true
		}
	}
	return false
}

func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Fingerprint is the SHA-256 of a certificate's DER, in hex.
func Fingerprint(der []byte) string { return digest(der) }

// sortedSlots lists the slots of m in a stable order.
func sortedSlots(m map[Slot]string) []Slot {
	var out []Slot
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return slotOrder(out[i]) < slotOrder(out[j]) })
	return out
}

func slotOrder(s Slot) int {
	for i, x := range []Slot{SlotTrustedCA, SlotPeerTrustedCA, SlotCert, SlotKey, SlotPeerCert, SlotPeerKey, SlotHealthcheckClient, SlotAPIServerClient} {
		if x == s {
			return i
		}
	}
	return 99
}

// RecordVerified saves what a live check learnt into dir's rotation.yaml:
// when each member first passed the current phase, and the URLs it was
// reached at. The file is re-read under the lock, so a check never undoes
// another command's step; nothing is saved if the phase moved meanwhile.
func RecordVerified(dir string, checked *State) error {
	_, unlock, err := lock(checked.dir)
	if err != nil {
		return err
	}
	defer unlock()
	s, err := Load(dir)
	if err != nil {
		return err
	}
	if s.Phase != checked.Phase {
		return nil
	}
	changed := false
	for _, cm := range checked.Members {
		m := s.Member(cm.Name)
		if m == nil {
			continue
		}
		for p, t := range cm.Verified {
			if _, ok := m.Verified[p]; !ok {
				if m.Verified == nil {
					m.Verified = map[Phase]time.Time{}
				}
				m.Verified[p], changed = t, true
			}
		}
		if cm.ClientURL != m.ClientURL || cm.PeerURL != m.PeerURL {
			m.ClientURL, m.PeerURL, changed = cm.ClientURL, cm.PeerURL, true
		}
	}
	if !changed {
		return nil
	}
	return s.Save()
}
