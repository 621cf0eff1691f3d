package certcmd

import (
	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

func serverCommand() *cli.Command {
	return &cli.Command{
		Name:      "server",
		Usage:     "issue a member's server certificate (serverAuth + clientAuth) into OUT/NAME/server.crt",
		ArgsUsage: "NAME",
		Flags: leafFlags(
			hostsFlag("the member's IPs and DNS names, comma-separated (NAME, localhost, 127.0.0.1 and ::1 are added)"),
			&cli.BoolFlag{Name: "no-localhost", Usage: "do not add localhost, 127.0.0.1 and ::1"},
		),
		Action: serverAction,
	}
}

func serverAction(c *cli.Context) error {
	if err := clix.Args(c, 1, 1); err != nil {
		return err
	}
	name := c.Args().First()
	if err := certwiz.ValidName("member", name); err != nil {
		return clix.Usage("a member name is one DNS label, e.g. etcd-0", "%w", err)
	}
	extra := []string{name}
	if !c.Bool("no-localhost") {
		extra = append(extra, certwiz.LocalHosts...)
	}
	hosts, err := memberHosts(c, extra)
	if err != nil {
		return err
	}
	req := certwiz.Request{Role: certwiz.RoleServer, CommonName: name, DNS: hosts.DNS, IPs: hosts.IPs}
	return issueLeaf(c, req, certwiz.Layout{Dir: c.String("out")}.Server(name))
}

// memberHosts parses --hosts (required) and adds extra.
func memberHosts(c *cli.Context, extra []string) (certwiz.Hosts, error) {
	if len(c.StringSlice("hosts")) == 0 {
		return certwiz.Hosts{}, clix.Usage("e.g. --hosts 10.0.1.10,etcd-0.example.internal", "--hosts is required: the addresses clients and peers use to reach this member")
	}
	hosts, err := certwiz.ParseHosts(c.StringSlice("hosts")...)
	if err != nil {
		return certwiz.Hosts{}, clix.UsageOn[*certwiz.HostError](err)
	}
	more, _ := certwiz.ParseHosts(extra...)
	hosts.Merge(more)
	return hosts, nil
}
