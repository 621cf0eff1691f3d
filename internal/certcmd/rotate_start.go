package certcmd

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
	"github.com/etcd-ctx/etcd-ctx/rotation"
)

func rotateStartCommand() *cli.Command {
	return &cli.Command{
		Name:      "start",
		Usage:     "make the new CA(s) and the old+new trust bundles for every member (phase 1), and print what to copy where",
		ArgsUsage: "DIR",
		Description: "DIR is certwiz's tree (ca.crt, peer-ca.crt, <member>/…) or kubeadm's etcd PKI directory\n" +
			"(/etc/kubernetes/pki/etcd; other members' copies with --member NAME=DIR). The copies go to the paths\n" +
			"each member's etcd reads: by default those 'etcd-certwiz init' printed (certwiz) or DIR's path on every\n" +
			"node (kubeadm); --member-dir [NAME=]PATH says the tree is at PATH on the member(s), and\n" +
			"--member-config NAME=FILE reads the member's etcd flags from its config file, static pod manifest or\n" +
			"systemd unit. They are kept in DIR/rotation.yaml (members[].files) and can be corrected there.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "client", Usage: "rotate the client CA (ca.crt: server and client certificates)"},
			&cli.BoolFlag{Name: "peer", Usage: "rotate the peer CA (peer-ca.crt: peer certificates)"},
			&cli.StringFlag{Name: "layout", Usage: "certwiz|kubeadm", DefaultText: "detected"},
			&cli.StringSliceFlag{Name: "member", Usage: "kubeadm: NAME=DIR, another member's etcd PKI directory (a copy of its /etc/kubernetes/pki/etcd)"},
			&cli.StringSliceFlag{Name: "member-dir", Usage: "[NAME=]PATH: where the tree (certwiz) or etcd PKI directory (kubeadm) is on the member(s)"},
			&cli.StringSliceFlag{Name: "member-config", Usage: "NAME=FILE: the member's etcd flags (etcd YAML config, kubeadm manifest, systemd unit, ETCD_* variables)"},
			ctxflags.ContextFlag("etcd-ctx context to reach the cluster with"), ctxflags.ConfigFlag(),
			clix.OutputFlag("text", "json"),
		},
		Action: rotateStartAction,
	}
}

func rotateStartAction(c *cli.Context) error {
	dir, format, err := rotateArgs(c)
	if err != nil {
		return err
	}
	opts := rotation.StartOptions{Scope: rotation.Scope{Client: c.Bool("client"), Peer: c.Bool("peer")}, Now: time.Now(),
		Tree: rotation.TreeOptions{Layout: c.String("layout")}}
	if opts.Tree.Members, err = pairs(c, "member", false); err != nil {
		return err
	}
	if opts.Files.Dirs, err = pairs(c, "member-dir", true); err != nil {
		return err
	}
	if opts.Files.Configs, err = pairs(c, "member-config", false); err != nil {
		return err
	}
	s, err := rotation.Start(dir, opts)
	if err != nil {
		return rotationError(err)
	}
	name, _ := contextName(c, false)
	out := newRotationJSON(s, name, nil)
	if format == "json" {
		return clix.WriteJSON(c.App.Writer, out)
	}
	w := c.App.Writer
	p := clix.Painter{On: clix.Color(w)}
	fmt.Fprintf(w, "CA rotation of %s (%s layout): the %s\n", relDir(s.Dir()), s.Layout, caList(out))
	for _, ch := range []*caJSON{out.ClientCA, out.PeerCA} {
		if ch == nil || (ch == out.PeerCA && out.ClientCA != nil && out.ClientCA.File == ch.File) {
			continue
		}
		fmt.Fprintf(w, "%s new CA %q in %s (its key beside it, %s), replacing %q\n", p.Green("✓"), ch.New.Subject, relDir(ch.New.Cert), "0600", ch.Old.Subject)
	}
	fmt.Fprintf(w, "%s the files it replaces kept in %s (for 'rotate abort')\n", p.Green("✓"), relDir(s.Path("rotation/original")))
	fmt.Fprintln(w)
	printPhase(w, p, out)
	fmt.Fprintf(w, "\nThe copies go where each member's etcd reads its files (members[].files in %s):\ncorrect them there, or start again with --member-dir/--member-config, if a member reads them elsewhere.\n",
		relDir(s.Path(rotation.StateFileName)))
	return nil
}

func caList(o *rotationJSON) string {
	switch {
	case o.ClientCA != nil && o.PeerCA != nil && o.ClientCA.File == o.PeerCA.File:
		return "CA (" + relDir(o.ClientCA.File) + ", for clients and peers)"
	case o.ClientCA != nil && o.PeerCA != nil:
		return "client and peer CAs"
	case o.ClientCA != nil:
		return "client CA"
	}
	return "peer CA"
}

// pairs reads NAME=VALUE flags; with bare, a value without NAME= applies
// to every member (key "").
func pairs(c *cli.Context, flag string, bare bool) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range c.StringSlice(flag) {
		name, value, ok := strings.Cut(v, "=")
		if !ok {
			if !bare {
				return nil, clix.Usage(fmt.Sprintf("e.g. --%s etcd-1=PATH", flag), "--%s %q: expected NAME=PATH", flag, v)
			}
			name, value = "", v
		}
		if value == "" {
			return nil, clix.Usage(fmt.Sprintf("e.g. --%s etcd-1=PATH", flag), "--%s %q: no path", flag, v)
		}
		if _, dup := out[name]; dup {
			return nil, clix.Usage("give each member once", "--%s given twice for %q", flag, name)
		}
		out[name] = value
	}
	return out, nil
}
