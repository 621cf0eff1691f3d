package flock

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLockExcludesTryLockUntilReleased(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml.lock")
	unlock, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := TryLock(path); ok {
		u()
		t.Fatal("TryLock took a held lock")
	}
	unlock()
	u, ok := TryLock(path)
	if !ok {
		t.Fatal("TryLock failed on a free lock")
	}
	u()
	if _, ok := TryLock(filepath.Join(t.TempDir(), "missing", "x.lock")); ok {
		t.Error("TryLock created a directory")
	}
}

// TestLockWaitIsBounded: Lock waits for a held lock, gets it when the holder
// lets go, and gives up with a *BusyError (with a hint) after MaxWait
// instead of hanging; the lock its waiter is granted later is released.
func TestLockWaitIsBounded(t *testing.T) {
	saved := MaxWait
	t.Cleanup(func() { MaxWait = saved })
	MaxWait = 300 * time.Millisecond
	path := filepath.Join(t.TempDir(), "config.yaml.lock")

	holder, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	go func() { time.Sleep(50 * time.Millisecond); holder(); close(released) }()
	unlock, err := Lock(path)
	if err != nil {
		t.Fatalf("a lock released within the wait: %v", err)
	}
	<-released
	unlock()

	holder, err = Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Lock(path)
	var busy *BusyError
	if !errors.As(err, &busy) || busy.Hint() == "" || !strings.Contains(err.Error(), "held by another process") {
		t.Fatalf("got %v, want a *BusyError", err)
	}
	if took := time.Since(start); took < MaxWait {
		t.Fatalf("gave up after %v, before MaxWait", took)
	}
	holder()
	freeSoon(t, path, "the waiter that gave up kept the lock it was granted later")
}

// freeSoon fails t with why unless path's lock is free within 5 s: a
// waiter that gave up releases the lock the kernel grants it later.
func freeSoon(t *testing.T, path, why string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if u, ok := TryLock(path); ok {
			u()
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(why)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
