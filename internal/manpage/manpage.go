// Package manpage writes the section 1 manual page of a binary of the suite
// in roff, from the same command definitions as --help (packaging/gen
// writes them at release time).
package manpage

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

// Info is what a manual page says beyond the command tree.
type Info struct {
	Env     []Entry // environment variables the program reads or sets
	Files   []Entry
	Exit    []Entry  // exit statuses
	SeeAlso []string // other pages, "etcd-diag(1)"
}

// Entry is one tagged paragraph: a variable, a file or an exit status.
type Entry struct{ Name, Text string }

// Write writes the section 1 manual page of app in roff (man macros). It is
// generated from the same command definitions as --help, so the two cannot
// drift; urfave/cli's own generator is left out of the binaries by the
// urfave_cli_no_docs tag (it costs start-up time and pulls in a markdown
// library).
func Write(w io.Writer, app *cli.App, info Info, version, date string) error {
	m := &manWriter{}
	m.header(app, version, date)
	m.synopsis(app)
	m.section("DESCRIPTION")
	m.text(app.Description)
	if len(app.Flags) > 0 {
		m.section("OPTIONS")
		m.flags(app.Flags, true)
	}
	if cmds := visible(app.Commands); len(cmds) > 0 {
		m.section("COMMANDS")
		for _, c := range cmds {
			m.command(app.Name, c)
		}
	}
	m.entries("ENVIRONMENT", info.Env)
	m.entries("FILES", info.Files)
	m.entries("EXIT STATUS", info.Exit)
	if len(info.SeeAlso) > 0 {
		m.section("SEE ALSO")
		refs := make([]string, len(info.SeeAlso))
		for i, ref := range info.SeeAlso {
			name, sect, _ := strings.Cut(strings.TrimSuffix(ref, ")"), "(")
			refs[i] = `\fB` + esc(name) + `\fR(` + sect + `)`
		}
		m.line(strings.Join(refs, ",\n"))
	}
	_, err := io.WriteString(w, m.b.String())
	return err
}

type manWriter struct{ b strings.Builder }

func (m *manWriter) line(s string)    { m.b.WriteString(s + "\n") }
func (m *manWriter) section(s string) { m.line(".SH " + quoteArg(s)) }

func (m *manWriter) header(app *cli.App, version, date string) {
	m.line(`.\" Generated from the command definitions by packaging/gen; do not edit.`)
	m.line(fmt.Sprintf(".TH %s 1 %s %s %s", quoteArg(strings.ToUpper(app.Name)), quoteArg(date),
		quoteArg(app.Name+" "+version), quoteArg("User Commands")))
	m.line(".nh")   // no hyphenation: names, paths and variables stay whole
	m.line(".ad l") // ragged right: no stretched spaces in long option lists
	m.section("NAME")
	m.line(esc(app.Name) + ` \- ` + esc(app.Usage))
}

func (m *manWriter) synopsis(app *cli.App) {
	m.section("SYNOPSIS")
	args := strings.TrimSpace(app.ArgsUsage)
	m.line(".B " + esc(app.Name))
	m.line(`[\fIoptions\fR]` + optional(" "+esc(args), args != ""))
	if len(visible(app.Commands)) > 0 {
		m.line(".br")
		m.line(".B " + esc(app.Name))
		m.line(`\fICOMMAND\fR [\fIoptions\fR] [\fIarguments\fR]`)
	}
}

// command documents one subcommand (and its own subcommands) as a subsection.
func (m *manWriter) command(parent string, c *cli.Command) {
	full := parent + " " + c.Name
	m.line(".SS " + quoteArg(full))
	if len(c.Aliases) > 0 {
		m.line("(alias: " + esc(strings.Join(c.Aliases, ", ")) + ")")
		m.line(".br")
	}
	m.line(esc(c.Usage))
	args, more, _ := strings.Cut(strings.TrimSpace(c.ArgsUsage), "\n")
	m.line(".PP")
	m.line(`\fB` + esc(full) + `\fR` + optional(` [\fIoptions\fR]`, len(c.Flags) > 0 && !c.SkipFlagParsing) +
		optional(" "+esc(args), args != ""))
	m.text(more)
	m.text(c.Description)
	if len(c.Flags) > 0 {
		m.flags(c.Flags, false)
	}
	for _, sub := range visible(c.Subcommands) {
		m.command(full, sub)
	}
}

// flags writes one tagged paragraph per flag.
func (m *manWriter) flags(flags []cli.Flag, root bool) {
	for _, f := range flags {
		if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
			continue
		}
		names := f.Names()
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = `\fB` + esc(clix.Dashed(n)) + `\fR`
		}
		tag := strings.Join(parts, ", ")
		usage, def := "", ""
		if dg, ok := f.(cli.DocGenerationFlag); ok {
			usage = dg.GetUsage()
			if dg.TakesValue() {
				tag += ` \fI` + placeholder(f) + `\fR`
				def = dg.GetDefaultText()
			}
		}
		if !zeroDefault[def] {
			usage += " (default: " + strings.Trim(def, `"`) + ")"
		}
		m.line(".TP")
		m.line(tag)
		m.line(esc(usage))
	}
	if root {
		m.line(".TP")
		m.line(`\fB\-\-help\fR, \fB\-h\fR`)
		m.line("show help (also after a command)")
		m.line(".TP")
		m.line(`\fB\-\-version\fR, \fB\-v\fR`)
		m.line("print the version")
	}
}

// zeroDefault are default texts not worth printing.
var zeroDefault = map[string]bool{"": true, `""`: true, "0": true, "0s": true, "false": true, "[]": true}

func placeholder(f cli.Flag) string {
	switch {
	case clix.TakesFile(f):
		return "file"
	}
	switch f.(type) {
	case *cli.DurationFlag:
		return "duration"
	case *cli.IntFlag, *cli.Uint64Flag, *cli.Int64Flag, *cli.UintFlag:
		return "n"
	}
	return "value"
}

func (m *manWriter) entries(title string, es []Entry) {
	if len(es) == 0 {
		return
	}
	m.section(title)
	for _, e := range es {
		m.line(".TP")
		m.line(".B " + esc(e.Name))
		m.line(esc(e.Text))
	}
}

// text writes help text: paragraphs split at blank lines; a paragraph with
// indented or column-aligned lines (examples, plan files) keeps its layout.
func (m *manWriter) text(s string) {
	for _, para := range strings.Split(strings.TrimSpace(s), "\n\n") {
		para = strings.Trim(para, "\n")
		if strings.TrimSpace(para) == "" {
			continue
		}
		m.line(".PP")
		if !preformatted(para) {
			m.line(esc(para))
			continue
		}
		m.line(".RS 4")
		m.line(".nf")
		m.line(esc(dedent(para)))
		m.line(".fi")
		m.line(".RE")
	}
}

func preformatted(para string) bool {
	for _, l := range strings.Split(para, "\n") {
		if strings.HasPrefix(l, " ") || strings.Contains(strings.TrimSpace(l), "   ") {
			return true
		}
	}
	return false
}

// dedent removes the indentation the lines have in common.
func dedent(para string) string {
	lines := strings.Split(para, "\n")
	common := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " "))
		if common < 0 || n < common {
			common = n
		}
	}
	for i, l := range lines {
		if len(l) >= common {
			lines[i] = l[common:]
		}
	}
	return strings.Join(lines, "\n")
}

// esc makes text safe for roff: backslashes and hyphens (so options stay
// copy-pastable) are escaped, non-ASCII characters become \[uXXXX] (troff
// reads bytes, not UTF-8), and lines cannot start a request.
func esc(s string) string {
	s = strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
	s = asciiOnly(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			lines[i] = `\&` + l
		}
	}
	return strings.Join(lines, "\n")
}

// asciiOnly writes characters beyond ASCII as troff's \[uXXXX].
func asciiOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, `\[u%04X]`, r)
		}
	}
	return b.String()
}

// quoteArg quotes a macro argument.
func quoteArg(s string) string {
	return `"` + strings.ReplaceAll(esc(s), `"`, `\(dq`) + `"`
}

func optional(s string, ok bool) string {
	if ok {
		return s
	}
	return ""
}

func visible(cmds []*cli.Command) []*cli.Command {
	var out []*cli.Command
	for _, c := range cmds {
		if !c.Hidden {
			out = append(out, c)
		}
	}
	return out
}

// CommonEnv are the environment entries every binary's page shares: where
// the etcd-ctx config is, and colour.
func CommonEnv() []Entry {
	return []Entry{
		{Name: contexts.EnvConfig, Text: "etcd-ctx config file (--config overrides it)."},
		{Name: "XDG_CONFIG_HOME", Text: "The default etcd-ctx config file is $XDG_CONFIG_HOME/etcd-ctx/config.yaml, else ~/.config/etcd-ctx/config.yaml."},
		{Name: "NO_COLOR", Text: "When set (to anything), no colour; colour is only ever used on a terminal."},
	}
}
