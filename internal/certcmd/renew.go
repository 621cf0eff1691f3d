package certcmd

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

func renewCommand() *cli.Command {
	return &cli.Command{
		Name:      "renew",
		Usage:     "reissue certificates with the same subject, SANs and usages from the CA that signed them, keeping the key",
		ArgsUsage: "FILE...",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "add-san", Usage: "add hosts (IPs or DNS names), comma-separated or repeated"},
			&cli.BoolFlag{Name: "rotate-key", Usage: "generate a new key of the same type (the old key file is replaced)"},
			&cli.IntFlag{Name: "days", Usage: "validity in days (default: the old certificate's lifetime)"},
			&cli.StringFlag{Name: "ca-dir", Usage: "directory holding the issuing CA and its key (default: search the certificate's directory and its parents)", TakesFile: true},
			&cli.StringFlag{Name: "key", Usage: "the certificate's key (default: beside it by the certwiz, cfssl, kubeadm or openssl naming: NAME.key, NAME-key.pem)", TakesFile: true},
		},
		Action: renewAction,
	}
}

func renewAction(c *cli.Context) error {
	if err := clix.Args(c, 1, -1); err != nil {
		return err
	}
	opts := certwiz.RenewOptions{
		AddSANs: c.StringSlice("add-san"), RotateKey: c.Bool("rotate-key"),
		Days: c.Int("days"), CADir: c.String("ca-dir"), KeyPath: c.String("key"), Now: time.Now(),
	}
	if opts.KeyPath != "" && c.NArg() > 1 {
		return clix.Usage("renew one certificate with --key, or several without it", "--key goes with a single FILE")
	}
	// Everything is reissued before anything is written: a bad SAN or a
	// missing CA leaves every file as it was.
	renewed := make([]*certwiz.Renewed, c.NArg())
	for i, path := range c.Args().Slice() {
		r, err := certwiz.Renew(path, opts)
		if err != nil {
			return clix.UsageOn[*certwiz.HostError](err)
		}
		renewed[i] = r
	}
	for i, path := range c.Args().Slice() {
		if err := certwiz.WriteRenewed(path, renewed[i], opts.RotateKey); err != nil {
			return err
		}
		what := "certificate"
		if opts.RotateKey {
			what = "certificate and a new key"
		}
		fmt.Fprintf(c.App.ErrWriter, "Renewed %s: %s until %s (signed by %s)\n", path, what,
			renewed[i].Cert.NotAfter.UTC().Format("2006-01-02"), caName(renewed[i]))
	}
	return nil
}

func caName(r *certwiz.Renewed) string {
	if r.CAPath == "" {
		return "itself"
	}
	return r.CAPath
}
