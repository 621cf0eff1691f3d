package diag

import (
	"crypto/x509"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/etcd-ctx/etcd-ctx/pki"
)

// Certificate is one entry of a context's certificate inventory: a
// certificate a member serves on its client URL or on its peer URL (read
// from the diagnosis's own TLS handshakes; the peer handshake needs no peer
// credentials), an intermediate CA a member sends, or the context's client
// certificate or a certificate of its CA bundle.
type Certificate struct {
	Context string `json:"context,omitempty"`
	// Role is what the certificate is to the cluster: "server" (served on a
	// client URL), "peer" (served on a peer URL), "client" (the context's
	// client certificate) or "ca" (a CA of the bundle, of the client
	// certificate file, or sent by a member).
	Role string `json:"role"`
	// Port is where a member serves it: "client" or "peer"; "" for the
	// context's own material.
	Port   string `json:"port,omitempty"`
	Member string `json:"member,omitempty"` // the member's name (its ID if unnamed) that serves it
	URL    string `json:"url,omitempty"`    // the URL it was read from
	// Source is the file (or "keyring") the context's own material came from.
	Source    string    `json:"source,omitempty"`
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	SANs      []string  `json:"sans,omitempty"`
	Serial    string    `json:"serial"` // hex, as openssl x509 -serial prints it
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
	DaysLeft  int       `json:"daysLeft"` // whole days until NotAfter at the time of the diagnosis (pki.DaysLeft)
	// State is "ok", "expiring" (pki.Expiring: within the warning window
	// and its last third), "expired" or "not-yet-valid".
	State string `json:"state"`
}

// Certificate states.
const (
	CertOK          = "ok"
	CertExpiring    = "expiring"
	CertExpired     = "expired"
	CertNotYetValid = "not-yet-valid"
)

// Due reports whether the certificate needs attention now: expiring,
// expired or not yet valid.
func (c Certificate) Due() bool { return c.State != CertOK }

// Certificates is the report's certificate inventory, sorted by expiry
// (soonest first): what the diagnosis's handshakes read from every member
// it reached (client URLs dialled or advertised, peer URLs) and the
// context's own client certificate and CA bundle. Certificates it could not
// read (a member not reached, a firewalled peer port) are not in it; the
// findings say why. Nil for a report decoded from JSON.
func (r *Report) Certificates() []Certificate { return slices.Clone(r.certs) }

// inventory collects the certificates of a diagnosis once every ladder and
// the cluster view ended.
func inventory(in *Input, st *localState, dialled []*prober, cr *clusterRun) []Certificate {
	inv := certInventory{in: in, seen: map[string]bool{}}
	attributed := map[*prober]bool{}
	for _, mc := range cr.checks {
		name := mc.m.Name
		if name == "" {
			name = id(mc.m.ID)
		}
		for _, p := range mc.probes {
			attributed[p] = true
			inv.served(p.serverChain, "server", "client", name, p.ep.URL)
		}
		for _, pc := range mc.peers {
			inv.served(pc.chain, "peer", "peer", name, pc.info.URL)
		}
	}
	for _, p := range dialled {
		if !attributed[p] && p.peerOf == nil {
			inv.served(p.serverChain, "server", "client", "", p.ep.URL)
		}
	}
	if certs, err := pki.ParseCerts(in.Settings.Cert); err == nil && len(certs) > 0 {
		inv.add(certs[0], Certificate{Role: "client", Source: in.Sources.Cert})
		for _, c := range certs[1:] {
			inv.add(c, Certificate{Role: "ca", Source: in.Sources.Cert})
		}
	}
	for _, c := range st.caCerts {
		inv.add(c, Certificate{Role: "ca", Source: in.Sources.CA})
	}
	sort.SliceStable(inv.out, func(i, j int) bool { return inv.out[i].NotAfter.Before(inv.out[j].NotAfter) })
	return inv.out
}

type certInventory struct {
	in   *Input
	out  []Certificate
	seen map[string]bool
}

// served adds what a member sent on a URL: its certificate, then each
// intermediate CA (once per context: every member sends the same).
func (inv *certInventory) served(chain []*x509.Certificate, role, port, member, url string) {
	for i, c := range chain {
		if i == 0 {
			inv.add(c, Certificate{Role: role, Port: port, Member: member, URL: url})
			continue
		}
		inv.add(c, Certificate{Role: "ca", URL: url})
	}
}

func (inv *certInventory) add(c *x509.Certificate, e Certificate) {
	key := fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%s", e.Role, e.Member, e.URL, c.Issuer, pki.FormatSerial(c.SerialNumber))
	if e.Role == "ca" {
		key = fmt.Sprintf("ca\x00%s\x00%s", c.Issuer, pki.FormatSerial(c.SerialNumber))
	}
	if inv.seen[key] {
		return
	}
	inv.seen[key] = true
	now := inv.in.Now
	e.Context = inv.in.Context
	e.Subject, e.Issuer, e.SANs, e.Serial = c.Subject.String(), c.Issuer.String(), certSANs(c), pki.FormatSerial(c.SerialNumber)
	e.NotBefore, e.NotAfter = c.NotBefore.UTC(), c.NotAfter.UTC()
	e.DaysLeft = pki.DaysLeft(c, now)
	switch {
	case now.Before(c.NotBefore):
		e.State = CertNotYetValid
	case now.After(c.NotAfter):
		e.State = CertExpired
	case pki.Expiring(c, inv.in.Warn, now):
		e.State = CertExpiring
	default:
		e.State = CertOK
	}
	inv.out = append(inv.out, e)
}
