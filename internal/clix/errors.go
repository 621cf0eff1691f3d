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
	Hint string // the way out; when empty, the first one down the cause's chain (HintOf)
	Code int
	Err  error // the cause, for errors.Is/As; never printed beyond Msg
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// Fail is a runtime failure (exit 1). The message is formatted as by
// fmt.Errorf: errors given with %w stay its causes.
func Fail(hint, format string, args ...any) *Error {
	return newError(ExitFailure, hint, format, args)
}

// Usage is a usage error (exit 2), formatted as Fail's.
func Usage(hint, format string, args ...any) *Error {
	return newError(ExitUsage, hint, format, args)
}

func newError(code int, hint, format string, args []any) *Error {
	err := fmt.Errorf(format, args...)
	e := &Error{Msg: err.Error(), Hint: hint, Code: code}
	switch err.(type) {
	case interface{ Unwrap() error }, interface{ Unwrap() []error }:
		e.Err = err
	}
	return e
}

// Wrap reports err, unchanged, as the cause of a failure with hint (when
// empty, the hint err carries: see HintOf) and err's exit code (that of
// the *Error it holds, else ExitFailure). err itself is never modified.
func Wrap(err error, hint string) *Error {
	code := ExitFailure
	var e *Error
	if errors.As(err, &e) {
		code = e.Code
	}
	return &Error{Msg: err.Error(), Hint: hint, Code: code, Err: err}
}

// WithCode is Wrap with another exit code: a usage error, or etcd-diag's
// "could not run".
func WithCode(err error, code int, hint string) *Error {
	e := Wrap(err, hint)
	e.Code = code
	return e
}

// HintOf returns the first hint down err's chain, outermost first: an
// *Error's Hint, or the Hint() of a domain error that knows its way out.
func HintOf(err error) string {
	for err != nil {
		switch e := err.(type) {
		case *Error:
			if e.Hint != "" {
				return e.Hint
			}
		case interface{ Hint() string }:
			if h := e.Hint(); h != "" {
				return h
			}
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if h := HintOf(e); h != "" {
					return h
				}
			}
			return ""
		default:
			return ""
		}
	}
	return ""
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
	code := ExitFailure
	var e *Error
	if errors.As(err, &e) {
		code = e.Code
	}
	hint := HintOf(err)
	fmt.Fprintf(stderr, "%s: error: %s\n", prog, OneLine(err.Error()))
	if hint != "" {
		fmt.Fprintf(stderr, "hint: %s\n", OneLine(hint))
	}
	return code
}

// OneLine keeps a message on one line: multi-line causes from libraries
// are joined, so scripts can rely on "error:" and "hint:" being one line.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// UsageOn makes err a usage error (exit 2) when its chain holds an error
// of type T: input the user must fix (a plan, a host, a name), as opposed
// to a failure while acting on good input. Other errors pass unchanged.
func UsageOn[T error](err error) error {
	var t T
	if errors.As(err, &t) {
		return WithCode(err, ExitUsage, "")
	}
	return err
}
