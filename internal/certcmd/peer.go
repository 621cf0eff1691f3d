package certcmd

import (
	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

func peerCommand() *cli.Command {
	return &cli.Command{
		Name:      "peer",
		Usage:     "issue a member's peer certificate (serverAuth + clientAuth) into OUT/NAME/peer.crt, signed by peer-ca.crt if present",
		ArgsUsage: "NAME",
		Flags:     leafFlags(hostsFlag("the addresses other members reach this one at (its peer URL hosts), comma-separated; NAME is added")),
		Action:    peerAction,
	}
}

func peerAction(c *cli.Context) error {
	if err := clix.Args(c, 1, 1); err != nil {
		return err
	}
	name := c.Args().First()
	if err := certwiz.ValidName("member", name); err != nil {
		return clix.Usage("a member name is one DNS label, e.g. etcd-0", "%w", err)
	}
	hosts, err := memberHosts(c, []string{name})
	if err != nil {
		return err
	}
	req := certwiz.Request{Role: certwiz.RolePeer, CommonName: name, DNS: hosts.DNS, IPs: hosts.IPs}
	return issueLeaf(c, req, certwiz.Layout{Dir: c.String("out")}.Peer(name))
}
