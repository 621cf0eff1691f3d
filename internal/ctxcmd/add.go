package ctxcmd

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/conn"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
)

func addCommand() *cli.Command {
	return &cli.Command{
		Name:      "add",
		Usage:     "add a context; files are validated and secrets go to the OS keyring",
		ArgsUsage: "NAME",
		Flags: append(specFlags(),
			&cli.BoolFlag{Name: "use", Usage: "switch to the new context"},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing context of that name"},
		),
		Action: addAction,
	}
}

func addAction(c *cli.Context) error {
	if err := clix.Args(c, 1, 1); err != nil {
		return err
	}
	name := c.Args().First()
	if err := contexts.ValidName(name); err != nil {
		return clix.WithCode(err, clix.ExitUsage, "")
	}
	if !c.IsSet("endpoints") {
		return clix.Usage("e.g. etcd-ctx add "+name+" --endpoints https://10.0.0.1:2379 --cacert ca.crt --cert client.crt --key client.key", "--endpoints is required")
	}
	spec := contexts.Spec{Name: name}
	if err := applyFlags(c, &spec); err != nil {
		return err
	}
	return save(c, spec, contexts.SaveOptions{Replace: c.Bool("force"), Use: c.Bool("use")}, "Added")
}

func save(c *cli.Context, spec contexts.Spec, opts contexts.SaveOptions, verb string) error {
	store, err := ctxflags.Store(c)
	if err != nil {
		return err
	}
	if err := store.Save(spec, opts); err != nil {
		return err
	}
	if c.IsSet("server-name") && spec.ServerName != "" {
		fmt.Fprintf(c.App.ErrWriter, "%s: warning: etcdctl has no server-name flag: 'etcd-ctx exec' refuses this context (etcd-diag and etcd-ctx ping honour the name); %s\n",
			c.App.Name, strings.Replace(contexts.ServerNameFix, "HOST", strings.Join(endpointHosts(spec.Endpoints), " --add-san "), 1))
	}
	msg := fmt.Sprintf("%s context %q", verb, spec.Name)
	if opts.Use {
		msg += " and switched to it"
	}
	fmt.Fprintln(c.App.ErrWriter, msg+".")
	for _, w := range contexts.Advise(spec, time.Now()) {
		fmt.Fprintf(c.App.ErrWriter, "%s: warning: %s\n", c.App.Name, w)
	}
	return nil
}

// endpointHosts are the distinct hosts of the endpoints, as dialled.
func endpointHosts(endpoints []string) []string {
	var hosts []string
	for _, ep := range endpoints {
		if n, err := conn.NormalizeEndpoint(ep, true); err == nil {
			ep = n
		}
		u, err := url.Parse(ep)
		if err != nil || u.Hostname() == "" || slices.Contains(hosts, u.Hostname()) {
			continue
		}
		hosts = append(hosts, u.Hostname())
	}
	if len(hosts) == 0 {
		return []string{"HOST"}
	}
	return hosts
}
