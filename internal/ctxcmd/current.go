package ctxcmd

import (
	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

// currentCommand prints the selected context. It runs on every shell prompt,
// so it reads only the state file beside the config (the config itself only
// after it changed): no keyring, no network.
func currentCommand() *cli.Command {
	return &cli.Command{
		Name:  "current",
		Usage: "print the current context ($" + "ETCD_CTX overrides it in this shell)",
		Flags: []cli.Flag{configFlag()},
		Action: func(c *cli.Context) error {
			if err := clix.NoArgs(c); err != nil {
				return err
			}
			store, err := openStore(c)
			if err != nil {
				return explain(err)
			}
			name, err := store.File.Selected(lookup(c, "context"))
			if err != nil {
				return explain(err)
			}
			clix.Println(c.App.Writer, name)
			return nil
		},
	}
}
