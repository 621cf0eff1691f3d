package clix

import (
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// reorder moves a command's flags ahead of its positional arguments, so that
// `etcd-ctx add NAME --endpoints URL` works: urfave/cli v2, like Go's flag
// package, stops parsing flags at the first positional argument. Commands that
// take a command line (ArgsUsage mentions CMD) or skip flag parsing keep
// everything from their first positional argument on, untouched.
func reorder(app *cli.App, args []string) []string {
	if len(args) < 2 || args[len(args)-1] == "--generate-bash-completion" {
		return args // completion looks at the arguments exactly as typed
	}
	out := []string{args[0]}
	rest := args[1:]
	flags, cmds := app.Flags, app.Commands
	keepTail := false
	// Global flags, then the (sub)command path.
	for {
		lead, tail := splitLeadingFlags(flags, rest)
		out = append(out, lead...)
		rest = tail
		if len(rest) == 0 {
			return out
		}
		cmd := findCommand(cmds, rest[0])
		if cmd == nil {
			break
		}
		out = append(out, rest[0])
		rest = rest[1:]
		if cmd.SkipFlagParsing {
			return append(out, rest...)
		}
		flags, cmds = cmd.Flags, cmd.Subcommands
		keepTail = strings.Contains(cmd.ArgsUsage, "CMD")
		if len(cmds) == 0 {
			break
		}
	}
	var fl, pos []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			return append(append(append(out, fl...), pos...), rest[i:]...)
		case isFlag(a) && !(keepTail && len(pos) > 0):
			fl = append(fl, a)
			if takesValue(flags, a) && i+1 < len(rest) {
				i++
				fl = append(fl, rest[i])
			}
		default:
			if keepTail {
				return append(append(append(out, fl...), "--"), rest[i:]...)
			}
			pos = append(pos, a)
		}
	}
	out = append(out, fl...)
	if len(pos) > 0 {
		out = append(out, "--")
	}
	return append(out, pos...)
}

// splitLeadingFlags returns the flags (with values) at the start of args.
func splitLeadingFlags(flags []cli.Flag, args []string) (lead, tail []string) {
	i := 0
	for i < len(args) && isFlag(args[i]) {
		if takesValue(flags, args[i]) && i+1 < len(args) {
			i++
		}
		i++
	}
	return args[:i], args[i:]
}

func isFlag(a string) bool { return len(a) > 1 && a[0] == '-' && a != "--" }

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.Name == name || slices.Contains(c.Aliases, name) {
			return c
		}
	}
	return nil
}

// takesValue reports whether a flag token needs the next token as its value.
func takesValue(flags []cli.Flag, a string) bool {
	name := strings.TrimLeft(a, "-")
	if strings.Contains(name, "=") {
		return false
	}
	for _, f := range flags {
		if !slices.Contains(f.Names(), name) {
			continue
		}
		if dg, ok := f.(cli.DocGenerationFlag); ok {
			return dg.TakesValue()
		}
	}
	return false
}
