package certwiz

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestWriteRefusesOverwrite: an existing key or certificate stops the whole
// write (nothing else is written) unless force; modes are 0600/0700.
func TestWriteRefusesOverwrite(t *testing.T) {
	l, k := writtenPKI(t)
	if runtime.GOOS != "windows" {
		for path, want := range map[string]os.FileMode{l.Dir: DirMode, filepath.Dir(l.Server("etcd-0")): DirMode, KeyPath(l.CA()): KeyMode, KeyPath(l.Client("root")): KeyMode, l.CA(): CertMode} {
			fi, err := os.Stat(path)
			if err != nil || fi.Mode().Perm() != want {
				t.Errorf("%s: mode %v, want %v (%v)", path, fi.Mode().Perm(), want, err)
			}
		}
	}
	before, _ := os.ReadFile(KeyPath(l.CA()))
	again := mustGenerate(t, k.Plan)
	os.Remove(l.Client("app")) // one file missing: still nothing may be written
	_, err := again.Write(false)
	var exists *ExistsError
	if !errors.As(err, &exists) {
		t.Fatalf("second write: %v, want ExistsError", err)
	}
	if after, _ := os.ReadFile(KeyPath(l.CA())); !bytes.Equal(before, after) {
		t.Fatal("the CA key was overwritten")
	}
	if _, err := os.Stat(l.Client("app")); err == nil {
		t.Fatal("a refused write still wrote files")
	}
	if _, err := again.Write(true); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(KeyPath(l.CA())); bytes.Equal(before, after) {
		t.Fatal("--force did not replace the CA key")
	}
}
