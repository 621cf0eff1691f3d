package certcmd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
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
			"--revision (etcdctl auth status prints it). Tokens minted before a later user or role change\n" +
			"stop working: mint a new one.",
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
	if err != nil {
		return 0, clix.Fail("check the context with 'etcd-ctx ping "+spec.Name+"'", "reading the auth revision: %w", err)
	}
	if !st.Enabled {
		fmt.Fprintln(c.App.ErrWriter, "warning: authentication is not enabled on this cluster; etcd ignores tokens until 'etcdctl auth enable'")
	}
	return max(st.AuthRevision, 1), nil
}
