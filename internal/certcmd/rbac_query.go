package certcmd

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
	"github.com/etcd-ctx/etcd-ctx/internal/words"
	"github.com/etcd-ctx/etcd-ctx/rbac"
)

func requestFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "prefix", Usage: "every key starting with KEY (KEY \"\" is every key)"},
		&cli.BoolFlag{Name: "from-key", Usage: "every key from KEY on"},
		&cli.StringFlag{Name: "range-end", Usage: "the range [KEY, END)"},
		&cli.BoolFlag{Name: "write", Usage: "a write (put, delete) instead of a read"},
		&cli.StringFlag{Name: "file", Usage: "answer for the model in this file instead of the cluster", TakesFile: true},
		clix.OutputFlag("text", "json"),
		contextFlag(), ctxflags.ConfigFlag(),
	}
}

func rbacWhoCanCommand() *cli.Command {
	return &cli.Command{
		Name:      "who-can",
		Usage:     "list the users allowed to read (or --write) KEY, a --prefix or a range, and through which roles",
		ArgsUsage: "KEY",
		Description: "etcd's rules: holders of the root role may do anything; a single key needs one permission covering it;\n" +
			"a prefix or range needs the union of the user's permissions of the right type (across all its roles) to\n" +
			"cover it entirely. -o json: {\"key\", \"rangeEnd\", \"write\", \"authEnabled\", \"users\": [{\"user\", \"roles\"}]}.",
		Flags:  requestFlags(),
		Action: rbacWhoCanAction,
	}
}

func rbacExplainCommand() *cli.Command {
	return &cli.Command{
		Name:      "explain",
		Usage:     "say whether USER may read (or --write) KEY, a --prefix or a range, and why, by etcd's rules",
		ArgsUsage: "USER KEY",
		Description: "Lists the user's roles and permissions, which of them allow the request and, when denied, the parts of\n" +
			"the request no permission covers. -o json: {\"user\", \"allowed\", \"root\", \"roles\", \"rule\",\n" +
			"\"permissions\": [{\"role\", \"permission\", \"applies\"}], \"missing\": [...], \"key\", \"rangeEnd\", \"write\"}.",
		Flags:  requestFlags(),
		Action: rbacExplainAction,
	}
}

// request builds the request from KEY and the flags, as etcdctl does.
func request(c *cli.Context, key string) (rbac.Request, error) {
	q := rbac.Request{Op: rbac.Read}
	if c.Bool("write") {
		q.Op = rbac.Write
	}
	end := c.String("range-end")
	switch n := count(c.Bool("prefix"), c.Bool("from-key"), c.IsSet("range-end")); {
	case n > 1:
		return q, clix.Usage("e.g. /app/ --prefix, or /a --range-end /m", "give at most one of --prefix, --from-key and --range-end")
	case c.Bool("prefix"):
		q.Range = rbac.Prefix(key)
	case c.Bool("from-key"):
		q.Range = rbac.FromKey(key)
	case c.IsSet("range-end"):
		q.Range = rbac.Between(key, end)
	default:
		q.Range = rbac.SingleKey(key)
	}
	if err := q.Valid(); err != nil {
		return q, clix.Usage("e.g. /app/config, or /app/ --prefix", "%w", err)
	}
	return q, nil
}

func count(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// model is the file's (--file) or the cluster's model (no password probes:
// who-can and explain do not need them).
func model(c *cli.Context) (*rbac.Model, error) {
	if f := c.String("file"); f != "" {
		return loadModel(f)
	}
	s, err := connect(c)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(c.Context, rbacTimeout)
	defer cancel()
	return s.readLive(ctx, rbac.NoProbe)
}

func authNote(c *cli.Context, m *rbac.Model) {
	if m.Auth != nil && !*m.Auth {
		fmt.Fprintln(c.App.ErrWriter, "note: auth is disabled: etcd allows every request from anyone; this is who could once auth is enabled")
	}
}

type whoCanJSON struct {
	Key         string        `json:"key"`
	RangeEnd    string        `json:"rangeEnd"`
	Write       bool          `json:"write"`
	AuthEnabled *bool         `json:"authEnabled,omitempty"`
	Users       []rbac.Access `json:"users"`
}

func rbacWhoCanAction(c *cli.Context) error {
	if err := clix.Args(c, 1, 1); err != nil {
		return err
	}
	format, err := clix.Format(c)
	if err != nil {
		return err
	}
	q, err := request(c, c.Args().First())
	if err != nil {
		return err
	}
	m, err := model(c)
	if err != nil {
		return err
	}
	authNote(c, m)
	users := m.WhoCan(q)
	if format == "json" {
		return clix.WriteJSON(c.App.Writer, whoCanJSON{Key: q.Key, RangeEnd: q.End, Write: q.Op == rbac.Write, AuthEnabled: m.Auth, Users: users})
	}
	if len(users) == 0 {
		fmt.Fprintf(c.App.ErrWriter, "No user may %s.\n", q)
		return nil
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tROLES")
	for _, a := range users {
		fmt.Fprintf(tw, "%s\t%s\n", a.User, strings.Join(a.Roles, ", "))
	}
	return tw.Flush()
}

type explainJSON struct {
	User        string          `json:"user"`
	Key         string          `json:"key"`
	RangeEnd    string          `json:"rangeEnd"`
	Write       bool            `json:"write"`
	AuthEnabled *bool           `json:"authEnabled,omitempty"`
	Allowed     bool            `json:"allowed"`
	Root        bool            `json:"root"`
	Roles       []string        `json:"roles"`
	UserRoles   []string        `json:"userRoles"`
	Rule        string          `json:"rule"`
	Permissions []explainedPerm `json:"permissions"`
	Missing     []rbac.Range    `json:"missing"`
}

type explainedPerm struct {
	Role       string `json:"role"`
	Permission string `json:"permission"`
	Applies    bool   `json:"applies"` // one of the permissions that allow (or partly cover) the request
}

func rbacExplainAction(c *cli.Context) error {
	if err := clix.Args(c, 2, 2); err != nil {
		return err
	}
	format, err := clix.Format(c)
	if err != nil {
		return err
	}
	user := c.Args().Get(0)
	q, err := request(c, c.Args().Get(1))
	if err != nil {
		return err
	}
	m, err := model(c)
	if err != nil {
		return err
	}
	v, err := m.Explain(user, q)
	if err != nil {
		return clix.Wrap(err, "'etcd-certwiz rbac export' lists the users")
	}
	authNote(c, m)
	roles, grants, _ := m.Grants(user)
	out := explainJSON{User: user, Key: q.Key, RangeEnd: q.End, Write: q.Op == rbac.Write, AuthEnabled: m.Auth,
		Allowed: v.Allowed, Root: v.Root, Roles: v.Roles(), UserRoles: roles, Rule: v.Rule, Missing: v.Missing}
	if v.Root {
		out.Roles = []string{rbac.RootRole}
	}
	for _, g := range grants {
		applies := false
		for _, a := range v.Grants {
			applies = applies || a == g
		}
		out.Permissions = append(out.Permissions, explainedPerm{Role: g.Role, Permission: g.Perm.String(), Applies: applies})
	}
	if out.Roles == nil {
		out.Roles = []string{}
	}
	if out.Permissions == nil {
		out.Permissions = []explainedPerm{}
	}
	if out.Missing == nil {
		out.Missing = []rbac.Range{}
	}
	if format == "json" {
		return clix.WriteJSON(c.App.Writer, out)
	}
	w := c.App.Writer
	verdict := "allowed: user %s may %s\n"
	if !v.Allowed {
		verdict = "denied: user %s may not %s\n"
	}
	fmt.Fprintf(w, verdict, user, q)
	fmt.Fprintf(w, "rule: %s\n", v.Rule)
	fmt.Fprintf(w, "roles: %s\n", words.List(roles))
	for _, p := range out.Permissions {
		mark := ""
		if p.Applies {
			mark = "   <- allows"
			if !v.Allowed {
				mark = "   <- covers part"
			}
		}
		fmt.Fprintf(w, "  %s: %s%s\n", p.Role, p.Permission, mark)
	}
	for _, r := range v.Missing {
		fmt.Fprintf(w, "not covered: %s\n", r)
	}
	return nil
}
