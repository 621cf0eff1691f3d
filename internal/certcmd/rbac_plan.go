package certcmd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
	"github.com/etcd-ctx/etcd-ctx/internal/v3client"
	"github.com/etcd-ctx/etcd-ctx/rbac"
)

func planFlags(extra ...cli.Flag) []cli.Flag {
	return append([]cli.Flag{
		&cli.BoolFlag{Name: "prune", Usage: "also delete the users and roles FILE does not declare (never root or the root role)"},
		pkiFlag("PKI directory whose client CA (ca.crt, ca.key) issues the certificates of users declared with certificate:"),
		&cli.BoolFlag{Name: "force", Usage: "replace a user's certificate file that exists but does not fit (other CN or CA, expired)"},
		contextFlag(), ctxflags.ConfigFlag(),
	}, extra...)
}

func rbacPlanCommand() *cli.Command {
	return &cli.Command{
		Name:      "plan",
		Usage:     "print the changes that would make the cluster match FILE, like a diff; exit 0 when there are none, 1 when some are pending",
		ArgsUsage: "FILE",
		Description: "Changes come in the order apply makes them: certificates, new roles, permissions granted, new users,\n" +
			"roles granted, then permissions and roles revoked, then (with --prune) users and roles deleted, then auth.\n" +
			"Users and roles FILE declares are managed whole; the others are left alone unless --prune.",
		Flags:  planFlags(),
		Action: rbacPlanAction,
	}
}

func rbacApplyCommand() *cli.Command {
	return &cli.Command{
		Name:      "apply",
		Usage:     "make the cluster match FILE (asks on a terminal unless --yes); a second apply changes nothing",
		ArgsUsage: "FILE",
		Description: "Passwords of new users come from the environment variable the file names (password-env:), else from\n" +
			"--password-stdin (lines USER:PASSWORD), else a prompt on the terminal; never from the file or the command\n" +
			"line. Users declared with certificate: get a client certificate (CN = user, clientAuth) from the --pki\n" +
			"client CA, written beside the others (key 0600; an existing file is replaced only with --force).\n" +
			"Never deletes or demotes user root or the root role, never removes the identity applying the plan from\n" +
			"root, and enables auth only when user root has the root role and this context can still act afterwards.\n" +
			"A failure part way says what was applied; applying again completes the plan.",
		Flags: planFlags(
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "apply without asking"},
			&cli.BoolFlag{Name: "password-stdin", Usage: "read new users' passwords from standard input, one USER:PASSWORD line each"},
			keyTypeFlag(),
		),
		Action: rbacApplyAction,
	}
}

// planned is a plan with what it was made from.
type planned struct {
	*session
	file string
	plan *rbac.Plan
	pki  *rbac.PKI
}

func makePlan(c *cli.Context, ctx context.Context) (*planned, error) {
	if err := clix.Args(c, 1, 1); err != nil {
		return nil, err
	}
	file := c.Args().First()
	want, err := loadModel(file)
	if err != nil {
		return nil, err
	}
	pki, err := openPKI(c)
	if err != nil {
		return nil, err
	}
	s, err := connect(c)
	if err != nil {
		return nil, err
	}
	// Only the users whose password: the file states need a probe.
	live, err := s.readLive(ctx, func(user string) bool {
		u := want.User(user)
		return u != nil && u.Password != nil
	})
	if err != nil {
		s.Close()
		return nil, err
	}
	// Whether the server takes certificate CNs matters only to enable auth.
	enabling := want.Auth != nil && *want.Auth && !*live.Auth
	id, err := s.identity(ctx, enabling)
	if err != nil {
		s.Close()
		return nil, err
	}
	plan, err := rbac.Diff(live, want, rbac.DiffOptions{Prune: c.Bool("prune"), Identity: id, Certs: pki, Force: c.Bool("force"), File: file})
	if err != nil {
		s.Close()
		return nil, clix.Wrap(err, "")
	}
	return &planned{session: s, file: file, plan: plan, pki: pki}, nil
}

// print writes the plan to stdout (the data) and its notes to stderr.
func (p *planned) print(c *cli.Context) {
	paint := clix.Painter{On: clix.Color(c.App.Writer)}
	for _, ch := range p.plan.Changes {
		line := ch.String()
		switch ch.Sign() {
		case "+":
			line = paint.Green(line)
		case "-":
			line = paint.Red(line)
		default:
			line = paint.Yellow(line)
		}
		clix.Println(c.App.Writer, line)
	}
	for _, n := range p.plan.Notes {
		fmt.Fprintln(c.App.ErrWriter, "note: "+n)
	}
	if len(p.plan.Changes) == 0 {
		fmt.Fprintf(c.App.ErrWriter, "No changes: the cluster matches %s.\n", p.file)
	}
}

func rbacPlanAction(c *cli.Context) error {
	ctx, cancel := context.WithTimeout(c.Context, rbacTimeout)
	defer cancel()
	p, err := makePlan(c, ctx)
	if err != nil {
		return err
	}
	defer p.Close()
	p.print(c)
	if len(p.plan.Changes) > 0 {
		return &clix.ExitError{Code: clix.ExitFailure}
	}
	return nil
}

func rbacApplyAction(c *cli.Context) error {
	kt, err := keyType(c)
	if err != nil {
		return err
	}
	if c.Bool("password-stdin") && clix.IsTTY(c.App.Reader) {
		return clix.Usage("on a terminal, leave --password-stdin out: apply asks for each new user's password without echo", "--password-stdin reads USER:PASSWORD lines from a pipe or file, and standard input is a terminal (what you typed would show)")
	}
	planCtx, cancel := context.WithTimeout(c.Context, rbacTimeout)
	defer cancel()
	p, err := makePlan(c, planCtx)
	if err != nil {
		return err
	}
	defer p.Close()
	p.print(c)
	n := len(p.plan.Changes)
	if n == 0 {
		return nil
	}
	pw, ask, err := passwordSources(c, p.plan.NeedPasswords())
	if err != nil {
		return err
	}
	if !c.Bool("yes") {
		if err := confirm(c, fmt.Sprintf("Apply these %d changes to context %s?", n, p.spec.Name)); err != nil {
			return err
		}
	}
	for _, user := range ask {
		if pw[user], err = promptNewPassword(c, user); err != nil {
			return err
		}
	}
	// A fresh deadline: the time spent at the prompts does not count.
	ctx, cancel := context.WithTimeout(c.Context, rbacTimeout)
	defer cancel()
	err = rbac.Apply(ctx, p.cli, p.plan, rbac.ApplyOptions{
		Passwords: pw, PKI: p.pki, KeyType: kt,
		Done: func(ch rbac.Change, files []string) {
			for _, f := range files {
				mode := certwiz.CertMode
				if strings.HasSuffix(f, ".key") {
					mode = certwiz.KeyMode
				}
				fmt.Fprintf(c.App.ErrWriter, "Wrote %s (%#o)\n", f, mode)
			}
			fmt.Fprintln(c.App.ErrWriter, "Applied: "+ch.String())
		},
		Verify: p.verify,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "Applied %d changes to context %s.\n", n, p.spec.Name)
	return nil
}

// verify proves, with a fresh connection, that the context can still
// manage the cluster (after auth enable).
func (p *planned) verify(ctx context.Context) error {
	cli, err := v3client.New(p.spec.Settings())
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	_, err = cli.UserList(ctx)
	return err
}

// passwordSources finds each new user's password: the environment variable
// the file names, else a USER:PASSWORD line on stdin (--password-stdin);
// the users left are asked on the terminal (ask) after the confirmation.
func passwordSources(c *cli.Context, need []rbac.Change) (map[string]string, []string, error) {
	pw := map[string]string{}
	var stdin map[string]string
	if c.Bool("password-stdin") {
		var err error
		if stdin, err = readPasswordLines(c.App.Reader); err != nil {
			return nil, nil, err
		}
	}
	var ask []string
	for _, ch := range need {
		switch {
		case ch.PasswordEnv != "":
			v := os.Getenv(ch.PasswordEnv)
			if v == "" {
				return nil, nil, clix.Usage("export it before apply, or drop password-env: to be asked instead", "user %s: $%s (its password-env) is not set or empty", ch.User, ch.PasswordEnv)
			}
			pw[ch.User] = v
		case stdin[ch.User] != "":
			pw[ch.User] = stdin[ch.User]
		case c.Bool("password-stdin") || !clix.IsTTY(c.App.Reader):
			return nil, nil, clix.Usage("name an environment variable in the file (password-env:), pipe a USER:PASSWORD line into --password-stdin, or run on a terminal", "user %s needs a password and none was given", ch.User)
		default:
			ask = append(ask, ch.User)
		}
	}
	return pw, ask, nil
}

// readPasswordLines reads USER:PASSWORD lines (the user is what etcdctl's
// --user takes before its colon); a malformed line is named by number only.
func readPasswordLines(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(io.LimitReader(r, 1<<20))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		user, pass, ok := strings.Cut(line, ":")
		if !ok || user == "" || pass == "" {
			return nil, clix.Usage("one USER:PASSWORD per line", "--password-stdin: line %d is not USER:PASSWORD", n)
		}
		out[user] = pass
	}
	return out, sc.Err()
}

// confirm asks on the terminal; without one it refuses.
func confirm(c *cli.Context, question string) error {
	if !clix.IsTTY(c.App.Reader) || !clix.IsTTY(c.App.ErrWriter) {
		return clix.Usage("review the changes with 'etcd-certwiz rbac plan FILE', then pass --yes", "not applying without confirmation, and there is no terminal to ask")
	}
	fmt.Fprintf(c.App.ErrWriter, "%s [y/N] ", question)
	answer, err := clix.Interruptible(c, func() (string, error) { return bufio.NewReader(c.App.Reader).ReadString('\n') })
	if err != nil && err != io.EOF {
		return err
	}
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return clix.Fail("", "not applied")
	}
	return nil
}

func promptNewPassword(c *cli.Context, user string) (string, error) {
	fd := int(c.App.Reader.(*os.File).Fd())
	read := func(label string) (string, error) {
		fmt.Fprintf(c.App.ErrWriter, "%s: ", label)
		b, err := clix.Interruptible(c, func() ([]byte, error) { return term.ReadPassword(fd) })
		if err != nil {
			return "", err
		}
		fmt.Fprintln(c.App.ErrWriter)
		return string(b), err
	}
	first, err := read("Password for new user " + user)
	if err != nil {
		return "", err
	}
	if first == "" {
		return "", clix.Usage("", "empty password for %s", user)
	}
	again, err := read("Again")
	if err != nil {
		return "", err
	}
	if again != first {
		return "", clix.Fail("type the same password twice", "the passwords for %s do not match", user)
	}
	return first, nil
}
