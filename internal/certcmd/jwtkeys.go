package certcmd

import (
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

func jwtKeysCommand() *cli.Command {
	return &cli.Command{
		Name:  "jwt-keys",
		Usage: "create a token-signing key pair (OUT/jwt.key, OUT/jwt.pub) and print etcd's --auth-token flag",
		Flags: []cli.Flag{outFlag(), keyTypeFlag(), forceFlag(),
			&cli.DurationFlag{Name: "ttl", Usage: "token lifetime etcd gives on Authenticate (ttl= in --auth-token)", DefaultText: "none given: etcd's own, 5m"},
		},
		Action: jwtKeysAction,
	}
}

func jwtKeysAction(c *cli.Context) error {
	if err := clix.NoArgs(c); err != nil {
		return err
	}
	kt, err := keyType(c)
	if err != nil {
		return err
	}
	keys, err := certwiz.NewJWTKeys(kt)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(c.String("out"))
	if err != nil {
		return err
	}
	if err := write(c, keys.Files(dir)); err != nil {
		return err
	}
	flag := certwiz.AuthTokenFlag(filepath.Join(dir, certwiz.JWTPubFile), filepath.Join(dir, certwiz.JWTKeyFile), keys.Method, c.Duration("ttl"))
	fmt.Fprintln(c.App.ErrWriter, "Give every member both files and this flag; mint tokens with 'etcd-certwiz jwt-token --key "+filepath.Join(dir, certwiz.JWTKeyFile)+" --user U':")
	clix.Println(c.App.Writer, "--auth-token "+flag)
	return nil
}
