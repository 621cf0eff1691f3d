// Package ctxcmd is the command-line layer of etcd-ctx: one file per
// subcommand, wiring flags to the contexts package.
package ctxcmd

import (
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
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
	app.Flags = []cli.Flag{configFlag(), contextFlag()}
	app.Action = rootAction
	app.Commands = []*cli.Command{
		listCommand(), useCommand(), currentCommand(),
		addCommand(), setCommand(), renameCommand(), deleteCommand(), showCommand(), importCommand(),
		execCommand(), etcdctlCommand(), shellCommand(), pingCommand(),
		completionCommand(), shellInitCommand(), completeCommand(),
	}
	clix.SetMeta(app, "exec", clix.CommandMeta{PassThrough: true}) // exec CMD ARGS...
	return app
}

func configFlag() cli.Flag {
	return &cli.StringFlag{Name: "config", Usage: "config file (default $" + contexts.EnvConfig + ", else $XDG_CONFIG_HOME/etcd-ctx/config.yaml)", TakesFile: true}
}

func contextFlag() cli.Flag {
	return &cli.StringFlag{Name: "context", Usage: "context to use for this command (default $" + contexts.EnvContext + ", else the current context)"}
}

// lookup returns a flag's value from the innermost command that set it, so
// global flags work before or after the subcommand.
func lookup(c *cli.Context, name string) string {
	for _, ctx := range c.Lineage() {
		if ctx.IsSet(name) {
			return ctx.String(name)
		}
	}
	return ""
}

// openStore opens the config file named by --config or the default path.
func openStore(c *cli.Context) (*contexts.Store, error) {
	return contexts.Open(lookup(c, "config"))
}

// loadConfig reads the config file (no keyring, no network).
func loadConfig(c *cli.Context) (*contexts.Config, error) {
	store, err := openStore(c)
	if err != nil {
		return nil, explain(err)
	}
	cfg, err := store.Load()
	return cfg, explain(err)
}

// selected resolves the context a command is about and loads it (only it,
// with its cluster and user: see contexts.File.LoadSelected).
func selected(c *cli.Context, store *contexts.Store, explicit string) (*contexts.Config, string, error) {
	if explicit == "" {
		explicit = lookup(c, "context")
	}
	cfg, name, err := store.File.LoadSelected(explicit)
	return cfg, name, explain(err)
}

// loadSpec resolves a context with its material from the keyring or files.
func loadSpec(c *cli.Context, explicit string) (contexts.Spec, error) {
	store, err := openStore(c)
	if err != nil {
		return contexts.Spec{}, explain(err)
	}
	cfg, name, err := selected(c, store, explicit)
	if err != nil {
		return contexts.Spec{}, err
	}
	spec, err := store.Spec(cfg, name)
	return spec, explain(err)
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
