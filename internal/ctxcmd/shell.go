package ctxcmd

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
)

func shellCommand() *cli.Command {
	return &cli.Command{
		Name:      "shell",
		Usage:     "start $SHELL with the context's ETCDCTL_* environment (and ETCD_CTX set for this shell only)",
		ArgsUsage: "[NAME]",
		Flags:     []cli.Flag{ctxflags.ConfigFlag(), contextFlag()},
		Action: func(c *cli.Context) error {
			name, err := namedContext(c)
			if err != nil {
				return err
			}
			spec, err := ctxflags.Select(c, name)
			if err != nil {
				return err
			}
			sh := os.Getenv("SHELL")
			if sh == "" {
				sh = "/bin/sh"
			}
			fmt.Fprintf(c.App.ErrWriter, "Starting %s with context %q; exit to leave.\n", sh, spec.Name)
			code, err := contexts.Exec(spec, []string{sh})
			if err != nil {
				return err
			}
			return &clix.ExitError{Code: code}
		},
	}
}
