package rotation

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

// PortView is what a member shows on one port.
type PortView struct {
	URL   string `json:"url"`
	Error string `json:"error,omitempty"` // it could not be reached, or sent no certificate
	// The certificate it serves there.
	Serial  string `json:"servedSerial,omitempty"` // hex, as openssl prints it
	Subject string `json:"servedSubject,omitempty"`
	Issuer  string `json:"servedIssuer,omitempty"`
	// ServedCA is "old" or "new" (the CA of the rotation it chains to), or
	// "other"; empty without a rotation.
	ServedCA string `json:"servedCA,omitempty"`
	// FileSerial is the serial of the certificate it should serve: the
	// tree's file, or the one the rotation issued; Current says whether the
	// served one is it.
	FileSerial string `json:"fileSerial,omitempty"`
	Current    *bool  `json:"current,omitempty"`
	// AsksClientCert is whether it asks for a client certificate.
	AsksClientCert bool `json:"asksClientCert"`
	// Whether it accepts a probe certificate from the old and the new CA
	// (nil when not probed, or when it asks for none).
	AcceptsOldCA *bool  `json:"acceptsOldCA,omitempty"`
	AcceptsNewCA *bool  `json:"acceptsNewCA,omitempty"`
	OldRefusal   string `json:"oldRefusal,omitempty"`
	NewRefusal   string `json:"newRefusal,omitempty"`

	reached bool
	served  []*x509.Certificate
}

// MemberView is one member, live.
type MemberView struct {
	Member  string   `json:"member"`
	ID      string   `json:"id,omitempty"`
	Client  PortView `json:"client"`
	Peer    PortView `json:"peer"`
	Healthy bool     `json:"healthy"`
	Leader  string   `json:"leader,omitempty"`
	Version string   `json:"version,omitempty"`
	Error   string   `json:"error,omitempty"`
	// Needs is what the member still needs for the gate (or, without a
	// rotation, to serve the tree's certificates); empty when it is there.
	Needs []string `json:"needs"`
	OK    bool     `json:"ok"`
}

// ClusterView is the cluster as the context sees it.
type ClusterView struct {
	Healthy bool     `json:"healthy"`
	Leader  string   `json:"leader,omitempty"`
	Members int      `json:"members"`
	Error   string   `json:"error,omitempty"`
	Needs   []string `json:"needs"` // cluster-wide: no leader, members the rotation does not know, the context's own files
}

// Report is one live survey.
type Report struct {
	Members []MemberView `json:"members"`
	Cluster ClusterView  `json:"cluster"`
	// Holds: every member and the cluster are where the phase (or, without
	// a rotation, the tree) wants them.
	Holds bool `json:"holds"`
}

// Pending lists what is not there yet, one line per member or cluster need.
func (r *Report) Pending() []string {
	var out []string
	for _, m := range r.Members {
		for _, n := range m.Needs {
			out = append(out, m.Member+" "+n)
		}
	}
	return append(out, r.Cluster.Needs...)
}

// SurveyOptions controls Survey.
type SurveyOptions struct {
	Timeout time.Duration // for each member's probes and status; 3 s when zero
	Now     time.Time
	// Context is the etcd-ctx context the survey goes through, and what it
	// presents and trusts, to tell when the context itself is not moved
	// along (nil when unknown).
	Context     string
	ContextCert *x509.Certificate
	ContextCAs  []*x509.Certificate
}

// target is one member to survey.
type target struct {
	name               string
	id                 uint64
	clientURL, peerURL string
}

// probeSet are the certificates probes present.
type probeSet struct {
	oldClient, newClient, oldPeer, newPeer *tls.Certificate
	oldCA, newCA                           map[string][]*x509.Certificate // "client"/"peer" → CA certs
}

// Survey checks the cluster live for the rotation s: for each member, its
// client and peer ports (which CA the certificate it serves chains to, and
// whether it accepts a short-lived probe certificate from the old and from
// the new CA, minted in memory), its status, and the cluster's member list
// and leader; then judges the gate of the current phase. Members are
// reached at the URLs of the member list, or at those the last survey
// saw when the list cannot be read.
func Survey(ctx context.Context, cli *clientv3.Client, s *State, opts SurveyOptions) (*Report, error) {
	opts = opts.withDefaults()
	probes, err := s.probes(opts.Now)
	if err != nil {
		return nil, err
	}
	r := &Report{}
	targets := s.targets(ctx, cli, r, opts)
	r.Members = make([]MemberView, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Members[i] = surveyMember(ctx, cli, t, probes, opts)
		}()
	}
	wg.Wait()
	s.judge(r, probes, opts)
	return r, nil
}

func (o SurveyOptions) withDefaults() SurveyOptions {
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Second
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	return o
}

// probes mints the probe certificates of the CAs in scope.
func (s *State) probes(now time.Time) (*probeSet, error) {
	p := &probeSet{oldCA: map[string][]*x509.Certificate{}, newCA: map[string][]*x509.Certificate{}}
	for _, c := range s.CAs() {
		old, err := s.oldCAPair(c)
		if err != nil {
			return nil, err
		}
		nu, err := s.newCA(c)
		if err != nil {
			return nil, fmt.Errorf("the rotation's new CA: %w", err)
		}
		oldProbe, err := MintProbe(old, now)
		if err != nil {
			return nil, err
		}
		newProbe, err := MintProbe(nu, now)
		if err != nil {
			return nil, err
		}
		if s.ClientCA != nil && c.File == s.ClientCA.File {
			p.oldClient, p.newClient = oldProbe, newProbe
			p.oldCA["client"], p.newCA["client"] = []*x509.Certificate{old.Cert}, []*x509.Certificate{nu.Cert}
		}
		if s.PeerCA != nil && c.File == s.PeerCA.File {
			p.oldPeer, p.newPeer = oldProbe, newProbe
			p.oldCA["peer"], p.newCA["peer"] = []*x509.Certificate{old.Cert}, []*x509.Certificate{nu.Cert}
		}
	}
	return p, nil
}

// oldCAPair finds the old CA's certificate (by fingerprint, in the copy
// kept at the start) and its key: in the tree until the end, then under
// retired/.
func (s *State) oldCAPair(c *CAChange) (*certwiz.Issued, error) {
	data, err := os.ReadFile(s.Path(c.Old.Cert))
	if err != nil {
		return nil, err
	}
	var cert *x509.Certificate
	for _, x := range pki.ParseFile(data).Certs {
		if Fingerprint(x.Raw) == c.Old.SHA256 {
			cert = x
		}
	}
	if cert == nil {
		return nil, fmt.Errorf("%s no longer holds the old CA %s", s.Path(c.Old.Cert), c.Old.Subject)
	}
	for _, p := range []string{s.Path(keyRel(c.File)), filepath.Join(s.RetiredDir(), keyRel(c.File))} {
		kdata, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		key, err := pki.ParseKey(kdata)
		if err == nil && pki.KeyMatches(cert, key) {
			return &certwiz.Issued{Cert: cert, Key: key}, nil
		}
	}
	return nil, fmt.Errorf("the old CA's key (%s) is gone: probes from the old CA cannot be made", s.Path(keyRel(c.File)))
}

// targets lists the rotation's members with their URLs: from the member
// list when it can be read (and then cached in the state), else from the
// cache.
func (s *State) targets(ctx context.Context, cli *clientv3.Client, r *Report, opts SurveyOptions) []target {
	names := make([]string, len(s.Members))
	for i, m := range s.Members {
		names[i] = m.Name
	}
	ts := listTargets(ctx, cli, names, r, opts)
	listed := r.Cluster.Error == ""
	for i := range ts {
		m := s.Member(ts[i].name)
		switch {
		case m == nil:
		case !listed:
			ts[i].clientURL, ts[i].peerURL = m.ClientURL, m.PeerURL
		case ts[i].clientURL != "" || ts[i].peerURL != "":
			m.ClientURL, m.PeerURL = ts[i].clientURL, ts[i].peerURL
		}
	}
	return ts
}

// listTargets reads the member list and matches it with names.
func listTargets(ctx context.Context, cli *clientv3.Client, names []string, r *Report, opts SurveyOptions) []target {
	ts := make([]target, len(names))
	for i, n := range names {
		ts[i].name = n
	}
	if cli == nil {
		r.Cluster.Error = "no context to reach the cluster with"
		return ts
	}
	lctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	resp, err := cli.MemberList(lctx)
	if err != nil {
		r.Cluster.Error = "cannot read the member list through context " + opts.Context + ": " + errText(err)
		return ts
	}
	r.Cluster.Members = len(resp.Members)
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	for _, m := range resp.Members {
		if !known[m.Name] {
			what := "member " + m.Name
			if m.Name == "" {
				what = fmt.Sprintf("member %x (not started yet)", m.ID)
			}
			r.Cluster.Needs = append(r.Cluster.Needs, what+" is in the cluster but has no files in the PKI directory")
			continue
		}
		for i := range ts {
			if ts[i].name == m.Name {
				ts[i].id = m.ID
				if len(m.ClientURLs) > 0 {
					ts[i].clientURL = m.ClientURLs[0]
				}
				if len(m.PeerURLs) > 0 {
					ts[i].peerURL = m.PeerURLs[0]
				}
			}
		}
	}
	return ts
}

func surveyMember(ctx context.Context, cli *clientv3.Client, t target, p *probeSet, opts SurveyOptions) MemberView {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	v := MemberView{Member: t.name, Client: PortView{URL: t.clientURL}, Peer: PortView{URL: t.peerURL}, Needs: []string{}}
	if t.id != 0 {
		v.ID = fmt.Sprintf("%x", t.id)
	}
	var wg sync.WaitGroup
	if t.clientURL != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v.Client = probePort(ctx, t.clientURL, p.oldClient, p.newClient, p.oldCA["client"], p.newCA["client"])
		}()
	}
	if t.peerURL != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v.Peer = probePort(ctx, t.peerURL, p.oldPeer, p.newPeer, p.oldCA["peer"], p.newCA["peer"])
		}()
	}
	if cli != nil && t.clientURL != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := cli.Status(ctx, t.clientURL)
			switch {
			case err != nil:
				v.Error = errText(err)
			case st.Leader == 0:
				v.Error = "no leader"
			default:
				v.Healthy, v.Leader, v.Version = true, fmt.Sprintf("%x", st.Leader), st.Version
			}
		}()
	}
	wg.Wait()
	if t.clientURL == "" {
		v.Error = "not in the cluster's member list"
	}
	return v
}

// probePort probes one port with the old and the new CA's probe
// certificates (one handshake without a certificate when there are none)
// and records which CA the certificate it serves chains to.
func probePort(ctx context.Context, url string, oldCert, newCert *tls.Certificate, oldCAs, newCAs []*x509.Certificate) PortView {
	v := PortView{URL: url}
	if oldCert == nil && newCert == nil {
		pr := Probe(ctx, url, nil)
		v.fill(pr)
		return v
	}
	var oldP, newP PortProbe
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); oldP = Probe(ctx, url, oldCert) }()
	go func() { defer wg.Done(); newP = Probe(ctx, url, newCert) }()
	wg.Wait()
	v.fill(oldP)
	if !v.reached {
		v.fill(newP)
	}
	if !v.reached {
		return v
	}
	if v.AsksClientCert = oldP.Asked || newP.Asked; v.AsksClientCert {
		v.AcceptsOldCA, v.OldRefusal = verdict(oldP)
		v.AcceptsNewCA, v.NewRefusal = verdict(newP)
	}
	switch {
	case chainsTo(v.served, newCAs, x509.ExtKeyUsageServerAuth):
		v.ServedCA = "new"
	case chainsTo(v.served, oldCAs, x509.ExtKeyUsageServerAuth):
		v.ServedCA = "old"
	default:
		v.ServedCA = "other"
	}
	return v
}

func (v *PortView) fill(pr PortProbe) {
	v.reached = pr.Reached()
	if !v.reached {
		if pr.Err != nil {
			v.Error = errText(pr.Err)
		}
		return
	}
	v.Error = ""
	v.served = pr.Served
	leaf := pr.Served[0]
	v.Serial, v.Subject, v.Issuer = SerialHex(leaf), leaf.Subject.String(), leaf.Issuer.String()
	v.AsksClientCert = pr.Asked
}

// verdict is whether a probe was accepted; nil when the member could not
// be asked (unreachable mid-way).
func verdict(p PortProbe) (*bool, string) {
	switch {
	case p.Accepted:
		return ptr(true), ""
	case p.Refused():
		return ptr(false), errText(p.Err)
	}
	return nil, errText(p.Err)
}

func ptr[T any](v T) *T { return &v }

// SerialHex is a certificate's serial as openssl prints it.
func SerialHex(c *x509.Certificate) string { return pki.FormatSerial(c.SerialNumber) }

// sameSerial compares serials as SerialHex prints them, also against one
// recorded in a rotation.yaml by a version that printed no leading zero.
func sameSerial(a, b string) bool {
	return strings.TrimLeft(strings.ToUpper(a), "0") == strings.TrimLeft(strings.ToUpper(b), "0")
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "no answer in time (" + msg + ")"
	}
	return strings.Join(strings.Fields(msg), " ")
}
