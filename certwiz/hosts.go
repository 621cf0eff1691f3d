package certwiz

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
)

// Hosts are the subject alternative names of a server or peer certificate.
type Hosts struct {
	DNS []string
	IPs []net.IP
}

// HostError says why one host entry is not a usable SAN.
type HostError struct {
	Host string
	Why  string
}

func (e *HostError) Error() string { return fmt.Sprintf("%q is not a valid host: %s", e.Host, e.Why) }

// Hint shows what hosts look like.
func (e *HostError) Hint() string {
	return "hosts are IPs (10.0.1.10, ::1) or DNS names (etcd-0.example.internal), comma-separated"
}

// LocalHosts are the SANs every member's server certificate gets so that
// etcdctl and the gRPC gateway on the member itself can connect.
var LocalHosts = []string{"localhost", "127.0.0.1", "::1"}

// ParseHosts classifies each entry as an IP address or a DNS name, validating
// both, and drops duplicates. Entries may be comma-separated.
func ParseHosts(entries ...string) (Hosts, error) {
	var h Hosts
	for _, e := range entries {
		for _, part := range strings.Split(e, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if err := h.Add(part); err != nil {
				return Hosts{}, err
			}
		}
	}
	return h, nil
}

// Add adds one validated host, ignoring duplicates.
func (h *Hosts) Add(host string) error {
	ip, dns, err := ClassifyHost(host)
	if err != nil {
		return err
	}
	if ip != nil {
		if !slices.ContainsFunc(h.IPs, ip.Equal) {
			h.IPs = append(h.IPs, ip)
		}
		return nil
	}
	if !slices.Contains(h.DNS, dns) {
		h.DNS = append(h.DNS, dns)
	}
	return nil
}

// Merge adds every host of o.
func (h *Hosts) Merge(o Hosts) {
	for _, d := range o.DNS {
		if !slices.Contains(h.DNS, d) {
			h.DNS = append(h.DNS, d)
		}
	}
	for _, ip := range o.IPs {
		if !slices.ContainsFunc(h.IPs, ip.Equal) {
			h.IPs = append(h.IPs, ip)
		}
	}
}

// Strings lists the hosts, DNS names first.
func (h Hosts) Strings() []string {
	out := slices.Clone(h.DNS)
	for _, ip := range h.IPs {
		out = append(out, ip.String())
	}
	return out
}

// Empty reports whether there is no SAN at all.
func (h Hosts) Empty() bool { return len(h.DNS) == 0 && len(h.IPs) == 0 }

// ClassifyHost returns host as an IP or as a lower-cased DNS name, or says
// precisely what is wrong with it: the mistakes people make in SAN lists are
// URLs, ports, typos in IPs and underscores.
func ClassifyHost(host string) (net.IP, string, error) {
	bad := func(why string) (net.IP, string, error) { return nil, "", &HostError{Host: host, Why: why} }
	s := strings.TrimSpace(host)
	switch {
	case s == "":
		return bad("empty")
	case strings.Contains(s, "://"):
		return bad("a URL; give the host name or IP only (e.g. 10.0.1.10)")
	case strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]"):
		s = s[1 : len(s)-1]
	}
	if ip := net.ParseIP(s); ip != nil {
		if ip4 := ip.To4(); ip4 != nil {
			ip = ip4
		}
		return ip, "", nil
	}
	if strings.Contains(s, ":") {
		if h, _, err := net.SplitHostPort(s); err == nil && h != "" {
			return bad("has a port; SANs hold host names and IPs only")
		}
		return bad("not a valid IPv6 address")
	}
	if looksLikeIPv4(s) {
		return bad("not a valid IPv4 address")
	}
	if err := ValidDNSName(s); err != nil {
		return bad(err.Error())
	}
	return nil, strings.ToLower(s), nil
}

// looksLikeIPv4 is true for dotted digits ("10.0.1.300", "10.0.1"): meant as
// an IP, so "not a valid DNS name" would be the wrong message.
func looksLikeIPv4(s string) bool {
	return strings.Trim(s, "0123456789.") == "" && strings.Contains(s, ".")
}

// ValidDNSName checks RFC 1123 host name syntax; a leading "*." wildcard is allowed.
func ValidDNSName(s string) error {
	name := strings.TrimSuffix(s, ".")
	name = strings.TrimPrefix(name, "*.")
	if name == "" {
		return errors.New("empty name")
	}
	if len(name) > 253 {
		return errors.New("longer than 253 characters")
	}
	if strings.Contains(name, "*") {
		return errors.New("a wildcard is only allowed as the whole first label (*.example.com)")
	}
	for _, label := range strings.Split(name, ".") {
		if err := validLabel(label); err != nil {
			return err
		}
	}
	return nil
}

func validLabel(l string) error {
	switch {
	case l == "":
		return errors.New("empty label (two dots in a row?)")
	case len(l) > 63:
		return fmt.Errorf("label %q is longer than 63 characters", l)
	case l[0] == '-' || l[len(l)-1] == '-':
		return fmt.Errorf("label %q starts or ends with a hyphen", l)
	}
	for _, r := range l {
		ok := r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return fmt.Errorf("character %q is not allowed in a host name (letters, digits and hyphens only)", r)
		}
	}
	return nil
}

// ValidName checks a member or client name: it becomes a directory or file
// name and, for members, a SAN, so it must be a single DNS label.
func ValidName(kind, name string) error {
	if strings.Contains(name, ".") {
		return fmt.Errorf("%s name %q: use a single label without dots (put FQDNs in dns)", kind, name)
	}
	if err := validLabel(name); err != nil {
		return fmt.Errorf("%s name %q: %w", kind, name, err)
	}
	return nil
}

// ValidIP checks that s is an IP address.
func ValidIP(s string) error {
	ip, _, err := ClassifyHost(s)
	if err != nil {
		return err
	}
	if ip == nil {
		return &HostError{Host: s, Why: "not an IP address (put host names in dns)"}
	}
	return nil
}
