//go:build unix

package flock

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInterruptEndsTheWait: Ctrl-C (SIGINT) ends a wait for a held lock at
// once, with an error and a hint, instead of after MaxWait; the lock its
// waiter is granted later is released.
func TestInterruptEndsTheWait(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml.lock")
	holder, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	waiting = func() { close(started) }
	t.Cleanup(func() { waiting = nil })
	go func() {
		<-started
		syscall.Kill(os.Getpid(), syscall.SIGINT)
	}()
	begin := time.Now()
	_, err = Lock(path)
	var intr *InterruptedError
	if !errors.As(err, &intr) || !strings.Contains(intr.Hint(), "nothing was changed") {
		t.Fatalf("got %v, want an *InterruptedError", err)
	}
	if took := time.Since(begin); took > MaxWait/2 {
		t.Fatalf("the interrupt ended the wait only after %v", took)
	}
	holder()
	freeSoon(t, path, "the interrupted waiter kept the lock it was granted later")
}
