package contexts

import (
	"os"
	"path/filepath"

	"github.com/etcd-ctx/etcd-ctx/internal/flock"
)

// The commands that run often (the prompt's `current`, <TAB>, `use`, `list`,
// `exec`) read the state file and the index when they describe the config
// as it is on disk, and fall back to Load when they do not (a hand edit, a
// missing index). Their cost then no longer grows with the number of
// contexts: one stat(2), the state file, and at most one line of the index
// decoded. Load remains the one way the config is read; the index is written
// from what it returns.

// Selected resolves the context a command is about, like the package-level
// Selected on a loaded config: flag, else $ETCD_CTX, else the current
// context. Errors: ErrNoCurrent, *NotFoundError (with the known names),
// *FileError.
func (f File) Selected(flag string) (string, error) {
	name := explicit(flag)
	s, err := statConfig(f.Path)
	if err == nil && s != noFile {
		if name == "" {
			if st := readState(f.Path); st != nil && st.Config == s && st.Known {
				if st.Current == "" {
					return "", ErrNoCurrent
				}
				return st.Current, nil
			}
		} else if idx := readIndex(f.Path, s); idx != nil {
			if !idx.has(name) {
				return "", notFound(name, flag, idx.Names())
			}
			return name, nil
		}
	}
	cfg, err := f.Load()
	if err != nil {
		return "", err
	}
	return Selected(cfg, flag)
}

// Names returns the context names in file order.
func (f File) Names() ([]string, error) {
	if s, err := statConfig(f.Path); err == nil && s != noFile {
		if idx := readIndex(f.Path, s); idx != nil {
			if names := idx.Names(); names != nil || len(idx.names) == 0 {
				return names, nil
			} // else a damaged index: read the config
		}
	}
	cfg, err := f.Load()
	if err != nil {
		return nil, err
	}
	return cfg.Names(), nil
}

// LoadSelected resolves the context a command is about (as Selected) and
// returns it with a config holding that context, its cluster and user, and
// the current and previous context: what Store.Resolve needs, without decoding
// the other contexts. Do not pass that config to anything that writes.
func (f File) LoadSelected(flag string) (*Config, string, error) {
	s, err := statConfig(f.Path)
	if err == nil && s != noFile {
		st := readState(f.Path)
		idx := readIndex(f.Path, s)
		if st != nil && st.Config == s && idx != nil {
			name := explicit(flag)
			if name == "" {
				name = st.Current
			}
			if name == "" {
				return nil, "", ErrNoCurrent
			}
			if !idx.has(name) {
				return nil, "", notFound(name, flag, idx.Names())
			}
			// Not found here only if a writer replaced the index since
			// its header was read: then read the config.
			if e, ok := idx.entry(name); ok {
				cfg := e.config()
				cfg.CurrentContext, cfg.PreviousContext = st.Current, st.Previous
				return cfg, name, nil
			}
		}
	}
	cfg, err := f.Load()
	if err != nil {
		return nil, "", err
	}
	name, err := Selected(cfg, flag)
	return cfg, name, err
}

// use switches by rewriting the state file alone, when the state and the
// index describe the config on disk and the config no longer holds its own
// current-context or previous-context (else the caller goes the slow way,
// which moves them into the state). done is false when it did nothing.
func (f File) use(name string) (switched string, done bool, err error) {
	if _, err := os.Stat(filepath.Dir(f.Path)); err != nil {
		return "", false, nil
	}
	unlock, err := flock.Lock(f.Path + ".lock")
	if err != nil {
		return "", false, nil
	}
	defer unlock()
	s, err := statConfig(f.Path)
	if err != nil || s == noFile {
		return "", false, nil
	}
	st := readState(f.Path)
	if st == nil || st.Config != s || st.InFileCurrent != "" || st.InFilePrevious != "" {
		return "", false, nil
	}
	idx := readIndex(f.Path, s)
	if idx == nil {
		return "", false, nil
	}
	if name == "-" {
		if st.Previous == "" || !idx.has(st.Previous) {
			return "", true, ErrNoPrevious
		}
		name = st.Previous
	}
	if !idx.has(name) {
		return "", true, &NotFoundError{Name: name, Known: idx.Names()}
	}
	if st.Current != name {
		st.Previous, st.Current = st.Current, name
	}
	st.Known = true
	if err := writeState(f.Path, st); err != nil {
		return "", true, &FileError{Path: statePath(f.Path), Err: err}
	}
	return name, true, nil
}

func explicit(flag string) string {
	if flag != "" {
		return flag
	}
	return os.Getenv(EnvContext)
}

// notFound is the error for a context name that is not in the config;
// flag is the command's --context, to tell a name $ETCD_CTX gave.
func notFound(name, flag string, known []string) *NotFoundError {
	return &NotFoundError{Name: name, Known: known, FromEnv: flag == "" && name == os.Getenv(EnvContext)}
}
