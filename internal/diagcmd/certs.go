package diagcmd

import (
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
)

// certsCommand is `etcd-diag certs`: the certificate inventory of one
// context or many.
func certsCommand() *cli.Command {
	return &cli.Command{
		Name:  "certs",
		Usage: "list every certificate a context relies on, soonest expiry first: what each member serves on its client and peer URLs, the client certificate, the CA bundle",
		Description: "Runs the diagnosis (--context, the current context, explicit flags, or --all-contexts / --contexts)\n" +
			"and lists the certificates its TLS handshakes read from every member it reached, on client URLs\n" +
			"and on peer URLs (no peer credentials needed: a server sends its certificate first), plus each\n" +
			"context's client certificate and every certificate of its CA bundle: subject, issuer, SANs,\n" +
			"serial, not after, days left.\n\n" +
			"Exit status: 0 none due; 1 a certificate expired, not yet valid, or expiring (within --warn and\n" +
			"its last third of lifetime), or a member's certificate could not be read (said on stderr);\n" +
			"2 usage error or a context could not be loaded.",
		Flags:  slices.Concat(contextFlags(), ctxflags.ConnFlags(), probeFlags(), fleetFlags(), []cli.Flag{clix.OutputFlag("text", "json", "csv")}),
		Action: certsAction,
	}
}

func certsAction(c *cli.Context) error {
	if err := clix.NoArgs(c); err != nil {
		return err
	}
	format, err := clix.Format(c)
	if err != nil {
		return err
	}
	var hints sync.Map
	ts, err := targets(c, &hints)
	if err != nil {
		return err
	}
	reports, err := runFleet(c, ts)
	if err != nil {
		return err
	}
	var all []diag.Certificate
	for _, r := range reports {
		all = append(all, r.Certificates()...)
	}
	slices.SortStableFunc(all, func(a, b diag.Certificate) int { return a.NotAfter.Compare(b.NotAfter) })
	switch format {
	case "json":
		if all == nil {
			all = []diag.Certificate{}
		}
		err = clix.WriteJSON(c.App.Writer, all)
	case "csv":
		err = writeCertsCSV(c, all)
	default:
		writeCertsTable(c, all)
	}
	if err != nil {
		return err
	}
	loadErrors(c, reports, &hints)
	missing := unread(c, reports)
	code := clix.ExitOK
	if missing || slices.ContainsFunc(all, diag.Certificate.Due) {
		code = clix.ExitFailure
	}
	if slices.ContainsFunc(reports, func(r *diag.Report) bool { return r.Error != "" }) {
		code = clix.ExitUsage
	}
	if code != clix.ExitOK {
		return &clix.ExitError{Code: code}
	}
	return nil
}

var certsHeader = []string{"context", "role", "port", "member", "url", "source", "subject", "issuer", "sans", "serial", "not_before", "not_after", "days_left", "state"}

func writeCertsCSV(c *cli.Context, certs []diag.Certificate) error {
	w := csv.NewWriter(c.App.Writer)
	if err := w.Write(certsHeader); err != nil {
		return err
	}
	for _, x := range certs {
		if err := w.Write([]string{x.Context, x.Role, x.Port, x.Member, x.URL, x.Source, x.Subject, x.Issuer, strings.Join(x.SANs, " "), x.Serial,
			x.NotBefore.Format(time.RFC3339), x.NotAfter.Format(time.RFC3339), strconv.Itoa(x.DaysLeft), x.State}); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

func writeCertsTable(c *cli.Context, certs []diag.Certificate) {
	p := clix.Painter{On: clix.Color(c.App.Writer)}
	t := table{header: []string{"NOT AFTER", "DAYS", "STATE", "CONTEXT", "CERTIFICATE", "SUBJECT", "ISSUER", "SERIAL", "SANS"}}
	for _, x := range certs {
		paint := map[int]func(string) string{}
		switch x.State {
		case diag.CertExpired, diag.CertNotYetValid:
			paint[2] = p.Red
		case diag.CertExpiring:
			paint[2] = p.Yellow
		}
		sans := strings.Join(x.SANs, ",")
		if sans == "" {
			sans = "-"
		}
		t.add([]string{x.NotAfter.Format("2006-01-02 15:04Z"), strconv.Itoa(x.DaysLeft), x.State, orDash(x.Context), certWhat(x), x.Subject, x.Issuer, x.Serial, sans}, paint)
	}
	t.write(c.App.Writer)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// unread warns on stderr about each member whose certificate on its client
// URL was not read (not reached, or no TLS there), and returns whether there
// was any: an inventory with a hole must not pass for a clean one. Peer
// URLs firewalled from clients are normal and only said by the diagnosis.
func unread(c *cli.Context, reports []*diag.Report) bool {
	any := false
	for _, r := range reports {
		if r.Error != "" {
			continue
		}
		read := map[string]bool{}
		for _, x := range r.Certificates() {
			if x.Role == "server" {
				read[x.URL] = true
				read["member "+x.Member] = true
			}
		}
		say := func(what, why string) {
			any = true
			fmt.Fprintf(c.App.ErrWriter, "%s: warning: context %q: no certificate read from %s: %s\n", Name, r.Context, what, why)
		}
		if r.Cluster == nil {
			for _, ep := range r.Endpoints {
				if !read[ep.URL] && strings.HasPrefix(ep.URL, "https://") {
					say(ep.URL, endpointProblem(r, ep.URL))
				}
			}
			continue
		}
		for _, m := range r.Cluster.Members {
			name := m.Name
			if name == "" {
				name = m.ID
			}
			if read["member "+name] || !slices.ContainsFunc(m.ClientURLs, func(u string) bool { return strings.HasPrefix(u, "https://") }) {
				continue
			}
			say("member "+name+" ("+strings.Join(m.ClientURLs, ", ")+")", memberProblem(r, m))
		}
	}
	return any
}

// endpointProblem is the first problem the diagnosis found at an endpoint.
func endpointProblem(r *diag.Report, url string) string {
	for _, f := range r.Findings {
		if f.Endpoint == url && f.Severity != diag.Info {
			return f.ID
		}
	}
	return "not reached"
}

func memberProblem(r *diag.Report, m diag.Member) string {
	for _, u := range m.ClientURLs {
		if p := endpointProblem(r, u); p != "not reached" {
			return p
		}
	}
	if !m.Reachable {
		return "member-unreachable"
	}
	return fmt.Sprintf("not reached on %s", strings.Join(m.ClientURLs, ", "))
}
