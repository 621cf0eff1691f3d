package clix

import (
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// What argument handling and completion need to know about a command beyond
// urfave/cli's own fields is said explicitly, here, never read from its help
// text: rewording --help changes neither how arguments are parsed nor what
// <TAB> offers.

// CommandMeta is what an app says about one of its commands.
type CommandMeta struct {
	// PassThrough: from the command's first positional argument on, the
	// arguments are another program's command line (exec CMD ARGS...),
	// passed on exactly as typed, flags included.
	PassThrough bool
	// DefaultSignals: SIGINT and SIGTERM keep their default action, ending
	// the process, and the command's cli.Context.Context is never
	// cancelled. For commands with nothing to undo when interrupted (they
	// only read, or replace the process with exec(2)). The others get a
	// context cancelled by either signal, whose handling costs a thread
	// started in every run (0.2 ms here, and exec(2) must stop it again):
	// worth sparing `current` on every prompt and `exec` before etcdctl.
	DefaultSignals bool
}

// metaKey is where an app keeps its commands' metadata (cli.App.Metadata).
const metaKey = "clix.commands"

// SetMeta records what the command at path says of itself. A path is the
// command names from the root, space-separated: "exec", "rbac who-can";
// "" is the root.
func SetMeta(app *cli.App, path string, m CommandMeta) {
	if app.Metadata == nil {
		app.Metadata = map[string]any{}
	}
	all, _ := app.Metadata[metaKey].(map[string]CommandMeta)
	if all == nil {
		all = map[string]CommandMeta{}
		app.Metadata[metaKey] = all
	}
	all[path] = m
}

// Meta returns what SetMeta recorded for the command at path (the zero
// CommandMeta when nothing was).
func Meta(app *cli.App, path string) CommandMeta {
	all, _ := app.Metadata[metaKey].(map[string]CommandMeta)
	return all[path]
}

// ChoiceFlag is a string flag whose value is one of Choices: --help lists
// them, completion offers them and Choose checks them, all from this field.
type ChoiceFlag struct {
	*cli.StringFlag
	Choices []string
}

// Choice is a ChoiceFlag; the first choice is the default.
func Choice(name, usage string, choices ...string) *ChoiceFlag {
	return &ChoiceFlag{StringFlag: &cli.StringFlag{Name: name, Value: choices[0], Usage: usage}, Choices: choices}
}

// Choose returns the value of the ChoiceFlag name of the running command
// (or of a command above it), refused with a usage error when it is not
// one of its choices.
func Choose(c *cli.Context, name string) (string, error) {
	v := c.String(name)
	f := lookupChoice(c, name)
	if f == nil || slices.Contains(f.Choices, v) {
		return v, nil
	}
	return "", Usage("use one of: "+strings.Join(f.Choices, ", "), "--%s: unknown value %q", name, v)
}

func lookupChoice(c *cli.Context, name string) *ChoiceFlag {
	for _, level := range c.Lineage() {
		var flags []cli.Flag
		switch {
		case level.Command != nil:
			flags = level.Command.Flags
		case level.App != nil: // the root, before its command is set up
			flags = level.App.Flags
		}
		if f, ok := FindFlag(flags, name).(*ChoiceFlag); ok {
			return f
		}
	}
	return nil
}

// FindCommand returns the command of cmds called name (or aliased so).
func FindCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.Name == name || slices.Contains(c.Aliases, name) {
			return c
		}
	}
	return nil
}

// FindFlag returns the flag of flags with that name (or alias), or nil.
func FindFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	return nil
}

// IsFlag reports whether a word is a flag: -x, --name, --name=value; "--"
// (the end of flags) and "-" (a value: stdin, the previous context) are
// not.
func IsFlag(a string) bool { return len(a) > 1 && a[0] == '-' && a != "--" }

// TakesValue reports whether f needs a value (the next word, unless given
// as --name=value).
func TakesValue(f cli.Flag) bool {
	dg, ok := f.(cli.DocGenerationFlag)
	return ok && dg.TakesValue()
}

// TakesFile reports a flag declared with TakesFile (a field, not a method,
// in urfave/cli v2): its value is a path.
func TakesFile(f cli.Flag) bool {
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

// Dashed is a flag's name as typed: -o, --output.
func Dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}
