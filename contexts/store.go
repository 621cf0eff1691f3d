package contexts

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// Store is the config file plus the keyring that holds its secrets.
type Store struct {
	File    File
	Keyring Keyring
}

// NotFoundError is an unknown context name.
type NotFoundError struct {
	Name  string
	Known []string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("no context named %q", e.Name) }

// Hint lists the contexts there are, or says how to add one.
func (e *NotFoundError) Hint() string {
	if len(e.Known) == 0 {
		return "add one with 'etcd-ctx add NAME --endpoints https://HOST:2379 …'"
	}
	return "known contexts: " + strings.Join(e.Known, ", ")
}

// ExistsError is an add over an existing context without --force.
type ExistsError struct{ Name string }

func (e *ExistsError) Error() string { return fmt.Sprintf("context %q already exists", e.Name) }

// RefError is a file a context references (--store path) that cannot be read.
type RefError struct {
	Path string
	Err  error
}

func (e *RefError) Error() string { return e.Err.Error() }
func (e *RefError) Unwrap() error { return e.Err }

// Hint says what to do; clix prints it under the error.
func (e *RefError) Hint() string {
	return "the context references " + e.Path + " (--store path): restore the file, or re-create the context with etcd-ctx add NAME --force …"
}

// Hint gives the ways out of a keyring failure.
func (e *KeyringError) Hint() string { return KeyringHint }

// ErrNoPrevious means "-" has nothing to go back to.
var ErrNoPrevious = errors.New("no previous context")

// ErrNoCurrent means no context was selected by flag, ETCD_CTX or the file.
var ErrNoCurrent = errors.New("no current context")

// secrets is the content of one keyring item, for a cluster ("cluster/NAME")
// or a user ("user/NAME"). One item per entity keeps a lookup to one round trip.
type secrets struct {
	CA       string `json:"ca,omitempty"`
	Cert     string `json:"cert,omitempty"`
	Key      string `json:"key,omitempty"`
	Password string `json:"password,omitempty"`
	Token    string `json:"token,omitempty"`
}

func (s secrets) empty() bool { return s == secrets{} }

func clusterItem(name string) string { return "cluster/" + name }
func userItem(name string) string    { return "user/" + name }

// Spec is everything a context holds, with the key material in memory.
type Spec struct {
	Name               string
	Endpoints          []string
	CA                 Material
	Cert, Key          Material
	Username           string
	Password, Token    string
	ServerName         string
	DialTimeout        time.Duration
	InsecureSkipVerify bool
	Prefix, Note       string
	// KeepPaths stores file references instead of copying certificates and
	// keys into the keyring (--store=path).
	KeepPaths bool
}

// Material is PEM bytes and, when they came from a file, its path.
type Material struct {
	PEM  []byte
	Path string
}

func (m Material) empty() bool { return len(m.PEM) == 0 && m.Path == "" }

// SaveOptions controls Save.
type SaveOptions struct {
	Replace bool // the context may exist (set, or add --force)
	Use     bool // make it the current context
}

// Save writes a context, its cluster and user (all named spec.Name), and their
// keyring items, under the config lock. The caller validates the material.
func (s *Store) Save(spec Spec, opts SaveOptions) error {
	if err := ValidName(spec.Name); err != nil {
		return err
	}
	return s.File.Update(func(cfg *Config) error {
		if _, exists := cfg.Context(spec.Name); exists && !opts.Replace {
			return &ExistsError{Name: spec.Name}
		}
		if spec.KeepPaths && (spec.Password != "" || spec.Token != "") && s.Keyring == nil {
			return &KeyringError{Err: errors.New("no keyring for the password or token")}
		}
		cl, clSecrets := spec.cluster()
		u, uSecrets := spec.user()
		// Secrets first: if the keyring refuses, the file is left as it was.
		if err := s.putSecrets(clusterItem(spec.Name), clSecrets, cfg.clusterItems(spec.Name)); err != nil {
			return err
		}
		if err := s.putSecrets(userItem(spec.Name), uSecrets, cfg.userItems(spec.Name)); err != nil {
			return err
		}
		cfg.putCluster(spec.Name, cl)
		userName := spec.Name
		if u == (User{}) {
			userName = "" // an anonymous context has no user entry
			cfg.removeUser(spec.Name)
		} else {
			cfg.putUser(spec.Name, u)
		}
		cfg.putContext(spec.Name, Context{Cluster: spec.Name, User: userName, Prefix: spec.Prefix, Note: spec.Note})
		if opts.Use {
			cfg.switchTo(spec.Name)
		}
		return nil
	})
}

// keyringItems lists the distinct keyring items refs point at.
func keyringItems(refs ...*Ref) []string {
	var items []string
	for _, r := range refs {
		if r != nil && r.Keyring != "" && !slices.Contains(items, r.Keyring) {
			items = append(items, r.Keyring)
		}
	}
	return items
}

func (c *Config) clusterItems(name string) []string {
	if cl, ok := c.Cluster(name); ok {
		return keyringItems(cl.CA)
	}
	return nil
}

func (c *Config) userItems(name string) []string {
	if u, ok := c.User(name); ok {
		return keyringItems(u.Cert, u.Key, u.Password, u.Token)
	}
	return nil
}

// putSecrets writes item, or removes the stale items the old entry used when
// the new one keeps no secrets.
func (s *Store) putSecrets(item string, sec secrets, oldItems []string) error {
	if sec.empty() {
		if s.Keyring == nil {
			return nil
		}
		for _, old := range oldItems {
			if err := s.Keyring.Delete(old); err != nil {
				return err
			}
		}
		return nil
	}
	if s.Keyring == nil {
		return &KeyringError{Err: errors.New("no keyring configured")}
	}
	data, err := json.Marshal(sec)
	if err != nil {
		return err
	}
	return s.Keyring.Set(item, string(data))
}

func (spec Spec) cluster() (Cluster, secrets) {
	cl := Cluster{Endpoints: spec.Endpoints, ServerName: spec.ServerName, DialTimeout: Duration(spec.DialTimeout), InsecureSkipVerify: spec.InsecureSkipVerify}
	var sec secrets
	if !spec.CA.empty() {
		if spec.KeepPaths && spec.CA.Path != "" {
			cl.CA = &Ref{Path: spec.CA.Path}
		} else {
			cl.CA = &Ref{Keyring: clusterItem(spec.Name)}
			sec.CA = string(spec.CA.PEM)
		}
	}
	return cl, sec
}

func (spec Spec) user() (User, secrets) {
	u := User{Username: spec.Username}
	var sec secrets
	item := userItem(spec.Name)
	if !spec.Cert.empty() {
		if spec.KeepPaths && spec.Cert.Path != "" && spec.Key.Path != "" {
			u.Cert, u.Key = &Ref{Path: spec.Cert.Path}, &Ref{Path: spec.Key.Path}
		} else {
			u.Cert, u.Key = &Ref{Keyring: item}, &Ref{Keyring: item}
			sec.Cert, sec.Key = string(spec.Cert.PEM), string(spec.Key.PEM)
		}
	}
	if spec.Password != "" {
		u.Password = &Ref{Keyring: item}
		sec.Password = spec.Password
	}
	if spec.Token != "" {
		u.Token = &Ref{Keyring: item}
		sec.Token = spec.Token
	}
	return u, sec
}

// Load reads the config file.
func (s *Store) Load() (*Config, error) { return s.File.Load() }

// Selected resolves which context a command is about: the --context flag,
// else $ETCD_CTX, else the file's current-context.
func Selected(cfg *Config, flag string) (string, error) {
	name := flag
	if name == "" {
		name = os.Getenv(EnvContext)
	}
	if name == "" {
		name = cfg.CurrentContext
	}
	if name == "" {
		return "", ErrNoCurrent
	}
	if _, ok := cfg.Context(name); !ok {
		return "", &NotFoundError{Name: name, Known: cfg.Names()}
	}
	return name, nil
}

// Spec reads a context back with its material (from the keyring or files).
func (s *Store) Spec(cfg *Config, name string) (Spec, error) {
	ctx, ok := cfg.Context(name)
	if !ok {
		return Spec{}, &NotFoundError{Name: name, Known: cfg.Names()}
	}
	spec := Spec{Name: name, Prefix: ctx.Prefix, Note: ctx.Note}
	cl, ok := cfg.Cluster(ctx.Cluster)
	if !ok {
		return Spec{}, fmt.Errorf("context %q refers to cluster %q, which is not in the config", name, ctx.Cluster)
	}
	spec.Endpoints, spec.ServerName = cl.Endpoints, cl.ServerName
	spec.DialTimeout, spec.InsecureSkipVerify = time.Duration(cl.DialTimeout), cl.InsecureSkipVerify
	var u *User
	hasUser := false
	if ctx.User != "" {
		u, hasUser = cfg.User(ctx.User)
	}
	cache, err := s.prefetch(cl, u)
	if err != nil {
		return Spec{}, fmt.Errorf("secrets of context %q: %w", name, err)
	}
	if spec.CA, err = s.material(cache, cl.CA, func(s secrets) string { return s.CA }); err != nil {
		return Spec{}, fmt.Errorf("CA of context %q: %w", name, err)
	}
	spec.KeepPaths = cl.CA != nil && cl.CA.Path != ""
	if ctx.User == "" {
		return spec, nil
	}
	if !hasUser {
		return Spec{}, fmt.Errorf("context %q refers to user %q, which is not in the config", name, ctx.User)
	}
	spec.Username = u.Username
	if spec.Cert, err = s.material(cache, u.Cert, func(s secrets) string { return s.Cert }); err != nil {
		return Spec{}, fmt.Errorf("client certificate of context %q: %w", name, err)
	}
	if spec.Key, err = s.material(cache, u.Key, func(s secrets) string { return s.Key }); err != nil {
		return Spec{}, fmt.Errorf("client key of context %q: %w", name, err)
	}
	pw, err := s.material(cache, u.Password, func(s secrets) string { return s.Password })
	if err != nil {
		return Spec{}, fmt.Errorf("password of context %q: %w", name, err)
	}
	tok, err := s.material(cache, u.Token, func(s secrets) string { return s.Token })
	if err != nil {
		return Spec{}, fmt.Errorf("token of context %q: %w", name, err)
	}
	spec.Password, spec.Token = string(pw.PEM), string(tok.PEM)
	spec.KeepPaths = (cl.CA != nil && cl.CA.Path != "") || (u.Cert != nil && u.Cert.Path != "")
	return spec, nil
}

// manyGetter is a Keyring that reads several items at once (OSKeyring).
type manyGetter interface {
	GetMany(items ...string) (map[string]string, error)
}

// prefetch reads the keyring items of a context's cluster and user (u may
// be nil) together when the keyring can; material reads the rest one by one.
func (s *Store) prefetch(cl *Cluster, u *User) (map[string]secrets, error) {
	cache := map[string]secrets{}
	mg, ok := s.Keyring.(manyGetter)
	if !ok {
		return cache, nil
	}
	refs := []*Ref{cl.CA}
	if u != nil {
		refs = append(refs, u.Cert, u.Key, u.Password, u.Token)
	}
	items := keyringItems(refs...)
	if len(items) == 0 {
		return cache, nil
	}
	got, err := mg.GetMany(items...)
	if err != nil {
		return nil, err
	}
	for item, raw := range got {
		var sec secrets
		if json.Unmarshal([]byte(raw), &sec) == nil {
			cache[item] = sec
		}
	}
	return cache, nil
}

func (s *Store) material(cache map[string]secrets, ref *Ref, field func(secrets) string) (Material, error) {
	switch {
	case ref == nil:
		return Material{}, nil
	case ref.Path != "":
		path := s.File.resolve(ref.Path)
		data, err := os.ReadFile(path)
		if err != nil {
			return Material{}, &RefError{Path: path, Err: err}
		}
		return Material{PEM: data, Path: path}, nil
	case ref.Keyring == "":
		return Material{}, nil
	}
	sec, ok := cache[ref.Keyring]
	if !ok {
		if s.Keyring == nil {
			return Material{}, &KeyringError{Err: errors.New("no keyring configured")}
		}
		raw, err := s.Keyring.Get(ref.Keyring)
		if errors.Is(err, ErrNotFound) {
			return Material{}, fmt.Errorf("keyring item %s/%s is missing (deleted outside etcd-ctx?)", Service, ref.Keyring)
		}
		if err != nil {
			return Material{}, err
		}
		if err := json.Unmarshal([]byte(raw), &sec); err != nil {
			return Material{}, fmt.Errorf("keyring item %s/%s is not etcd-ctx data", Service, ref.Keyring)
		}
		cache[ref.Keyring] = sec
	}
	return Material{PEM: []byte(field(sec))}, nil
}

// Use makes name the current context and remembers the previous one. It
// rewrites only the state file when it can (see File.use).
func (s *Store) Use(name string) (string, error) {
	if switched, done, err := s.File.use(name); done {
		return switched, err
	}
	err := s.File.Update(func(cfg *Config) error {
		if name == "-" {
			if cfg.PreviousContext == "" {
				return ErrNoPrevious
			}
			name = cfg.PreviousContext
		}
		if _, ok := cfg.Context(name); !ok {
			return &NotFoundError{Name: name, Known: cfg.Names()}
		}
		cfg.switchTo(name)
		return nil
	})
	return name, err
}

func (c *Config) switchTo(name string) {
	if c.CurrentContext != name {
		c.PreviousContext, c.CurrentContext = c.CurrentContext, name
	}
}

// Rename renames a context, with its cluster, user and keyring items when
// they are its own.
func (s *Store) Rename(from, to string) error {
	if err := ValidName(to); err != nil {
		return err
	}
	// Items are copied under the lock, the file is written, and only then
	// are the old items removed: a failure at any point leaves a context whose
	// secrets are all there (at worst an orphaned copy, removed on failure).
	var moves [][2]string
	err := s.File.Update(func(cfg *Config) error {
		moves = nil
		ctx, ok := cfg.Context(from)
		if !ok {
			return &NotFoundError{Name: from, Known: cfg.Names()}
		}
		if _, exists := cfg.Context(to); exists {
			return &ExistsError{Name: to}
		}
		if ctx.Cluster == from && cfg.clusterUsers(from) == 1 {
			if _, taken := cfg.Cluster(to); !taken {
				if err := s.renameCluster(cfg, from, to, &moves); err != nil {
					return err
				}
				ctx.Cluster = to
			}
		}
		if ctx.User == from && cfg.userUsers(from) == 1 {
			if _, taken := cfg.User(to); !taken {
				if err := s.renameUser(cfg, from, to, &moves); err != nil {
					return err
				}
				ctx.User = to
			}
		}
		for i := range cfg.Contexts {
			if cfg.Contexts[i].Name == from {
				cfg.Contexts[i].Name = to
			}
		}
		if cfg.CurrentContext == from {
			cfg.CurrentContext = to
		}
		if cfg.PreviousContext == from {
			cfg.PreviousContext = to
		}
		return nil
	})
	for _, m := range moves {
		if err != nil {
			_ = s.Keyring.Delete(m[1]) // undo the copy
		} else if derr := s.Keyring.Delete(m[0]); derr != nil {
			return fmt.Errorf("renamed, but the old keyring item %s/%s could not be removed: %w", Service, m[0], derr)
		}
	}
	return err
}

// copyItem copies a keyring item and records the move for Rename to finish.
func (s *Store) copyItem(from, to string, moves *[][2]string) error {
	v, err := s.Keyring.Get(from)
	if err != nil {
		return err
	}
	if err := s.Keyring.Set(to, v); err != nil {
		return err
	}
	*moves = append(*moves, [2]string{from, to})
	return nil
}

func (s *Store) renameCluster(cfg *Config, from, to string, moves *[][2]string) error {
	cl, _ := cfg.Cluster(from)
	if cl.CA != nil && cl.CA.Keyring == clusterItem(from) {
		if err := s.copyItem(clusterItem(from), clusterItem(to), moves); err != nil {
			return err
		}
		cl.CA.Keyring = clusterItem(to)
	}
	for i := range cfg.Clusters {
		if cfg.Clusters[i].Name == from {
			cfg.Clusters[i].Name = to
		}
	}
	return nil
}

func (s *Store) renameUser(cfg *Config, from, to string, moves *[][2]string) error {
	u, _ := cfg.User(from)
	refs := []*Ref{u.Cert, u.Key, u.Password, u.Token}
	if slices.ContainsFunc(refs, func(r *Ref) bool { return r != nil && r.Keyring == userItem(from) }) {
		if err := s.copyItem(userItem(from), userItem(to), moves); err != nil {
			return err
		}
		for _, r := range refs {
			if r != nil && r.Keyring == userItem(from) {
				r.Keyring = userItem(to)
			}
		}
	}
	for i := range cfg.Users {
		if cfg.Users[i].Name == from {
			cfg.Users[i].Name = to
		}
	}
	return nil
}

// Delete removes contexts, and their clusters, users and keyring items when no
// other context uses them. All names must exist, or nothing is deleted. The
// file is written first: a keyring failure then leaves an orphan item, which
// is reported, never a context whose secrets are gone.
func (s *Store) Delete(names ...string) error {
	names = slices.Compact(slices.Sorted(slices.Values(names)))
	var items []string
	err := s.File.Update(func(cfg *Config) error {
		items = nil
		for _, name := range names {
			if _, ok := cfg.Context(name); !ok {
				return &NotFoundError{Name: name, Known: cfg.Names()}
			}
		}
		for _, name := range names {
			ctx, _ := cfg.Context(name)
			clusterName, userName := ctx.Cluster, ctx.User
			cfg.removeContext(name)
			if cfg.clusterUsers(clusterName) == 0 {
				items = append(items, cfg.clusterItems(clusterName)...)
				cfg.removeCluster(clusterName)
			}
			if userName != "" && cfg.userUsers(userName) == 0 {
				items = append(items, cfg.userItems(userName)...)
				cfg.removeUser(userName)
			}
			if cfg.CurrentContext == name {
				cfg.CurrentContext = ""
			}
			if cfg.PreviousContext == name {
				cfg.PreviousContext = ""
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, item := range items {
		if s.Keyring == nil {
			break
		}
		if err := s.Keyring.Delete(item); err != nil {
			errs = append(errs, fmt.Errorf("keyring item %s/%s: %w", Service, item, err))
		}
	}
	return errors.Join(errs...)
}

// Open returns the store for the config file at path, or at DefaultPath when
// path is empty, backed by the OS keyring.
func Open(path string) (*Store, error) {
	if path == "" {
		var err error
		if path, err = DefaultPath(); err != nil {
			return nil, err
		}
	}
	return &Store{File: File{Path: path}, Keyring: NewOSKeyring()}, nil
}
