package certwiz

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
)

// Plan describes a whole cluster's PKI. Its YAML form is a user-facing
// contract: fields are only ever added, and unknown fields are an error so a
// typo never silently falls back to a default.
type Plan struct {
	Cluster        string   `yaml:"cluster"`
	Out            string   `yaml:"out,omitempty"`
	KeyType        KeyType  `yaml:"key-type,omitempty"`
	CADays         int      `yaml:"ca-days,omitempty"`
	LeafDays       int      `yaml:"leaf-days,omitempty"`
	SeparatePeerCA *bool    `yaml:"separate-peer-ca,omitempty"`
	Members        []Member `yaml:"members"`
	Clients        []Client `yaml:"clients,omitempty"`
}

// Member is one etcd server.
type Member struct {
	Name       string   `yaml:"name"`
	IPs        []string `yaml:"ips,omitempty"`
	DNS        []string `yaml:"dns,omitempty"`
	ClientURLs []string `yaml:"client-urls,omitempty"`
	PeerURLs   []string `yaml:"peer-urls,omitempty"`
}

// Client is a user certificate. etcd takes the CN as the user name under
// --client-cert-auth.
type Client struct {
	Name string     `yaml:"name"`
	CN   string     `yaml:"cn,omitempty"`
	Org  StringList `yaml:"org,omitempty"`
}

// StringList accepts a scalar or a sequence ("org: ops" or "org: [a, b]").
type StringList []string

// UnmarshalYAML implements yaml.Unmarshaler.
func (l *StringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = StringList{n.Value}
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = s
	return nil
}

// Defaults of a plan.
const (
	DefaultCluster    = "etcd"
	DefaultOut        = "./pki"
	DefaultClientPort = 2379
	DefaultPeerPort   = 2380
)

// PlanError is a plan that does not parse or validate; Line is 0 when unknown.
type PlanError struct {
	File string
	Line int
	Msg  string
}

func (e *PlanError) Error() string {
	where := "plan"
	if e.File != "" {
		where = e.File
	}
	if e.Line > 0 {
		where += fmt.Sprintf(":%d", e.Line)
	}
	return where + ": " + e.Msg
}

// Hint says where the format is described.
func (e *PlanError) Hint() string {
	return "fix the plan file; 'etcd-certwiz init --help' shows its format"
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
var unknownFieldRE = regexp.MustCompile(`field (\S+) not found in type \S+`)

// ParsePlan decodes a plan, refusing unknown fields, applies the defaults and
// validates it.
func ParsePlan(data []byte) (*Plan, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return nil, yamlError(err)
	}
	if err := p.Complete(); err != nil {
		return nil, err
	}
	return &p, nil
}

// LoadPlan reads and parses a plan file. A relative out directory is taken
// relative to the plan file, so a plan means the same from any directory.
func LoadPlan(path string) (*Plan, error) {
	data, err := fileio.Read(path)
	if err != nil {
		return nil, err
	}
	p, err := ParsePlan(data)
	var pe *PlanError
	if errors.As(err, &pe) {
		pe.File = path
	}
	if err != nil {
		return nil, err
	}
	if !filepath.IsAbs(p.Out) {
		p.Out = filepath.Join(filepath.Dir(path), p.Out)
	}
	return p, nil
}

func yamlError(err error) error {
	if errors.Is(err, io.EOF) {
		return &PlanError{Msg: "empty plan"}
	}
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	pe := &PlanError{Msg: msg}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		fmt.Sscan(m[1], &pe.Line)
		pe.Msg = m[2]
	}
	if m := unknownFieldRE.FindStringSubmatch(pe.Msg); m != nil {
		pe.Msg = fmt.Sprintf("unknown field %q", m[1])
	}
	return pe
}

// Marshal returns the plan as YAML.
func (p *Plan) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// PeerCASeparate reports whether peers get their own CA (the default).
func (p *Plan) PeerCASeparate() bool { return p.SeparatePeerCA == nil || *p.SeparatePeerCA }

// Complete fills in defaults and validates the plan.
func (p *Plan) Complete() error {
	if p.Cluster == "" {
		p.Cluster = DefaultCluster
	}
	if p.Out == "" {
		p.Out = DefaultOut
	}
	kt, err := ParseKeyType(string(p.KeyType))
	if err != nil {
		return &PlanError{Msg: "key-type: " + err.Error()}
	}
	p.KeyType = kt
	if p.CADays == 0 {
		p.CADays = DefaultCADays
	}
	if p.LeafDays == 0 {
		p.LeafDays = DefaultLeafDays
	}
	if p.SeparatePeerCA == nil {
		yes := true
		p.SeparatePeerCA = &yes
	}
	if err := p.validate(); err != nil {
		return &PlanError{Msg: err.Error()}
	}
	return nil
}

func (p *Plan) validate() error {
	if err := ValidDNSName(p.Cluster); err != nil || strings.Contains(p.Cluster, "*") {
		return fmt.Errorf("cluster %q: use letters, digits and hyphens", p.Cluster)
	}
	if p.CADays < 0 || p.LeafDays < 0 {
		return errors.New("ca-days and leaf-days must be positive")
	}
	if p.LeafDays > p.CADays {
		return fmt.Errorf("leaf-days (%d) exceeds ca-days (%d): leaves would outlive their CA", p.LeafDays, p.CADays)
	}
	if len(p.Members) == 0 {
		return errors.New("members: at least one member is needed")
	}
	for i := range p.Members {
		if err := p.Members[i].complete(p.Members[:i]); err != nil {
			return fmt.Errorf("members[%d]: %w", i, err)
		}
	}
	for i := range p.Clients {
		if err := p.Clients[i].complete(p.Clients[:i]); err != nil {
			return fmt.Errorf("clients[%d]: %w", i, err)
		}
	}
	return nil
}

func (m *Member) complete(before []Member) error {
	if err := ValidName("member", m.Name); err != nil {
		return err
	}
	if slices.ContainsFunc(before, func(o Member) bool { return o.Name == m.Name }) {
		return fmt.Errorf("duplicate member name %q", m.Name)
	}
	for _, ip := range m.IPs {
		if err := ValidIP(ip); err != nil {
			return err
		}
	}
	for _, d := range m.DNS {
		if _, dns, err := ClassifyHost(d); err != nil || dns == "" {
			return fmt.Errorf("dns: %q is not a DNS name (put IPs in ips)", d)
		}
	}
	if len(m.ClientURLs) == 0 {
		m.ClientURLs = []string{m.DefaultURL(DefaultClientPort)}
	}
	if len(m.PeerURLs) == 0 {
		m.PeerURLs = []string{m.DefaultURL(DefaultPeerPort)}
	}
	for _, u := range append(slices.Clone(m.ClientURLs), m.PeerURLs...) {
		if _, err := urlHost(u); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) complete(before []Client) error {
	if err := ValidName("client", c.Name); err != nil {
		return err
	}
	if slices.ContainsFunc(before, func(o Client) bool { return o.Name == c.Name }) {
		return fmt.Errorf("duplicate client name %q", c.Name)
	}
	if c.CN == "" {
		c.CN = c.Name
	}
	return nil
}

func hostURL(host string, port int) string {
	return "https://" + net.JoinHostPort(host, fmt.Sprint(port))
}

// urlHost validates an etcd URL (https://HOST:PORT) and returns its host.
func urlHost(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("URL %q: expected https://HOST:PORT", raw)
	}
	if u.Scheme != "https" {
		return "", fmt.Errorf("URL %q: certificates are for TLS, use https://", raw)
	}
	if u.Port() == "" {
		return "", fmt.Errorf("URL %q: no port", raw)
	}
	if _, _, err := ClassifyHost(u.Hostname()); err != nil {
		return "", fmt.Errorf("URL %q: %w", raw, err)
	}
	return u.Hostname(), nil
}

// ServerHosts are the SANs of a member's server certificate: the local names
// etcdctl and the gateway use on the member, its name, IPs, DNS names and the
// hosts of its client URLs.
func (m Member) ServerHosts() Hosts {
	h, _ := ParseHosts(LocalHosts...)
	h.Merge(m.PeerHosts())
	for _, u := range m.ClientURLs {
		if host, err := urlHost(u); err == nil {
			_ = h.Add(host)
		}
	}
	return h
}

// PeerHosts are the SANs of a member's peer certificate: the addresses other
// members reach it at. A member IP missing here breaks peer traffic, since etcd
// checks the peer's certificate against the address it connects from.
func (m Member) PeerHosts() Hosts {
	var h Hosts
	_ = h.Add(m.Name)
	for _, s := range append(slices.Clone(m.IPs), m.DNS...) {
		_ = h.Add(s)
	}
	for _, u := range m.PeerURLs {
		if host, err := urlHost(u); err == nil {
			_ = h.Add(host)
		}
	}
	return h
}

// ValidURL checks an etcd client or peer URL for a TLS cluster (https://HOST:PORT).
func ValidURL(raw string) error {
	_, err := urlHost(raw)
	return err
}

// DefaultURL is a member's URL on port from its first IP, else DNS name, else name.
func (m Member) DefaultURL(port int) string {
	host := m.Name
	if len(m.IPs) > 0 {
		host = m.IPs[0]
	} else if len(m.DNS) > 0 {
		host = m.DNS[0]
	}
	return hostURL(host, port)
}
