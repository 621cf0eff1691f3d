package ctxcmd

import (
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
)

// specFlags are the flags shared by add and set: the connection flags
// (shared with etcd-diag) and what only a stored context has.
func specFlags() []cli.Flag {
	return slices.Concat([]cli.Flag{ctxflags.ConfigFlag()}, ctxflags.ConnFlags(), []cli.Flag{
		storeFlag(),
		&cli.DurationFlag{Name: "dial-timeout", Usage: "dial timeout (etcdctl's default is 2s)"},
		&cli.StringFlag{Name: "prefix", Usage: "key prefix this context is about (shown; checked by etcd-diag)"},
		&cli.StringFlag{Name: "note", Usage: "free-form note shown by list and show"},
	})
}

func storeFlag() cli.Flag {
	return ctxflags.StoreFlag("where certificates go: keyring (copied, self-contained) or path (referenced files); keys and secrets given as files follow")
}

// applyFlags overlays the flags that were given on spec and validates the
// result.
func applyFlags(c *cli.Context, spec *contexts.Spec) error {
	keep, err := ctxflags.KeepPaths(c)
	if err != nil {
		return err
	}
	spec.KeepPaths = keep
	if err := ctxflags.ApplyConn(c, spec, ctxflags.ConnOptions{Pair: true, Prompt: true}); err != nil {
		return err
	}
	if c.IsSet("dial-timeout") {
		spec.DialTimeout = c.Duration("dial-timeout")
	}
	if c.IsSet("prefix") {
		spec.Prefix = c.String("prefix")
	}
	if c.IsSet("note") {
		spec.Note = c.String("note")
	}
	return contexts.Validate(spec, time.Now())
}
