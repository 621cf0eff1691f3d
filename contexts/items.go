package contexts

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// The keyring item format: a context's secrets live in two items of the
// OS keyring (service etcd-ctx), "cluster/NAME" (the CA bundle) and
// "user/NAME" (client certificate and key, password, token), each a JSON
// object; the config file refers to them by name.

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

// UsesKeyring reports whether context name keeps any of its material in
// the keyring (reading it may then prompt, or wait for a locked keyring).
func (c *Config) UsesKeyring(name string) bool {
	ctx, ok := c.Context(name)
	if !ok {
		return false
	}
	items := c.clusterItems(ctx.Cluster)
	if ctx.User != "" {
		items = append(items, c.userItems(ctx.User)...)
	}
	return len(items) > 0
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
	err = s.Keyring.Set(item, string(data))
	var ke *KeyringError
	if errors.As(err, &ke) && sec.CA == "" && sec.Cert == "" && sec.Key == "" {
		ke.ForSecrets = true // only a password or token needed the keyring
	}
	return err
}

// cluster is the config entry and the keyring item of spec's cluster:
// material kept by path (--store=path) is referenced by its absolute path,
// the rest goes into the item.
func (spec Spec) cluster() (Cluster, secrets) {
	cl := Cluster{Endpoints: spec.Endpoints, ServerName: spec.ServerName, DialTimeout: Duration(spec.DialTimeout), InsecureSkipVerify: spec.InsecureSkipVerify}
	var sec secrets
	if !spec.CA.empty() {
		if spec.KeepPaths && spec.CA.Path != "" {
			cl.CA = &Ref{Path: absPath(spec.CA.Path)}
		} else {
			cl.CA = &Ref{Keyring: clusterItem(spec.Name)}
			sec.CA = string(spec.CA.PEM)
		}
	}
	return cl, sec
}

// user is the config entry and the keyring item of spec's user, as cluster.
func (spec Spec) user() (User, secrets) {
	u := User{Username: spec.Username}
	var sec secrets
	item := userItem(spec.Name)
	if !spec.Cert.empty() {
		if spec.KeepPaths && spec.Cert.Path != "" && spec.Key.Path != "" {
			u.Cert, u.Key = &Ref{Path: absPath(spec.Cert.Path)}, &Ref{Path: absPath(spec.Key.Path)}
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

// material reads what ref points at: a file (made absolute from the
// config's directory), or a field of a keyring item (from cache, else read
// and cached).
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

// absPath makes a path kept in the config absolute: the config may be read
// from anywhere.
func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
