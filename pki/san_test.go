package pki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"strings"
	"testing"
)

func TestWhySANMiss(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cert  x509.Certificate
		host  string
		cause string // substring; "" means no cause
		ext   string
	}{
		{"ip written as dns", x509.Certificate{DNSNames: []string{"127.0.0.1", "localhost"}}, "127.0.0.1",
			"127.0.0.1 is in the certificate as a DNS name (DNS:127.0.0.1), not as an IP address (IP:127.0.0.1)", "IP:127.0.0.1"},
		{"ipv6 written as dns", x509.Certificate{DNSNames: []string{"::1"}}, "[::1]", "as a DNS name (DNS:::1)", "IP:::1"},
		{"cn only", x509.Certificate{Subject: pkix.Name{CommonName: "10.0.0.5"}}, "10.0.0.5",
			"no subject alternative names, only the subject CN=10.0.0.5, which Go ignores", "IP:10.0.0.5"},
		{"nothing at all", x509.Certificate{}, "etcd-0", "no subject alternative names at all", "DNS:etcd-0"},
		{"wildcard too deep", x509.Certificate{DNSNames: []string{"*.example.com"}}, "etcd.dc1.example.com",
			"the wildcard SAN *.example.com covers exactly one label before .example.com, not etcd.dc1.example.com", "DNS:etcd.dc1.example.com"},
		{"plain absence of an ip", x509.Certificate{DNSNames: []string{"etcd-0"}, IPAddresses: []net.IP{net.ParseIP("10.0.0.6")}}, "10.0.0.5", "", "IP:10.0.0.5"},
		{"plain absence of a name", x509.Certificate{DNSNames: []string{"*.example.com"}}, "etcd.example.org", "", "DNS:etcd.example.org"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := WhySANMiss(&tc.cert, tc.host)
			if m.Ext != tc.ext {
				t.Errorf("Ext = %q, want %q", m.Ext, tc.ext)
			}
			if tc.cause == "" && m.Cause != "" || !strings.Contains(m.Cause, tc.cause) {
				t.Errorf("Cause = %q, want %q", m.Cause, tc.cause)
			}
		})
	}
}

func TestSANsKeepTheirType(t *testing.T) {
	c := &x509.Certificate{DNSNames: []string{"127.0.0.1"}, IPAddresses: []net.IP{net.ParseIP("10.0.0.5")}}
	if got := strings.Join(SANs(c), ", "); got != "DNS:127.0.0.1, IP:10.0.0.5" {
		t.Errorf("SANs = %q", got)
	}
}
