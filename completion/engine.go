package completion

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/internal/clix"
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
// command tree itself tells: TakesFile flags complete files, a
// clix.ChoiceFlag its choices, and the arguments of a command that passes
// them through (clix.CommandMeta) are another program's.
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
		b.WriteString(clix.OneLine(c.Word))
		if c.Desc != "" {
			b.WriteString("\t" + clix.OneLine(c.Desc))
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, ":%d\n", r.Directive)
	_, err := io.WriteString(w, b.String())
	return err
}

// level is the command being completed: the app or a (sub)command.
type level struct {
	flags       []cli.Flag
	cmds        []*cli.Command
	skipFlags   bool
	passThrough bool // clix.CommandMeta: the arguments from the first positional on are not ours
	root        bool
}

func appLevel(app *cli.App) level {
	return level{flags: app.Flags, cmds: app.Commands, passThrough: clix.Meta(app, "").PassThrough, root: true}
}

func cmdLevel(app *cli.App, path []string, c *cli.Command) level {
	return level{flags: c.Flags, cmds: c.Subcommands, skipFlags: c.SkipFlagParsing,
		passThrough: clix.Meta(app, strings.Join(path, " ")).PassThrough}
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
		if f := findFlag(p.scope, strings.TrimLeft(name, "-")); f != nil && clix.TakesValue(f) {
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
		case clix.IsFlag(w):
			name, val, hasVal := strings.Cut(strings.TrimLeft(w, "-"), "=")
			f := findFlag(p.scope, name)
			switch {
			case f == nil || !clix.TakesValue(f):
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
			if sub := clix.FindCommand(p.lv.cmds, w); sub != nil && len(p.st.Args) == 0 {
				p.st.Path = append(p.st.Path, sub.Name)
				p.lv = cmdLevel(app, p.st.Path, sub)
				p.scope = append(p.scope, p.lv.flags)
				continue
			}
			p.st.Args = append(p.st.Args, w)
			p.dashdash = p.lv.passThrough // the rest is that command line's
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
	if choice, isChoice := f.(*clix.ChoiceFlag); !ok && isChoice {
		src, ok = Words(choice.Choices...), true
	}
	if !ok && clix.TakesFile(f) {
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
			out = append(out, Candidate{clix.Dashed(n), usage})
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

func filter(cands []Candidate, prefix string) []Candidate {
	out := cands[:0:0]
	for _, c := range cands {
		if strings.HasPrefix(c.Word, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// findFlag looks name up in the flags in effect, innermost first.
func findFlag(scope [][]cli.Flag, name string) cli.Flag {
	for i := len(scope) - 1; i >= 0; i-- {
		if f := clix.FindFlag(scope[i], name); f != nil {
			return f
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
