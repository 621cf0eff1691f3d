package contexts

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// EnvConfig names the config file, like KUBECONFIG; --config wins over it.
const EnvConfig = "ETCD_CTX_CONFIG"

// EnvContext overrides the current context for one shell (kubie-style).
const EnvContext = "ETCD_CTX"

// DefaultPath is $ETCD_CTX_CONFIG, else $XDG_CONFIG_HOME/etcd-ctx/config.yaml,
// else ~/.config/etcd-ctx/config.yaml.
func DefaultPath() (string, error) {
	if p := os.Getenv(EnvConfig); p != "" {
		return p, nil
	}
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("cannot find the config directory: %w", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "etcd-ctx", "config.yaml"), nil
}

// FileError is a config file that cannot be read or parsed.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return fmt.Sprintf("config file %s: %v", e.Path, e.Err) }
func (e *FileError) Unwrap() error { return e.Err }

// File is the config file on disk.
type File struct{ Path string }

// Load reads the config without locking: writers replace the file by an atomic
// rename, so a reader sees either the old or the new file, never a mix. A
// missing file is an empty config.
func (f File) Load() (*Config, error) {
	data, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, &FileError{Path: f.Path, Err: err}
	}
	cfg, err := Parse(data)
	if err != nil {
		return nil, &FileError{Path: f.Path, Err: err}
	}
	return cfg, nil
}

// Update runs fn on the current config under an exclusive lock and writes the
// result atomically. If fn fails, the file is left untouched.
func (f File) Update(fn func(*Config) error) error {
	dir := filepath.Dir(f.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return &FileError{Path: f.Path, Err: err}
	}
	unlock, err := lockFile(f.Path + ".lock")
	if err != nil {
		return &FileError{Path: f.Path, Err: fmt.Errorf("lock: %w", err)}
	}
	defer unlock()
	cfg, err := f.Load()
	if err != nil {
		return err
	}
	if err := fn(cfg); err != nil {
		return err
	}
	data, err := cfg.Marshal()
	if err != nil {
		return err
	}
	if err := writeAtomic(f.Path, data); err != nil {
		return &FileError{Path: f.Path, Err: err}
	}
	return nil
}

// writeAtomic writes data to a temp file in the same directory, syncs it and
// renames it over path, so a crash leaves either the old or the new file.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
