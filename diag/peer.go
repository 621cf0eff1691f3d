package diag

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/etcd-ctx/etcd-ctx/internal/tlsprobe"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

// PeerTLS is what a TLS handshake with a member's peer URL showed of its
// peer certificate. The handshake needs no peer client certificate: the
// server sends its chain before it asks for one, and etcd-diag sends none.
type PeerTLS struct {
	URL                 string     `json:"url"`
	Reachable           bool       `json:"reachable"`
	TLS                 bool       `json:"tls"` // false for an http:// peer URL
	Subject             string     `json:"subject,omitempty"`
	Issuer              string     `json:"issuer,omitempty"`
	SANs                []string   `json:"sans,omitempty"`
	Serial              string     `json:"serial,omitempty"` // hex, as openssl x509 -serial prints it
	ExtKeyUsages        []string   `json:"extKeyUsages,omitempty"`
	NotAfter            *time.Time `json:"notAfter,omitempty"`
	ClientCertRequested bool       `json:"clientCertRequested,omitempty"` // --peer-client-cert-auth
	Error               string     `json:"error,omitempty"`               // why it could not be read
}

// peerCheck is one peer URL's handshake and its judgement.
type peerCheck struct {
	member string // name (id)
	info   PeerTLS
	leaf   *x509.Certificate
	chain  []*x509.Certificate // as sent: the leaf, then any intermediates
}

// probePeer connects to a peer URL and reads its certificate. Any handshake
// error after the certificate arrived (the server wants a peer client
// certificate and gets none) is expected and ignored.
func probePeer(ctx context.Context, member, peerURL string) *peerCheck {
	pc := &peerCheck{member: member, info: PeerTLS{URL: peerURL}}
	u, err := url.Parse(peerURL)
	if err != nil || u.Port() == "" {
		pc.info.Error = "not a URL with a port"
		return pc
	}
	r := tlsprobe.Probe(ctx, peerURL, nil, false)
	pc.info.Reachable, pc.info.TLS, pc.info.ClientCertRequested = r.Connected, r.TLS, r.Asked
	if !r.Connected {
		pc.info.Error = r.Err.Error()
		if ctx.Err() != nil {
			pc.info.Error = errNoPeerAnswer
		}
		return pc
	}
	if !r.TLS {
		return pc
	}
	chain := r.Served
	if len(chain) == 0 {
		pc.info.Error = "no certificate: " + fmt.Sprint(r.Err)
		if ctx.Err() != nil || isTimeout(r.Err) {
			pc.info.Error = errNoPeerAnswer
		}
		return pc
	}
	leaf := chain[0]
	pc.leaf, pc.chain = leaf, chain
	na := leaf.NotAfter.UTC()
	pc.info.Subject, pc.info.Issuer, pc.info.SANs, pc.info.NotAfter = leaf.Subject.String(), leaf.Issuer.String(), certSANs(leaf), &na
	pc.info.Serial = pki.FormatSerial(leaf.SerialNumber)
	pc.info.ExtKeyUsages = strings.Split(ekuNames(leaf), ", ")
	return pc
}

// errNoPeerAnswer is a peer URL that did not answer while the client URLs
// did: usually a firewall between clients and the peer network.
const errNoPeerAnswer = "no answer in time (a firewall between here and the peer network?)"

// certJudgement is what is wrong with a certificate a member serves.
type certJudgement struct {
	SANErr     error    // the host is not among its SANs (nil when covered)
	Missing    []string // extended key usages etcd needs of its role that it lacks
	Expired    bool     // outside its validity period (pki.CheckValidity)
	Expiring   bool     // pki.Expiring: under warn AND under a third of its lifetime left
	ExpiringIn time.Duration
}

// judgeCert judges a certificate a member serves at host for a role, with
// the pki package's rules: the usages pki.Usages names for the role, each
// checked on its own, and pki's proportional expiry.
func judgeCert(c *x509.Certificate, host string, role pki.Role, now time.Time, warn time.Duration) certJudgement {
	var j certJudgement
	if host != "" {
		j.SANErr = c.VerifyHostname(strings.Trim(host, "[]"))
	}
	for _, u := range pki.Usages(role) {
		if !pki.HasEKU(c, u) {
			j.Missing = append(j.Missing, pki.EKUName(u))
		}
	}
	j.Expired = pki.CheckValidity(c, now) != nil
	if pki.Expiring(c, warn, now) {
		j.Expiring, j.ExpiringIn = true, c.NotAfter.Sub(now)
	}
	return j
}

// peerFindings judges one peer certificate: the peer URL's host in its
// SANs (the other members verify it when they dial), serverAuth and
// clientAuth (members are each other's servers and clients), expiry. In a
// one-member cluster nobody dials it yet: what would break a joining member
// is a warning, not an error.
func peerFindings(in *Input, pc *peerCheck, solo bool) []Finding {
	if pc.leaf == nil {
		return nil
	}
	out := peerProblems(in, pc)
	if solo {
		for i := range out {
			if out[i].Severity == Error {
				out[i].Severity = Warning
				out[i].Cause += "; the cluster has one member, so nothing fails yet, but a member added later cannot join"
			}
		}
	}
	return out
}

func peerProblems(in *Input, pc *peerCheck) []Finding {
	u, _ := url.Parse(pc.info.URL)
	host := u.Hostname()
	if autoTLS(pc.leaf) {
		// --peer-auto-tls: members dial each other without verifying
		// (InsecureSkipVerify) and ask for no certificate, so names and
		// usages do not matter.
		return nil
	}
	j := judgeCert(pc.leaf, host, pki.RolePeer, in.Now, in.Warn)
	ev := []string{"peer certificate " + pc.info.Subject + " issued by " + pc.info.Issuer, "SANs: " + list(pc.info.SANs), "extended key usages: " + ekuNames(pc.leaf),
		"valid until " + pc.leaf.NotAfter.UTC().Format(time.RFC3339)}
	var out []Finding
	if j.SANErr != nil {
		out = append(out, Finding{ID: "peer-san-mismatch", Severity: Error, Endpoint: pc.info.URL,
			Cause:    fmt.Sprintf("member %s's peer certificate is not valid for %s, the host of its peer URL: the other members refuse it when they dial it (%q)", pc.member, host, j.SANErr.Error()),
			Fix:      fmt.Sprintf("reissue the peer certificate with that host, in place of the old file: etcd-certwiz renew peer.crt --add-san %s (openssl: add it to subjectAltName; etcd reads certificate files on each handshake: no restart); or, if the URL is wrong, correct it: etcdctl member update ID --peer-urls=URL and --initial-advertise-peer-urls", host),
			Evidence: ev})
	}
	for _, m := range j.Missing {
		f := Finding{ID: "peer-cert-no-clientauth", Severity: Error, Endpoint: pc.info.URL,
			Cause: fmt.Sprintf("member %s's peer certificate lacks clientAuth: members dial each other with it as a client certificate, and the others refuse it (\"incompatible key usage\" in their logs)", pc.member),
			Fix:   "reissue it with both serverAuth and clientAuth, in place of the old file (etcd-certwiz peer NAME --hosts HOST; openssl: extendedKeyUsage = serverAuth, clientAuth); etcd reads certificate files on each handshake: no restart", Evidence: ev}
		switch {
		case m == "serverAuth":
			f.ID = "peer-cert-no-serverauth"
			f.Cause = fmt.Sprintf("member %s's peer certificate lacks serverAuth: the other members refuse it when they dial its peer URL", pc.member)
		case !pc.info.ClientCertRequested:
			// Only a member that asks for peer certificates
			// (--peer-client-cert-auth) checks their usage.
			f.Severity = Info
			f.Cause = fmt.Sprintf("member %s's peer certificate lacks clientAuth; harmless while members do not ask each other for certificates (this one did not: --peer-client-cert-auth is off), but with it the others would refuse it", pc.member)
			f.Fix = "before turning on --peer-client-cert-auth, " + f.Fix
		}
		out = append(out, f)
	}
	switch {
	case j.Expired && notYetValid(pc.leaf, in.Now):
		out = append(out, Finding{ID: "peer-cert-expired", Severity: Error, Endpoint: pc.info.URL,
			Cause:    notYetValidCause(fmt.Sprintf("member %s's peer certificate", pc.member), pc.leaf, in.Now, "this machine's clock") + "; the other members refuse its connections while their clocks agree",
			Fix:      clockFix,
			Evidence: append(ev, "valid from "+pc.leaf.NotBefore.UTC().Format(time.RFC3339), "local clock "+in.Now.UTC().Format(time.RFC3339))})
	case j.Expired:
		out = append(out, Finding{ID: "peer-cert-expired", Severity: Error, Endpoint: pc.info.URL,
			Cause:    fmt.Sprintf("member %s's peer certificate is outside its validity period: the other members refuse its connections", pc.member),
			Fix:      "renew it in place of the old file (etcd-certwiz renew peer.crt; etcd reads certificate files on each handshake: no restart); if the dates look right, fix the clock (timedatectl)",
			Evidence: append(ev, "local clock "+in.Now.UTC().Format(time.RFC3339))})
	case j.Expiring:
		out = append(out, Finding{ID: "peer-cert-expiring", Severity: Warning, Endpoint: pc.info.URL,
			Cause:    fmt.Sprintf("member %s's peer certificate expires in %s, with less than a third of its lifetime left", pc.member, pki.Left(j.ExpiringIn)),
			Fix:      "renew it now, in place of the old file (etcd-certwiz renew peer.crt): etcd re-reads certificate files on each handshake, so the renewed file is picked up without a restart",
			Evidence: ev})
	}
	return out
}

// serverCertUsage warns about a served certificate without clientAuth: etcd
// presents it as a client certificate when its gRPC gateway dials the
// member's own client port, which refuses it only under --client-cert-auth
// (the server asks for client certificates): otherwise it is information.
func serverCertUsage(endpoint string, leaf *x509.Certificate, clientCertAuth bool) []Finding {
	if leaf == nil || pki.HasEKU(leaf, x509.ExtKeyUsageClientAuth) {
		return nil
	}
	if !clientCertAuth {
		return []Finding{{ID: "server-cert-no-clientauth", Severity: Info, Endpoint: endpoint,
			Cause:    fmt.Sprintf("the server certificate %s lacks the clientAuth usage; harmless while the member does not ask clients for certificates, but with --client-cert-auth its own HTTP/JSON gateway would be refused (\"incompatible key usage\")", leaf.Subject.String()),
			Fix:      "before turning on --client-cert-auth, reissue it with both serverAuth and clientAuth (etcd-certwiz renew server.crt; openssl: extendedKeyUsage = serverAuth, clientAuth)",
			Evidence: []string{"extended key usages: " + ekuNames(leaf), "the server asked for no client certificate"}}}
	}
	return []Finding{{ID: "server-cert-no-clientauth", Severity: Warning, Endpoint: endpoint,
		Cause:    fmt.Sprintf("the server certificate %s lacks the clientAuth usage: etcd also presents it as a client certificate when its HTTP/JSON gateway (/v3/…) dials the member's own gRPC port, and with --client-cert-auth that dial is refused (\"incompatible key usage\" in the member log; at start on 3.5, on the first gateway request on 3.7)", leaf.Subject.String()),
		Fix:      "reissue it with both serverAuth and clientAuth, in place of the old file (etcd-certwiz server NAME --hosts …, or etcd-certwiz renew server.crt; openssl: extendedKeyUsage = serverAuth, clientAuth); etcd reads certificate files on each handshake: no restart",
		Evidence: []string{"extended key usages: " + ekuNames(leaf)}}}
}
