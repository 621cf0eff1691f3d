package clix

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// OutputFlag is the -o flag; the first format is the default.
func OutputFlag(formats ...string) *ChoiceFlag {
	return &ChoiceFlag{
		StringFlag: &cli.StringFlag{
			Name:    "output",
			Aliases: []string{"o"},
			Value:   formats[0],
			Usage:   "output format: " + strings.Join(formats, "|"),
		},
		Choices: formats,
	}
}

// Format returns the validated -o value of the running command.
func Format(c *cli.Context) (string, error) {
	f := c.String("output")
	if o := lookupChoice(c, "output"); o != nil && !slices.Contains(o.Choices, f) {
		return "", Usage("use -o "+strings.Join(o.Choices, "|"), "unknown output format %q", f)
	}
	return f, nil
}

// WriteJSON writes v as indented JSON followed by a newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// IsTTY reports whether w is a terminal.
func IsTTY(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Color reports whether colour escapes may be written to w: only on a
// terminal, and never when NO_COLOR is set (https://no-color.org) or TERM=dumb.
func Color(w any) bool {
	if _, set := os.LookupEnv("NO_COLOR"); set {
		return false
	}
	return os.Getenv("TERM") != "dumb" && IsTTY(w)
}

// Painter wraps text in ANSI colours when enabled.
type Painter struct{ On bool }

func (p Painter) paint(code, s string) string {
	if !p.On {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p Painter) Green(s string) string  { return p.paint("32", s) }
func (p Painter) Red(s string) string    { return p.paint("31", s) }
func (p Painter) Yellow(s string) string { return p.paint("33", s) }
func (p Painter) Bold(s string) string   { return p.paint("1", s) }
func (p Painter) Dim(s string) string    { return p.paint("2", s) }

// Println writes a line and ignores the error: a closed stdout (| head) is not
// worth a failure message.
func Println(w io.Writer, a ...any) { _, _ = fmt.Fprintln(w, a...) }
