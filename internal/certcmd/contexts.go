package certcmd

import (
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/v3client"
)

// The commands that act on a cluster (user, jwt-token, rbac) do it through
// an etcd-ctx context: --context and --config (ctxflags), loaded by
// ctxflags.Select like every other command of the suite.

// dial connects with a context's credentials.
func dial(spec contexts.Spec) (*clientv3.Client, error) {
	cfg, err := v3client.Config(spec.Settings())
	if err != nil {
		return nil, err
	}
	cli, err := clientv3.New(cfg)
	if err != nil {
		return nil, clix.Wrap(err, "check the context with 'etcd-ctx ping "+spec.Name+"' (or 'etcd-diag')")
	}
	return cli, nil
}
