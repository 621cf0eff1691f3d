// Package ctxcmd is the command-line layer of etcd-ctx: one file per
// subcommand, wiring flags to the contexts package.
package ctxcmd

import (
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/completion"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
)

// Name is the program name used in messages.
const Name = "etcd-ctx"

// Run runs etcd-ctx with args (args[0] is the program name) and returns the exit code.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return clix.Run(NewApp(), args, stdin, stdout, stderr)
}

// NewApp builds the command tree (also used to generate completion and man pages).
func NewApp() *cli.App {
	app := clix.NewApp(Name, "kubeconfig-style contexts for etcd, with secrets in the OS keyring")
	app.ArgsUsage = "[NAME | -]"
	app.Description = "With no argument, lists contexts (an interactive picker on a terminal).\n" +
		"With NAME, switches to it; with -, switches back to the previous context."
	app.Flags = []cli.Flag{ctxflags.ConfigFlag(), contextFlag()}
	app.Action = rootAction
	app.Commands = []*cli.Command{
		listCommand(), useCommand(), currentCommand(),
		addCommand(), setCommand(), renameCommand(), deleteCommand(), showCommand(), importCommand(),
		execCommand(), etcdctlCommand(), shellCommand(), pingCommand(),
		completionCommand(), shellInitCommand(), completeCommand(),
	}
	// exec CMD ARGS...; exec and etcdctl replace the process (or forward
	// signals to their child), current and list only read: none has
	// anything to undo when interrupted.
	clix.SetMeta(app, "exec", clix.CommandMeta{PassThrough: true, DefaultSignals: true})
	for _, path := range []string{"etcdctl", "current", "list", completion.CompleteCommandName} {
		clix.SetMeta(app, path, clix.CommandMeta{DefaultSignals: true})
	}
	return app
}

func contextFlag() cli.Flag { return ctxflags.ContextFlag("context to use for this command") }

// namedContext is the context a command taking [NAME] is about: NAME, or
// --context NAME (as for every command), never both.
func namedContext(c *cli.Context) (string, error) {
	if err := clix.Args(c, 0, 1); err != nil {
		return "", err
	}
	name := c.Args().First()
	if flag := ctxflags.Lookup(c, "context"); name != "" && flag != "" && flag != name {
		return "", clix.Usage("name the context once, as NAME or as --context NAME", "two contexts given: %q and --context %q", name, flag)
	}
	return name, nil
}

// rootAction: no argument lists (or picks on a terminal); NAME or - switches.
func rootAction(c *cli.Context) error {
	switch c.NArg() {
	case 0:
		if clix.IsTTY(os.Stdin) && clix.IsTTY(c.App.Writer) {
			return pick(c)
		}
		return listNames(c, false)
	case 1:
		return switchTo(c, c.Args().First())
	}
	return clix.Usage("run 'etcd-ctx --help' for usage", "unknown command %q", c.Args().First())
}
