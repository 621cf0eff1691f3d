package certcmd

import (
	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

func clientCommand() *cli.Command {
	return &cli.Command{
		Name:      "client",
		Usage:     "issue a client certificate (clientAuth; etcd takes its CN as the user) into OUT/clients/NAME.crt",
		ArgsUsage: "NAME",
		Flags: leafFlags(
			&cli.StringFlag{Name: "cn", Usage: "common name = etcd user name", DefaultText: "NAME"},
			&cli.StringSliceFlag{Name: "org", Usage: "organization (O), repeatable"},
		),
		Action: clientAction,
	}
}

func clientAction(c *cli.Context) error {
	if err := clix.Args(c, 1, 1); err != nil {
		return err
	}
	name := c.Args().First()
	if err := certwiz.ValidName("client", name); err != nil {
		return clix.Usage("a client name is a file name: letters, digits and hyphens", "%w", err)
	}
	cn := name
	if c.IsSet("cn") {
		cn = c.String("cn")
	}
	req := certwiz.Request{Role: certwiz.RoleClient, CommonName: cn, Org: c.StringSlice("org")}
	return issueLeaf(c, req, certwiz.Layout{Dir: c.String("out")}.Client(name))
}
