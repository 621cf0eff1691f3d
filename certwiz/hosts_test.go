package certwiz

import (
	"strings"
	"testing"
)

func TestParseHosts(t *testing.T) {
	cases := []struct {
		in      string
		dns     string
		ips     string
		wantErr string
	}{
		{"10.0.1.10,etcd-0.example.internal", "etcd-0.example.internal", "10.0.1.10", ""},
		{"::1, [fe80::1], localhost, LOCALHOST", "localhost", "::1,fe80::1", ""},
		{"*.etcd.svc", "*.etcd.svc", "", ""},
		{"10.0.1.300", "", "", "not a valid IPv4 address"},
		{"10.0.1", "", "", "not a valid IPv4 address"},
		{"https://10.0.1.10:2379", "", "", "a URL"},
		{"etcd-0:2379", "", "", "has a port"},
		{"etcd_0", "", "", `character '_' is not allowed`},
		{"-etcd", "", "", "starts or ends with a hyphen"},
		{"a..b", "", "", "empty label"},
		{"fe80::zz", "", "", "not a valid IPv6 address"},
		{"a.*.b", "", "", "wildcard"},
		{strings.Repeat("a", 64) + ".com", "", "", "longer than 63"},
	}
	for _, tc := range cases {
		h, err := ParseHosts(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		var ips []string
		for _, ip := range h.IPs {
			ips = append(ips, ip.String())
		}
		if strings.Join(h.DNS, ",") != tc.dns || strings.Join(ips, ",") != tc.ips {
			t.Errorf("%q: dns %v ips %v, want %s / %s", tc.in, h.DNS, ips, tc.dns, tc.ips)
		}
	}
}

func TestValidName(t *testing.T) {
	for _, bad := range []string{"", "a.b", "a b", "a/b", "-x"} {
		if ValidName("member", bad) == nil {
			t.Errorf("%q accepted as a member name", bad)
		}
	}
	if err := ValidName("member", "etcd-0"); err != nil {
		t.Error(err)
	}
}
