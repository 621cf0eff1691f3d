package completion

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"
)

// The shell scripts are thin: they pass the words typed so far to the binary
// (`PROG __complete WORD... CURRENT`) and show what it prints, so bash, zsh,
// fish and PowerShell complete exactly the same things from one command tree.
// Output: one candidate per line ("word" or "word<TAB>description"), then a
// directive line ":N" telling the script what else to do.

// Directive bits.
const (
	// DirectiveFiles asks the shell to complete file names itself.
	DirectiveFiles = 1
)

// CompleteCommandName is the hidden subcommand the scripts call.
const CompleteCommandName = "__complete"

// State is what was typed before the word being completed.
type State struct {
	Path  []string          // subcommand names, e.g. ["exec"]
	Flags map[string]string // flag values given so far, by every name of the flag
	Args  []string          // positional arguments given so far
}

// Source yields the candidates for a flag value or positional argument.
type Source struct {
	Words func(State) []string // candidates (filtered by prefix afterwards)
	Files bool                 // let the shell complete file names
	Max   int                  // positional sources: offered for the first Max arguments only (0: all)
}

// Words is a fixed list of candidates.
func Words(ws ...string) Source {
	return Source{Words: func(State) []string { return ws }}
}

// Files lets the shell complete file names.
var Files = Source{Files: true}

// Upto limits a positional source to the first n arguments.
func (s Source) Upto(n int) Source { s.Max = n; return s }

// Hints say what flag values and positional arguments are, beyond what the
// command tree itself tells (TakesFile flags complete files; a help text
// ending in a|b|c lists the values).
type Hints struct {
	Flags map[string]Source // by flag name, in every command
	Args  map[string]Source // by command path: "" (the root), "use", "jwt-token"…
}

// Candidate is one completion with an optional description.
type Candidate struct{ Word, Desc string }

// Result is what the shell is told.
type Result struct {
	Candidates []Candidate
	Directive  int
}

// Write prints r in the protocol the scripts read.
func (r Result) Write(w io.Writer) error {
	var b strings.Builder
	for _, c := range r.Candidates {
		b.WriteString(oneLine(c.Word))
		if c.Desc != "" {
			b.WriteString("\t" + oneLine(c.Desc))
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, ":%d\n", r.Directive)
	_, err := io.WriteString(w, b.String())
	return err
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// level is the command being completed: the app or a (sub)command.
type level struct {
	flags     []cli.Flag
	cmds      []*cli.Command
	argsUsage string
	skipFlags bool
	root      bool
}

func appLevel(app *cli.App) level {
	return level{flags: app.Flags, cmds: app.Commands, argsUsage: app.ArgsUsage, root: true}
}

func cmdLevel(c *cli.Command) level {
	return level{flags: c.Flags, cmds: c.Subcommands, argsUsage: c.ArgsUsage, skipFlags: c.SkipFlagParsing}
}

// Complete computes the candidates for words (the arguments after the program
// name; the last one is the word under the cursor, possibly empty).
func Complete(app *cli.App, hints Hints, words []string) Result {
	if len(words) == 0 {
		words = []string{""}
	}
	cur := words[len(words)-1]
	if cur == `""` {
		cur = "" // PowerShell before 7.3 cannot pass an empty argument
	}
	p := parse(app, words[:len(words)-1])
	switch {
	case p.pending != nil:
		return flagValues(hints, p.pending, p.st, "", cur)
	case p.lv.skipFlags || p.dashdash:
		return Result{Directive: DirectiveFiles} // a command line of its own
	case strings.HasPrefix(cur, "-") && strings.Contains(cur, "="):
		name, val, _ := strings.Cut(cur, "=")
		if f := findFlag(p.scope, strings.TrimLeft(name, "-")); f != nil && takesValue(f) {
			return flagValues(hints, f, p.st, name+"=", val)
		}
		return Result{}
	case strings.HasPrefix(cur, "-"):
		return Result{Candidates: filter(flagCandidates(p.lv), cur)}
	}
	return positional(hints, p.lv, p.st, cur)
}

// parsed is where the words before the cursor lead.
type parsed struct {
	st       State
	lv       level        // the (sub)command being completed
	scope    [][]cli.Flag // flags in effect, innermost last: global flags stay valid after a subcommand
	pending  cli.Flag     // a flag whose value is the word under the cursor
	dashdash bool         // after "--": a command line, not ours
}

// parse walks the typed words the way urfave/cli (and clix's reordering)
// reads them: flags with their values anywhere, subcommands before the first
// positional argument.
func parse(app *cli.App, typed []string) parsed {
	p := parsed{st: State{Flags: map[string]string{}}, lv: appLevel(app)}
	p.scope = [][]cli.Flag{p.lv.flags}
	for i := 0; i < len(typed); i++ {
		w := typed[i]
		switch {
		case p.lv.skipFlags || p.dashdash:
			p.st.Args = append(p.st.Args, w)
		case w == "--":
			p.dashdash = true
		case isFlag(w):
			name, val, hasVal := strings.Cut(strings.TrimLeft(w, "-"), "=")
			f := findFlag(p.scope, name)
			switch {
			case f == nil || !takesValue(f):
				val = "true"
			case hasVal:
			case i+1 == len(typed):
				p.pending = f
				continue
			default:
				i++
				val = typed[i]
			}
			setFlag(p.st.Flags, f, name, val)
		default:
			if sub := findCommand(p.lv.cmds, w); sub != nil && len(p.st.Args) == 0 {
				p.st.Path = append(p.st.Path, sub.Name)
				p.lv = cmdLevel(sub)
				p.scope = append(p.scope, p.lv.flags)
				continue
			}
			p.st.Args = append(p.st.Args, w)
		}
	}
	return p
}

// positional completes a subcommand name or a positional argument.
func positional(hints Hints, lv level, st State, cur string) Result {
	var out []Candidate
	if len(st.Args) == 0 {
		for _, c := range lv.cmds {
			if c.Hidden {
				continue
			}
			for _, n := range append([]string{c.Name}, c.Aliases...) {
				out = append(out, Candidate{n, c.Usage})
			}
		}
	}
	src, ok := hints.Args[strings.Join(st.Path, " ")]
	if !ok {
		if vals := enum(lv.argsUsage); vals != nil {
			src, ok = Words(vals...).Upto(1), true
		}
	}
	if !ok || (src.Max > 0 && len(st.Args) >= src.Max) {
		return Result{Candidates: filter(out, cur)}
	}
	if src.Files {
		return Result{Candidates: filter(out, cur), Directive: DirectiveFiles}
	}
	if src.Words != nil {
		for _, w := range src.Words(st) {
			if !slices.Contains(st.Args, w) { // delete a b <TAB> offers neither again
				out = append(out, Candidate{Word: w})
			}
		}
	}
	return Result{Candidates: filter(out, cur)}
}

// flagValues completes the value of f; prefix is "--flag=" when the value is
// typed in the same word.
func flagValues(hints Hints, f cli.Flag, st State, prefix, cur string) Result {
	src, ok := Source{}, false
	for _, n := range f.Names() {
		if src, ok = hints.Flags[n]; ok {
			break
		}
	}
	if !ok {
		if dg, isDoc := f.(cli.DocGenerationFlag); isDoc {
			if vals := enum(dg.GetUsage()); vals != nil {
				src, ok = Words(vals...), true
			}
		}
	}
	if !ok && takesFile(f) {
		src = Files
	}
	if src.Files && prefix == "" {
		return Result{Directive: DirectiveFiles}
	}
	if src.Words == nil {
		return Result{}
	}
	var out []Candidate
	for _, w := range src.Words(st) {
		out = append(out, Candidate{Word: prefix + w})
	}
	return Result{Candidates: filter(out, prefix+cur)}
}

// flagCandidates lists the visible flags of a level (help and version too,
// which urfave/cli adds by itself).
func flagCandidates(lv level) []Candidate {
	var out []Candidate
	for _, f := range lv.flags {
		if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
			continue
		}
		usage := ""
		if dg, ok := f.(cli.DocGenerationFlag); ok {
			usage = dg.GetUsage()
		}
		for _, n := range f.Names() {
			out = append(out, Candidate{dashed(n), usage})
		}
	}
	out = append(out, Candidate{"--help", "show help"})
	if lv.root {
		out = append(out, Candidate{"--version", "print the version"})
	}
	return dedupe(out)
}

// dedupe keeps the first of candidates with the same word (urfave/cli adds
// --help to the tree itself once an app has run).
func dedupe(cands []Candidate) []Candidate {
	seen := map[string]bool{}
	out := cands[:0:0]
	for _, c := range cands {
		if !seen[c.Word] {
			seen[c.Word] = true
			out = append(out, c)
		}
	}
	return out
}

func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// enumRE matches a help text ending in a list of values: "output format:
// text|json". Compiled on first use: not at every start of the binaries.
var enumRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:^|[\s:])([a-z0-9][a-z0-9.-]*(?:\|[a-z0-9][a-z0-9.-]*)+)$`)
})

// enum returns the values listed at the end of a help text, or nil. Reading
// them from the help keeps --help and completion from ever disagreeing.
func enum(usage string) []string {
	m := enumRE().FindStringSubmatch(strings.TrimSpace(usage))
	if m == nil {
		return nil
	}
	return strings.Split(m[1], "|")
}

func filter(cands []Candidate, prefix string) []Candidate {
	out := cands[:0:0]
	for _, c := range cands {
		if strings.HasPrefix(c.Word, prefix) {
			out = append(out, c)
		}
	}
	return out
}

func isFlag(a string) bool { return len(a) > 1 && a[0] == '-' }

func findFlag(scope [][]cli.Flag, name string) cli.Flag {
	for i := len(scope) - 1; i >= 0; i-- {
		for _, f := range scope[i] {
			if slices.Contains(f.Names(), name) {
				return f
			}
		}
	}
	return nil
}

func setFlag(flags map[string]string, f cli.Flag, name, val string) {
	if f == nil {
		flags[name] = val
		return
	}
	for _, n := range f.Names() {
		flags[n] = val
	}
}

// takesFile reports a flag declared with TakesFile (a field, not a method, in urfave/cli v2).
func takesFile(f cli.Flag) bool {
	switch f := f.(type) {
	case *cli.StringFlag:
		return f.TakesFile
	case *cli.StringSliceFlag:
		return f.TakesFile
	case *cli.PathFlag:
		return true
	}
	return false
}

func takesValue(f cli.Flag) bool {
	dg, ok := f.(cli.DocGenerationFlag)
	return ok && dg.TakesValue()
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.Name == name || slices.Contains(c.Aliases, name) {
			return c
		}
	}
	return nil
}
