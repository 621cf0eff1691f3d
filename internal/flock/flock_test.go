package flock

import (
	"path/filepath"
	"testing"
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
