package contexts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
	"github.com/etcd-ctx/etcd-ctx/internal/flock"
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

// resolve makes a path the config references absolute: a relative one is
// relative to the config file's directory, as in a kubeconfig.
func (f File) resolve(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	dir, err := filepath.Abs(filepath.Dir(f.Path))
	if err != nil {
		return path
	}
	return filepath.Join(dir, path)
}

// File is the config file on disk, with its state file and index beside it
// (see state.go).
type File struct{ Path string }

// Load reads the whole config without locking: writers replace the file by an
// atomic rename, so a reader sees either the old or the new file, never a
// mix. CurrentContext and PreviousContext come from the state file (or from
// the config's own fields; see state.go). A missing file is an empty config.
// When the state file or the index is out of date, Load brings them up to
// date if nobody holds the lock, so the next fast read finds them.
func (f File) Load() (*Config, error) {
	cfg, s, err := f.read()
	if err != nil {
		return nil, err
	}
	var st *state
	if s != noFile { // a state without its config selects nothing
		st = readState(f.Path)
	}
	stale := s != noFile && (st == nil || st.Config != s || readIndex(f.Path, s) == nil)
	if stale && !s.racy(time.Now()) {
		f.refresh(*cfg, s)
	}
	cfg.applySelection(st)
	return cfg, nil
}

// read parses the config (its current-context and previous-context as
// written) and returns it with the stamp of what was read, taken before
// reading, so that a change made while reading shows as a newer version.
func (f File) read() (*Config, stamp, error) {
	fd, err := os.Open(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{}, noFile, nil
	}
	if err != nil {
		return nil, stamp{}, &FileError{Path: f.Path, Err: err}
	}
	defer fd.Close()
	s, err := fileStamp(fd)
	if err != nil {
		return nil, stamp{}, &FileError{Path: f.Path, Err: err}
	}
	data, err := io.ReadAll(fd)
	if err != nil {
		return nil, stamp{}, &FileError{Path: f.Path, Err: err}
	}
	cfg, err := Parse(data)
	if err != nil {
		return nil, stamp{}, &FileError{Path: f.Path, Err: err, Invalid: true}
	}
	return cfg, s, nil
}

// refresh rewrites the state file and the index for version s of the
// config, parsed as cfg (its own current-context and previous-context as
// written), when the lock is free: a writer holding it writes both anyway.
// Failing to is not an error: the next read tries again.
func (f File) refresh(cfg Config, s stamp) {
	unlock, ok := flock.TryLock(f.Path + ".lock")
	if !ok {
		return
	}
	defer unlock()
	// Under the lock, as a writer may have run since the config was read.
	if now, err := statConfig(f.Path); err != nil || now != s {
		return
	}
	st := readState(f.Path)
	if st != nil && st.Config == s && readIndex(f.Path, s) != nil {
		return
	}
	inFile := [2]string{cfg.CurrentContext, cfg.PreviousContext}
	cfg.applySelection(st)
	if writeIndex(f.Path, &cfg, s) == nil {
		_ = writeState(f.Path, newState(&cfg, s, inFile[0], inFile[1]))
	}
}

// Update runs fn on the current config under an exclusive lock and writes the
// result atomically: the config, keeping what was not changed as it was
// written (comments, order, shorthand; see render), then its index and the
// state file with the current and previous context. If fn fails, nothing is
// written.
func (f File) Update(fn func(*Config) error) error {
	dir := filepath.Dir(f.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return &FileError{Path: f.Path, Err: err}
	}
	unlock, err := flock.Lock(f.Path + ".lock")
	if err != nil {
		return &FileError{Path: f.Path, Err: fmt.Errorf("lock: %w", err)}
	}
	defer unlock()
	old, err := os.ReadFile(f.Path)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return &FileError{Path: f.Path, Err: err}
	}
	cfg, err := Parse(old)
	if err != nil {
		return &FileError{Path: f.Path, Err: err, Invalid: true}
	}
	cfg.applySelection(readState(f.Path))
	if err := fn(cfg); err != nil {
		return err
	}
	data, err := render(old, cfg)
	if err != nil {
		return err
	}
	// A switch changes only the state file: the config, its bytes and
	// its mode, stay as they are.
	if !existed || !bytes.Equal(data, old) {
		if err := fileio.Write(f.Path, data, 0o600); err != nil {
			return &FileError{Path: f.Path, Err: err}
		}
	}
	s, err := statConfig(f.Path)
	if err == nil {
		err = writeIndex(f.Path, cfg, s)
	}
	if err != nil { // a stale index is only slower, but must not be trusted
		_ = removeIfExists(indexPath(f.Path))
	}
	if err := writeState(f.Path, newState(cfg, s, "", "")); err != nil {
		return &FileError{Path: statePath(f.Path), Err: fmt.Errorf("the config was written, but not the current context: %w", err)}
	}
	return nil
}
