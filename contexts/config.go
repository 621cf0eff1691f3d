package contexts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the kubeconfig-style file: named clusters, users and contexts
// that join one of each. It never holds secret bytes, only references.
type Config struct {
	CurrentContext  string         `yaml:"current-context,omitempty"`
	PreviousContext string         `yaml:"previous-context,omitempty"`
	Clusters        []NamedCluster `yaml:"clusters"`
	Users           []NamedUser    `yaml:"users"`
	Contexts        []NamedContext `yaml:"contexts"`
}

type NamedCluster struct {
	Name    string  `yaml:"name"`
	Cluster Cluster `yaml:"cluster"`
}

type NamedUser struct {
	Name string `yaml:"name"`
	User User   `yaml:"user"`
}

type NamedContext struct {
	Name    string  `yaml:"name"`
	Context Context `yaml:"context"`
}

// Cluster is where etcd listens and how to trust it.
type Cluster struct {
	Endpoints          []string `yaml:"endpoints"`
	CA                 *Ref     `yaml:"certificate-authority,omitempty"`
	ServerName         string   `yaml:"tls-server-name,omitempty"`
	DialTimeout        Duration `yaml:"dial-timeout,omitempty"`
	InsecureSkipVerify bool     `yaml:"insecure-skip-tls-verify,omitempty"`
}

// User is an identity: a client certificate (etcd takes its CN as the user
// under --client-cert-auth), a user name and password, or a JWT token.
type User struct {
	Username string `yaml:"username,omitempty"`
	Cert     *Ref   `yaml:"client-certificate,omitempty"`
	Key      *Ref   `yaml:"client-key,omitempty"`
	Password *Ref   `yaml:"password,omitempty"`
	Token    *Ref   `yaml:"token,omitempty"`
}

// Context joins a cluster and a user, with an optional key prefix the
// context is about (shown, and used by etcd-diag's access check).
type Context struct {
	Cluster string `yaml:"cluster"`
	User    string `yaml:"user,omitempty"`
	Prefix  string `yaml:"prefix,omitempty"`
	Note    string `yaml:"note,omitempty"`
}

// Ref points at material: an item in the OS keyring (service "etcd-ctx") or a
// file the user keeps themselves.
type Ref struct {
	Keyring string `yaml:"keyring,omitempty"`
	Path    string `yaml:"path,omitempty"`
}

func (r *Ref) String() string {
	switch {
	case r == nil:
		return ""
	case r.Keyring != "":
		return "keyring:" + r.Keyring
	default:
		return r.Path
	}
}

// Duration is a time.Duration written as "5s" in YAML.
type Duration time.Duration

func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (like 5s)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// NameError is a context name that cannot be used.
type NameError struct{ Name, Why string }

func (e *NameError) Error() string { return fmt.Sprintf("invalid context name %q: %s", e.Name, e.Why) }

// ValidName checks a context name: it becomes a keyring item name, a shell
// completion word and a prompt segment, so it stays simple.
func ValidName(name string) error {
	switch {
	case name == "-":
		return &NameError{Name: name, Why: `"-" means the previous context`}
	case !validName(name):
		return &NameError{Name: name, Why: "use letters, digits and . _ @ : + - (at most 128, not starting with a symbol)"}
	}
	return nil
}

// Parse decodes a config file. Unknown fields are errors (a typo would
// otherwise silently drop a setting), reported with their line.
func Parse(data []byte) (*Config, error) {
	cfg := &Config{}
	if len(bytes.TrimSpace(data)) == 0 {
		return cfg, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) { // io.EOF: only comments
		return nil, errors.New(dropQuotedValues(strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// dropQuotedValues removes the values yaml.v3 quotes in type errors
// ("cannot unmarshal !!str `hunter2` into contexts.Ref"): a password typed
// into the file by hand, where a reference belongs, must not be printed.
func dropQuotedValues(msg string) string {
	for {
		i := strings.Index(msg, " `")
		if i < 0 {
			return msg
		}
		j := strings.IndexByte(msg[i+2:], '`')
		if j < 0 {
			return msg
		}
		msg = msg[:i] + msg[i+2+j+1:]
	}
}

func (c *Config) validate() error {
	seen := map[string]bool{}
	for _, ctx := range c.Contexts {
		if ctx.Name == "" {
			return errors.New("a context has no name")
		}
		if seen[ctx.Name] {
			return fmt.Errorf("context %q is defined twice", ctx.Name)
		}
		seen[ctx.Name] = true
	}
	return nil
}

// Marshal encodes the config as YAML; every string reads back as it was
// (see faithfulNode).
func (c *Config) Marshal() ([]byte, error) {
	doc, err := faithfulNode(c)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Names returns the context names in file order.
func (c *Config) Names() []string {
	names := make([]string, len(c.Contexts))
	for i, ctx := range c.Contexts {
		names[i] = ctx.Name
	}
	return names
}

// Context returns the named context.
func (c *Config) Context(name string) (*Context, bool) {
	for i := range c.Contexts {
		if c.Contexts[i].Name == name {
			return &c.Contexts[i].Context, true
		}
	}
	return nil, false
}

// Cluster returns the named cluster.
func (c *Config) Cluster(name string) (*Cluster, bool) {
	for i := range c.Clusters {
		if c.Clusters[i].Name == name {
			return &c.Clusters[i].Cluster, true
		}
	}
	return nil, false
}

// User returns the named user.
func (c *Config) User(name string) (*User, bool) {
	for i := range c.Users {
		if c.Users[i].Name == name {
			return &c.Users[i].User, true
		}
	}
	return nil, false
}

// putCluster adds or replaces a cluster.
func (c *Config) putCluster(name string, cl Cluster) {
	if p, ok := c.Cluster(name); ok {
		*p = cl
		return
	}
	c.Clusters = append(c.Clusters, NamedCluster{Name: name, Cluster: cl})
}

func (c *Config) putUser(name string, u User) {
	if p, ok := c.User(name); ok {
		*p = u
		return
	}
	c.Users = append(c.Users, NamedUser{Name: name, User: u})
}

func (c *Config) putContext(name string, ctx Context) {
	if p, ok := c.Context(name); ok {
		*p = ctx
		return
	}
	c.Contexts = append(c.Contexts, NamedContext{Name: name, Context: ctx})
}

// refCount counts contexts using a cluster or user, to know when deleting a
// context may delete them too.
func (c *Config) clusterUsers(name string) int {
	n := 0
	for _, ctx := range c.Contexts {
		if ctx.Context.Cluster == name {
			n++
		}
	}
	return n
}

func (c *Config) userUsers(name string) int {
	n := 0
	for _, ctx := range c.Contexts {
		if ctx.Context.User == name {
			n++
		}
	}
	return n
}

func (c *Config) removeContext(name string) {
	c.Contexts = slices.DeleteFunc(c.Contexts, func(n NamedContext) bool { return n.Name == name })
}

func (c *Config) removeCluster(name string) {
	c.Clusters = slices.DeleteFunc(c.Clusters, func(n NamedCluster) bool { return n.Name == name })
}

func (c *Config) removeUser(name string) {
	c.Users = slices.DeleteFunc(c.Users, func(n NamedUser) bool { return n.Name == name })
}

// validName is ^[A-Za-z0-9][A-Za-z0-9._@:+-]{0,127}$ written out: a compiled
// regexp costs half a millisecond of start-up in every process, and
// `etcd-ctx current` runs on every prompt.
func validName(name string) bool {
	if len(name) == 0 || len(name) > 128 {
		return false
	}
	for i, r := range name {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("._@:+-", r)) {
			return false
		}
	}
	return true
}
