// Package fileio is how the suite reads the files a user names and writes
// the files it keeps: one reader that refuses an empty file (an empty file
// is not "no file"), and one atomic, durable write (etcd-ctx's config and
// its state, certwiz's keys and certificates, a rotation's state). It knows
// nothing of the command line.
package fileio

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// DirMode is the mode of the directories Write creates: private, as they
// hold keys and secrets' references.
const DirMode fs.FileMode = 0o700

// EmptyError is a file a user named that holds nothing, or only white
// space. Such a file is refused rather than taken for "none": a CA bundle
// truncated by a failed copy must not turn into "trust the system roots".
type EmptyError struct{ Path string }

func (e *EmptyError) Error() string { return e.Path + " is empty" }

// Hint says what to do instead.
func (e *EmptyError) Hint() string {
	return "an empty file is not \"no file\": name the file that holds the content, or leave the option out"
}

// ReadError is a file a user named that cannot be read: "PATH: cause".
type ReadError struct {
	Path string
	Err  error // the cause (fs.ErrNotExist, fs.ErrPermission…)
}

func (e *ReadError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// Hint says what to check.
func (e *ReadError) Hint() string { return "check the path and that you may read it" }

// Read reads a file a user named (by a flag, an argument or a variable)
// whole. Errors: *ReadError when it cannot be read, *EmptyError when it is
// empty or holds only white space.
func Read(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &ReadError{Path: path, Err: err}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &EmptyError{Path: path}
	}
	return data, nil
}

// IsRegular reports whether path is a regular file (following symlinks).
func IsRegular(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// Sync makes an open file or directory durable (fsync). Every sync Write
// and SyncDir make goes through it; tests replace it to watch or to fail
// a write part way.
var Sync = func(f *os.File) error { return f.Sync() }

// Write replaces path with data atomically and durably: a temporary file
// beside path gets mode before any data is written (a key is never readable
// by others, even briefly), then the data, is synced and renamed over path,
// and the directory is synced. After a crash or power loss path holds the
// old or the whole new content, never a torn or missing file. Missing
// parent directories are created with DirMode.
func Write(path string, data []byte, mode fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := tmp.Chmod(mode); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := Sync(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// SyncDir makes the entries of dir (files just renamed into it or removed
// from it) durable. Where directories cannot be synced (Windows), it does
// nothing.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := Sync(d); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
