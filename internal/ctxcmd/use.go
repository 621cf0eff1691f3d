package ctxcmd

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
)

func useCommand() *cli.Command {
	return &cli.Command{
		Name:      "use",
		Usage:     "switch to a context (- for the previous one)",
		ArgsUsage: "NAME | -",
		Flags:     []cli.Flag{ctxflags.ConfigFlag()},
		Action: func(c *cli.Context) error {
			if err := clix.Args(c, 1, 1); err != nil {
				return err
			}
			return switchTo(c, c.Args().First())
		},
	}
}

// switchTo makes name (or the previous context for "-") current and says so
// on stderr, keeping stdout for data.
func switchTo(c *cli.Context, name string) error {
	store, err := ctxflags.Store(c)
	if err != nil {
		return err
	}
	switched, err := store.Use(name)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "Switched to context %q.\n", switched)
	return nil
}
