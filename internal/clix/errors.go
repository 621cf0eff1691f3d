// Package clix is the CLI plumbing the three binaries share: error and hint
// reporting, exit codes, output formats, terminal detection and version
// stamping. Domain packages never import it.
package clix

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Exit codes shared by the suite. etcd-diag reads ExitFailure as "problems found".
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Error is a failure to report as one line plus an optional hint.
type Error struct {
	Msg  string
	Hint string
	Code int
	Err  error // the cause, for errors.Is/As; never printed beyond Msg
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// Fail is a runtime failure (exit 1).
func Fail(hint, format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...), Hint: hint, Code: ExitFailure}
}

// Usage is a usage error (exit 2).
func Usage(hint, format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...), Hint: hint, Code: ExitUsage}
}

// Wrap turns err into a failure with a hint, keeping err as the cause.
func Wrap(err error, hint string) *Error {
	var e *Error
	if errors.As(err, &e) {
		if e.Hint == "" {
			e.Hint = hint
		}
		return e
	}
	return &Error{Msg: err.Error(), Hint: hint, Code: ExitFailure, Err: err}
}

// ExitError carries a bare exit code with nothing to print, as when a wrapped
// child process has already told its own story.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Report prints err as `<prog>: error: …` and `hint: …` and returns the exit code.
func Report(stderr io.Writer, prog string, err error) int {
	if err == nil {
		return ExitOK
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		return exit.Code
	}
	code, hint := ExitFailure, ""
	var e *Error
	if errors.As(err, &e) {
		code, hint = e.Code, e.Hint
	}
	var h interface{ Hint() string }
	if hint == "" && errors.As(err, &h) {
		hint = h.Hint() // domain errors that know their way out
	}
	fmt.Fprintf(stderr, "%s: error: %s\n", prog, oneLine(err.Error()))
	if hint != "" {
		fmt.Fprintf(stderr, "hint: %s\n", oneLine(hint))
	}
	return code
}

// oneLine keeps an error on one line: multi-line causes from libraries are
// joined so scripts can rely on "error:" being a single line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
