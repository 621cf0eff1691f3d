package pki

import (
	"crypto/x509"
	"fmt"
	"net"
	"strings"
)

// SANs lists a certificate's subject alternative names as openssl writes
// them in subjectAltName: "DNS:etcd-0", "IP:10.0.0.5". The type matters: an
// address written as DNS:10.0.0.5 is a name to Go, never an IP.
func SANs(c *x509.Certificate) []string {
	out := make([]string, 0, len(c.DNSNames)+len(c.IPAddresses))
	for _, n := range c.DNSNames {
		out = append(out, "DNS:"+n)
	}
	for _, ip := range c.IPAddresses {
		out = append(out, "IP:"+ip.String())
	}
	return out
}

// SANMiss says why cert is not valid for host when it is one of the known
// ways a certificate is written wrong, as crypto/x509's VerifyHostname (and
// so etcd, etcdctl and every Go client) judges it. Cause is "" for a plain
// absence (the host is simply not there). Ext is the subjectAltName entry
// the certificate needs, as openssl writes it ("IP:10.0.0.5", "DNS:etcd-0").
type SANMiss struct {
	Cause string
	Ext   string
}

// WhySANMiss explains a host that cert does not cover.
func WhySANMiss(cert *x509.Certificate, host string) SANMiss {
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	ip := net.ParseIP(host)
	m := SANMiss{Ext: "DNS:" + host}
	if ip != nil {
		m.Ext = "IP:" + ip.String()
	}
	if len(cert.DNSNames) == 0 && len(cert.IPAddresses) == 0 {
		if cert.Subject.CommonName != "" {
			m.Cause = fmt.Sprintf("the certificate has no subject alternative names, only the subject CN=%s, which Go ignores since 1.15 (etcd and etcdctl 3.5 and later: \"x509: certificate relies on legacy Common Name field, use SANs instead\")", cert.Subject.CommonName)
		} else {
			m.Cause = "the certificate has no subject alternative names at all"
		}
		return m
	}
	if ip != nil {
		for _, n := range cert.DNSNames {
			if dip := net.ParseIP(n); dip != nil && dip.Equal(ip) {
				m.Cause = fmt.Sprintf("%s is in the certificate as a DNS name (DNS:%s), not as an IP address (IP:%s): Go checks an address only against the IP SANs (\"doesn't contain any IP SANs\" when there are none)", host, n, ip)
				return m
			}
		}
		return m
	}
	for _, n := range cert.DNSNames {
		suffix, ok := strings.CutPrefix(n, "*.")
		if !ok {
			continue
		}
		if rest, ok := strings.CutSuffix(strings.ToLower(host), "."+strings.ToLower(suffix)); ok && strings.Contains(rest, ".") {
			m.Cause = fmt.Sprintf("the wildcard SAN %s covers exactly one label before .%s, not %s", n, suffix, host)
			return m
		}
	}
	return m
}
