package rotation

import (
	"crypto/x509"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// Copy is one file to copy: From (on the machine holding the PKI
// directory) to To, the path the member's etcd flags already point at.
type Copy struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// MemberAction is what one member needs in the current phase: files to
// copy, in order, then a restart (for a new trust bundle: etcd reads
// --trusted-ca-file and --peer-trusted-ca-file only at start) or none (for
// a new certificate: etcd reads it on each new connection). Restarts go one
// member at a time, each waiting until the member is healthy again.
type MemberAction struct {
	Member  string `json:"member"`
	Copy    []Copy `json:"copy"`
	Restart bool   `json:"restart"`
	Note    string `json:"note,omitempty"`
}

// ClientAction is what one client certificate's users need: its new
// certificate, or the new trust bundle. Restart is set when the client
// must restart (or reconnect) to read a new CA bundle; etcd's Go client
// and etcdctl read certificate files on each new connection.
type ClientAction struct {
	Client  string `json:"client"`
	Copy    []Copy `json:"copy"`
	Restart bool   `json:"restart"`
}

// Plan is every action of the current phase.
type Plan struct {
	Members []MemberAction `json:"members"`
	Clients []ClientAction `json:"clients"`
}

// LeaderLast moves the leader's action to the end when the phase restarts
// members: restarting the followers first costs one leader change (etcd
// hands leadership over when its leader stops) instead of up to three.
func (p Plan) LeaderLast(leader string) Plan {
	for i, a := range p.Members {
		if a.Member == leader && a.Restart && i < len(p.Members)-1 {
			p.Members = append(append(slices.Clone(p.Members[:i]), p.Members[i+1:]...), a)
			break
		}
	}
	return p
}

// PhaseInfo describes a phase for people: its step and title, and what its
// gate requires.
type PhaseInfo struct {
	Step, Steps int
	Title       string
	Gate        string
	Restart     bool // its actions restart members
}

// Info describes phase p of s.
func (s *State) Info(p Phase) PhaseInfo {
	cas := s.caWords()
	switch p {
	case PhaseTrustBoth:
		return PhaseInfo{1, 3, "trust both CAs", "every member accepts certificates from the new " + cas + " and still from the old, and the cluster is healthy", true}
	case PhaseServeNew:
		return PhaseInfo{2, 3, "serve certificates from the new " + cas, "every member serves certificates from the new " + cas + ", and the cluster is healthy", false}
	case PhaseTrustNew:
		return PhaseInfo{3, 3, "trust the new " + cas + " only", "every member refuses certificates from the old " + cas + " and accepts the new, and the cluster is healthy", true}
	case PhaseDone:
		return PhaseInfo{3, 3, "done: the old " + cas + " retired", "", false}
	case PhaseAbortServeOld:
		return PhaseInfo{1, 2, "abort: serve the original certificates again", "every member serves certificates from the old " + cas + " again, and the cluster is healthy", false}
	case PhaseAbortTrustOld:
		n := 2
		if !s.wentServeNew() {
			return PhaseInfo{1, 1, "abort: trust the old " + cas + " only again", "every member refuses certificates from the new " + cas + " and accepts the old, and the cluster is healthy", true}
		}
		return PhaseInfo{n, n, "abort: trust the old " + cas + " only again", "every member refuses certificates from the new " + cas + " and accepts the old, and the cluster is healthy", true}
	case PhaseAborted:
		return PhaseInfo{0, 0, "aborted: the new " + cas + " discarded", "", false}
	}
	return PhaseInfo{Title: string(p)}
}

func (s *State) wentServeNew() bool {
	for _, e := range s.History {
		if e.Phase == PhaseServeNew || e.Phase == PhaseAbortServeOld {
			return true
		}
	}
	return false
}

// caWords names the CAs in scope: "client and peer CAs", "client CA", "CA".
func (s *State) caWords() string {
	switch {
	case s.SharedCA():
		return "CA"
	case s.ClientCA != nil && s.PeerCA != nil:
		return "client and peer CAs"
	case s.ClientCA != nil:
		return "client CA"
	}
	return "peer CA"
}

// Actions are the copies (and restarts) the current phase needs. Every
// "to" is a path from members[].files in rotation.yaml.
func (s *State) Actions() Plan {
	p := Plan{Members: []MemberAction{}, Clients: []ClientAction{}}
	for _, m := range s.Members {
		a := MemberAction{Member: m.Name, Copy: []Copy{}}
		add := func(rel string, slot Slot) {
			to := m.Files[slot]
			if to == "" {
				return
			}
			from := s.Path(rel)
			if slices.ContainsFunc(a.Copy, func(c Copy) bool { return c.To == to }) {
				return
			}
			a.Copy = append(a.Copy, Copy{From: from, To: to})
		}
		bundles := func(original bool) {
			if s.ClientCA != nil {
				add(MemberPath(s, m.Name, SlotTrustedCA, original), SlotTrustedCA)
			}
			if s.PeerCA != nil {
				add(MemberPath(s, m.Name, SlotPeerTrustedCA, original), SlotPeerTrustedCA)
			}
			a.Restart = true
		}
		leaves := func(original bool) {
			for _, slot := range sortedSlots(m.Sources) {
				if _, issued := m.Serials[slot]; issued || original {
					add(MemberPath(s, m.Name, slot, original), slot)
				}
			}
		}
		switch s.Phase {
		case PhaseTrustBoth, PhaseTrustNew:
			bundles(false)
		case PhaseServeNew:
			leaves(false)
		case PhaseAbortServeOld:
			leaves(true)
		case PhaseAbortTrustOld:
			bundles(true)
		case PhaseDone:
			if s.Layout == LayoutKubeadm {
				// kubeadm keeps the CA and its key on every control-plane node.
				for _, c := range s.CAs() {
					dir := filepath.Dir(m.Files[SlotTrustedCA])
					if !m.Local {
						a.Copy = append(a.Copy, Copy{From: s.Path(c.File), To: filepath.Join(dir, filepath.Base(c.File))},
							Copy{From: s.Path(keyRel(c.File)), To: filepath.Join(dir, filepath.Base(keyRel(c.File)))})
					}
				}
				a.Note = "kubeadm keeps the CA and its key on every control-plane node ('kubeadm certs renew' signs with it)"
			}
		}
		if a.Restart && s.Layout == LayoutKubeadm {
			a.Note = "kube-apiserver on this node reads the same ca.crt (--etcd-cafile) only at start: restart it too, after etcd"
		}
		if len(a.Copy) > 0 || a.Restart {
			p.Members = append(p.Members, a)
		}
	}
	if s.ClientCA == nil {
		return p
	}
	bundleTo := s.Path(s.ClientCA.File)
	for _, c := range s.Clients {
		a := ClientAction{Client: c.Name, Copy: []Copy{}}
		switch s.Phase {
		case PhaseTrustBoth, PhaseTrustNew:
			a.Copy = append(a.Copy, Copy{From: s.Path(ClientPath("", false)), To: bundleTo})
			a.Restart = true
		case PhaseAbortTrustOld:
			a.Copy = append(a.Copy, Copy{From: s.Path(ClientPath("", true)), To: bundleTo})
			a.Restart = true
		case PhaseServeNew:
			a.Copy = append(a.Copy, Copy{From: s.Path(ClientPath(c.Name, false)), To: s.Path(c.Source)})
		case PhaseAbortServeOld:
			a.Copy = append(a.Copy, Copy{From: s.Path(ClientPath(c.Name, true)), To: s.Path(c.Source)})
		default:
			continue
		}
		p.Clients = append(p.Clients, a)
	}
	return p
}

// ContextCommands are the etcd-ctx commands that move a context along with
// the phase: its CA bundle when the bundle changes, its client certificate
// when it is reissued — the tree's client (certwiz's clients/, kubeadm's
// apiserver-etcd-client or healthcheck-client) whose certificate the
// context presents, matched by subject. name is the context, cert what it
// presents now (nil when unknown: then one line per certwiz client).
func (s *State) ContextCommands(name string, cert *x509.Certificate) []string {
	if s.ClientCA == nil {
		return nil
	}
	if name == "" {
		name = "NAME"
	}
	switch s.Phase {
	case PhaseTrustBoth, PhaseTrustNew, PhaseAbortTrustOld:
		return []string{fmt.Sprintf("etcd-ctx set %s --cacert %s", name, shellWord(s.Path(s.ClientCA.File)))}
	case PhaseServeNew, PhaseAbortServeOld:
	default:
		return nil
	}
	type candidate struct{ who, crt, source string }
	var cands []candidate
	for _, c := range s.Clients {
		cands = append(cands, candidate{c.Name, s.Path(c.Source), s.Path(c.Source)})
	}
	for _, m := range s.Members {
		for _, slot := range []Slot{SlotAPIServerClient, SlotHealthcheckClient} {
			if src, ok := m.Sources[slot]; ok && m.Files[slot] != "" {
				cands = append(cands, candidate{m.Name + "'s " + string(slot), m.Files[slot], s.Path(src)})
			}
		}
	}
	var out []string
	for _, c := range cands {
		line := fmt.Sprintf("etcd-ctx set %s --cert %s --key %s", name, shellWord(c.crt), shellWord(keyRel(c.crt)))
		if cert != nil {
			if old, err := LoadCertFile(c.source); err == nil && old.Subject.String() == cert.Subject.String() {
				return []string{line}
			}
			continue
		}
		if len(s.Clients) > 0 && c.crt == s.Path(c.source) {
			out = append(out, line+"   # for contexts acting as "+c.who)
		}
	}
	return out
}

func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,@+%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
