package ctxcmd

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
)

func renameCommand() *cli.Command {
	return &cli.Command{
		Name:      "rename",
		Usage:     "rename a context (its keyring items move with it)",
		ArgsUsage: "OLD NEW",
		Flags:     []cli.Flag{ctxflags.ConfigFlag()},
		Action: func(c *cli.Context) error {
			if err := clix.Args(c, 2, 2); err != nil {
				return err
			}
			from, to := c.Args().Get(0), c.Args().Get(1)
			if err := contexts.ValidName(to); err != nil {
				return clix.WithCode(err, clix.ExitUsage, "")
			}
			store, err := ctxflags.Store(c)
			if err != nil {
				return err
			}
			if err := store.Rename(from, to); err != nil {
				return err
			}
			fmt.Fprintf(c.App.ErrWriter, "Renamed context %q to %q.\n", from, to)
			return nil
		},
	}
}
