package diagcmd

import (
	"errors"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
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

// input builds the diagnosis input from a context, explicit flags, or a
// context with some parts overridden by flags.
func input(c *cli.Context) (diag.Input, error) {
	in, err := baseInput(c)
	if err != nil {
		return in, err
	}
	explicit := c.IsSet("endpoints")
	if !explicit || c.IsSet("context") {
		if err := fromContext(c, &in, explicit); err != nil {
			return in, err
		}
	}
	if err := overlay(c, &in); err != nil {
		return in, err
	}
	if len(in.Settings.Endpoints) == 0 {
		return in, clix.Usage("give --context NAME or --endpoints https://HOST:2379 [--cacert …]", "nothing to diagnose")
	}
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

// openConfig opens the etcd-ctx config file the flags name.
func openConfig(c *cli.Context) (*contexts.Store, *contexts.Config, error) {
	store, err := contexts.Open(c.String("config"))
	if err != nil {
		return nil, nil, cannotRun(err, "")
	}
	cfg, err := store.Load()
	if err != nil {
		return nil, nil, cannotRun(err, "fix the etcd-ctx config file, or pass --endpoints and the TLS flags")
	}
	return store, cfg, nil
}

func fromContext(c *cli.Context, in *diag.Input, optional bool) error {
	store, cfg, err := openConfig(c)
	if err != nil {
		return err
	}
	name, err := contexts.Selected(cfg, c.String("context"))
	if err != nil {
		if optional || (errors.Is(err, contexts.ErrNoCurrent) && !c.IsSet("context")) {
			return nil
		}
		return cannotRun(err, "")
	}
	return loadContext(store, cfg, name, in)
}

// loadContext reads context name (its files or keyring items) into in: the
// one way etcd-diag loads a context, for one diagnosis or many.
func loadContext(store *contexts.Store, cfg *contexts.Config, name string, in *diag.Input) error {
	spec, err := store.Spec(cfg, name)
	if err != nil {
		return cannotRun(err, "") // keyring and file errors carry their own hint
	}
	in.Context = name
	in.Settings = spec.Settings()
	in.Sources = diag.Sources{CA: source(spec.CA), Cert: source(spec.Cert), Key: source(spec.Key)}
	return nil
}

func source(m contexts.Material) string {
	switch {
	case m.Path != "":
		return m.Path
	case len(m.PEM) > 0:
		return "keyring"
	}
	return ""
}

// overlay applies explicit flags on top of the context (or of nothing).
func overlay(c *cli.Context, in *diag.Input) error {
	s := &in.Settings
	if c.IsSet("endpoints") {
		s.Endpoints = clix.SplitList(c.StringSlice("endpoints"))
	}
	read := func(flag string, dst *[]byte, src *string) error {
		if !c.IsSet(flag) {
			return nil
		}
		data, err := os.ReadFile(c.String(flag))
		if err != nil {
			return cannotRun(err, "check the path given to --"+flag)
		}
		*dst, *src = data, c.String(flag)
		return nil
	}
	if err := read("cacert", &s.CA, &in.Sources.CA); err != nil {
		return err
	}
	if err := read("cert", &s.Cert, &in.Sources.Cert); err != nil {
		return err
	}
	if err := read("key", &s.Key, &in.Sources.Key); err != nil {
		return err
	}
	if c.IsSet("server-name") {
		s.ServerName = c.String("server-name")
	}
	if c.IsSet("insecure-skip-tls-verify") {
		s.InsecureSkipVerify = c.Bool("insecure-skip-tls-verify")
	}
	if c.Bool("password-stdin") && c.Bool("token-stdin") {
		return clix.Usage("", "--password-stdin and --token-stdin are exclusive")
	}
	if c.IsSet("user") {
		s.Username, s.Password, s.Token = c.String("user"), "", ""
	}
	if c.Bool("password-stdin") {
		if s.Username == "" {
			return clix.Usage("give --user with --password-stdin", "--password-stdin needs a user")
		}
		pw, err := clix.ReadSecret(c.App.Reader)
		if err != nil {
			return err
		}
		s.Password = pw
	}
	if c.Bool("token-stdin") {
		tok, err := clix.ReadSecret(c.App.Reader)
		if err != nil {
			return err
		}
		s.Token, s.Username, s.Password = tok, "", ""
	}
	return nil
}
