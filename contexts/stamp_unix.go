//go:build unix

package contexts

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// statConfig returns the stamp of the file at path, or noFile when there is
// none.
func statConfig(path string) (stamp, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return noFile, nil
		}
		return stamp{}, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	return unixStamp(&st), nil
}

// fileStamp is the stamp of an open file.
func fileStamp(f *os.File) (stamp, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return stamp{}, &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	return unixStamp(&st), nil
}

func unixStamp(st *unix.Stat_t) stamp {
	return stamp{
		Dev:   uint64(st.Dev), // int32 on darwin, uint64 on linux
		Ino:   uint64(st.Ino),
		Size:  st.Size,
		Mtime: st.Mtim.Nano(),
		Ctime: st.Ctim.Nano(),
	}
}
