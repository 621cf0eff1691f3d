package certwiz

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math"
	"net"
	"slices"
	"time"
)

// Roles lists every role, in the order reports show them.
var Roles = []Role{RoleCA, RoleServer, RolePeer, RoleClient}

// Fit says whether a certificate can serve a role in an etcd cluster and,
// if not, why, in terms of what etcd will do with it.
type Fit struct {
	Role    Role     `json:"role"`
	OK      bool     `json:"ok"`
	Reasons []string `json:"reasons,omitempty"`
}

// Fitness judges cert for role, ignoring its validity period (Expiry tells
// that) and its chain (Verify tells that). It is exported for etcd-diag.
func Fitness(cert *x509.Certificate, role Role) Fit {
	var why []string
	add := func(format string, args ...any) { why = append(why, fmt.Sprintf(format, args...)) }
	switch role {
	case RoleCA:
		if !cert.IsCA || !cert.BasicConstraintsValid {
			add("not a CA (basic constraints CA:FALSE): it cannot sign certificates")
		}
		if cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageCertSign == 0 {
			add("no keyCertSign key usage: certificates it signs will not verify")
		}
	case RoleServer, RolePeer:
		if cert.IsCA {
			add("a CA certificate; etcd needs a leaf certificate here")
		}
		if !hasEKU(cert, x509.ExtKeyUsageServerAuth) {
			add("no serverAuth: clients will reject this as a %s cert", role)
		}
		if !hasEKU(cert, x509.ExtKeyUsageClientAuth) {
			if role == RolePeer {
				add("no clientAuth: etcd will reject this as a peer cert (members dial each other as clients)")
			} else {
				add("no clientAuth: etcd ≥ 3.2 dials itself with the server cert for its gRPC gateway and fails")
			}
		}
		if len(cert.DNSNames) == 0 && len(cert.IPAddresses) == 0 {
			add("no SANs (DNS names or IPs): TLS clients ignore the CN and refuse every host name")
		}
	case RoleClient:
		if cert.IsCA {
			add("a CA certificate; a client needs a leaf certificate")
		}
		if !hasEKU(cert, x509.ExtKeyUsageClientAuth) {
			add("no clientAuth: etcd will reject this as a client cert")
		}
		if cert.Subject.CommonName == "" {
			add("no CN: under --client-cert-auth etcd takes the CN as the user name")
		}
	default:
		add("unknown role %q", role)
	}
	return Fit{Role: role, OK: len(why) == 0, Reasons: why}
}

// hasEKU mirrors crypto/x509: no extended key usage at all means any.
func hasEKU(cert *x509.Certificate, usage x509.ExtKeyUsage) bool {
	if len(cert.ExtKeyUsage) == 0 && len(cert.UnknownExtKeyUsage) == 0 {
		return true
	}
	return slices.Contains(cert.ExtKeyUsage, usage) || slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageAny)
}

// Usages are the extended key usages x509.Verify must allow for role.
func Usages(role Role) []x509.ExtKeyUsage {
	switch role {
	case RoleServer, RolePeer:
		return []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	case RoleClient:
		return []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	return []x509.ExtKeyUsage{x509.ExtKeyUsageAny}
}

// Verify checks that cert chains to one of cas for every usage role needs at
// now. (x509 treats a list of usages as "any of", so each is checked alone.)
func Verify(cert *x509.Certificate, role Role, cas []*x509.Certificate, now time.Time) error {
	roots := x509.NewCertPool()
	for _, ca := range cas {
		roots.AddCert(ca)
	}
	for _, u := range Usages(role) {
		opts := x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{u}}
		if _, err := cert.Verify(opts); err != nil {
			return err
		}
	}
	return nil
}

// Guess is the role a certificate was most likely issued for: what it is fit
// for, preferring the most specific.
func Guess(cert *x509.Certificate) Role {
	switch {
	case cert.IsCA:
		return RoleCA
	case Fitness(cert, RoleServer).OK:
		return RoleServer
	case hasEKU(cert, x509.ExtKeyUsageClientAuth) && !hasEKU(cert, x509.ExtKeyUsageServerAuth):
		return RoleClient
	}
	return RoleServer
}

// Report is what inspect shows about one certificate.
type Report struct {
	Source     string    `json:"source"`
	Subject    string    `json:"subject"`
	Issuer     string    `json:"issuer"`
	Serial     string    `json:"serial"`
	SelfSigned bool      `json:"self_signed"`
	IsCA       bool      `json:"is_ca"`
	DNS        []string  `json:"dns_names,omitempty"`
	IPs        []string  `json:"ip_addresses,omitempty"`
	Usages     []string  `json:"key_usages,omitempty"`
	ExtUsages  []string  `json:"ext_key_usages,omitempty"`
	KeyType    string    `json:"key_type"`
	NotBefore  time.Time `json:"not_before"`
	NotAfter   time.Time `json:"not_after"`
	DaysLeft   int       `json:"days_left"`
	Validity   string    `json:"validity"`
	Roles      []Fit     `json:"roles"`
	KeyFile    string    `json:"key_file,omitempty"`
	KeyMatch   *bool     `json:"key_matches,omitempty"`
}

// Inspect describes cert as of now.
func Inspect(source string, cert *x509.Certificate, now time.Time) Report {
	kt, _ := KeyTypeOf(cert.PublicKey)
	r := Report{
		Source: source, Subject: cert.Subject.String(), Issuer: cert.Issuer.String(),
		Serial: fmt.Sprintf("%x", cert.SerialNumber), IsCA: cert.IsCA,
		SelfSigned: cert.CheckSignatureFrom(cert) == nil,
		DNS:        cert.DNSNames, Usages: KeyUsageNames(cert.KeyUsage), ExtUsages: ExtKeyUsageNames(cert),
		KeyType: string(kt), NotBefore: cert.NotBefore, NotAfter: cert.NotAfter,
		DaysLeft: DaysLeft(cert, now), Validity: Expiry(cert, now),
	}
	for _, ip := range cert.IPAddresses {
		r.IPs = append(r.IPs, ip.String())
	}
	for _, role := range Roles {
		r.Roles = append(r.Roles, Fitness(cert, role))
	}
	return r
}

// DaysLeft is the number of whole days until cert expires (negative once expired).
func DaysLeft(cert *x509.Certificate, now time.Time) int {
	return int(math.Floor(cert.NotAfter.Sub(now).Hours() / 24))
}

// Expiry describes the validity period relative to now.
func Expiry(cert *x509.Certificate, now time.Time) string {
	switch {
	case now.Before(cert.NotBefore):
		return "not valid before " + cert.NotBefore.UTC().Format(time.RFC3339)
	case now.After(cert.NotAfter):
		return fmt.Sprintf("EXPIRED %d days ago (%s)", -DaysLeft(cert, now), cert.NotAfter.UTC().Format("2006-01-02"))
	}
	return fmt.Sprintf("%d days left (until %s)", DaysLeft(cert, now), cert.NotAfter.UTC().Format("2006-01-02"))
}

var keyUsageNames = []struct {
	u    x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "digitalSignature"}, {x509.KeyUsageContentCommitment, "contentCommitment"},
	{x509.KeyUsageKeyEncipherment, "keyEncipherment"}, {x509.KeyUsageDataEncipherment, "dataEncipherment"},
	{x509.KeyUsageKeyAgreement, "keyAgreement"}, {x509.KeyUsageCertSign, "keyCertSign"},
	{x509.KeyUsageCRLSign, "cRLSign"}, {x509.KeyUsageEncipherOnly, "encipherOnly"}, {x509.KeyUsageDecipherOnly, "decipherOnly"},
}

// KeyUsageNames names the bits of ku as openssl does.
func KeyUsageNames(ku x509.KeyUsage) []string {
	var out []string
	for _, n := range keyUsageNames {
		if ku&n.u != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

var extUsageNames = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny: "any", x509.ExtKeyUsageServerAuth: "serverAuth", x509.ExtKeyUsageClientAuth: "clientAuth",
	x509.ExtKeyUsageCodeSigning: "codeSigning", x509.ExtKeyUsageEmailProtection: "emailProtection",
	x509.ExtKeyUsageTimeStamping: "timeStamping", x509.ExtKeyUsageOCSPSigning: "OCSPSigning",
}

// ExtKeyUsageNames names the extended key usages of cert.
func ExtKeyUsageNames(cert *x509.Certificate) []string {
	var out []string
	for _, u := range cert.ExtKeyUsage {
		name, ok := extUsageNames[u]
		if !ok {
			name = fmt.Sprintf("eku(%d)", u)
		}
		out = append(out, name)
	}
	for _, oid := range cert.UnknownExtKeyUsage {
		out = append(out, oid.String())
	}
	return out
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
