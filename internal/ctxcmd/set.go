package ctxcmd

import (
	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
)

func setCommand() *cli.Command {
	return &cli.Command{
		Name:      "set",
		Usage:     "change parts of an existing context (only the flags given)",
		ArgsUsage: "NAME",
		Flags:     specFlags(),
		Action:    setAction,
	}
}

func setAction(c *cli.Context) error {
	if err := clix.Args(c, 1, 1); err != nil {
		return err
	}
	store, cfg, err := ctxflags.Config(c)
	if err != nil {
		return err
	}
	spec, err := store.Resolve(cfg, c.Args().First())
	if err != nil {
		return err
	}
	if !c.IsSet("store") && spec.KeepPaths {
		_ = c.Set("store", "path")
	}
	if err := applyFlags(c, &spec); err != nil {
		return err
	}
	return save(c, spec, contexts.SaveOptions{Replace: true}, "Updated")
}
