package certcmd

import (
	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

func caCommand() *cli.Command {
	return &cli.Command{
		Name:  "ca",
		Usage: "create a CA (ca.crt/ca.key, or peer-ca.crt/peer-ca.key with --peer)",
		Flags: []cli.Flag{outFlag(), caDirFlag(), keyTypeFlag(), daysFlag(certwiz.DefaultCADays), forceFlag(),
			&cli.BoolFlag{Name: "peer", Usage: "create the separate peer CA (recommended: a client certificate then never passes as a peer)"},
			&cli.StringFlag{Name: "cn", Usage: "common name", DefaultText: `"etcd CA", or "etcd peer CA" with --peer`},
		},
		Action: caAction,
	}
}

func caAction(c *cli.Context) error {
	if err := clix.NoArgs(c); err != nil {
		return err
	}
	kt, err := keyType(c)
	if err != nil {
		return err
	}
	cn, file := "etcd CA", "ca.crt"
	if c.Bool("peer") {
		cn, file = "etcd peer CA", "peer-ca.crt"
	}
	if c.IsSet("cn") {
		cn = c.String("cn")
	}
	ca, err := certwiz.NewCA(cn, kt, c.Int("days"))
	if err != nil {
		return err
	}
	return write(c, certwiz.PairFiles(joinDir(caDir(c), file), ca))
}
