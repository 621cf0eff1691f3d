//go:build linux

package contexts

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestHandoffMemfd(t *testing.T) {
	t.Setenv(EnvHandoff, "")
	spec := pemSpec(t)
	h, err := NewHandoff(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer closeHandoff(t, h)
	if !h.InPlace {
		t.Error("memfd hand-off not marked InPlace")
	}
	paths := map[string][]byte{h.Paths.CA: spec.CA.PEM, h.Paths.Cert: spec.Cert.PEM, h.Paths.Key: spec.Key.PEM}
	if len(paths) != 3 {
		t.Fatalf("paths not distinct: %+v", h.Paths)
	}
	for p, want := range paths {
		if !strings.HasPrefix(p, "/dev/fd/") {
			t.Errorf("path %q is not /dev/fd/N", p)
		}
		// etcd's client re-opens the files on every handshake: they must read
		// whole, again and again.
		for i := range 2 {
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("read %d of %s: %v", i+1, p, err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("read %d of %s returned %d bytes, want the %d-byte PEM", i+1, p, len(got), len(want))
			}
		}
		// Sealed: the material cannot be changed behind the child's back.
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err == nil {
			_, err = f.Write([]byte("x"))
			f.Close()
		}
		if err == nil {
			t.Errorf("%s is writable", p)
		}
	}
	// The descriptors survive exec: no close-on-exec flag.
	for _, f := range h.files {
		flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0)
		if err != nil {
			t.Fatal(err)
		}
		if flags&unix.FD_CLOEXEC != 0 {
			t.Errorf("descriptor %d is close-on-exec", f.Fd())
		}
	}
}

func TestHandoffPrivateDir(t *testing.T) {
	runtime := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", runtime)
	t.Setenv(EnvHandoff, "dir")
	spec := pemSpec(t)
	h, err := NewHandoff(spec)
	if err != nil {
		t.Fatal(err)
	}
	if h.InPlace {
		t.Error("directory hand-off marked InPlace: nobody would remove the files")
	}
	dir := filepath.Dir(h.Paths.CA)
	if filepath.Dir(dir) != runtime || !strings.HasPrefix(filepath.Base(dir), fmt.Sprintf("etcd-ctx-exec-%d-", os.Getpid())) {
		t.Fatalf("material in %s, want an etcd-ctx-exec-PID- dir in %s", dir, runtime)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("dir mode %o, want 0700", perm)
	}
	for p, want := range map[string][]byte{h.Paths.CA: spec.CA.PEM, h.Paths.Cert: spec.Cert.PEM, h.Paths.Key: spec.Key.PEM} {
		if filepath.Dir(p) != dir {
			t.Errorf("%s outside the private dir", p)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %o, want 0600", p, perm)
		}
		if got := readFile(t, p); !bytes.Equal(got, want) {
			t.Errorf("%s holds the wrong material", p)
		}
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("private dir left after Close: %v", err)
	}
	if entries, _ := os.ReadDir(runtime); len(entries) != 0 {
		t.Fatalf("runtime dir holds %v after Close", entries)
	}
}

func TestHandoffPathsArePassedThrough(t *testing.T) {
	for _, mode := range []string{"", "dir"} {
		t.Run("mode="+mode, func(t *testing.T) {
			runtime := t.TempDir()
			t.Setenv("XDG_RUNTIME_DIR", runtime)
			t.Setenv(EnvHandoff, mode)

			// All material from files: nothing is copied anywhere.
			spec := pemSpec(t)
			spec.CA.Path, spec.Cert.Path, spec.Key.Path = "/etc/etcd/ca.crt", "/etc/etcd/c.crt", "/etc/etcd/c.key"
			h, err := NewHandoff(spec)
			if err != nil {
				t.Fatal(err)
			}
			if h.Paths != (Paths{CA: "/etc/etcd/ca.crt", Cert: "/etc/etcd/c.crt", Key: "/etc/etcd/c.key"}) || !h.InPlace || len(h.files) != 0 || h.dir != "" {
				t.Fatalf("got %+v", h)
			}
			closeHandoff(t, h)

			// Mixed: the CA by path, the pair from memory.
			spec = pemSpec(t)
			spec.CA.Path = "/etc/etcd/ca.crt"
			h, err = NewHandoff(spec)
			if err != nil {
				t.Fatal(err)
			}
			defer closeHandoff(t, h)
			if h.Paths.CA != "/etc/etcd/ca.crt" {
				t.Fatalf("CA path %q, want the user's file", h.Paths.CA)
			}
			if !bytes.Equal(readFile(t, h.Paths.Cert), spec.Cert.PEM) || !bytes.Equal(readFile(t, h.Paths.Key), spec.Key.PEM) {
				t.Fatal("cert/key paths hold the wrong material")
			}
			if mode == "" && len(h.files) != 2 {
				t.Fatalf("%d memfds, want 2", len(h.files))
			}
		})
	}
}

func TestHandoffNothingToHand(t *testing.T) {
	h, err := NewHandoff(Spec{Name: "anon", Endpoints: []string{"http://h:2379"}, Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if h.Paths != (Paths{}) || !h.InPlace {
		t.Fatalf("got %+v", h)
	}
	closeHandoff(t, h)
}

func TestSweep(t *testing.T) {
	base := t.TempDir()
	dead := fmt.Sprintf("etcd-ctx-exec-%d-123", math.MaxInt32) // beyond any pid_max
	mine := fmt.Sprintf("etcd-ctx-exec-%d-456", os.Getpid())
	alive := "etcd-ctx-exec-1-789" // init is always running (EPERM counts as alive)
	for _, d := range []string{dead, mine, alive, "etcd-ctx-exec-notapid-1", "other-dir"} {
		writeFile(t, base, d+"/client.key", []byte("k"))
	}
	// A plain file with a dead pid's name is not ours to remove.
	deadFile := fmt.Sprintf("etcd-ctx-exec-%d-file", math.MaxInt32)
	writeFile(t, base, deadFile, []byte("x"))

	sweep(base)

	var left []string
	entries, err := os.ReadDir(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := []string{deadFile, alive, "etcd-ctx-exec-notapid-1", mine, "other-dir"}
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Fatalf("after sweep: %v\nwant %v", left, want)
	}
	sweep(filepath.Join(base, "missing")) // no panic on a missing base
}

func TestHandoffSweepsDeadDirs(t *testing.T) {
	runtime := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", runtime)
	t.Setenv(EnvHandoff, "dir")
	dead := filepath.Join(runtime, fmt.Sprintf("etcd-ctx-exec-%d-abc", math.MaxInt32))
	writeFile(t, dead, "client.key", []byte("stale secret"))
	h, err := NewHandoff(pemSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	defer closeHandoff(t, h)
	if _, err := os.Stat(dead); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("dead process's dir not swept: %v", err)
	}
}

func TestRuntimeDir(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/4242")
	if d, err := RuntimeDir(); err != nil || d != "/run/user/4242" {
		t.Fatalf("got %q, %v", d, err)
	}

	tmp := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("TMPDIR", tmp)
	want := filepath.Join(tmp, fmt.Sprintf("etcd-ctx-%d", os.Getuid()))
	d, err := RuntimeDir()
	if err != nil || d != want {
		t.Fatalf("got %q, %v; want %s", d, err, want)
	}
	fi, err := os.Stat(d)
	if err != nil || fi.Mode().Perm() != 0o700 || !fi.IsDir() {
		t.Fatalf("fallback dir: %v %v", fi.Mode(), err)
	}
	// Again: the existing private dir is reused.
	if d2, err := RuntimeDir(); err != nil || d2 != d {
		t.Fatalf("second call: %q, %v", d2, err)
	}
	// A dir others can read is refused, not used.
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := RuntimeDir(); err == nil || !strings.Contains(err.Error(), "not a private directory") {
		t.Fatalf("world-readable dir: got %v", err)
	}
	// So is a file or symlink in its place.
	if err := os.Remove(d); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(t.TempDir(), d); err != nil {
		t.Fatal(err)
	}
	if _, err := RuntimeDir(); err == nil {
		t.Fatal("symlink accepted as the runtime dir")
	}
}
