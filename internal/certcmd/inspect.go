package certcmd

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
	"github.com/etcd-ctx/etcd-ctx/internal/words"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "show every certificate of a file or a server's chain: subject, SANs, usages, key, validity, how it links, and the etcd roles it is fit for (a CA: what it can sign)",
		ArgsUsage: "FILE|https://HOST:PORT...",
		Flags: []cli.Flag{
			clix.OutputFlag("text", "json"),
			&cli.StringFlag{Name: "key", Usage: "key file to check against the certificate", DefaultText: "the key beside it by the certwiz, cfssl, kubeadm or openssl naming (NAME.key, NAME-key.pem), if present", TakesFile: true},
			&cli.DurationFlag{Name: "timeout", Value: 5 * time.Second, Usage: "connect timeout for https:// targets"},
		},
		Action: inspectAction,
	}
}

func inspectAction(c *cli.Context) error {
	if err := clix.Args(c, 1, -1); err != nil {
		return err
	}
	format, err := clix.Format(c)
	if err != nil {
		return err
	}
	if c.IsSet("key") && c.NArg() > 1 {
		return clix.Usage("inspect one certificate file with --key, or several without it", "--key goes with a single FILE")
	}
	var reports []certwiz.Report
	for _, target := range c.Args().Slice() {
		rs, err := inspectTarget(c, target)
		if err != nil {
			return err
		}
		reports = append(reports, rs...)
	}
	if format == "json" {
		err = clix.WriteJSON(c.App.Writer, reports)
	} else {
		p := clix.Painter{On: clix.Color(c.App.Writer)}
		for i, r := range reports {
			if i > 0 {
				fmt.Fprintln(c.App.Writer)
			}
			printReport(c.App.Writer, p, r)
		}
	}
	if err != nil {
		return err
	}
	for _, r := range reports {
		if r.KeyMatch != nil && !*r.KeyMatch {
			mismatch := &pki.KeyMismatchError{Keys: []string{r.KeyFile}, Cert: r.Source, CA: r.IsCA}
			return clix.Fail(mismatch.Hint(), "%s does not match %s", r.KeyFile, r.Source)
		}
	}
	for _, r := range reports {
		if r.Unusable() {
			return clix.Fail("etcd cannot use this certificate: reissue it (see the problems above)", "%s: certificate %d (%s): %s", r.Source, r.Index, r.Subject, strings.Join(r.Problems, "; "))
		}
	}
	return nil
}

func inspectTarget(c *cli.Context, target string) ([]certwiz.Report, error) {
	now := time.Now()
	if addr, ok := remoteAddr(target); ok {
		chain, err := certwiz.FetchRemote(addr, c.Duration("timeout"))
		if err != nil {
			return nil, clix.Fail("check the address and that it serves TLS (etcd's client port is usually 2379)", "%s: %w", target, err)
		}
		return certwiz.InspectChain(target, chain, now), nil
	}
	data, err := fileio.Read(target)
	if err != nil {
		return nil, err
	}
	reports, err := certwiz.InspectPEM(target, data, now)
	if err != nil {
		return nil, clix.Fail("inspect a certificate file (a key is checked against its certificate with --key)", "%w", err)
	}
	first := pki.ParseFile(data).Certs
	if len(first) == 0 || reports[0].Unusable() && reports[0].KeyType == "unsupported" {
		return reports, nil
	}
	keyFile, _, err := pki.FindKey(target, first[0], c.String("key"))
	var none *pki.NoKeyError
	var unreadable *pki.UnreadableKeyError
	switch {
	case errors.As(err, &none):
	case errors.As(err, &unreadable):
		// A key etcd's user owns: the certificate is still shown.
		reports[0].KeyFile, reports[0].KeyUnchecked = keyFile, "not readable ("+errors.Unwrap(unreadable.Err).Error()+"), not checked"
	case errors.Is(err, pki.ErrKeyMismatch):
		match := false
		reports[0].KeyFile, reports[0].KeyMatch = keyFile, &match
	case clix.HintOf(err) != "":
		return nil, err // unreadable, empty, or a key Go cannot use: it says what to do
	case err != nil:
		return nil, clix.Fail("--key must be an unencrypted PEM private key Go can use", "%w", err)
	default:
		match := true
		reports[0].KeyFile, reports[0].KeyMatch = keyFile, &match
	}
	return reports, nil
}

// remoteAddr recognises https://HOST:PORT targets.
func remoteAddr(target string) (string, bool) {
	if !strings.HasPrefix(target, "https://") {
		return "", false
	}
	u, err := url.Parse(target)
	if err != nil || u.Port() == "" {
		return target, true // FetchRemote explains the bad address
	}
	return u.Host, true
}

func printReport(w io.Writer, p clix.Painter, r certwiz.Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\n", p.Bold(r.Title()))
	row := func(k, v string) { fmt.Fprintf(tw, "  %s:\t%s\n", k, v) }
	row("subject", r.Subject)
	row("issuer", r.Issuer+map[bool]string{true: " (self-signed)", false: ""}[r.SelfSigned])
	if r.IssuedBy != "" && !r.SelfSigned {
		row("issued by", r.IssuedBy)
	}
	if r.Serial != "" {
		row("serial", r.Serial)
	}
	key := r.KeyType
	if r.KeyMatch != nil {
		key += map[bool]string{true: ", " + r.KeyFile + " matches", false: ", " + p.Red(r.KeyFile+" DOES NOT MATCH")}[*r.KeyMatch]
	}
	if r.KeyUnchecked != "" {
		key += ", " + p.Yellow(r.KeyFile+" "+r.KeyUnchecked)
	}
	row("key", key)
	if r.KeyID != "" {
		ids := r.KeyID
		if r.AuthorityKeyID != "" {
			ids += " (signed by key " + r.AuthorityKeyID + ")"
		}
		row("key id", ids)
	}
	var sans []string
	for _, d := range r.DNS {
		sans = append(sans, "DNS:"+d)
	}
	for _, ip := range r.IPs {
		sans = append(sans, "IP:"+ip)
	}
	if !r.IsCA || len(sans) > 0 {
		row("SANs", words.List(sans))
	}
	row("key usage", words.List(r.Usages))
	row("ext key usage", words.List(r.ExtUsages))
	validity := r.Validity
	if r.DaysLeft < 0 || r.Validity == "" {
		validity = p.Red(validity)
	}
	row("validity", validity)
	for _, pr := range r.Problems {
		row("problem", p.Red(pr))
	}
	verdict := func(f pki.Fit) string {
		if f.OK {
			return p.Green("fit")
		}
		return p.Yellow("unfit: " + strings.Join(f.Reasons, "; "))
	}
	for _, f := range r.Roles {
		row("as "+string(f.Role), verdict(f))
	}
	for _, f := range r.Signs {
		row("signs "+string(f.Role)+" certs", verdict(f))
	}
	tw.Flush()
}
