//go:build unix

package flock

import (
	"os"

	"golang.org/x/sys/unix"
)

// TryLock takes the lock only if it is free at once; ok is false when
// another process holds it or the file cannot be opened (it never creates
// the directory).
func TryLock(path string) (unlock func(), ok bool) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, false
	}
	return func() {
		_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	}, true
}
