package clix

import (
	"bufio"
	"io"
	"os"
	"strings"
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
