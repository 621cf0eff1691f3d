package pki

import (
	"crypto/x509"
	"fmt"
	"net"
	"slices"
	"strings"
)

// Role is what a certificate is for in an etcd cluster.
type Role string

const (
	RoleCA     Role = "ca"
	RoleServer Role = "server"
	RolePeer   Role = "peer"
	RoleClient Role = "client"
)

// Roles lists every role, in the order reports show them.
var Roles = []Role{RoleCA, RoleServer, RolePeer, RoleClient}

// LeafRoles are the roles a CA signs certificates for.
var LeafRoles = []Role{RoleServer, RolePeer, RoleClient}

// Usages are the extended key usages a certificate of role must allow, each
// checked on its own (crypto/x509 treats a list as "any of"): a server
// certificate needs serverAuth for clients and clientAuth because etcd ≥ 3.2
// dials itself (its gRPC gateway) with it; a peer certificate both, as
// members dial each other; a client certificate clientAuth. A CA needs none.
func Usages(role Role) []x509.ExtKeyUsage {
	switch role {
	case RoleServer, RolePeer:
		return []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	case RoleClient:
		return []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	return []x509.ExtKeyUsage{x509.ExtKeyUsageAny}
}

// HasEKU reports whether cert allows usage as crypto/x509 judges every
// certificate of a chain, CAs included: no extended key usage at all, or
// anyExtendedKeyUsage, allows everything.
func HasEKU(cert *x509.Certificate, usage x509.ExtKeyUsage) bool {
	if usage == x509.ExtKeyUsageAny || (len(cert.ExtKeyUsage) == 0 && len(cert.UnknownExtKeyUsage) == 0) {
		return true
	}
	return slices.Contains(cert.ExtKeyUsage, usage) || slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageAny)
}

// Fit says whether a certificate can serve a role in an etcd cluster and,
// if not, why, in terms of what etcd will do with it.
type Fit struct {
	Role    Role     `json:"role"`
	OK      bool     `json:"ok"`
	Reasons []string `json:"reasons,omitempty"`
}

// Fitness judges cert for role, ignoring its validity period (Expiry tells
// that) and its chain (Verify tells that). A CA is unfit when it cannot sign
// a certificate of any etcd role (see CanSign for each role).
func Fitness(cert *x509.Certificate, role Role) Fit {
	var why []string
	add := func(format string, args ...any) { why = append(why, fmt.Sprintf(format, args...)) }
	switch role {
	case RoleCA:
		why = append(why, caReasons(cert)...)
		if len(why) == 0 && !HasEKU(cert, x509.ExtKeyUsageServerAuth) && !HasEKU(cert, x509.ExtKeyUsageClientAuth) {
			add("its extended key usage (%s) allows neither serverAuth nor clientAuth: Go, and so etcd and etcdctl, reject every certificate under it", ExtKeyUsageList(cert))
		}
	case RoleServer, RolePeer:
		if cert.IsCA {
			add("a CA certificate; etcd needs a leaf certificate here")
		}
		if !HasEKU(cert, x509.ExtKeyUsageServerAuth) {
			add("no serverAuth: clients will reject this as a %s cert", role)
		}
		if !HasEKU(cert, x509.ExtKeyUsageClientAuth) {
			if role == RolePeer {
				add("no clientAuth: etcd will reject this as a peer cert (members dial each other as clients)")
			} else {
				add("no clientAuth: etcd ≥ 3.2 dials itself with the server cert for its gRPC gateway and fails with \"incompatible key usage\"")
			}
		}
		if len(cert.DNSNames) == 0 && len(cert.IPAddresses) == 0 {
			add("no SANs (DNS names or IPs): TLS clients ignore the CN and refuse every host name")
		}
		for _, n := range addressesAsNames(cert) {
			add("DNS:%s is an address written as a DNS name: Go (etcd, etcdctl) checks an address dialled only against the IP SANs, so clients dialling %s refuse this certificate; reissue it with IP:%s in subjectAltName", n, n, n)
		}
	case RoleClient:
		if cert.IsCA {
			add("a CA certificate; a client needs a leaf certificate")
		}
		if !HasEKU(cert, x509.ExtKeyUsageClientAuth) {
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

// caReasons are why cert cannot sign certificates at all, as crypto/x509's
// CheckSignatureFrom and chain building judge it.
func caReasons(cert *x509.Certificate) []string {
	var why []string
	if !cert.IsCA || !cert.BasicConstraintsValid {
		why = append(why, "not a CA (basic constraints CA:FALSE or absent): it cannot sign certificates")
	}
	if cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		why = append(why, "no keyCertSign key usage: certificates it signs will not verify")
	}
	return why
}

// CanSign judges a CA for signing certificates of a leaf role: it must be a
// CA with keyCertSign, and its extended key usage, if any, must allow every
// usage of the role (Go checks each CA of a chain for the leaf's usage).
// Fit.Role is the leaf role.
func CanSign(ca *x509.Certificate, role Role) Fit {
	why := caReasons(ca)
	var lacks []string
	for _, u := range Usages(role) {
		if !HasEKU(ca, u) {
			lacks = append(lacks, EKUName(u))
		}
	}
	if len(lacks) > 0 {
		why = append(why, fmt.Sprintf("its extended key usage (%s) lacks %s, which etcd %s certificates need", ExtKeyUsageList(ca), strings.Join(lacks, " and "), role))
	}
	return Fit{Role: role, OK: len(why) == 0, Reasons: why}
}

// Guess is the role a certificate was most likely issued for, from its
// extensions alone: a CA; server when it allows serverAuth; client when it
// allows clientAuth only.
func Guess(cert *x509.Certificate) Role {
	switch {
	case cert.IsCA:
		return RoleCA
	case Fitness(cert, RoleServer).OK:
		return RoleServer
	case HasEKU(cert, x509.ExtKeyUsageClientAuth) && !HasEKU(cert, x509.ExtKeyUsageServerAuth):
		return RoleClient
	}
	return RoleServer
}

// EKUName names an extended key usage as openssl's configuration does.
func EKUName(u x509.ExtKeyUsage) string {
	switch u {
	case x509.ExtKeyUsageAny:
		return "anyExtendedKeyUsage"
	case x509.ExtKeyUsageServerAuth:
		return "serverAuth"
	case x509.ExtKeyUsageClientAuth:
		return "clientAuth"
	case x509.ExtKeyUsageCodeSigning:
		return "codeSigning"
	case x509.ExtKeyUsageEmailProtection:
		return "emailProtection"
	case x509.ExtKeyUsageTimeStamping:
		return "timeStamping"
	case x509.ExtKeyUsageOCSPSigning:
		return "OCSPSigning"
	case x509.ExtKeyUsageIPSECEndSystem:
		return "ipsecEndSystem"
	case x509.ExtKeyUsageIPSECTunnel:
		return "ipsecTunnel"
	case x509.ExtKeyUsageIPSECUser:
		return "ipsecUser"
	case x509.ExtKeyUsageMicrosoftServerGatedCrypto:
		return "msSGC"
	case x509.ExtKeyUsageNetscapeServerGatedCrypto:
		return "nsSGC"
	}
	return fmt.Sprintf("eku(%d)", u)
}

// ExtKeyUsageNames names the extended key usages of cert, unknown ones by OID.
func ExtKeyUsageNames(cert *x509.Certificate) []string {
	var out []string
	for _, u := range cert.ExtKeyUsage {
		out = append(out, EKUName(u))
	}
	for _, oid := range cert.UnknownExtKeyUsage {
		out = append(out, oid.String())
	}
	return out
}

// ExtKeyUsageList is ExtKeyUsageNames as one string, "none: any" when empty.
func ExtKeyUsageList(cert *x509.Certificate) string {
	names := ExtKeyUsageNames(cert)
	if len(names) == 0 {
		return "none: any"
	}
	return strings.Join(names, ", ")
}

// KeyUsageNames names the key usage bits of ku as openssl does.
func KeyUsageNames(ku x509.KeyUsage) []string {
	names := []string{"digitalSignature", "contentCommitment", "keyEncipherment", "dataEncipherment",
		"keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"}
	var out []string
	for i, n := range names {
		if ku&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// addressesAsNames lists the DNS SANs of cert that are IP addresses with no
// IP SAN of the same address beside them (subjectAltName = DNS:10.0.0.5,
// a classic of openssl configs written by hand).
func addressesAsNames(cert *x509.Certificate) []string {
	var out []string
	for _, n := range cert.DNSNames {
		ip := net.ParseIP(n)
		if ip == nil || slices.ContainsFunc(cert.IPAddresses, ip.Equal) {
			continue
		}
		out = append(out, n)
	}
	return out
}
