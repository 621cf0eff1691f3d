// Package flock takes an exclusive advisory lock on a file, released by the
// function it returns or when the process dies (so a crash never leaves a
// stale lock). It is the one lock of the suite: the etcd-ctx config file's
// writers, and certwiz's PKI writes.
package flock

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Lock takes an exclusive lock on path (created 0600 if missing, its
// directory is not), waiting for it at most MaxWait; the returned function
// releases it. An interrupt (SIGINT, as Ctrl-C sends, or SIGTERM) ends the
// wait. Errors: *BusyError when another process kept it that long,
// *InterruptedError, and those of opening the file.
func Lock(path string) (func(), error) { return lockWithin(path, MaxWait) }

// MaxWait bounds Lock's wait. Writers hold the lock for milliseconds, or
// for a keyring call that may wait its 10 s timeout on an unlock prompt a
// few times; a lock held longer belongs to a process that is stopped or
// stuck, and the user gets an error to act on instead of a silent hang.
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

// InterruptedError is a wait for a lock that a signal ended.
type InterruptedError struct {
	Path   string
	Signal os.Signal
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("interrupted (%v) while waiting for %s, which another process holds", e.Signal, e.Path)
}

// Hint says who may hold it; nothing was written.
func (e *InterruptedError) Hint() string {
	return "nothing was changed; " + (&BusyError{}).Hint()
}

// waiting, when set (by tests), is told that a wait has begun and listens
// for interrupts.
var waiting func()

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
	// Only a wait listens for interrupts: the free lock above costs no
	// signal thread. A command that handles them itself (its context) gets
	// its copy of the signal too.
	interrupt := make(chan os.Signal, 1)
	signal.Notify(interrupt, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(interrupt)
	if waiting != nil {
		waiting()
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	abandon := func() {
		go func() {
			if r := <-got; r.unlock != nil {
				r.unlock()
			}
		}()
	}
	select {
	case r := <-got:
		return r.unlock, r.err
	case <-timer.C:
		abandon()
		return nil, &BusyError{Path: path, Waited: wait}
	case sig := <-interrupt:
		abandon()
		return nil, &InterruptedError{Path: path, Signal: sig}
	}
}

// TryLock takes the lock only if it is free at once; ok is false when
// another process holds it or the file cannot be opened (it never creates
// the directory).
func TryLock(path string) (unlock func(), ok bool) {
	unlock, err := lock(path, false)
	return unlock, err == nil
}
