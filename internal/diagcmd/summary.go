package diagcmd

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/words"
)

// renderSummary prints one line per context: members reachable/listed,
// leader, versions, the worst finding, the nearest certificate expiry; then
// the count.
func renderSummary(w io.Writer, reports []*diag.Report, p clix.Painter) {
	t := table{header: []string{"CONTEXT", "MEMBERS", "LEADER", "VERSION", "WORST FINDING", "NEAREST EXPIRY"}}
	healthy, problems, failed := 0, 0, 0
	var slowest diag.JSONDuration
	for _, r := range reports {
		slowest = max(slowest, r.Elapsed)
		worst, paint := worstFinding(r, p)
		switch {
		case r.Error != "":
			failed++
		case r.Healthy:
			healthy++
		default:
			problems++
		}
		t.add([]string{r.Context, members(r), leader(r), versions(r), worst, nearestExpiry(r)}, map[int]func(string) string{4: paint})
	}
	t.write(w)
	fmt.Fprintf(w, "%d context(s): %d healthy, %d with problems, %d could not be diagnosed; slowest %.0f ms\n",
		len(reports), healthy, problems, failed, float64(slowest))
}

// worstFinding is the first finding of the report (findings come errors
// first), with how many more problems there are.
func worstFinding(r *diag.Report, p clix.Painter) (string, func(string) string) {
	if r.Error != "" {
		return "✗ could not run (see below)", p.Red
	}
	n := 0
	for _, f := range r.Findings {
		if f.Severity != diag.Info {
			n++
		}
	}
	if n == 0 {
		return "✓ healthy", p.Green
	}
	f := r.Findings[0]
	text, paint := "! "+f.ID, p.Yellow
	if f.Severity == diag.Error {
		text, paint = "✗ "+f.ID, p.Red
	}
	if n > 1 {
		text += fmt.Sprintf(" (+%d)", n-1)
	}
	return text, paint
}

// members is "reachable/listed" from the member list, or the endpoints
// that answered over "?" when no member list could be read.
func members(r *diag.Report) string {
	if r.Cluster != nil {
		n := 0
		for _, m := range r.Cluster.Members {
			if m.Reachable {
				n++
			}
		}
		return fmt.Sprintf("%d/%d", n, len(r.Cluster.Members))
	}
	if r.Error != "" {
		return "-"
	}
	n := 0
	for _, ep := range r.Endpoints {
		if ep.Reachable {
			n++
		}
	}
	return fmt.Sprintf("%d/?", n)
}

func leader(r *diag.Report) string {
	if r.Cluster == nil {
		return "-"
	}
	if r.Cluster.Leader == "" {
		return words.None
	}
	for _, m := range r.Cluster.Members {
		if m.ID == r.Cluster.Leader && m.Name != "" {
			return m.Name
		}
	}
	return r.Cluster.Leader
}

func versions(r *diag.Report) string {
	if r.Cluster == nil || len(r.Cluster.Versions) == 0 {
		return "-"
	}
	return strings.Join(r.Cluster.Versions, ",")
}

// nearestExpiry is the certificate of the inventory that expires first:
// its date, days left and what it is.
func nearestExpiry(r *diag.Report) string {
	certs := r.Certificates()
	if len(certs) == 0 {
		return "-"
	}
	c := certs[0] // sorted by expiry
	what := certWhat(c)
	if c.State == diag.CertExpired {
		return fmt.Sprintf("EXPIRED %s (%s)", c.NotAfter.Format(time.DateOnly), what)
	}
	return fmt.Sprintf("%s (%dd, %s)", c.NotAfter.Format(time.DateOnly), c.DaysLeft, what)
}

// certWhat names a certificate of the inventory: "server m0", "peer m1",
// "client", "ca".
func certWhat(c diag.Certificate) string {
	if c.Member != "" {
		return c.Role + " " + c.Member
	}
	return c.Role
}

// table aligns columns by rune count, so that colour is added after
// padding and never counted as width.
type table struct {
	header []string
	rows   [][]string
	paint  []map[int]func(string) string
}

func (t *table) add(row []string, paint map[int]func(string) string) {
	t.rows = append(t.rows, row)
	t.paint = append(t.paint, paint)
}

func (t *table) write(w io.Writer) {
	widths := make([]int, len(t.header))
	for _, row := range append([][]string{t.header}, t.rows...) {
		for i, cell := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	line := func(row []string, paint map[int]func(string) string) {
		var b strings.Builder
		for i, cell := range row {
			padded := cell
			if i < len(row)-1 {
				padded += strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell)+2)
			}
			if f := paint[i]; f != nil {
				padded = f(cell) + padded[len(cell):]
			}
			b.WriteString(padded)
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	line(t.header, nil)
	for i, row := range t.rows {
		line(row, t.paint[i])
	}
}
