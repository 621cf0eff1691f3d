// Package flock takes an exclusive advisory lock on a file, released by the
// function it returns or when the process dies (so a crash never leaves a
// stale lock). It is the one lock of the suite: the etcd-ctx config file's
// writers, and certwiz's PKI writes.
package flock

// Lock takes an exclusive lock on path (created 0600 if missing, its
// directory is not), waiting for it; the returned function releases it.
func Lock(path string) (func(), error) { return lock(path, true) }

// TryLock takes the lock only if it is free at once; ok is false when
// another process holds it or the file cannot be opened (it never creates
// the directory).
func TryLock(path string) (unlock func(), ok bool) {
	unlock, err := lock(path, false)
	return unlock, err == nil
}
