package tests

import (
	"bytes"
	"io"
	"os"
	"os/exec"
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
