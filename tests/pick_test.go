package tests

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// ptyRun runs etcd-ctx on a pseudo-terminal, types the keys (a pause between
// each lets the prompt redraw), and returns everything the terminal showed.
func ptyRun(t *testing.T, u *user, keys []string, args ...string) string {
	t.Helper()
	cmd := u.command("", args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var mu sync.Mutex
	var screen bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	waitFor := func(s string) {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			ok := strings.Contains(screen.String(), s)
			mu.Unlock()
			if ok {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("terminal never showed %q:\n%q", s, screen.String())
	}
	waitFor("etcd context")
	for _, k := range keys {
		io.WriteString(tty, k)
		time.Sleep(100 * time.Millisecond) // let readline consume one key sequence at a time
	}
	waitFor("Switched to context")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("picker exited with %v:\n%q", err, screen.String())
	}
	<-done
	mu.Lock()
	defer mu.Unlock()
	return screen.String()
}

// TestPickerOnTerminal drives the interactive picker: arrow keys move without
// ringing the bell, and typing after "/" searches.
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

	ptyRun(t, u, []string{"/", "d", "e", "u", "\r"}, "etcd-ctx")
	if got := strings.TrimSpace(u.ok("", "etcd-ctx", "current")); got != "dev-eu" {
		t.Fatalf("search 'deu' chose %q, want dev-eu", got)
	}
	// Without a terminal the same command lists instead of prompting.
	if out := u.ok("", "etcd-ctx"); out != "  prod\n  staging\n* dev-eu\n" {
		t.Fatalf("non-terminal listing:\n%s", out)
	}
}
