package clix

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/creack/pty"
	"github.com/urfave/cli/v2"
)

func TestReport(t *testing.T) {
	cases := []struct {
		err      error
		code     int
		wantText string
	}{
		{nil, 0, ""},
		{errors.New("boom\nsecond line"), 1, "prog: error: boom second line\n"},
		{Fail("try again", "cannot %s", "connect"), 1, "prog: error: cannot connect\nhint: try again\n"},
		{Usage("see --help", "bad flag"), 2, "prog: error: bad flag\nhint: see --help\n"},
		{fmt.Errorf("wrapped: %w", Usage("", "inner")), 2, "prog: error: wrapped: inner\n"},
		{&ExitError{Code: 7}, 7, ""},
	}
	for _, tc := range cases {
		var buf bytes.Buffer
		if code := Report(&buf, "prog", tc.err); code != tc.code || buf.String() != tc.wantText {
			t.Errorf("Report(%v) = %d %q, want %d %q", tc.err, code, buf.String(), tc.code, tc.wantText)
		}
	}
}

func TestRunExitCodes(t *testing.T) {
	app := NewApp("prog", "test")
	app.Commands = []*cli.Command{{
		Name:  "fail",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "x"}},
		Action: func(*cli.Context) error {
			return Fail("hint text", "it failed")
		},
	}}
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"prog", "fail"}, 1, "prog: error: it failed\nhint: hint text\n"},
		{[]string{"prog", "fail", "--nope"}, 2, "prog: error: flag provided but not defined: -nope\nhint: run 'prog fail --help' for usage\n"},
		{[]string{"prog", "nope"}, 2, "prog: error: unknown command \"nope\"\nhint: run 'prog --help' to list commands\n"},
	}
	for _, tc := range cases {
		var out, errb bytes.Buffer
		if code := Run(app, tc.args, nil, &out, &errb); code != tc.code || errb.String() != tc.stderr {
			t.Errorf("%v: code %d stderr %q, want %d %q", tc.args, code, errb.String(), tc.code, tc.stderr)
		}
		if out.Len() != 0 {
			t.Errorf("%v: stdout %q, want nothing", tc.args, out.String())
		}
	}
}

func TestColorOnlyOnATerminalWithoutNoColor(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	defer tty.Close()
	t.Setenv("TERM", "xterm")
	os.Unsetenv("NO_COLOR")
	if !Color(tty) {
		t.Error("no colour on a terminal")
	}
	if Color(new(bytes.Buffer)) {
		t.Error("colour on a non-terminal")
	}
	t.Setenv("NO_COLOR", "")
	if Color(tty) {
		t.Error("colour on a terminal although NO_COLOR is set")
	}
	t.Setenv("NO_COLOR", "")
	os.Unsetenv("NO_COLOR")
	t.Setenv("TERM", "dumb")
	if Color(tty) {
		t.Error("colour on TERM=dumb")
	}
	if (Painter{On: false}).Red("x") != "x" || (Painter{On: true}).Red("x") != "\x1b[31mx\x1b[0m" {
		t.Fatal("painter")
	}
}
