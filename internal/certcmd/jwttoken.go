package certcmd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

func jwtTokenCommand() *cli.Command {
	return &cli.Command{
		Name:  "jwt-token",
		Usage: "mint a token etcd's jwt provider accepts (for etcdctl --auth-jwt-token or etcd-ctx add --token-stdin)",
		Description: "The token carries etcd's auth revision; etcd refuses tokens older than its current one, so\n" +
			"the revision is read from the cluster through an etcd-ctx context (--context), or given with\n" +
			"--revision N. Through --context it comes from AuthStatus (etcd 3.5+; 3.5 and 3.6 answer it for\n" +
			"the root role only); etcd 3.4 has no AuthStatus, and there (or for a non-root user) it is the\n" +
			"\"revision\" claim of the token etcd issues when the context's user logs in with its password.\n" +
			"By hand: 'etcdctl auth status' (3.5+) prints it; on 3.4, decode the middle part of a token from\n" +
			"POST /v3/auth/authenticate (base64). Tokens minted before a later user or role change stop\n" +
			"working: mint a new one.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "user", Usage: "etcd user name the token stands for", Required: true},
			&cli.DurationFlag{Name: "ttl", Value: time.Hour, Usage: "lifetime of the token"},
			&cli.StringFlag{Name: "key", Usage: "signing key from jwt-keys", DefaultText: filepath.Join(certwiz.DefaultOut, certwiz.JWTKeyFile), TakesFile: true},
			ctxflags.ContextFlag("etcd-ctx context to read the auth revision from"),
			&cli.Uint64Flag{Name: "revision", Usage: "auth revision to put in the token instead of asking the cluster", DefaultText: "read through --context"},
			ctxflags.ConfigFlag(),
		},
		Action: jwtTokenAction,
	}
}

func jwtTokenAction(c *cli.Context) error {
	if err := clix.NoArgs(c); err != nil {
		return err
	}
	if c.Duration("ttl") <= 0 {
		return clix.Usage("e.g. --ttl 1h", "--ttl must be positive")
	}
	if c.String("user") == "" {
		return clix.Usage("e.g. --user app: the etcd user the token stands for", "--user must not be empty")
	}
	if c.IsSet("revision") && c.Uint64("revision") == 0 {
		return clix.Usage("leave --revision out to read it through --context; etcd's auth revisions start at 1", "--revision must be at least 1")
	}
	keyFile := c.String("key")
	if keyFile == "" {
		keyFile = filepath.Join(certwiz.DefaultOut, certwiz.JWTKeyFile)
	}
	data, err := fileio.Read(keyFile)
	if errors.Is(err, fs.ErrNotExist) {
		return clix.Wrap(err, "create the key pair with 'etcd-certwiz jwt-keys', or pass --key FILE")
	}
	if err != nil {
		return err
	}
	key, err := pki.ParseKey(data)
	if err != nil {
		return clix.Fail("--key must be the private key from jwt-keys (etcd's priv-key)", "%s: %w", keyFile, err)
	}
	rev, err := authRevision(c)
	if err != nil {
		return err
	}
	token, err := certwiz.MintToken(key, certwiz.Token{User: c.String("user"), Revision: rev, Expires: time.Now().Add(c.Duration("ttl"))})
	if err != nil {
		return err
	}
	clix.Println(c.App.Writer, token)
	return nil
}

// authRevision is --revision, or the cluster's auth revision read through --context.
func authRevision(c *cli.Context) (uint64, error) {
	if c.IsSet("revision") {
		return c.Uint64("revision"), nil
	}
	if !c.IsSet("context") {
		return 0, clix.Usage("pass --context ADMIN_CTX to read it from the cluster, or --revision N ('etcdctl auth status' shows it)",
			"the token needs etcd's auth revision")
	}
	spec, err := ctxflags.Select(c, "")
	if err != nil {
		return 0, err
	}
	cli, err := dial(spec)
	if err != nil {
		return 0, err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(c.Context, 10*time.Second)
	defer cancel()
	st, err := cli.AuthStatus(ctx)
	switch {
	case err == nil:
		if !st.Enabled {
			warnAuthDisabled(c)
		}
		return max(st.AuthRevision, 1), nil
	case status.Code(err) == codes.Unimplemented:
		why := "this etcd server has no AuthStatus RPC (etcd 3.4 and older)"
		if v := serverVersion(ctx, cli); v != "" {
			why = "etcd " + v + " has no AuthStatus RPC (added in 3.5)"
		}
		return loginRevision(ctx, c, cli, spec, why)
	case errors.Is(rpctypes.Error(err), rpctypes.ErrPermissionDenied):
		return loginRevision(ctx, c, cli, spec, "etcd refused AuthStatus to context "+spec.Name+"'s user (etcd 3.5 and 3.6 answer it for the root role only)")
	case errors.Is(rpctypes.Error(err), rpctypes.ErrUserEmpty):
		// Auth is on and the context authenticates as nobody (no
		// password, no client certificate's CN under --client-cert-auth).
		return loginRevision(ctx, c, cli, spec, "with authentication on, etcd answers AuthStatus only to an authenticated user")
	}
	return 0, clix.Fail("check the context with 'etcd-ctx ping "+spec.Name+"'", "reading the auth revision: %w", err)
}

func warnAuthDisabled(c *cli.Context) {
	fmt.Fprintln(c.App.ErrWriter, "warning: authentication is not enabled on this cluster; etcd ignores tokens until 'etcdctl auth enable'")
}

func serverVersion(ctx context.Context, cli *clientv3.Client) string {
	for _, ep := range cli.Endpoints() {
		if st, err := cli.Status(ctx, ep); err == nil {
			return st.Version
		}
	}
	return ""
}

// loginRevision reads the auth revision where AuthStatus does not answer
// (why): etcd puts its current auth revision in the "revision" claim of
// every JWT it issues on Authenticate (server/auth/jwt.go), so the
// context's user logs in with its password and the claim is read.
func loginRevision(ctx context.Context, c *cli.Context, cli *clientv3.Client, spec contexts.Spec, why string) (uint64, error) {
	byHand := "pass --revision N: the \"revision\" claim of a token etcd issues on login (the middle, base64 part of the token POST /v3/auth/authenticate returns)"
	if spec.Username == "" || spec.Password == "" {
		return 0, clix.Fail("use a context with a user and password (etcd-certwiz then logs in and reads the revision from the token etcd issues), or "+byHand,
			"cannot read the auth revision: %s, and context %s has no user and password to log in with", why, spec.Name)
	}
	resp, err := cli.Authenticate(ctx, spec.Username, spec.Password)
	switch {
	case errors.Is(rpctypes.Error(err), rpctypes.ErrAuthNotEnabled):
		warnAuthDisabled(c)
		return 1, nil
	case err != nil:
		return 0, clix.Fail("check the context with 'etcd-diag --context "+spec.Name+"', or "+byHand,
			"reading the auth revision: %s; logging in as %s to read it from a token failed: %w", why, spec.Username, err)
	}
	rev, err := certwiz.TokenRevision(resp.Token)
	if err != nil {
		return 0, clix.Fail("etcd accepts the tokens jwt-token mints only with --auth-token jwt,… (etcd-certwiz jwt-keys prints the flag)",
			"reading the auth revision: %s, and the token etcd issued to %s is not a JWT (%v): the cluster does not use the jwt token provider", why, spec.Username, err)
	}
	return max(rev, 1), nil
}
