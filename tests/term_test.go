package tests

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// The terminal tests (the picker, the certwiz wizard) drive the commands on a
// pseudo-terminal, which a script cannot do keystroke by keystroke.

// termSession runs a command on a pseudo-terminal and lets a test wait for
// text and type keys.
type termSession struct {
	t      *testing.T
	cmd    *exec.Cmd
	tty    *os.File
	mu     sync.Mutex
	screen bytes.Buffer
	seen   int // screen offset already matched by expect
	done   chan struct{}
}

func startTerm(t *testing.T, u *user, args ...string) *termSession {
	t.Helper()
	cmd := u.command("", args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	s := &termSession{t: t, cmd: cmd, tty: tty, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			s.mu.Lock()
			s.screen.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { tty.Close(); cmd.Process.Kill() })
	return s
}

// expect waits until text appears after what earlier expects matched.
func (s *termSession) expect(text string) {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		i := strings.Index(s.screen.String()[s.seen:], text)
		if i >= 0 {
			s.seen += i + len(text)
		}
		s.mu.Unlock()
		if i >= 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t.Fatalf("terminal never showed %q; screen:\n%s", text, s.screen.String())
}

// answer waits for a prompt and types a line.
func (s *termSession) answer(prompt, line string) {
	s.t.Helper()
	s.expect(prompt)
	s.typeText(line + "\r")
}

// keys sends each key (a character or an escape sequence) whole, pausing
// after each so that the prompt reads and redraws one key at a time.
func (s *termSession) keys(keys ...string) {
	for _, k := range keys {
		io.WriteString(s.tty, k)
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *termSession) typeText(text string) {
	for _, r := range text {
		io.WriteString(s.tty, string(r))
		time.Sleep(5 * time.Millisecond) // readline takes one key per read
	}
}

func (s *termSession) wait() string {
	s.t.Helper()
	err := s.cmd.Wait()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.t.Fatalf("exited with %v:\n%s", err, s.screen.String())
	}
	return s.screen.String()
}

// interrupt types Ctrl-C, as a user at a prompt would, and waits for the
// command to end (at most 10 s): it returns the exit code, and fails the
// test when the terminal is left without echo.
func (s *termSession) interrupt() int {
	s.t.Helper()
	io.WriteString(s.tty, "\x03")
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		s.mu.Lock()
		defer s.mu.Unlock()
		s.t.Fatalf("still running 10 s after Ctrl-C; screen:\n%s", s.screen.String())
	}
	<-s.done
	tio, err := unix.IoctlGetTermios(int(s.tty.Fd()), unix.TCGETS)
	if err != nil {
		s.t.Fatal(err)
	}
	if tio.Lflag&unix.ECHO == 0 {
		s.t.Error("Ctrl-C left the terminal without echo")
	}
	return s.cmd.ProcessState.ExitCode()
}

// TestStdinSecretsOnTerminal: --password-stdin and --token-stdin on a
// terminal ask, without echo (a secret typed or pasted there would show on
// the screen and in any recording of the session), and save what was typed.
// etcd-certwiz rbac apply's --password-stdin takes USER:PASSWORD lines, and
// on a terminal refuses, as apply asks there anyway.
func TestStdinSecretsOnTerminal(t *testing.T) {
	u := newUser(t, true)
	for _, tc := range []struct{ flags, prompt, typed, variable string }{
		{"--user bob --password-stdin", "Password for bob: ", "typed-Pass-1", "ETCDCTL_PASSWORD"},
		{"--token-stdin", "Token: ", "typed.token.2", "ETCDCTL_AUTH_JWT_TOKEN"},
	} {
		name := strings.Fields(tc.flags)[len(strings.Fields(tc.flags))-1][2:]
		args := append([]string{"etcd-ctx", "add", name, "--endpoints", "http://127.0.0.1:1"}, strings.Fields(tc.flags)...)
		s := startTerm(t, u, args...)
		s.answer(tc.prompt, tc.typed)
		if screen := s.wait(); strings.Contains(screen, tc.typed) {
			t.Errorf("%s: the secret showed on the terminal:\n%s", tc.flags, screen)
		}
		if got := u.ok("", "etcd-ctx", "exec", "--context", name, "--", "sh", "-c", `printf %s "$`+tc.variable+`"`); got != tc.typed {
			t.Errorf("%s: saved %q, want what was typed", tc.flags, got)
		}
	}
	file := filepath.Join(u.dir, "access.yaml")
	if err := os.WriteFile(file, []byte("users:\n  - {name: bob, password: true}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startTerm(t, u, "etcd-certwiz", "rbac", "apply", "--context", "password-stdin", "--password-stdin", file)
	s.expect("--password-stdin reads USER:PASSWORD lines from a pipe or file, and standard input is a terminal")
	if err := s.cmd.Wait(); s.cmd.ProcessState.ExitCode() != 2 {
		t.Errorf("rbac apply --password-stdin on a terminal: %v, want exit 2", err)
	}
}

// TestCtrlCAtPasswordPrompt: Ctrl-C ends etcd-ctx's password prompt (exit
// 1, echo back on, nothing saved). SIGINT only cancels add's context, so a
// read that ignored it would wait on. (TestRBACApplyOnTerminal does the
// same for etcd-certwiz's questions.)
func TestCtrlCAtPasswordPrompt(t *testing.T) {
	u := newUser(t, false)
	s := startTerm(t, u, "etcd-ctx", "add", "p", "--endpoints", "http://127.0.0.1:1", "--user", "bob", "--store", "path")
	s.expect("Password for bob: ")
	if code := s.interrupt(); code != 1 {
		t.Errorf("exit %d after Ctrl-C, want 1", code)
	}
	if out := u.ok("", "etcd-ctx", "list", "-o", "name"); out != "" {
		t.Fatalf("an interrupted add saved a context: %q", out)
	}
}
