package certcmd

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

func renewCommand() *cli.Command {
	return &cli.Command{
		Name:      "renew",
		Usage:     "reissue certificates with the same subject, SANs and usages from the CA that signed them, keeping the key",
		ArgsUsage: "FILE... | --all DIR",
		Description: "With --all DIR it renews every leaf certificate of the tree that 'check' warns about for its dates\n" +
			"(expiring within --warn and in the last third of its lifetime, or expired), or every leaf with --force.\n" +
			"etcd reads its certificate files on each new connection: once the renewed files are where its flags\n" +
			"point, 'etcd-certwiz check --live DIR' confirms each member serves them, without a restart.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "add-san", Usage: "add hosts (IPs or DNS names), comma-separated or repeated"},
			&cli.BoolFlag{Name: "rotate-key", Usage: "generate a new key of the same type (the old key file is replaced)"},
			&cli.IntFlag{Name: "days", Usage: "validity in days", DefaultText: "the old certificate's lifetime"},
			&cli.StringFlag{Name: "ca-dir", Usage: "directory holding the issuing CA and its key", DefaultText: "the certificate's directory or the nearest parent holding its CA", TakesFile: true},
			&cli.StringFlag{Name: "key", Usage: "the certificate's key", DefaultText: "beside it by the certwiz, cfssl, kubeadm or openssl naming: NAME.key, NAME-key.pem", TakesFile: true},
			&cli.BoolFlag{Name: "all", Usage: "renew the leaf certificates of the tree DIR that check warns about for their dates"},
			&cli.StringFlag{Name: "warn", Value: "30d", Usage: "with --all: the window check warns in (30d, 720h)"},
			&cli.BoolFlag{Name: "force", Usage: "with --all: renew every leaf certificate of the tree"},
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
	paths := c.Args().Slice()
	if c.Bool("all") {
		if c.NArg() != 1 || opts.KeyPath != "" || len(opts.AddSANs) > 0 {
			return clix.Usage("e.g. etcd-certwiz renew --all ./pki (without --key or --add-san, which are for one file)", "--all takes one DIR")
		}
		warn, err := certwiz.ParseDays(c.String("warn"))
		if err != nil {
			return clix.Usage("e.g. --warn 30d", "--warn: %v", err)
		}
		if paths, _, err = certwiz.Due(c.Args().First(), warn, c.Bool("force"), opts.Now); err != nil {
			return clix.Wrap(err, "check the path: --all takes a PKI directory")
		}
		if len(paths) == 0 {
			fmt.Fprintf(c.App.ErrWriter, "Nothing to renew: no leaf certificate of %s expires within %s (or in the last third of its lifetime); --force renews them all.\n", c.Args().First(), c.String("warn"))
			return nil
		}
	} else if c.IsSet("force") || c.IsSet("warn") {
		return clix.Usage("--force and --warn go with --all DIR", "--force and --warn need --all")
	}
	// Everything is reissued before anything is written: a bad SAN or a
	// missing CA leaves every file as it was.
	renewed := make([]*certwiz.Renewed, len(paths))
	for i, path := range paths {
		r, err := certwiz.Renew(path, opts)
		if err != nil && clix.HintOf(err) == "" {
			// The certificate file itself: unreadable, not PEM, no certificate.
			return clix.Wrap(err, "renew takes certificate files (PEM); see what "+path+" holds with 'etcd-certwiz inspect "+path+"'")
		}
		if err != nil {
			return clix.UsageOn[*certwiz.HostError](err)
		}
		renewed[i] = r
	}
	for i, path := range paths {
		if err := certwiz.WriteRenewed(path, renewed[i], opts.RotateKey); err != nil {
			return err
		}
		what := "certificate"
		if opts.RotateKey {
			what = "certificate and a new key"
		}
		fmt.Fprintf(c.App.ErrWriter, "Renewed %s: %s until %s (signed by %s), serial %s\n", path, what,
			renewed[i].Cert.NotAfter.UTC().Format("2006-01-02"), caName(renewed[i]), pki.FormatSerial(renewed[i].Cert.SerialNumber))
		// Renewal keeps what the certificate says; what was unfit in it
		// stays so unless the flags changed it (--add-san).
		role, ok := pki.RoleFromPath(path)
		if !ok {
			role = pki.Guess(renewed[i].Cert)
		}
		if fit := pki.Fitness(renewed[i].Cert, role); !fit.OK {
			fmt.Fprintf(c.App.ErrWriter, "warning: %s is still unfit as a %s certificate: %s (--add-san adds names and addresses; other faults need a new certificate: etcd-certwiz %s NAME)\n",
				path, role, strings.Join(fit.Reasons, "; "), role)
		}
	}
	if c.Bool("all") {
		fmt.Fprintf(c.App.ErrWriter, "etcd reads certificate files on each new connection: confirm each member serves the new ones with 'etcd-certwiz check --live %s'.\n", c.Args().First())
	}
	return nil
}

func caName(r *certwiz.Renewed) string {
	if r.CAPath == "" {
		return "itself"
	}
	return r.CAPath
}
