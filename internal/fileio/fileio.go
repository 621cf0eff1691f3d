// Package fileio is how the suite reads the files a user names and writes
// the files it keeps: one reader that refuses an empty file (an empty file
// is not "no file"), and one atomic, durable write (etcd-ctx's config and
// its state, certwiz's keys and certificates, a rotation's state). It knows
// nothing of the command line.
package fileio

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
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

// Sync makes an open file or directory durable (fsync). Every sync Write,
// WriteAll and SyncDir make goes through it, from several goroutines at
// once in WriteAll; tests replace it to watch or to fail a write part way.
var Sync = func(f *os.File) error { return f.Sync() }

// Rename moves a synced temporary file over its path. Every rename of Write
// and WriteAll goes through it; tests replace it to stop a set of writes
// part way, as a crash would.
var Rename = os.Rename

// Write replaces path with data atomically and durably: a temporary file
// beside path gets mode before any data is written (a key is never readable
// by others, even briefly), then the data, is synced and renamed over path,
// and the directory is synced. After a crash or power loss path holds the
// old or the whole new content, never a torn or missing file. Missing
// parent directories are created with DirMode. A path that is a symbolic
// link is written through: the file it leads to gets the new content and
// the link stays (a config kept in a dotfiles repository, a certificate
// behind a "current" link), as a plain open(2) would.
func Write(path string, data []byte, mode fs.FileMode) error {
	return WriteAll([]File{{Path: path, Data: data, Mode: mode}})
}

// File is one file for WriteAll: its path, content and mode.
type File struct {
	Path string
	Data []byte
	Mode fs.FileMode
}

// WriteAll writes files as Write writes one, in three steps: every file's
// temporary copy is written and synced, all at once (a journaling file
// system commits concurrent syncs together: 22 files of a PKI take a third
// of the time they take one after the other); then each is renamed over its
// path, in order; then each directory is synced once. A failure in the
// first step removes the temporary copies and leaves every path as it was;
// later, the files renamed so far stay (a caller that must finish the set
// keeps a journal, as certwiz does). Errors: the first one met.
func WriteAll(files []File) error {
	files = slices.Clone(files)
	for i := range files {
		target, err := followLinks(files[i].Path)
		if err != nil {
			return err
		}
		files[i].Path = target
	}
	tmps := make([]string, len(files))
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tmps[i], errs[i] = writeTemp(f)
		}()
	}
	wg.Wait()
	if err := cmp.Or(errs...); err != nil {
		for _, t := range tmps {
			if t != "" {
				os.Remove(t)
			}
		}
		return err
	}
	var dirs []string
	for i, f := range files {
		if err := Rename(tmps[i], f.Path); err != nil {
			for _, t := range tmps[i:] {
				os.Remove(t)
			}
			return err
		}
		if d := filepath.Dir(f.Path); !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	errs = make([]error, len(dirs))
	for i, d := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = SyncDir(d)
		}()
	}
	wg.Wait()
	return cmp.Or(errs...)
}

// maxLinks bounds the links followLinks follows, as the kernel's
// MAXSYMLINKS (40) bounds a path lookup.
const maxLinks = 40

// followLinks returns the path a write to path lands on: path itself when
// it is not a symbolic link (or does not exist), else the end of its chain
// of links, which may not exist yet (a dangling link is written through,
// as open(2) with O_CREAT does). Errors: a loop or a chain longer than
// maxLinks, and failures to read a link.
func followLinks(path string) (string, error) {
	for range maxLinks {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		dest, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(path), dest)
		}
		path = dest
	}
	return "", &fs.PathError{Op: "write", Path: path, Err: errors.New("too many levels of symbolic links")}
}

// writeTemp writes f's data, with f's mode from the start, to a synced
// temporary file beside f.Path and returns its name.
func writeTemp(f File) (string, error) {
	dir := filepath.Dir(f.Path)
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.Path)+".tmp-*")
	if err != nil {
		return "", err
	}
	fail := func(err error) (string, error) {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", err
	}
	if err := tmp.Chmod(f.Mode); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return fail(err)
	}
	if _, err := tmp.Write(f.Data); err != nil {
		return fail(err)
	}
	if err := Sync(tmp); err != nil {
		return fail(fmt.Errorf("sync %s: %w", f.Path, err))
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
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
