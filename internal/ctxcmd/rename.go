package ctxcmd

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

func renameCommand() *cli.Command {
	return &cli.Command{
		Name:      "rename",
		Usage:     "rename a context (its keyring items move with it)",
		ArgsUsage: "OLD NEW",
		Flags:     []cli.Flag{configFlag()},
		Action: func(c *cli.Context) error {
			if err := clix.Args(c, 2, 2); err != nil {
				return err
			}
			store, err := openStore(c)
			if err != nil {
				return explain(err)
			}
			from, to := c.Args().Get(0), c.Args().Get(1)
			if err := store.Rename(from, to); err != nil {
				return explain(err)
			}
			fmt.Fprintf(c.App.ErrWriter, "Renamed context %q to %q.\n", from, to)
			return nil
		},
	}
}
