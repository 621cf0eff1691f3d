// Package diagcmd is the command-line layer of etcd-diag: one file per
// subcommand, wiring flags to the diag package.
package diagcmd

import (
	"io"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/completion"
	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
)

// Name is the program name used in messages.
const Name = "etcd-diag"

// Run runs etcd-diag with args (args[0] is the program name) and returns the
// exit code: 0 healthy, 1 problems found, 2 usage error or could not run.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return clix.Run(NewApp(), args, stdin, stdout, stderr)
}

// NewApp builds the command tree (also used to generate completion and man pages).
func NewApp() *cli.App {
	app := clix.NewApp(Name, "name the real cause of etcd connection, TLS, auth and cluster failures, with the fix")
	app.Description = "Diagnoses an etcd-ctx context (--context, default the current one) or explicit etcdctl-style flags.\n" +
		"Local checks first (files, keys, usages, validity), then per endpoint in parallel: DNS, TCP, TLS\n" +
		"(handshake done by etcd-diag itself), gRPC, etcd status, authentication and optional key access,\n" +
		"then the cluster view: the member list checked (each advertised client URL dialled, each peer\n" +
		"certificate read by a handshake), leader, alarms, versions.\n\n" +
		"Exit status: 0 healthy, 1 problems found, 2 usage error or could not run."
	app.Flags = slices.Concat(contextFlags(), ctxflags.ConnFlags(), []cli.Flag{
		&cli.StringFlag{Name: "key-path", Usage: "check read access to this key"},
		&cli.BoolFlag{Name: "prefix", Usage: "with --key-path: check the whole prefix"},
		&cli.BoolFlag{Name: "admin", Usage: "check that the identity may make admin calls (defrag, snapshot, member operations: the root role)"},
	}, probeFlags(), fleetFlags(), []cli.Flag{
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "with --all-contexts or --contexts: each context's checklist and findings before the summary"},
		clix.OutputFlag("text", "json"),
		// -v is --verbose here (as in kubectl); --version has no short form.
		&cli.BoolFlag{Name: "version", Usage: "print the version"},
	})
	app.HideVersion = true
	app.Before = func(c *cli.Context) error {
		if c.Bool("version") {
			cli.VersionPrinter(c)
			return &clix.ExitError{Code: clix.ExitOK}
		}
		return nil
	}
	app.Action = diagnoseAction
	app.Commands = []*cli.Command{certsCommand(), serveCommand(), explainCommand(), completionCommand(), completeCommand()}
	clix.SetMeta(app, completion.CompleteCommandName, clix.CommandMeta{DefaultSignals: true}) // reads only
	return app
}

// contextFlags name the etcd-ctx context and config file.
func contextFlags() []cli.Flag {
	return []cli.Flag{ctxflags.ContextFlag("etcd-ctx context to diagnose"), ctxflags.ConfigFlag()}
}

// probeFlags are the deadline and the expiry window of every diagnosis.
func probeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.DurationFlag{Name: "timeout", Value: diag.DefaultTimeout, Usage: "time allowed per endpoint probe (one deadline per context)",
			Action: func(_ *cli.Context, d time.Duration) error {
				if d <= 0 {
					return clix.Usage("give how long to wait for each member, e.g. --timeout 5s", "--timeout must be positive, not %s", d)
				}
				return nil
			}},
		&cli.StringFlag{Name: "warn", Value: "30d", Usage: "warn about certificates expiring within this window and their last third of lifetime (30d, 720h)"},
	}
}
