package contexts

import (
	"errors"
	"fmt"
	"slices"
)

// Store is the config file plus the keyring that holds its secrets. Its
// transactions (Save, Use, Rename, Delete) run under the config's lock and
// write the file atomically; the keyring is written first or last so that
// a failure never leaves a context whose secrets are gone.
type Store struct {
	File    File
	Keyring Keyring
}

// Open returns the store for the config file at path, or at DefaultPath
// ($ETCD_CTX_CONFIG, else the XDG default) when path is empty, backed by
// the OS keyring.
func Open(path string) (*Store, error) {
	if path == "" {
		var err error
		if path, err = DefaultPath(); err != nil {
			return nil, err
		}
	}
	return &Store{File: File{Path: path}, Keyring: NewOSKeyring()}, nil
}

// Config reads the whole config file (no keyring).
func (s *Store) Config() (*Config, error) { return s.File.Load() }

// SaveOptions controls Save.
type SaveOptions struct {
	Replace bool // the context may exist (set, or add --force)
	Use     bool // make it the current context
}

// Save writes a context, its cluster and user, and their keyring items,
// under the config lock. The caller validates the material. A new context's
// cluster and user are named after it. An existing one keeps the entries it
// refers to as they are when they say the same (a hand-written config's
// shared "admin" user is not copied because the context's dial timeout
// changed), changes them in place when no other context uses them, and
// gets entries of its own only when others share what changed or when
// secrets go to its keyring items (see clusterFor). Paths keep the form
// they were written in when they lead to the same file.
func (s *Store) Save(spec Spec, opts SaveOptions) error {
	if err := ValidName(spec.Name); err != nil {
		return err
	}
	return s.File.Update(func(cfg *Config) error {
		if _, exists := cfg.Context(spec.Name); exists && !opts.Replace {
			return &ExistsError{Name: spec.Name}
		}
		if spec.KeepPaths && (spec.Password != "" || spec.Token != "") && s.Keyring == nil {
			return &KeyringError{Err: errors.New("no keyring for the password or token"), ForSecrets: true}
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
		var old Context
		if p, ok := cfg.Context(spec.Name); ok {
			old = *p
		}
		clusterName, write := cfg.clusterFor(spec.Name, old.Cluster, &cl, !clSecrets.empty(), s.File.resolve)
		if write {
			cfg.putCluster(clusterName, cl)
		}
		userName := "" // an anonymous context has no user entry
		if u == (User{}) {
			cfg.removeUser(spec.Name)
		} else {
			userName, write = cfg.userFor(spec.Name, old.User, &u, !uSecrets.empty(), s.File.resolve)
			if write {
				cfg.putUser(userName, u)
			}
		}
		cfg.putContext(spec.Name, Context{Cluster: clusterName, User: userName, Prefix: spec.Prefix, Note: spec.Note})
		if opts.Use {
			cfg.switchTo(spec.Name)
		}
		return nil
	})
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
