package contexts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
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
// file the user keeps themselves. In the file it is a mapping, {keyring: ITEM}
// or {path: FILE}, or, for the CA, client certificate and client key,
// kubeconfig's shorthand: the path alone ("certificate-authority:
// /etc/etcd/ca.crt"). A relative path is relative to the config file's
// directory, as in a kubeconfig.
type Ref struct {
	Keyring string `yaml:"keyring,omitempty"`
	Path    string `yaml:"path,omitempty"`

	// plainLine is the line of a reference written as a plain string, kept
	// only while Parse checks that no password or token was written that
	// way; Parse clears it.
	plainLine int
}

// UnmarshalYAML reads either form of a reference. The mapping's keys are
// checked here (a custom unmarshaler does not inherit the decoder's
// KnownFields), with yaml.v3's own wording.
func (r *Ref) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*r = Ref{Path: n.Value, plainLine: n.Line}
		return nil
	case yaml.MappingNode:
	default:
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: cannot unmarshal %s into contexts.Ref (want a path, {keyring: ITEM} or {path: FILE})", n.Line, kindName(n))}}
	}
	*r = Ref{}
	var errs []string
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		var dst *string
		switch k.Value {
		case "keyring":
			dst = &r.Keyring
		case "path":
			dst = &r.Path
		default:
			errs = append(errs, fmt.Sprintf("line %d: field %s not found in type contexts.Ref", k.Line, k.Value))
			continue
		}
		switch {
		case seen[k.Value]:
			errs = append(errs, fmt.Sprintf("line %d: mapping key %q already defined", k.Line, k.Value))
		case v.Kind != yaml.ScalarNode:
			errs = append(errs, fmt.Sprintf("line %d: cannot unmarshal %s into a %s (want a string)", v.Line, kindName(v), k.Value))
		case v.ShortTag() != "!!null":
			*dst = v.Value
		}
		seen[k.Value] = true
	}
	if len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "!!seq"
	case yaml.MappingNode:
		return "!!map"
	}
	return n.ShortTag()
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
// otherwise silently drop a setting), reported with their line; a file with
// many problems is reported by its first few and a count of the rest.
func Parse(data []byte) (*Config, error) {
	cfg := &Config{}
	if len(bytes.TrimSpace(data)) == 0 {
		return cfg, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) { // io.EOF: only comments
		var te *yaml.TypeError
		if errors.As(err, &te) {
			// yaml.v3 decodes what it can around type errors: a
			// password written in the file is refused among them.
			return nil, problems(append(cfg.plainRefProblems(), te.Errors...))
		}
		return nil, errors.New(dropQuotedValues(strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	if msgs := cfg.plainRefProblems(); len(msgs) > 0 {
		return nil, problems(msgs)
	}
	if err := cfg.validate(data); err != nil {
		return nil, err
	}
	return cfg, nil
}

// MaxProblems is how many problems of a broken file an error spells out;
// the rest are counted, so a file with thousands of mistakes gives a short
// message rather than one line per mistake.
const MaxProblems = 3

// problems joins the first MaxProblems messages (values dropped, each cut to
// a readable length) and counts the rest.
func problems(msgs []string) error {
	shown := make([]string, 0, MaxProblems+1)
	for _, m := range msgs[:min(len(msgs), MaxProblems)] {
		m = entryNames().Replace(dropQuotedValues(m))
		if len(m) > 200 {
			m = m[:200] + "…"
		}
		shown = append(shown, m)
	}
	if rest := len(msgs) - len(shown); rest > 0 {
		shown = append(shown, fmt.Sprintf("and %d more problem%s", rest, map[bool]string{true: "s"}[rest > 1]))
	}
	return errors.New(strings.Join(shown, "; "))
}

// entryNames says yaml.v3's Go type names in the file's own terms. Built
// on the error path only: package variables cost every process, and
// `etcd-ctx current` runs on every prompt.
func entryNames() *strings.Replacer {
	return strings.NewReplacer(
		"not found in type contexts.Config", "is not a config key (clusters, users, contexts, current-context)",
		"not found in type contexts.NamedCluster", "is not a key of a clusters entry (name, cluster)",
		"not found in type contexts.NamedUser", "is not a key of a users entry (name, user)",
		"not found in type contexts.NamedContext", "is not a key of a contexts entry (name, context)",
		"not found in type contexts.Cluster", "is not a cluster setting",
		"not found in type contexts.User", "is not a user setting",
		"not found in type contexts.Context", "is not a context setting (cluster, user, prefix, note)",
		"not found in type contexts.Ref", "is not a key of a reference (path, keyring)",
		"into contexts.Config", "into the config",
		"into contexts.NamedCluster", "into a clusters entry",
		"into contexts.NamedUser", "into a users entry",
		"into contexts.NamedContext", "into a contexts entry",
		"into contexts.Cluster", "into a cluster",
		"into contexts.User", "into a user",
		"into contexts.Context", "into a context",
		"into contexts.Ref", "into a reference",
		"into contexts.Duration", "into a duration (5s, 1m)",
		"into []contexts.NamedCluster", "into the clusters list",
		"into []contexts.NamedUser", "into the users list",
		"into []contexts.NamedContext", "into the contexts list",
	)
}

// plainRefProblems rejects a password or token written as a plain string:
// kubeconfig's "password:" holds the password itself, which etcd-ctx never
// keeps in the file (and must not mistake for a path and print back). The
// value is not repeated. It then forgets where plain strings were.
func (c *Config) plainRefProblems() []string {
	var msgs []string
	for i := range c.Users {
		u := &c.Users[i].User
		for _, f := range []struct {
			what, how string
			ref       *Ref
		}{{"password", "--user USER --password-stdin", u.Password}, {"token", "--token-stdin", u.Token}} {
			if f.ref != nil && f.ref.plainLine > 0 {
				msgs = append(msgs, fmt.Sprintf("line %d: a %s is never written in the file: store it in the keyring (etcd-ctx set CONTEXT %s) or reference a file ({path: FILE})",
					f.ref.plainLine, f.what, f.how))
			}
		}
	}
	c.forgetPlainLines()
	return msgs
}

func (c *Config) forgetPlainLines() {
	for i := range c.Clusters {
		if r := c.Clusters[i].Cluster.CA; r != nil {
			r.plainLine = 0
		}
	}
	for i := range c.Users {
		u := &c.Users[i].User
		for _, r := range []*Ref{u.Cert, u.Key, u.Password, u.Token} {
			if r != nil {
				r.plainLine = 0
			}
		}
	}
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

// validate checks what the types cannot: every context is named once. data
// is the file, read again only to name the lines of an error.
func (c *Config) validate(data []byte) error {
	seen := map[string]bool{}
	for _, ctx := range c.Contexts {
		if ctx.Name == "" {
			return errors.New(linesPrefix(entryLines(data, "contexts", func(n *yaml.Node) bool { return nameOf(n) == "" })) + "a context has no name")
		}
		if seen[ctx.Name] {
			return fmt.Errorf("%scontext %q is defined twice", linesPrefix(entryLines(data, "contexts", func(n *yaml.Node) bool { return nameOf(n) == ctx.Name })), ctx.Name)
		}
		seen[ctx.Name] = true
	}
	return nil
}

// entryLines returns the lines of the entries of a top-level list (clusters,
// users or contexts) that match.
func entryLines(data []byte, list string, match func(*yaml.Node) bool) []int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	var lines []int
	if seq := mapValue(doc.Content[0], list); seq != nil && seq.Kind == yaml.SequenceNode {
		for _, item := range seq.Content {
			if match(item) {
				lines = append(lines, item.Line)
			}
		}
	}
	return lines
}

func linesPrefix(lines []int) string {
	switch len(lines) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("line %d: ", lines[0])
	}
	s := make([]string, len(lines))
	for i, l := range lines {
		s[i] = fmt.Sprint(l)
	}
	return "lines " + strings.Join(s, ", ") + ": "
}

// mapValue returns the value of key in a mapping node, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func nameOf(entry *yaml.Node) string {
	if v := mapValue(entry, "name"); v != nil {
		return v.Value
	}
	return ""
}

// Marshal encodes the config as YAML: every string reads back as it was
// (see faithfulNode), and the CA, client certificate and key references
// that hold only a path are in kubeconfig's shorthand.
func (c *Config) Marshal() ([]byte, error) {
	root, err := faithfulNode(c)
	if err != nil {
		return nil, err
	}
	for _, list := range []string{"clusters", "users"} {
		if seq := mapValue(root, list); seq != nil {
			for _, entry := range seq.Content {
				shortenRefs(entry)
			}
		}
	}
	return encodeNode(root)
}

// shortRefs are the references written as a bare path, by entry kind.
// Passwords and tokens keep the mapping: a plain string there is rejected.
var shortRefs = map[string][]string{
	"cluster": {"certificate-authority"},
	"user":    {"client-certificate", "client-key"},
}

// shortenRefs rewrites {path: P} as P in a cluster or user entry node.
func shortenRefs(entry *yaml.Node) {
	for kind, keys := range shortRefs {
		body := mapValue(entry, kind)
		if body == nil || body.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(body.Content); i += 2 {
			v := body.Content[i+1]
			if slices.Contains(keys, body.Content[i].Value) && v.Kind == yaml.MappingNode &&
				len(v.Content) == 2 && v.Content[0].Value == "path" && v.Content[1].Kind == yaml.ScalarNode {
				body.Content[i+1] = v.Content[1]
			}
		}
	}
}

func encodeNode(n *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
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

// clusterFor decides where context ctxName's new cluster entry cl goes,
// given the entry it refers to now (current, "" for a new context):
// current itself, untouched (write false), when cl says the same;
// current, changed in place, when no other context uses it; else an entry
// named ctxName. An entry with secrets always goes to ctxName's, as its
// keyring item is named after it. cl's paths take current's spelling
// (relative to the config, say) where they lead to the same file.
func (c *Config) clusterFor(ctxName, current string, cl *Cluster, secrets bool, resolve func(string) string) (name string, write bool) {
	old, ok := c.Cluster(current)
	if !ok {
		return ctxName, true
	}
	keepSpelling(old.CA, cl.CA, resolve)
	switch {
	case secrets:
		return ctxName, true
	case sameCluster(NamedCluster{Cluster: *old}, NamedCluster{Cluster: *cl}):
		return current, false
	case current == ctxName || c.clusterUsers(current) == 1:
		return current, true
	}
	return ctxName, true
}

// userFor is clusterFor for the user entry.
func (c *Config) userFor(ctxName, current string, u *User, secrets bool, resolve func(string) string) (name string, write bool) {
	old, ok := c.User(current)
	if !ok {
		return ctxName, true
	}
	keepSpelling(old.Cert, u.Cert, resolve)
	keepSpelling(old.Key, u.Key, resolve)
	switch {
	case secrets:
		return ctxName, true
	case reflect.DeepEqual(*old, *u):
		return current, false
	case current == ctxName || c.userUsers(current) == 1:
		return current, true
	}
	return ctxName, true
}

// keepSpelling gives to a path reference the spelling of the old one when
// both lead to the same file.
func keepSpelling(old, ref *Ref, resolve func(string) string) {
	if old == nil || ref == nil || old.Path == "" || ref.Path == "" || old.Path == ref.Path {
		return
	}
	if filepath.Clean(resolve(old.Path)) == filepath.Clean(resolve(ref.Path)) {
		ref.Path = old.Path
	}
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
