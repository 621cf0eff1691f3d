package certcmd

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/conn"
)

func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "show subject, SANs, usages, key type, validity and the etcd roles a certificate is fit for",
		ArgsUsage: "FILE|https://HOST:PORT...",
		Flags: []cli.Flag{
			clix.OutputFlag("text", "json"),
			&cli.StringFlag{Name: "key", Usage: "key file to check against the certificate (default: FILE with .key beside it, if present)", TakesFile: true},
			&cli.DurationFlag{Name: "timeout", Value: 5 * time.Second, Usage: "connect timeout for https:// targets"},
		},
		Action: inspectAction,
	}
}

func inspectAction(c *cli.Context) error {
	if err := clix.Args(c, 1, -1); err != nil {
		return err
	}
	format, err := clix.Format(c, "text", "json")
	if err != nil {
		return err
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
		return clix.WriteJSON(c.App.Writer, reports)
	}
	p := clix.Painter{On: clix.Color(c.App.Writer)}
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(c.App.Writer)
		}
		printReport(c.App.Writer, p, r)
	}
	for _, r := range reports {
		if r.KeyMatch != nil && !*r.KeyMatch {
			return clix.Fail("the key belongs to another certificate; renew with --rotate-key or find the right key", "%s does not match %s", r.KeyFile, r.Source)
		}
	}
	return nil
}

func inspectTarget(c *cli.Context, target string) ([]certwiz.Report, error) {
	now := time.Now()
	if addr, ok := remoteAddr(target); ok {
		chain, err := certwiz.FetchRemote(addr, c.Duration("timeout"))
		if err != nil {
			return nil, clix.Fail("check the address and that it serves TLS (etcd's client port is usually 2379)", "%s: %v", target, err)
		}
		var out []certwiz.Report
		for i, cert := range chain {
			out = append(out, certwiz.Inspect(fmt.Sprintf("%s (chain %d)", target, i), cert, now))
		}
		return out, nil
	}
	it, err := certwiz.LoadPair(target, false)
	if err != nil {
		return nil, explain(err)
	}
	r := certwiz.Inspect(target, it.Cert, now)
	keyFile := c.String("key")
	if keyFile == "" {
		if k := certwiz.KeyPath(target); k != target && fileExists(k) {
			keyFile = k
		}
	}
	if keyFile != "" {
		data, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, explain(err)
		}
		key, err := conn.ParseKey(data)
		if err != nil {
			return nil, clix.Fail("--key must be an unencrypted PEM private key", "%s: %v", keyFile, err)
		}
		match := conn.KeyMatches(it.Cert, key)
		r.KeyFile, r.KeyMatch = keyFile, &match
	}
	return []certwiz.Report{r}, nil
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
	fmt.Fprintf(tw, "%s\n", p.Bold(r.Source))
	row := func(k, v string) { fmt.Fprintf(tw, "  %s:\t%s\n", k, v) }
	row("subject", r.Subject)
	row("issuer", r.Issuer+map[bool]string{true: " (self-signed)", false: ""}[r.SelfSigned])
	row("serial", r.Serial)
	key := r.KeyType
	if r.KeyMatch != nil {
		key += map[bool]string{true: ", " + r.KeyFile + " matches", false: ", " + p.Red(r.KeyFile+" DOES NOT MATCH")}[*r.KeyMatch]
	}
	row("key", key)
	var sans []string
	for _, d := range r.DNS {
		sans = append(sans, "DNS:"+d)
	}
	for _, ip := range r.IPs {
		sans = append(sans, "IP:"+ip)
	}
	row("SANs", orNone(sans))
	row("key usage", orNone(r.Usages))
	row("ext key usage", orNone(r.ExtUsages))
	validity := r.Validity
	if r.DaysLeft < 0 {
		validity = p.Red(validity)
	}
	row("validity", validity)
	for _, f := range r.Roles {
		verdict := p.Green("fit")
		if !f.OK {
			verdict = p.Yellow("unfit: " + strings.Join(f.Reasons, "; "))
		}
		row("as "+string(f.Role), verdict)
	}
	tw.Flush()
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, ", ")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
