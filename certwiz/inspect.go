package certwiz

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"time"

	"github.com/etcd-ctx/etcd-ctx/pki"
)

// Report is what inspect shows about one certificate of a file or of a
// chain a server presented.
type Report struct {
	Source         string    `json:"source"`
	Index          int       `json:"index"` // 1-based position in the file or chain
	Subject        string    `json:"subject"`
	Issuer         string    `json:"issuer"`
	Serial         string    `json:"serial,omitempty"`
	SelfSigned     bool      `json:"self_signed"`
	IsCA           bool      `json:"is_ca"`
	DNS            []string  `json:"dns_names,omitempty"`
	IPs            []string  `json:"ip_addresses,omitempty"`
	Usages         []string  `json:"key_usages,omitempty"`
	ExtUsages      []string  `json:"ext_key_usages,omitempty"`
	KeyType        string    `json:"key_type"`
	KeyID          string    `json:"key_id,omitempty"`           // SubjectKeyId
	AuthorityKeyID string    `json:"authority_key_id,omitempty"` // the signer's key id
	NotBefore      time.Time `json:"not_before"`
	NotAfter       time.Time `json:"not_after"`
	DaysLeft       int       `json:"days_left"`
	Validity       string    `json:"validity"`
	// IssuedBy says how the certificate links to the others of its file or
	// chain: signed by which of them, or by a CA not in it.
	IssuedBy string `json:"issued_by,omitempty"`
	// Roles: for a leaf, its fitness for each role (the CAs after it in the
	// file included); for a CA, its fitness as a CA.
	Roles []pki.Fit `json:"roles"`
	// Signs, for a CA: whether it can sign etcd server, peer and client
	// certificates, extended key usage restrictions considered.
	Signs    []pki.Fit `json:"signs,omitempty"`
	Problems []string  `json:"problems,omitempty"` // key, signature, or why it does not parse
	KeyFile  string    `json:"key_file,omitempty"`
	KeyMatch *bool     `json:"key_matches,omitempty"`
	// KeyUnchecked says why the key file beside it was not checked against
	// it: "not readable (permission denied)" for a key another user owns.
	KeyUnchecked string `json:"key_unchecked,omitempty"`
	hasError     bool
	of           int // certificates in the file or chain
}

// Title names the certificate: its source, and its position when the
// source holds several ("ca.crt [certificate 2 of 3]").
func (r Report) Title() string {
	if r.of > 1 {
		return fmt.Sprintf("%s [certificate %d of %d]", r.Source, r.Index, r.of)
	}
	return r.Source
}

// Unusable reports whether the certificate cannot be used at all (it does
// not parse, or its key or signature is refused).
func (r Report) Unusable() bool { return r.hasError }

// InspectPEM describes every certificate of a PEM file as of now, in order,
// and how each links to the others. It fails only when the file holds no
// certificate at all (saying what it holds instead).
func InspectPEM(source string, data []byte, now time.Time) ([]Report, error) {
	f := pki.ParseFile(data)
	var out []Report
	for _, e := range f.Entries {
		switch {
		case e.Cert != nil:
			out = append(out, Inspect(source, e.Cert, now))
		case e.Bad != nil:
			out = append(out, badReport(source, e.Bad, now))
		default:
			continue
		}
		out[len(out)-1].Index = len(out)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no certificate (it holds %s)", source, f.Describe())
	}
	for i := range out {
		out[i].of = len(out)
	}
	linkReports(out, f.Certs, "this file")
	return out, nil
}

// InspectChain describes a chain as a server presented it.
func InspectChain(source string, chain []*x509.Certificate, now time.Time) []Report {
	out := make([]Report, len(chain))
	for i, c := range chain {
		out[i] = Inspect(source, c, now)
		out[i].Index, out[i].of = i+1, len(chain)
	}
	linkReports(out, chain, "the chain")
	return out
}

func badReport(source string, b *pki.BadCert, now time.Time) Report {
	r := Report{Source: source, Subject: b.Subject, Issuer: b.Issuer, KeyType: "unsupported",
		NotBefore: b.NotBefore, NotAfter: b.NotAfter, Problems: []string{b.Err.Error()}, hasError: true}
	if !b.NotAfter.IsZero() {
		c := &x509.Certificate{NotBefore: b.NotBefore, NotAfter: b.NotAfter}
		r.DaysLeft, r.Validity = pki.DaysLeft(c, now), pki.Expiry(c, now)
	}
	return r
}

// linkReports says, for each certificate, which other one of the list
// signed it, and makes a leaf unfit for a role when a CA after it in the
// list restricts the usages that role needs.
func linkReports(reports []Report, certs []*x509.Certificate, where string) {
	if len(certs) != len(reports) {
		return // some did not parse: indexes no longer line up
	}
	issuerOf := func(c *x509.Certificate) int {
		for j, p := range certs {
			if p != c && string(p.RawSubject) == string(c.RawIssuer) &&
				p.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil {
				return j
			}
		}
		return -1
	}
	for i, c := range certs {
		r := &reports[i]
		switch j := issuerOf(c); {
		case r.SelfSigned:
			r.IssuedBy = "itself (a root)"
		case j >= 0:
			r.IssuedBy = fmt.Sprintf("certificate %d of %s (signature verified)", j+1, where)
		case len(certs) > 1:
			r.IssuedBy = fmt.Sprintf("%q, not in %s", c.Issuer.String(), where)
		}
		if c.IsCA {
			continue
		}
		// The CAs above the leaf in the list, as its peer will see them.
		seen := map[int]bool{i: true}
		for j := issuerOf(c); j >= 0 && !seen[j]; j = issuerOf(certs[j]) {
			seen[j] = true
			for k := range r.Roles {
				fit := &r.Roles[k]
				if fit.Role == RoleCA {
					continue
				}
				for _, u := range pki.Usages(fit.Role) {
					if !pki.HasEKU(certs[j], u) {
						fit.OK = false
						fit.Reasons = append(fit.Reasons, fmt.Sprintf("CA %s (certificate %d of %s) restricts extended key usage to %s: Go, and so etcd, refuse it for %s",
							pki.Name(certs[j]), j+1, where, pki.ExtKeyUsageList(certs[j]), pki.EKUName(u)))
					}
				}
			}
		}
	}
}

// Inspect describes cert as of now.
func Inspect(source string, cert *x509.Certificate, now time.Time) Report {
	r := Report{
		Source: source, Subject: cert.Subject.String(), Issuer: cert.Issuer.String(),
		Serial: pki.FormatSerial(cert.SerialNumber), IsCA: cert.IsCA, SelfSigned: pki.SelfSigned(cert),
		DNS: cert.DNSNames, Usages: pki.KeyUsageNames(cert.KeyUsage), ExtUsages: pki.ExtKeyUsageNames(cert),
		KeyType: pki.KeyType(cert.PublicKey), KeyID: pki.KeyID(cert), NotBefore: cert.NotBefore, NotAfter: cert.NotAfter,
		DaysLeft: pki.DaysLeft(cert, now), Validity: pki.Expiry(cert, now),
	}
	if len(cert.AuthorityKeyId) > 0 && !r.SelfSigned {
		r.AuthorityKeyID = pki.KeyIDBytes(cert.AuthorityKeyId)
	}
	for _, ip := range cert.IPAddresses {
		r.IPs = append(r.IPs, ip.String())
	}
	if cert.IsCA {
		r.Roles = []pki.Fit{pki.Fitness(cert, RoleCA)}
		for _, role := range pki.LeafRoles {
			r.Signs = append(r.Signs, pki.CanSign(cert, role))
		}
	} else {
		for _, role := range pki.Roles {
			r.Roles = append(r.Roles, pki.Fitness(cert, role))
		}
	}
	for _, p := range pki.KeyProblems(cert) {
		r.Problems = append(r.Problems, p.Msg)
		if p.Severity == pki.SevError {
			r.hasError = true
		}
	}
	return r
}

// FetchRemote returns the certificate chain a TLS server presents at
// host:port. It does not verify the chain: inspecting is exactly what is
// needed when verification fails. A server that then demands a client
// certificate still showed its own first.
func FetchRemote(addr string, timeout time.Duration) ([]*x509.Certificate, error) {
	var chain []*x509.Certificate
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%q: expected HOST:PORT", addr)
	}
	cfg := &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // inspection only; nothing is sent
		ServerName:         host,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			for _, der := range raw {
				if c, err := x509.ParseCertificate(der); err == nil {
					chain = append(chain, c)
				}
			}
			return nil
		},
	}
	if net.ParseIP(host) != nil {
		cfg.ServerName = ""
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: timeout}, "tcp", addr, cfg)
	if err == nil {
		conn.Close()
	}
	if len(chain) > 0 {
		return chain, nil
	}
	if err == nil {
		err = fmt.Errorf("%s presented no certificate", addr)
	}
	return nil, err
}
