package rotation

import (
	"context"
	"crypto/x509"
	"fmt"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
)

// expect is what a phase's gate wants of one port.
type expect struct {
	acceptsNew, acceptsOld *bool
	serves                 string // "new", "old" or "" (either)
}

func (s *State) expectations() expect {
	yes, no := ptr(true), ptr(false)
	switch s.Phase {
	case PhaseTrustBoth:
		return expect{acceptsNew: yes, acceptsOld: yes}
	case PhaseServeNew:
		return expect{acceptsNew: yes, acceptsOld: yes, serves: "new"}
	case PhaseTrustNew, PhaseDone:
		return expect{acceptsNew: yes, acceptsOld: no, serves: "new"}
	case PhaseAbortServeOld:
		return expect{acceptsOld: yes, serves: "old"}
	case PhaseAbortTrustOld, PhaseAborted:
		return expect{acceptsNew: no, acceptsOld: yes, serves: "old"}
	}
	return expect{}
}

// port is one port a gate looks at.
type port struct {
	name       string // "client", "peer"
	ca         string // "client CA", "peer CA", "CA"
	trustSlot  Slot
	serveSlot  Slot
	view       *PortView
	inScope    bool
	onPortText string // " on its peer port" when one CA covers both
}

// judge fills each member's needs and the cluster's for the current phase,
// records when members first passed it, and sets r.Holds.
func (s *State) judge(r *Report, p *probeSet, opts SurveyOptions) {
	e := s.expectations()
	shared := s.SharedCA()
	for i := range r.Members {
		v := &r.Members[i]
		m := s.Member(v.Member)
		ports := []port{
			{name: "client", ca: "client CA", trustSlot: SlotTrustedCA, serveSlot: SlotCert, view: &v.Client, inScope: s.ClientCA != nil},
			{name: "peer", ca: "peer CA", trustSlot: SlotPeerTrustedCA, serveSlot: SlotPeerCert, view: &v.Peer, inScope: s.PeerCA != nil},
		}
		if shared {
			for j := range ports {
				ports[j].ca, ports[j].onPortText = "CA", " on its "+ports[j].name+" port"
			}
		}
		healthNeeds(v)
		for _, pt := range ports {
			if !pt.inScope {
				continue
			}
			v.Needs = append(v.Needs, s.portNeeds(m, pt, e)...)
		}
		v.OK = len(v.Needs) == 0
		if v.OK && m != nil {
			if m.Verified == nil {
				m.Verified = map[Phase]time.Time{}
			}
			if _, seen := m.Verified[s.Phase]; !seen {
				m.Verified[s.Phase] = opts.Now.UTC()
			}
		}
	}
	clusterNeeds(r, opts)
	if s.Layout == LayoutKubeadm {
		for i, n := range r.Cluster.Needs {
			if strings.HasSuffix(n, "has no files in the PKI directory") {
				r.Cluster.Needs[i] = n + ": abort, and start again with --member NAME=DIR (a copy of its /etc/kubernetes/pki/etcd)"
			}
		}
	}
	s.contextNeeds(r, p, opts)
	r.Holds = len(r.Members) > 0 && len(r.Cluster.Needs) == 0
	for _, m := range r.Members {
		r.Holds = r.Holds && m.OK
	}
}

func healthNeeds(v *MemberView) {
	switch {
	case v.Client.URL == "" && v.Error != "":
		v.Needs = append(v.Needs, "is "+v.Error+" (if it is no longer a member, remove it from members in rotation.yaml)")
	case v.Error != "":
		v.Needs = append(v.Needs, "is not healthy: "+v.Error)
	}
}

// portNeeds says what a member still needs on one port, each with its fix.
func (s *State) portNeeds(m *MemberState, pt port, e expect) []string {
	pv := pt.view
	if pv.URL == "" {
		return nil
	}
	if !pv.reached {
		return []string{fmt.Sprintf("%s port %s cannot be reached: %s", pt.name, pv.URL, pv.Error)}
	}
	var out []string
	fix := func(slot Slot, original bool, restart bool) string {
		if m == nil {
			return ""
		}
		from, to := s.Path(MemberPath(s, m.Name, slot, original)), m.Files[slot]
		if restart {
			return fmt.Sprintf(": copy %s to %s and restart it (etcd reads its trusted CA file only at start)", from, to)
		}
		return fmt.Sprintf(": copy %s to %s (no restart: etcd reads it on the next connection)", from, to)
	}
	if pv.AsksClientCert {
		if e.acceptsNew != nil && pv.AcceptsNewCA != nil && *pv.AcceptsNewCA != *e.acceptsNew {
			if *e.acceptsNew {
				out = append(out, fmt.Sprintf("does not accept certificates from the new %s yet%s%s", pt.ca, pt.onPortText, fix(pt.trustSlot, false, true)))
			} else {
				out = append(out, fmt.Sprintf("still accepts certificates from the new %s%s%s", pt.ca, pt.onPortText, fix(pt.trustSlot, true, true)))
			}
		}
		if e.acceptsOld != nil && pv.AcceptsOldCA != nil && *pv.AcceptsOldCA != *e.acceptsOld {
			if *e.acceptsOld {
				original := s.Phase == PhaseAbortTrustOld || s.Phase == PhaseAbortServeOld
				out = append(out, fmt.Sprintf("no longer accepts certificates from the old %s%s: its trust bundle must hold the old and the new CA until every member serves new certificates%s",
					pt.ca, pt.onPortText, fix(pt.trustSlot, original, true)))
			} else {
				out = append(out, fmt.Sprintf("still accepts certificates from the old %s%s%s", pt.ca, pt.onPortText, fix(pt.trustSlot, false, true)))
			}
		}
		for _, unknown := range []struct {
			want *bool
			got  *bool
			ca   string
			why  string
		}{{e.acceptsNew, pv.AcceptsNewCA, "new", pv.NewRefusal}, {e.acceptsOld, pv.AcceptsOldCA, "old", pv.OldRefusal}} {
			if unknown.want != nil && unknown.got == nil {
				out = append(out, fmt.Sprintf("%s port: could not tell whether it accepts the %s %s (%s)", pt.name, unknown.ca, pt.ca, unknown.why))
			}
		}
	}
	if e.serves != "" && pv.ServedCA != e.serves {
		issued := ""
		if m != nil && m.Serials[pt.serveSlot] != "" {
			issued = "; the rotation issued serial " + m.Serials[pt.serveSlot]
		}
		what := "still serves a certificate from the " + pv.ServedCA + " " + pt.ca
		if pv.ServedCA != "old" && pv.ServedCA != "new" {
			what = "serves a certificate from neither the old nor the new " + pt.ca
		}
		switch {
		case m != nil && m.Sources[pt.serveSlot] == "":
			out = append(out, fmt.Sprintf("%s on its %s port (serial %s), and the PKI directory has no %s certificate of it to reissue",
				what, pt.name, pv.Serial, pt.name))
		case e.serves == "new":
			out = append(out, fmt.Sprintf("%s on its %s port (serial %s, issuer %s%s)%s",
				what, pt.name, pv.Serial, pv.Issuer, issued, fix(pt.serveSlot, false, false)))
		default:
			out = append(out, fmt.Sprintf("%s on its %s port (serial %s, issuer %s)%s",
				what, pt.name, pv.Serial, pv.Issuer, fix(pt.serveSlot, true, false)))
		}
	}
	if e.serves != "" && pv.ServedCA == e.serves && m != nil {
		if want := m.Serials[pt.serveSlot]; want != "" && e.serves == "new" {
			pv.FileSerial, pv.Current = want, ptr(sameSerial(want, pv.Serial))
		}
	}
	return out
}

// clusterNeeds: the member list could be read, one leader, every member healthy.
func clusterNeeds(r *Report, opts SurveyOptions) {
	if r.Cluster.Error != "" {
		hint := ""
		if opts.Context != "" {
			hint = " (does the context trust the CAs the members serve? see 'etcd-ctx ping " + opts.Context + "' or etcd-diag)"
		}
		r.Cluster.Needs = append(r.Cluster.Needs, r.Cluster.Error+hint)
	}
	leaders := map[string]bool{}
	healthy := 0
	for _, m := range r.Members {
		if m.Healthy {
			healthy++
			leaders[m.Leader] = true
		}
	}
	switch {
	case healthy == 0:
		r.Cluster.Needs = append(r.Cluster.Needs, "no member answers with a leader")
	case len(leaders) > 1:
		r.Cluster.Needs = append(r.Cluster.Needs, "members disagree on the leader (an election is under way): check again")
	default:
		for l := range leaders {
			r.Cluster.Leader = l
			for _, m := range r.Members {
				if m.ID == l {
					r.Cluster.Leader = m.Member
				}
			}
		}
	}
	r.Cluster.Healthy = len(r.Cluster.Needs) == 0 && healthy == len(r.Members)
	if r.Cluster.Needs == nil {
		r.Cluster.Needs = []string{}
	}
}

// contextNeeds: the context the survey runs through must move along with
// the rotation too — it trusts the new CA before members serve it, and
// presents a new certificate before the old CA is dropped.
func (s *State) contextNeeds(r *Report, p *probeSet, opts SurveyOptions) {
	if s.ClientCA == nil || opts.Context == "" {
		return
	}
	newCA, oldCA := p.newCA["client"], p.oldCA["client"]
	trusts := func(cas []*x509.Certificate) bool {
		for _, c := range opts.ContextCAs {
			for _, x := range cas {
				if c.Equal(x) {
					return true
				}
			}
		}
		return false
	}
	cmds := s.ContextCommands(opts.Context, opts.ContextCert)
	cmd := ""
	if len(cmds) == 1 {
		cmd = ": " + cmds[0]
	}
	switch s.Phase {
	case PhaseTrustBoth, PhaseServeNew:
		if opts.ContextCAs != nil && !trusts(newCA) {
			c := cmd
			if s.Phase == PhaseServeNew {
				c = ": etcd-ctx set " + opts.Context + " --cacert " + shellWord(s.Path(s.ClientCA.File))
			}
			r.Cluster.Needs = append(r.Cluster.Needs, "context "+opts.Context+" does not trust the new client CA yet; it must before any member serves a certificate from it"+c)
		}
		if s.Phase == PhaseServeNew && opts.ContextCert != nil && chainsTo([]*x509.Certificate{opts.ContextCert}, oldCA, x509.ExtKeyUsageClientAuth) {
			r.Cluster.Needs = append(r.Cluster.Needs, "context "+opts.Context+" still presents a client certificate from the old client CA ("+opts.ContextCert.Subject.String()+"); it must present a new one before the old CA is dropped"+cmd)
		}
	}
}

// SurveyTree checks, without a rotation, that each member of the tree
// serves the certificates of its files on its client and peer ports (the
// serial of the served certificate against the file's): after 'renew',
// etcd picks a renewed certificate up on the next connection, without a
// restart, when the file renewed is the one its flags name.
func SurveyTree(ctx context.Context, cli *clientv3.Client, t *Tree, opts SurveyOptions) *Report {
	opts = opts.withDefaults()
	r := &Report{}
	names := make([]string, len(t.Members))
	for i, m := range t.Members {
		names[i] = m.Name
	}
	targets := listTargets(ctx, cli, names, r, opts)
	r.Members = make([]MemberView, len(targets))
	var wg sync.WaitGroup
	for i, tg := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := surveyMember(ctx, cli, tg, &probeSet{}, opts)
			m := t.Member(tg.name)
			healthNeeds(&v)
			for _, pt := range []struct {
				name string
				slot Slot
				view *PortView
			}{{"client", SlotCert, &v.Client}, {"peer", SlotPeerCert, &v.Peer}} {
				path := m.Leaves[pt.slot]
				if path == "" || pt.view.URL == "" {
					continue
				}
				if !pt.view.reached {
					v.Needs = append(v.Needs, fmt.Sprintf("%s port %s cannot be reached: %s", pt.name, pt.view.URL, pt.view.Error))
					continue
				}
				file, err := LoadCertFile(path)
				if err != nil {
					v.Needs = append(v.Needs, err.Error())
					continue
				}
				pt.view.FileSerial = SerialHex(file)
				pt.view.Current = ptr(pt.view.FileSerial == pt.view.Serial)
				if !*pt.view.Current {
					v.Needs = append(v.Needs, fmt.Sprintf("serves serial %s on its %s port, but %s has serial %s: etcd reads the file on each new connection, so the member does not read this file (copy it to the path of its --%s, or check that flag)",
						pt.view.Serial, pt.name, path, pt.view.FileSerial, pt.slot))
				}
			}
			v.OK = len(v.Needs) == 0
			r.Members[i] = v
		}()
	}
	wg.Wait()
	clusterNeeds(r, opts)
	r.Holds = len(r.Members) > 0 && len(r.Cluster.Needs) == 0
	for _, m := range r.Members {
		r.Holds = r.Holds && m.OK
	}
	return r
}

// LoadCertFile reads the first certificate of a file.
func LoadCertFile(path string) (*x509.Certificate, error) {
	it, err := certwiz.LoadCert(path)
	if err != nil {
		return nil, err
	}
	return it.Cert, nil
}
