//go:build windows

package contexts

import (
	"errors"
	"io/fs"
	"os"
)

// statConfig returns the stamp of the file at path, or noFile when there is
// none. Windows has no change time in os.FileInfo: size and modification
// time (100 ns) identify the version.
func statConfig(path string) (stamp, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return noFile, nil
	}
	if err != nil {
		return stamp{}, err
	}
	return stamp{Size: fi.Size(), Mtime: fi.ModTime().UnixNano()}, nil
}

// fileStamp is the stamp of an open file.
func fileStamp(f *os.File) (stamp, error) {
	fi, err := f.Stat()
	if err != nil {
		return stamp{}, err
	}
	return stamp{Size: fi.Size(), Mtime: fi.ModTime().UnixNano()}, nil
}
