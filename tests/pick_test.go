package tests

import (
	"strings"
	"testing"
)

// ptyRun runs etcd-ctx's picker on a pseudo-terminal, types the keys, and
// returns everything the terminal showed.
func ptyRun(t *testing.T, u *user, keys []string, args ...string) string {
	t.Helper()
	s := startTerm(t, u, args...)
	s.expect("etcd context")
	s.keys(keys...)
	s.expect("Switched to context")
	return s.wait()
}

// TestPickerOnTerminal drives the interactive picker: arrow keys move without
// ringing the bell, and typing searches at once, as the label says, however
// few contexts there are.
func TestPickerOnTerminal(t *testing.T) {
	u := newUser(t, false)
	for _, name := range []string{"prod", "staging", "dev-eu"} {
		u.ok("", "etcd-ctx", "add", name, "--endpoints", "http://127.0.0.1:2379")
	}
	u.ok("", "etcd-ctx", "use", "prod")
	u.setenv("TERM", "xterm")

	screen := ptyRun(t, u, []string{"\x1b[B", "\r"}, "etcd-ctx")
	if strings.Contains(screen, "\a") {
		t.Errorf("the picker rang the terminal bell")
	}
	if got := strings.TrimSpace(u.ok("", "etcd-ctx", "current")); got != "staging" {
		t.Fatalf("arrow down + enter chose %q, want staging\n%q", got, screen)
	}

	ptyRun(t, u, []string{"d", "e", "u", "\r"}, "etcd-ctx")
	if got := strings.TrimSpace(u.ok("", "etcd-ctx", "current")); got != "dev-eu" {
		t.Fatalf("search 'deu' chose %q, want dev-eu", got)
	}
	// Without a terminal the same command lists instead of prompting.
	if out := u.ok("", "etcd-ctx"); out != "  prod\n  staging\n* dev-eu\n" {
		t.Fatalf("non-terminal listing:\n%s", out)
	}
}
