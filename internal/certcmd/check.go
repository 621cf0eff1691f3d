package certcmd

import (
	"crypto/x509"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
	"github.com/etcd-ctx/etcd-ctx/pki"
	"github.com/etcd-ctx/etcd-ctx/rotation"
)

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "check every certificate of every file in a PKI tree (certwiz, cfssl, kubeadm or openssl layout): chain, role fitness, key match, expiry (exit 1 on any problem)",
		ArgsUsage: "[DIR]",
		Description: "Each certificate must chain to a CA of the tree: in certwiz's layout ca.crt (peer-ca.crt for\n" +
			"peers), elsewhere any CA bundle file of DIR. When the CA is kept outside DIR (an openssl or\n" +
			"cfssl layout whose CA lives on another machine), give the bundle etcd trusts with --cacert FILE:\n" +
			"every certificate is then checked against it, as etcd and etcdctl would; peer certificates against\n" +
			"--peer-cacert FILE, or peer-ca.crt beside the --cacert file, when peers have a CA of their own.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "cacert", Usage: "PEM CA bundle kept outside DIR (etcd's --trusted-ca-file) that every certificate must chain to", DefaultText: "the tree's own CA files", TakesFile: true},
			&cli.StringFlag{Name: "peer-cacert", Usage: "with --cacert: the bundle peer certificates chain to instead (etcd's --peer-trusted-ca-file)", DefaultText: "peer-ca.crt beside the --cacert file, if there is one", TakesFile: true},
			&cli.StringFlag{Name: "warn", Value: "30d", Usage: "flag certificates expiring within this window and within the last third of their lifetime (30d, 720h)"},
			&cli.BoolFlag{Name: "live", Usage: "also check that each member serves its certificates of the tree (serials on its client and peer ports), through --context"},
			ctxflags.ContextFlag("etcd-ctx context to reach the cluster with"), ctxflags.ConfigFlag(), timeoutFlag(),
			clix.OutputFlag("text", "json"),
		},
		Action: checkAction,
	}
}

func checkAction(c *cli.Context) error {
	if err := clix.Args(c, 0, 1); err != nil {
		return err
	}
	format, err := clix.Format(c)
	if err != nil {
		return err
	}
	warn, err := certwiz.ParseDays(c.String("warn"))
	if err != nil {
		return clix.Usage("e.g. --warn 30d", "--warn: %w", err)
	}
	dir := c.Args().First()
	if dir == "" {
		dir = certwiz.DefaultOut
	}
	opts := certwiz.CheckOptions{Warn: warn, Now: time.Now()}
	if file := c.String("cacert"); file != "" {
		if opts.CA, err = readCABundle(file); err != nil {
			return err
		}
		opts.CAFile = file
		peer := c.String("peer-cacert")
		if beside := filepath.Join(filepath.Dir(file), "peer-ca.crt"); peer == "" && fileio.IsRegular(beside) {
			peer = beside // certwiz's layout: the peer CA sits beside the CA
		}
		if peer != "" {
			if opts.PeerCA, err = readCABundle(peer); err != nil {
				return err
			}
			opts.PeerCAFile = peer
		}
	} else if c.IsSet("peer-cacert") {
		return clix.Usage("give the client CA with --cacert too, or neither: the tree's own peer-ca.crt is used", "--peer-cacert goes with --cacert")
	}
	check, err := certwiz.Check(dir, opts)
	if err != nil {
		return clix.Wrap(err, "check the path: a PKI directory (default "+certwiz.DefaultOut+")")
	}
	results := check.Results
	var report *rotation.Report
	if c.Bool("live") {
		if report, err = liveReport(c, dir); err != nil {
			return err
		}
	}
	switch {
	case format == "json" && report != nil:
		err = clix.WriteJSON(c.App.Writer, struct {
			Certificates []certwiz.CheckResult `json:"certificates"`
			Live         *rotation.Report      `json:"live"`
		}{results, report})
	case format == "json":
		err = clix.WriteJSON(c.App.Writer, results)
	default:
		if err = printChecks(c, check); err == nil && report != nil {
			w := c.App.Writer
			fmt.Fprintln(w, "\nLive: the certificates each member serves against the tree's files")
			printSurvey(w, clix.Painter{On: clix.Color(w)}, &rotationJSON{Members: report.Members, Cluster: &report.Cluster})
		}
	}
	if err != nil {
		return err
	}
	if report != nil && !report.Holds {
		if certwiz.Failed(results) {
			return clix.Fail("see each problem above", "%s; and not every member serves the tree's certificates", failedCount(results))
		}
		return liveError(report)
	}
	if certwiz.Failed(results) {
		return clix.Fail("renew expiring ones with 'etcd-certwiz renew --all DIR' (or FILE…); unfit ones need reissuing (each problem says with what); drop expired CAs from bundles that hold a valid one", "%s", failedCount(results))
	}
	return nil
}

// readCABundle reads --cacert: a PEM file of one or more certificates.
func readCABundle(file string) ([]*x509.Certificate, error) {
	data, err := fileio.Read(file)
	if err != nil {
		return nil, clix.Wrap(err, "--cacert takes the PEM CA bundle etcd trusts (its --trusted-ca-file)")
	}
	certs, err := pki.ParseCerts(data)
	if err != nil {
		return nil, clix.Usage("--cacert takes the PEM CA bundle etcd trusts (its --trusted-ca-file), not a key or a CSR", "--cacert %s: %w", file, err)
	}
	return certs, nil
}

func failedCount(results []certwiz.CheckResult) string {
	bad := 0
	for _, r := range results {
		if r.Status != certwiz.StatusOK {
			bad++
		}
	}
	return fmt.Sprintf("%d of %d certificates need attention", bad, len(results))
}

// liveReport surveys the members of the tree at dir through the context.
func liveReport(c *cli.Context, dir string) (*rotation.Report, error) {
	t, err := rotation.FindTree(dir, rotation.TreeOptions{})
	if err != nil {
		return nil, rotationError(err)
	}
	l, err := connectLive(c)
	if err != nil {
		return nil, err
	}
	defer l.close()
	return rotation.SurveyTree(c.Context, l.cli, t, l.options(c)), nil
}

func printChecks(c *cli.Context, check *certwiz.TreeCheck) error {
	results := check.Results
	p := clix.Painter{On: clix.Color(c.App.Writer)}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tROLE\tSUBJECT\tEXPIRES\tDAYS\tSTATUS\tKEY\tPROBLEMS")
	for _, r := range results {
		status := string(r.Status)
		switch r.Status {
		case certwiz.StatusOK:
			status = p.Green(status)
		case certwiz.StatusExpiring, certwiz.StatusWarning:
			status = p.Yellow(status)
		default:
			status = p.Red(status)
		}
		expires := ""
		if !r.NotAfter.IsZero() {
			expires = r.NotAfter.UTC().Format("2006-01-02")
		}
		key := r.Key
		if key == "" {
			key = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.Name(), r.Role, r.Subject, expires, r.DaysLeft, status, key, strings.Join(r.Problems, "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range check.Skipped {
		fmt.Fprintf(c.App.Writer, "skipped %s: %s\n", s.Path, s.What)
	}
	return nil
}
