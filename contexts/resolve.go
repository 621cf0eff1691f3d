package contexts

import (
	"fmt"
	"time"
)

// Select is the context a command is about, with its material: the one
// resolution path of the three command lines. name is the context named
// (a --context flag or an argument), else $ETCD_CTX, else the current
// context; only that context, its cluster and user are decoded (see
// File.LoadSelected). Errors: ErrNoCurrent, *NotFoundError, *FileError, and
// those of Resolve.
func (s *Store) Select(name string) (Spec, error) {
	cfg, name, err := s.File.LoadSelected(name)
	if err != nil {
		return Spec{}, err
	}
	return s.Resolve(cfg, name)
}

// Selected resolves which context a command is about in a loaded config:
// the name given (a --context flag), else $ETCD_CTX, else the config's
// current context. Errors: ErrNoCurrent, *NotFoundError.
func Selected(cfg *Config, flag string) (string, error) {
	name := explicit(flag)
	if name == "" {
		name = cfg.CurrentContext
	}
	if name == "" {
		return "", ErrNoCurrent
	}
	if _, ok := cfg.Context(name); !ok {
		return "", notFound(name, flag, cfg.Names())
	}
	return name, nil
}

// Resolve reads context name of cfg back with its material (from the
// keyring or files): the one way a context is loaded, for one command or a
// fleet of them (etcd-diag --all-contexts loads cfg once). Errors:
// *NotFoundError, *RefError, *KeyringError, and a config that refers to a
// cluster or user it lacks.
func (s *Store) Resolve(cfg *Config, name string) (Spec, error) {
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
