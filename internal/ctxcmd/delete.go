package ctxcmd

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
)

func deleteCommand() *cli.Command {
	return &cli.Command{
		Name:      "delete",
		Aliases:   []string{"rm"},
		Usage:     "delete contexts and their keyring items",
		ArgsUsage: "NAME...",
		Flags:     []cli.Flag{ctxflags.ConfigFlag()},
		Action: func(c *cli.Context) error {
			if err := clix.Args(c, 1, -1); err != nil {
				return err
			}
			store, err := ctxflags.Store(c)
			if err != nil {
				return err
			}
			if err := store.Delete(c.Args().Slice()...); err != nil {
				return err
			}
			for _, name := range c.Args().Slice() {
				fmt.Fprintf(c.App.ErrWriter, "Deleted context %q.\n", name)
			}
			return nil
		},
	}
}
