package ctxcmd

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
)

func execCommand() *cli.Command {
	return &cli.Command{
		Name:      "exec",
		Usage:     "run a command with the context's ETCDCTL_* credentials (key material never on disk or in argv)",
		ArgsUsage: "-- CMD [ARGS...]",
		Flags:     []cli.Flag{ctxflags.ConfigFlag(), contextFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return clix.Usage("e.g. etcd-ctx exec -- etcdctl get --prefix /", "no command given")
			}
			return run(c, "", c.Args().Slice())
		},
	}
}

func etcdctlCommand() *cli.Command {
	return &cli.Command{
		Name:            "etcdctl",
		Usage:           "shortcut for 'exec -- etcdctl ARGS...'",
		ArgsUsage:       "[ETCDCTL ARGS...]",
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			name, args, err := leadingContext(c, c.Args().Slice())
			if err != nil {
				return err
			}
			return run(c, name, append([]string{"etcdctl"}, args...))
		},
	}
}

// leadingContext takes --context NAME (or --context=NAME) from the front
// of etcdctl's arguments, where a user writes it out of habit (etcd-ctx
// etcdctl --context lab get k): etcdctl has no such flag and would print
// its whole usage. Given twice with two names, it is a usage error.
func leadingContext(c *cli.Context, args []string) (string, []string, error) {
	name := ""
	for len(args) > 0 {
		var v string
		switch {
		case args[0] == "--context" && len(args) > 1:
			v, args = args[1], args[2:]
		case strings.HasPrefix(args[0], "--context="):
			v, args = strings.TrimPrefix(args[0], "--context="), args[1:]
		default:
			return checkOneContext(c, name, args)
		}
		if name != "" && v != name {
			return "", nil, clix.Usage("name the context once", "two contexts given: %q and %q", name, v)
		}
		name = v
	}
	return checkOneContext(c, name, args)
}

func checkOneContext(c *cli.Context, name string, args []string) (string, []string, error) {
	if flag := ctxflags.Lookup(c, "context"); name != "" && flag != "" && flag != name {
		return "", nil, clix.Usage("name the context once", "two contexts given: --context %q and %q after etcdctl", flag, name)
	}
	return name, args, nil
}

// ExitNotFound is exec's status when the command is not on PATH, as a
// shell's.
const ExitNotFound = 127

// run executes argv with context name (the selected one when empty); the
// command's exit status becomes ours.
func run(c *cli.Context, name string, argv []string) error {
	spec, err := ctxflags.Select(c, name)
	if err != nil {
		return err
	}
	if v, ok := os.LookupEnv(contexts.EnvAPI); ok && v != "3" {
		fmt.Fprintf(c.App.ErrWriter, "%s: warning: %s=%s dropped: etcdctl 3.4+ speaks the v3 API by default, and under ETCDCTL_API=2 etcdctl 3.4 ignores the context's CA and credentials\n", c.App.Name, contexts.EnvAPI, v)
	}
	code, err := contexts.Exec(spec, argv)
	var notFound *contexts.NotFoundCmdError
	switch {
	case errors.As(err, &notFound):
		// As a shell says it: 127, so scripts tell it from the
		// command's own failure.
		return clix.WithCode(err, ExitNotFound, "")
	case err != nil:
		return err
	}
	return &clix.ExitError{Code: code}
}
