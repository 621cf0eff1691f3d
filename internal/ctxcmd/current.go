package ctxcmd

import (
	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
)

// currentCommand prints the selected context. It runs on every shell prompt,
// so it reads only the state file beside the config (the config itself only
// after it changed): no keyring, no network.
func currentCommand() *cli.Command {
	return &cli.Command{
		Name:  "current",
		Usage: "print the current context ($" + "ETCD_CTX overrides it in this shell)",
		Flags: []cli.Flag{ctxflags.ConfigFlag()},
		Action: func(c *cli.Context) error {
			if err := clix.NoArgs(c); err != nil {
				return err
			}
			store, err := ctxflags.Store(c)
			if err != nil {
				return err
			}
			name, err := store.File.Selected(ctxflags.Lookup(c, "context"))
			if err != nil {
				return ctxflags.NoCurrentHint(err)
			}
			clix.Println(c.App.Writer, name)
			return nil
		},
	}
}
