package ctxcmd

import (
	"errors"
	"fmt"
	"os"

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
			return run(c, c.Args().Slice())
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
			return run(c, append([]string{"etcdctl"}, c.Args().Slice()...))
		},
	}
}

// ExitNotFound is exec's status when the command is not on PATH, as a
// shell's.
const ExitNotFound = 127

// run executes argv with the selected context; the command's exit status
// becomes ours.
func run(c *cli.Context, argv []string) error {
	spec, err := ctxflags.Select(c, "")
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
