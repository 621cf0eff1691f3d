//go:build unix

package contexts

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fakeCmd writes an executable shell script named name into dir.
func fakeCmd(t *testing.T, dir, name, script string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestIsEtcdctl(t *testing.T) {
	cases := map[string]bool{
		"/usr/local/bin/etcdctl":  true,
		"etcdctl":                 true,
		"/opt/etcdctl-3.5":        true,
		"/opt/etcdctl.exe":        true,
		"/usr/bin/etcd":           false,
		"/usr/bin/etcdutl":        false,
		"/home/me/bin/my-etcdctl": false,
		"/etcdctl/bin/sh":         false,
	}
	for p, want := range cases {
		if got := isEtcdctl(p); got != want {
			t.Errorf("isEtcdctl(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestEtcdctlVersion(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, script, want string
	}{
		{"3.6", "echo 'etcdctl version: 3.6.5'\necho 'API version: 3.6'\n", "3.6.5"},
		{"v prefix", "echo 'etcdctl version: v3.7.0-rc.1'\n", "3.7.0-rc.1"},
		{"garbage", "echo 'hello'\n", ""},
		{"fails", "echo 'etcdctl version: 3.7.3'\nexit 1\n", ""},
		// The version query must not carry the caller's connection settings.
		{"clean env", "[ -z \"$ETCDCTL_ENDPOINTS$ETCDCTL_USER\" ] && echo 'etcdctl version: 3.7.3'\n", "3.7.3"},
	}
	t.Setenv("ETCDCTL_ENDPOINTS", "https://elsewhere:2379")
	t.Setenv("ETCDCTL_USER", "mallory")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := fakeCmd(t, dir, "etcdctl-"+tc.name, tc.script)
			if got := EtcdctlVersion(p); got != tc.want {
				t.Fatalf("EtcdctlVersion = %q, want %q", got, tc.want)
			}
		})
	}
	if got := EtcdctlVersion(filepath.Join(dir, "missing")); got != "" {
		t.Fatalf("missing binary: %q", got)
	}
}

func TestExecRefusals(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PATH", dir)
	fakeCmd(t, dir, "etcdctl", "echo 'etcdctl version: 3.6.5'\n")

	_, err := Exec(Spec{Name: "x"}, []string{"etcd-ctx-no-such-command"})
	var nf *NotFoundCmdError
	if !errors.As(err, &nf) || nf.Name != "etcd-ctx-no-such-command" || err.Error() != "etcd-ctx-no-such-command: command not found" {
		t.Fatalf("missing command: got %v", err)
	}

	// A token context with an etcdctl that would ignore the token is refused
	// before anything runs.
	_, err = Exec(Spec{Name: "x", Endpoints: []string{"https://h:2379"}, Token: "a.b.c"}, []string{"etcdctl", "get", "k"})
	var tu *TokenUnsupportedError
	if !errors.As(err, &tu) || tu.Version != "3.6.5" || !strings.Contains(err.Error(), "etcdctl 3.6.5 cannot take one") {
		t.Fatalf("token with etcdctl 3.6: got %v", err)
	}
}

func TestExecChildInPrivateDir(t *testing.T) {
	runtime := t.TempDir()
	out := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", runtime)
	t.Setenv(EnvHandoff, "dir")
	t.Setenv("OUT", out)
	t.Setenv("ETCDCTL_USER", "mallory")
	spec := pemSpec(t)

	// Guard: in-place exec would replace the test binary.
	h, err := NewHandoff(spec)
	if err != nil {
		t.Fatal(err)
	}
	inPlace := h.InPlace
	closeHandoff(t, h)
	if inPlace {
		t.Fatal("directory hand-off is InPlace")
	}

	script := `cat "$ETCDCTL_CACERT" > "$OUT/ca"; cat "$ETCDCTL_KEY" > "$OUT/key"
printf '%s|%s|%s' "$ETCDCTL_ENDPOINTS" "$ETCD_CTX" "${ETCDCTL_USER-unset}" > "$OUT/env"
exit 7`
	code, err := Exec(spec, []string{"sh", "-c", script})
	if err != nil {
		t.Fatal(err)
	}
	if code != 7 {
		t.Fatalf("exit status %d, want 7", code)
	}
	if !bytes.Equal(readFile(t, filepath.Join(out, "ca")), spec.CA.PEM) || !bytes.Equal(readFile(t, filepath.Join(out, "key")), spec.Key.PEM) {
		t.Fatal("child read the wrong material")
	}
	if got := string(readFile(t, filepath.Join(out, "env"))); got != "https://h:2379|mem|unset" {
		t.Fatalf("child env %q", got)
	}
	if entries, _ := os.ReadDir(runtime); len(entries) != 0 {
		t.Fatalf("private dir left behind: %v", entries)
	}

	// Killed by a signal: reported like a shell does, 128+N.
	code, err = Exec(spec, []string{"sh", "-c", "kill -TERM $$"})
	if err != nil || code != 128+15 {
		t.Fatalf("signalled child: %d, %v; want 143", code, err)
	}
	if entries, _ := os.ReadDir(runtime); len(entries) != 0 {
		t.Fatalf("private dir left behind: %v", entries)
	}
}

// TestExecHoldsSignalsOverThePrivateDir: a SIGTERM that arrives once the
// private directory exists but before the child starts does not end this
// process with the key material on disk: the child gets it, and the
// directory goes. (Without the hold, the signal kills the test binary.)
func TestExecHoldsSignalsOverThePrivateDir(t *testing.T) {
	runtime := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", runtime)
	t.Setenv(EnvHandoff, "dir")
	h, err := NewHandoff(pemSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	defer closeHandoff(t, h)
	if entries, _ := os.ReadDir(runtime); len(entries) != 1 {
		t.Fatalf("hand-off directories: %v, want one", entries)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code, err := runChild("/bin/sh", []string{"sh", "-c", "exec sleep 20"}, os.Environ(), h.signals)
	if err != nil || code != 128+15 {
		t.Fatalf("child: %d, %v; want 143 (the held SIGTERM)", code, err)
	}
	closeHandoff(t, h)
	if entries, _ := os.ReadDir(runtime); len(entries) != 0 {
		t.Fatalf("private dir left behind: %v", entries)
	}
}
