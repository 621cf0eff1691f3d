package certcmd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
	"github.com/etcd-ctx/etcd-ctx/internal/v3client"
	"github.com/etcd-ctx/etcd-ctx/rbac"
)

// etcd-certwiz rbac: the access model as a file. One file per operation:
// rbac_export.go, rbac_plan.go (plan and apply), rbac_query.go (who-can and
// explain).
func rbacCommand() *cli.Command {
	return &cli.Command{
		Name:  "rbac",
		Usage: "users, roles and their certificates as code: export, plan, apply, who-can, explain",
		Description: "The access model of a cluster (auth on or off, roles with their permissions, users with their roles,\n" +
			"passwords and client certificates) as a YAML file you review and apply. 'rbac export' prints the live model\n" +
			"in the file format; 'rbac plan FILE' shows the changes that make the cluster match FILE; 'rbac apply FILE'\n" +
			"makes them. who-can and explain answer with etcd's own coverage rules.",
		Subcommands: []*cli.Command{rbacExportCommand(), rbacPlanCommand(), rbacApplyCommand(), rbacWhoCanCommand(), rbacExplainCommand()},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return cli.ShowSubcommandHelp(c)
			}
			return clix.Usage("run 'etcd-certwiz rbac --help' to list them: export, plan, apply, who-can, explain", "unknown rbac command %q", c.Args().First())
		},
	}
}

func contextFlag() cli.Flag {
	return ctxflags.ContextFlag("etcd-ctx context acting as a user with the root role")
}

func pkiFlag(usage string) cli.Flag {
	return &cli.StringFlag{Name: "pki", Usage: usage, TakesFile: true}
}

// rbacTimeout bounds one command's calls to the cluster.
const rbacTimeout = 60 * time.Second

// session is a connection through an etcd-ctx context.
type session struct {
	spec contexts.Spec
	cli  *clientv3.Client
}

func connect(c *cli.Context) (*session, error) {
	spec, err := ctxflags.Select(c, "")
	if err != nil {
		return nil, err
	}
	cli, err := dial(spec)
	if err != nil {
		return nil, err
	}
	return &session{spec: spec, cli: cli}, nil
}

func (s *session) Close() { s.cli.Close() }

// identity is who the context acts as and, when probe is set, whether the
// server takes certificate CNs (one TLS handshake per endpoint).
func (s *session) identity(ctx context.Context, probe bool) (rbac.Identity, error) {
	id := rbac.IdentityOf(s.spec.Settings())
	if id.Via != rbac.ViaCert || !probe {
		return id, nil
	}
	cfg, err := v3client.Config(s.spec.Settings())
	if err != nil {
		return id, err
	}
	id.CertAuth, err = rbac.ProbeCertAuth(ctx, cfg.Endpoints, cfg.TLS, cfg.DialTimeout)
	if err != nil {
		return id, clix.Wrap(fmt.Errorf("checking whether the server asks for client certificates: %w", err), "check the context with 'etcd-ctx ping "+s.spec.Name+"'")
	}
	return id, nil
}

// readLive reads the cluster's model (see rbac.ReadLive for probe); etcd's
// refusals get their hint.
func (s *session) readLive(ctx context.Context, probe func(string) bool) (*rbac.Model, error) {
	m, err := rbac.ReadLive(ctx, s.cli, probe)
	return m, clusterError(err, s.spec.Name)
}

func clusterError(err error, ctxName string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, rpctypes.ErrPermissionDenied), errors.Is(err, rpctypes.ErrUserEmpty):
		return clix.Wrap(err, "reading and changing users and roles needs the root role: use a context that acts as root ('etcd-ctx show "+ctxName+"' tells which user it is)")
	case errors.Is(err, context.DeadlineExceeded):
		return clix.Wrap(err, "run 'etcd-diag --context "+ctxName+"' to find out why the cluster does not answer")
	}
	return clix.Wrap(err, "")
}

// loadModel reads a file; a bad file is a usage error naming its line.
func loadModel(path string) (*rbac.Model, error) {
	m, err := rbac.Load(path)
	if err != nil {
		return nil, clix.UsageOn[*rbac.FileError](err) // else unreadable or empty: its own hint
	}
	return m, nil
}

func openPKI(c *cli.Context) (*rbac.PKI, error) {
	dir := c.String("pki")
	if dir == "" {
		return nil, nil
	}
	p, err := rbac.OpenPKI(dir, time.Now())
	if err != nil {
		return nil, clix.Wrap(err, "--pki is a PKI directory in etcd-certwiz's layout: ca.crt (and ca.key to issue), clients/NAME.crt")
	}
	return p, nil
}
