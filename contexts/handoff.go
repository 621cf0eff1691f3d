package contexts

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
)

// EnvHandoff forces the portable hand-off ("dir") on Linux, for systems whose
// sandbox forbids memfd; it is also how the tests cover that path.
const EnvHandoff = "ETCD_CTX_HANDOFF"

// Handoff makes a context's key material readable by a child process without
// writing it to a persistent file system: on Linux as memfd files inherited as
// /dev/fd/N (etcd's client re-opens cert files on every handshake, so they must
// be re-openable paths, not pipes); elsewhere as 0600 files in a private 0700
// directory under the user's runtime dir, removed on exit.
type Handoff struct {
	Paths Paths
	// InPlace is true when the material lives in inherited descriptors, so
	// the caller may exec(2) the command in place: nothing to clean up.
	InPlace bool
	files   []*os.File
	dir     string
	// signals holds SIGINT, SIGTERM, SIGHUP and SIGQUIT from before the
	// private directory exists until the child can have them: the process
	// must live to remove the directory (see Exec).
	signals chan os.Signal
}

// NewHandoff places spec's material. Material the user keeps in files
// (--store=path) is passed by its path and never copied.
func NewHandoff(spec Spec) (*Handoff, error) {
	h := &Handoff{}
	var mem []pending
	for _, m := range []pending{{spec.CA, &h.Paths.CA, "ca.crt"}, {spec.Cert, &h.Paths.Cert, "client.crt"}, {spec.Key, &h.Paths.Key, "client.key"}} {
		switch {
		case m.mat.Path != "":
			*m.path = m.mat.Path
		case len(m.mat.PEM) > 0:
			mem = append(mem, m)
		}
	}
	if len(mem) == 0 {
		h.InPlace = true
		return h, nil
	}
	if os.Getenv(EnvHandoff) != "dir" {
		if ok, err := h.memfds(mem); ok || err != nil {
			return h, err
		}
	}
	return h, h.privateDir(mem)
}

// pending is material to place and where its path goes.
type pending struct {
	mat  Material
	path *string
	name string
}

func (h *Handoff) privateDir(mem []pending) error {
	base, err := RuntimeDir()
	if err != nil {
		return err
	}
	sweep(base)
	h.signals = make(chan os.Signal, 4)
	signal.Notify(h.signals, forwardedSignals...)
	dir, err := os.MkdirTemp(base, fmt.Sprintf("etcd-ctx-exec-%d-", os.Getpid()))
	if err != nil {
		return fmt.Errorf("private directory for key material: %w", err)
	}
	h.dir = dir
	for _, m := range mem {
		p := filepath.Join(dir, m.name)
		if err := os.WriteFile(p, m.mat.PEM, 0o600); err != nil {
			h.Close()
			return err
		}
		*m.path = p
	}
	return nil
}

// Close removes the private directory, closes descriptors and lets the
// held signals have their default action again.
func (h *Handoff) Close() error {
	if h.signals != nil {
		signal.Stop(h.signals)
	}
	for _, f := range h.files {
		f.Close()
	}
	if h.dir != "" {
		return os.RemoveAll(h.dir)
	}
	return nil
}

// RuntimeDir is $XDG_RUNTIME_DIR (a per-user tmpfs on Linux), else a 0700
// directory of our own in the temp dir, checked to belong to us.
func RuntimeDir() (string, error) {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return d, nil
	}
	d := filepath.Join(os.TempDir(), fmt.Sprintf("etcd-ctx-%d", os.Getuid()))
	if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", err
	}
	fi, err := os.Lstat(d)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 || !ownedByMe(fi) {
		return "", fmt.Errorf("%s is not a private directory of this user; remove it or set XDG_RUNTIME_DIR", d)
	}
	return d, nil
}

// sweep removes hand-off directories left by processes that died without
// cleaning up (SIGKILL, power loss).
func sweep(base string) {
	entries, _ := os.ReadDir(base)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "etcd-ctx-exec-")
		if !ok || !e.IsDir() {
			continue
		}
		pidStr, _, _ := strings.Cut(rest, "-")
		if pid, err := strconv.Atoi(pidStr); err == nil && pid != os.Getpid() && !processAlive(pid) {
			os.RemoveAll(filepath.Join(base, e.Name()))
		}
	}
}
