package certcmd

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
)

func rbacExportCommand() *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "print the cluster's access model in the file format (a valid input for plan and apply)",
		Description: "Auth status, roles with their permissions, users with their roles and whether they have a password\n" +
			"(never the password: etcd cannot tell while auth is disabled, so then password: is left out), and with\n" +
			"--pki the client certificate each user logs in with (the newest one under clients/ that the PKI's CA\n" +
			"issued with CN = user) and its expiry.",
		Flags: []cli.Flag{
			clix.OutputFlag("yaml", "json"),
			pkiFlag("PKI directory whose client certificates (CN = user) are listed with their users"),
			contextFlag(), ctxflags.ConfigFlag(),
		},
		Action: rbacExportAction,
	}
}

func rbacExportAction(c *cli.Context) error {
	if err := clix.NoArgs(c); err != nil {
		return err
	}
	format, err := clix.Format(c)
	if err != nil {
		return err
	}
	pki, err := openPKI(c)
	if err != nil {
		return err
	}
	s, err := connect(c)
	if err != nil {
		return err
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(c.Context, rbacTimeout)
	defer cancel()
	m, err := s.readLive(ctx, nil)
	if err != nil {
		return err
	}
	for i := range m.Roles {
		r := &m.Roles[i]
		kept := r.Perms[:0]
		for _, p := range r.Perms {
			if err := p.Valid(); err != nil {
				fmt.Fprintf(c.App.ErrWriter, "warning: role %s: left out %s: %v (etcd 3.4 stored it; it covers nothing)\n", r.Name, p, err)
				continue
			}
			kept = append(kept, p)
		}
		r.Perms = kept
	}
	if pki != nil {
		if err := pki.Annotate(m); err != nil {
			return clix.Wrap(err, "check --pki")
		}
	}
	m.Sort()
	if !*m.Auth {
		fmt.Fprintln(c.App.ErrWriter, "note: auth is disabled, and then etcd cannot tell which users have a password: password: is left out (apply leaves it as it is)")
	}
	var out []byte
	if format == "json" {
		out, err = m.EncodeJSON()
		out = append(out, '\n')
	} else {
		out, err = m.EncodeYAML("etcd access model (etcd-certwiz rbac export)\nReview, edit, then: etcd-certwiz rbac plan FILE; etcd-certwiz rbac apply FILE")
	}
	if err != nil {
		return clix.Wrap(err, "")
	}
	_, err = c.App.Writer.Write(out)
	return err
}
