package clix

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// reorder moves a command's flags ahead of its positional arguments, so that
// `etcd-ctx add NAME --endpoints URL` works: urfave/cli v2, like Go's flag
// package, stops parsing flags at the first positional argument. Commands
// that pass their arguments through (CommandMeta.PassThrough) keep
// everything from their first positional argument on, untouched, and so do
// commands that skip flag parsing. path is the command's path, as SetMeta
// takes it ("" for the root).
func reorder(app *cli.App, args []string) (out []string, path string) {
	if len(args) < 2 {
		return args, ""
	}
	out = []string{args[0]}
	rest := args[1:]
	flags, cmds := app.Flags, app.Commands
	var names []string
	passThrough := Meta(app, "").PassThrough
	// Global flags, then the (sub)command path.
	for {
		lead, tail := splitLeadingFlags(flags, rest)
		out = append(out, lead...)
		rest = tail
		if len(rest) == 0 {
			return out, path
		}
		cmd := FindCommand(cmds, rest[0])
		if cmd == nil {
			break
		}
		out = append(out, rest[0])
		rest = rest[1:]
		names = append(names, cmd.Name)
		path = strings.Join(names, " ")
		if cmd.SkipFlagParsing {
			return append(out, rest...), path
		}
		flags, cmds = cmd.Flags, cmd.Subcommands
		passThrough = Meta(app, path).PassThrough
		if len(cmds) == 0 {
			break
		}
	}
	var fl, pos []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			return append(append(append(out, fl...), pos...), rest[i:]...), path
		case IsFlag(a):
			fl = append(fl, a)
			if takesNext(flags, a) && i+1 < len(rest) {
				i++
				fl = append(fl, rest[i])
			}
		case passThrough:
			return append(append(append(out, fl...), "--"), rest[i:]...), path
		default:
			pos = append(pos, a)
		}
	}
	out = append(out, fl...)
	if len(pos) > 0 {
		out = append(out, "--")
	}
	return append(out, pos...), path
}

// splitLeadingFlags returns the flags (with values) at the start of args.
func splitLeadingFlags(flags []cli.Flag, args []string) (lead, tail []string) {
	i := 0
	for i < len(args) && IsFlag(args[i]) {
		if takesNext(flags, args[i]) && i+1 < len(args) {
			i++
		}
		i++
	}
	return args[:i], args[i:]
}

// takesNext reports whether a flag word needs the next word as its value.
func takesNext(flags []cli.Flag, a string) bool {
	name := strings.TrimLeft(a, "-")
	if strings.Contains(name, "=") {
		return false
	}
	f := FindFlag(flags, name)
	return f != nil && TakesValue(f)
}
