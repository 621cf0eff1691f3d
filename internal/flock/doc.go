// Package flock takes an exclusive advisory lock on a file, released by the
// function it returns or when the process dies (so a crash never leaves a
// stale lock). It is the one lock of the suite: the etcd-ctx config file's
// writers, and certwiz's PKI writes.
package flock

import (
	"fmt"
	"time"
)

// Lock takes an exclusive lock on path (created 0600 if missing, its
// directory is not), waiting for it at most MaxWait; the returned function
// releases it. Errors: *BusyError when another process kept it that long,
// and those of opening the file.
func Lock(path string) (func(), error) { return lockWithin(path, MaxWait) }

// MaxWait bounds Lock's wait. Writers hold the lock for milliseconds, or
// for a keyring call that may wait its 10 s timeout on an unlock prompt a
// few times; a lock held longer belongs to a process that is stopped or
// stuck, and the user gets an error to act on instead of a silent hang
// (SIGINT does not end such a wait: it only cancels the command's context).
var MaxWait = time.Minute

// BusyError is a lock another process held for the whole wait.
type BusyError struct {
	Path   string
	Waited time.Duration
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("%s is held by another process (waited %s)", e.Path, e.Waited)
}

// Hint says who may hold it.
func (e *BusyError) Hint() string {
	return "another etcd-ctx or etcd-certwiz is writing there, waiting on a keyring prompt, or stopped (jobs; ps -ef | grep etcd-); the lock goes when that process ends"
}

// lockWithin takes the lock at once if it is free, else waits for it in
// the kernel's queue (flock's order, unlike polling) for at most wait; a
// lock granted after that is released again.
func lockWithin(path string, wait time.Duration) (func(), error) {
	if unlock, err := lock(path, false); err == nil {
		return unlock, nil
	}
	type result struct {
		unlock func()
		err    error
	}
	got := make(chan result, 1)
	go func() {
		unlock, err := lock(path, true)
		got <- result{unlock, err}
	}()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case r := <-got:
		return r.unlock, r.err
	case <-timer.C:
		go func() {
			if r := <-got; r.unlock != nil {
				r.unlock()
			}
		}()
		return nil, &BusyError{Path: path, Waited: wait}
	}
}

// TryLock takes the lock only if it is free at once; ok is false when
// another process holds it or the file cannot be opened (it never creates
// the directory).
func TryLock(path string) (unlock func(), ok bool) {
	unlock, err := lock(path, false)
	return unlock, err == nil
}
