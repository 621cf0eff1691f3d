package diagcmd

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
)

func diagnoseAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return clix.Usage("run 'etcd-diag --help' for usage", "unknown command %q", c.Args().First())
	}
	format, err := clix.Format(c)
	if err != nil {
		return err
	}
	if isFleet(c) {
		return fleetAction(c, format)
	}
	in, err := input(c)
	if err != nil {
		return err
	}
	report := diag.Diagnose(c.Context, in)
	if format == "json" {
		if err := clix.WriteJSON(c.App.Writer, report); err != nil {
			return err
		}
	} else {
		render(c.App.Writer, report, clix.Painter{On: clix.Color(c.App.Writer)}, in.Timeout)
	}
	if !report.Healthy {
		return &clix.ExitError{Code: clix.ExitFailure}
	}
	return nil
}

// cannotRun is a setup failure: exit 2, as for usage errors.
func cannotRun(err error, hint string) error {
	return clix.WithCode(err, clix.ExitUsage, hint)
}

// input builds the diagnosis input from a context (--context, else
// $ETCD_CTX, else the current one), explicit flags, or a context with some
// parts overridden by flags.
func input(c *cli.Context) (diag.Input, error) {
	in, err := baseInput(c)
	if err != nil {
		return in, err
	}
	var spec contexts.Spec
	if !c.IsSet("endpoints") || c.IsSet("context") {
		s, err := ctxflags.Select(c, "")
		switch {
		case err == nil:
			spec = s
		case errors.Is(err, contexts.ErrNoCurrent) && !c.IsSet("context"):
			// explicit flags alone, or nothing to diagnose (below)
		default:
			return in, cannotRun(err, "")
		}
	}
	if err := ctxflags.ApplyConn(c, &spec, ctxflags.ConnOptions{}); err != nil {
		return in, cannotRun(err, "")
	}
	if len(spec.Endpoints) == 0 {
		return in, clix.Usage("give --context NAME or --endpoints https://HOST:2379 [--cacert …]", "nothing to diagnose")
	}
	setContext(&in, spec)
	return in, nil
}

// baseInput is what the flags ask of every diagnosis, whatever it is about.
func baseInput(c *cli.Context) (diag.Input, error) {
	in := diag.Input{Timeout: c.Duration("timeout"), KeyPath: c.String("key-path"), Prefix: c.Bool("prefix"), Admin: c.Bool("admin")}
	if in.Prefix && in.KeyPath == "" {
		return in, clix.Usage("e.g. --key-path /app/ --prefix", "--prefix needs --key-path")
	}
	warn, err := certwiz.ParseDays(c.String("warn"))
	if err != nil || warn <= 0 {
		return in, clix.Usage("e.g. --warn 30d (or 720h)", "--warn %q: expected a positive duration such as 30d or 720h", c.String("warn"))
	}
	in.Warn = warn
	return in, nil
}

// openConfig reads the etcd-ctx config file the flags name, for a run
// over many contexts.
func openConfig(c *cli.Context) (*contexts.Store, *contexts.Config, error) {
	store, cfg, err := ctxflags.Config(c)
	if err != nil {
		return nil, nil, cannotRun(err, "")
	}
	return store, cfg, nil
}

// loadContext reads context name of cfg (its files or keyring items) into
// in, for a run over many contexts.
func loadContext(store *contexts.Store, cfg *contexts.Config, name string, in *diag.Input) error {
	spec, err := store.Resolve(cfg, name)
	if err != nil {
		return cannotRun(err, "") // keyring and file errors carry their own hint
	}
	setContext(in, spec)
	return nil
}

// setContext puts a context's settings into in, with where each piece of
// material came from.
func setContext(in *diag.Input, spec contexts.Spec) {
	in.Context = spec.Name
	in.Settings = spec.Settings()
	in.Sources = diag.Sources{CA: spec.CA.Source(), Cert: spec.Cert.Source(), Key: spec.Key.Source()}
}
