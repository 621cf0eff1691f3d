package clix

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// ReadSecret reads one secret from r (standard input for --password-stdin and
// --token-stdin): the first line, without its line ending. Secrets never come
// from argv, where ps and shell history would show them.
func ReadSecret(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 1<<16)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", Usage("pipe the secret in on the first line, e.g. secret-tool lookup … | … --password-stdin", "standard input is empty; expected the secret on its first line")
	}
	return line, nil
}

// Interruptible runs read, a blocking read of the command's standard input
// (a password prompt, a confirmation, a secret typed for --password-stdin),
// so that Ctrl-C ends it as it ends promptui's prompts: the terminal's mode
// (echo off for a password) is put back and the command exits 1, quietly.
// It is needed because SIGINT and SIGTERM only cancel the command's context
// (see CommandMeta.DefaultSignals): a plain read would sit on through them.
// Commands that keep the default signal actions just read.
func Interruptible[T any](c *cli.Context, read func() (T, error)) (T, error) {
	if c.Context == nil || c.Context.Done() == nil {
		return read()
	}
	restore := func() {}
	if f, ok := c.App.Reader.(*os.File); ok {
		if state, err := term.GetState(int(f.Fd())); err == nil {
			restore = func() { _ = term.Restore(int(f.Fd()), state) }
		}
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := read()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-c.Context.Done():
		restore()
		fmt.Fprintln(c.App.ErrWriter)
		var zero T
		return zero, &ExitError{Code: ExitFailure}
	}
}

// NoBell is promptui's output: it drops the terminal bell readline rings on
// every arrow key (manifoldco/promptui#49) and draws on stderr, keeping
// stdout for data.
type NoBell struct{}

func (NoBell) Write(b []byte) (int, error) {
	if len(b) == 1 && b[0] == '\a' {
		return 0, nil
	}
	return os.Stderr.Write(b)
}

func (NoBell) Close() error { return nil }
