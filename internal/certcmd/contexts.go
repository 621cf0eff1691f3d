package certcmd

import (
	"errors"

	"github.com/urfave/cli/v2"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/conn"
	"github.com/etcd-ctx/etcd-ctx/internal/v3client"
)

// Helpers for the commands that talk to a cluster through an etcd-ctx
// context (jwt-token, user). They mirror etcd-ctx's own flags.

func configFlag() cli.Flag {
	return &cli.StringFlag{Name: "config", Usage: "etcd-ctx config file (default $" + contexts.EnvConfig + ", else etcd-ctx's default)", TakesFile: true}
}

func openStore(c *cli.Context) (*contexts.Store, error) {
	path := c.String("config")
	if path == "" {
		var err error
		if path, err = contexts.DefaultPath(); err != nil {
			return nil, clix.Wrap(err, "pass --config FILE")
		}
	}
	return &contexts.Store{File: contexts.File{Path: path}, Keyring: contexts.NewOSKeyring()}, nil
}

// loadSpec reads the named context (or the current one when name is "").
func loadSpec(c *cli.Context, name string) (contexts.Spec, error) {
	store, err := openStore(c)
	if err != nil {
		return contexts.Spec{}, err
	}
	cfg, err := store.Load()
	if err != nil {
		return contexts.Spec{}, ctxError(err)
	}
	if name, err = contexts.Selected(cfg, name); err != nil {
		return contexts.Spec{}, ctxError(err)
	}
	spec, err := store.Spec(cfg, name)
	return spec, ctxError(err)
}

// dial connects with a context's credentials.
func dial(spec contexts.Spec) (*clientv3.Client, error) {
	cfg, err := v3client.Config(spec.Settings())
	if err != nil {
		return nil, ctxError(err)
	}
	cli, err := clientv3.New(cfg)
	if err != nil {
		return nil, clix.Wrap(err, "check the context with 'etcd-ctx ping "+spec.Name+"' (or 'etcd-diag')")
	}
	return cli, nil
}

func ctxError(err error) error {
	if err == nil {
		return nil
	}
	var (
		input *conn.InputError
	)
	switch {
	case errors.Is(err, contexts.ErrNoCurrent):
		return clix.Wrap(err, "pass --context NAME (an etcd-ctx context)")
	case errors.As(err, &input):
		return clix.Wrap(err, "fix the context with 'etcd-ctx set …'")
	}
	return clix.Wrap(err, "")
}
