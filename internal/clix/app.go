package clix

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

// Set by -ldflags "-X github.com/etcd-ctx/etcd-ctx/internal/clix.Version=…" at release time.
var (
	Version = "dev"
	Commit  = "dev"
	Date    = "dev"
)

// VersionString is what --version prints after the program name.
func VersionString() string {
	return fmt.Sprintf("%s (commit %s, built %s)", Version, Commit, Date)
}

// NewApp returns an app configured the way the suite behaves: errors are
// returned, never printed by urfave/cli and never os.Exit'ed from inside.
func NewApp(name, usage string) *cli.App {
	app := &cli.App{
		Name:            name,
		Usage:           usage,
		Version:         VersionString(),
		HideHelpCommand: true,
		Suggest:         true,
		ExitErrHandler:  func(*cli.Context, error) {},
		OnUsageError:    usageError,
	}
	return app
}

// Run executes app with the given streams and returns the process exit code.
func Run(app *cli.App, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app.Reader, app.Writer, app.ErrWriter = stdin, stdout, stderr
	setUsageHandlers(app.Commands)
	if app.Action == nil {
		app.Action = unknownCommand
	}
	cli.VersionPrinter = func(c *cli.Context) {
		fmt.Fprintf(c.App.Writer, "%s version %s\n", c.App.Name, c.App.Version)
	}
	args, path := reorder(app, args)
	ctx := context.Background()
	if !Meta(app, path).DefaultSignals {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
	}
	return Report(stderr, app.Name, app.RunContext(ctx, args))
}

func setUsageHandlers(cmds []*cli.Command) {
	for _, c := range cmds {
		if c.OnUsageError == nil {
			c.OnUsageError = usageError
		}
		setUsageHandlers(c.Subcommands)
	}
}

func usageError(c *cli.Context, err error, _ bool) error {
	return Usage(fmt.Sprintf("run '%s --help' for usage", c.Command.HelpName), "%s", err.Error())
}

// unknownCommand is the root action of apps whose root does nothing itself.
func unknownCommand(c *cli.Context) error {
	if c.NArg() == 0 {
		return cli.ShowAppHelp(c)
	}
	return Usage(fmt.Sprintf("run '%s --help' to list commands", c.App.Name), "unknown command %q", c.Args().First())
}

// NoArgs rejects stray positional arguments, which urfave/cli would otherwise ignore.
func NoArgs(c *cli.Context) error {
	if c.NArg() > 0 {
		return Usage(fmt.Sprintf("run '%s --help' for usage", c.Command.HelpName), "unexpected argument %q", c.Args().First())
	}
	return nil
}

// Args checks the number of positional arguments.
func Args(c *cli.Context, min, max int) error {
	n := c.NArg()
	if n >= min && (max < 0 || n <= max) {
		return nil
	}
	want := fmt.Sprintf("%d", min)
	switch {
	case max < 0:
		want = fmt.Sprintf("at least %d", min)
	case max != min:
		want = fmt.Sprintf("%d to %d", min, max)
	}
	return Usage(fmt.Sprintf("usage: %s %s", c.Command.HelpName, c.Command.ArgsUsage),
		"expected %s argument(s), got %d", want, n)
}

// SplitList splits comma-separated flag values, as etcdctl does for --endpoints.
func SplitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}
