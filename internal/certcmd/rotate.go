package certcmd

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
	"github.com/etcd-ctx/etcd-ctx/pki"
	"github.com/etcd-ctx/etcd-ctx/rotation"
)

// etcd-certwiz rotate: CA rotation of a running cluster as a state machine
// in DIR/rotation.yaml. One file per operation: rotate_start.go,
// rotate_status.go, rotate_next.go (next and abort).
func rotateCommand() *cli.Command {
	return &cli.Command{
		Name:  "rotate",
		Usage: "replace the client and peer CAs of a running cluster without downtime: start, status, next, abort",
		Description: "A CA rotation goes through three phases, each checked live before the next:\n" +
			"  1. trust-both: every member trusts the old and the new CA (new bundles, one restart at a time);\n" +
			"  2. serve-new:  every member serves certificates from the new CA (new leaves, no restart);\n" +
			"  3. trust-new:  every member trusts the new CA only (new bundles, one restart at a time);\n" +
			"then the old CA is retired under DIR/retired/. Clients get the old+new bundle in phase 1 and\n" +
			"their new certificates in phase 2. 'start' and 'next' write the files and print what to copy where;\n" +
			"'status' checks the phase's gate live; -o json gives the same as data for automation.",
		Subcommands: []*cli.Command{rotateStartCommand(), rotateStatusCommand(), rotateNextCommand(), rotateAbortCommand()},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return cli.ShowSubcommandHelp(c)
			}
			return clix.Usage("run 'etcd-certwiz rotate --help' to list them: start, status, next, abort", "unknown rotate command %q", c.Args().First())
		},
	}
}

func timeoutFlag() cli.Flag {
	return &cli.DurationFlag{Name: "timeout", Value: 3 * time.Second, Usage: "time each member has to answer its probes"}
}

// rotateArgs is the one DIR argument and the -o format.
func rotateArgs(c *cli.Context) (dir, format string, err error) {
	if err := clix.Args(c, 1, 1); err != nil {
		return "", "", err
	}
	if format, err = clix.Format(c); err != nil {
		return "", "", err
	}
	return c.Args().First(), format, nil
}

// live is a connection to the cluster through an etcd-ctx context, with
// what the context presents and trusts.
type live struct {
	name string
	cli  *clientv3.Client
	cert *x509.Certificate
	cas  []*x509.Certificate
}

func (l *live) close() {
	if l != nil && l.cli != nil {
		l.cli.Close()
	}
}

func (l *live) options(c *cli.Context) rotation.SurveyOptions {
	return rotation.SurveyOptions{Timeout: c.Duration("timeout"), Now: time.Now(), Context: l.name, ContextCert: l.cert, ContextCAs: l.cas}
}

// connectLive opens the context given (or the current one).
func connectLive(c *cli.Context) (*live, error) {
	spec, err := ctxflags.Select(c, "")
	if err != nil {
		return nil, err
	}
	l := &live{name: spec.Name}
	if len(spec.Cert.PEM) > 0 {
		if certs, err := pki.ParseCerts(spec.Cert.PEM); err == nil {
			l.cert = certs[0]
		}
	}
	if len(spec.CA.PEM) > 0 {
		if certs, err := pki.ParseCerts(spec.CA.PEM); err == nil {
			l.cas = certs
		}
	}
	if spec.DialTimeout == 0 {
		spec.DialTimeout = c.Duration("timeout")
	}
	if l.cli, err = dial(spec); err != nil {
		return nil, err
	}
	return l, nil
}

// contextName is the context --context names, else the current one, else
// "" — read from the config file alone (no keyring). With cert, the
// context's client certificate too (which needs its material), to name
// the tree's client it acts as.
func contextName(c *cli.Context, cert bool) (string, *x509.Certificate) {
	if !cert {
		_, cfg, err := ctxflags.Config(c)
		if err != nil {
			return ctxflags.Lookup(c, "context"), nil
		}
		name, err := contexts.Selected(cfg, ctxflags.Lookup(c, "context"))
		if err != nil {
			return ctxflags.Lookup(c, "context"), nil
		}
		return name, nil
	}
	spec, err := ctxflags.Select(c, "")
	if err != nil {
		return ctxflags.Lookup(c, "context"), nil
	}
	if certs, err := pki.ParseCerts(spec.Cert.PEM); err == nil {
		return spec.Name, certs[0]
	}
	return spec.Name, nil
}

// rotationError turns the rotation package's errors into a line and a hint.
func rotationError(err error) error {
	var (
		layout *rotation.LayoutError
		phase  *rotation.PhaseError
		exists *certwiz.ExistsError
	)
	switch {
	case errors.As(err, &layout):
		return clix.Wrap(err, layout.Hint)
	case errors.As(err, &phase):
		return clix.Wrap(err, phase.Hint())
	case errors.As(err, &exists):
		return clix.Wrap(err, "the rotation replaces only files it wrote itself, or the originals it recorded at start: move that file away, or pass --force to replace it")
	case errors.Is(err, fs.ErrNotExist) && clix.HintOf(err) == "":
		return clix.Wrap(err, "check the path: the PKI directory (certwiz's tree, or kubeadm's /etc/kubernetes/pki/etcd), and that every file it names is there")
	}
	return err
}

// rotationJSON is what start, status and next print with -o json: the
// phase, its gate and, per member, the actions.
type rotationJSON struct {
	Dir      string                  `json:"dir"`
	Layout   string                  `json:"layout"`
	Phase    rotation.Phase          `json:"phase"`
	Step     int                     `json:"step"`
	Steps    int                     `json:"steps"`
	Title    string                  `json:"title"`
	Scope    rotation.Scope          `json:"scope"`
	ClientCA *caJSON                 `json:"clientCA,omitempty"`
	PeerCA   *caJSON                 `json:"peerCA,omitempty"`
	Gate     gateJSON                `json:"gate"`
	Actions  []rotation.MemberAction `json:"actions"`
	Clients  []rotation.ClientAction `json:"clients"`
	Contexts []string                `json:"contexts"`
	Members  []rotation.MemberView   `json:"members,omitempty"`
	Cluster  *rotation.ClusterView   `json:"cluster,omitempty"`
	Verified map[string]time.Time    `json:"verified,omitempty"`
	Next     string                  `json:"next,omitempty"`
	Retired  string                  `json:"retired,omitempty"`
	History  []rotation.Event        `json:"-"`
	state    *rotation.State
}

type caJSON struct {
	File string         `json:"file"`
	Old  rotation.CARef `json:"old"`
	New  rotation.CARef `json:"new"`
}

type gateJSON struct {
	Description string   `json:"description"`
	Checked     bool     `json:"checked"` // a live check ran
	Holds       bool     `json:"holds"`
	Pending     []string `json:"pending"` // one line per member or cluster need, with its fix
	Forced      bool     `json:"forced,omitempty"`
}

func newRotationJSON(s *rotation.State, ctxName string, ctxCert *x509.Certificate) *rotationJSON {
	info := s.Info(s.Phase)
	plan := s.Actions()
	out := &rotationJSON{Dir: s.Dir(), Layout: s.Layout, Phase: s.Phase, Step: info.Step, Steps: info.Steps, Title: info.Title,
		Scope: s.Scope, Gate: gateJSON{Description: info.Gate, Pending: []string{}}, Actions: plan.Members, Clients: plan.Clients,
		Contexts: s.ContextCommands(ctxName, ctxCert), state: s}
	if out.Contexts == nil {
		out.Contexts = []string{}
	}
	ca := func(ch *rotation.CAChange) *caJSON {
		if ch == nil {
			return nil
		}
		old, nu := ch.Old, ch.New
		old.Cert, nu.Cert = s.Path(old.Cert), s.Path(nu.Cert)
		return &caJSON{File: s.Path(ch.File), Old: old, New: nu}
	}
	out.ClientCA, out.PeerCA = ca(s.ClientCA), ca(s.PeerCA)
	if rotation.NextPhase(s.Phase) != "" {
		out.Next = "etcd-certwiz rotate next " + shellWord(s.Dir())
	}
	if s.Phase == rotation.PhaseDone || s.Phase == rotation.PhaseAborted {
		out.Retired = s.RetiredDir()
	}
	return out
}

func (o *rotationJSON) withSurvey(r *rotation.Report) {
	o.Members, o.Cluster = r.Members, &r.Cluster
	o.Gate.Checked, o.Gate.Holds, o.Gate.Pending = true, r.Holds, r.Pending()
	o.leaderLast(r.Cluster.Leader)
}

// leaderLast orders restarts with the leader last.
func (o *rotationJSON) leaderLast(leader string) {
	o.Actions = rotation.Plan{Members: o.Actions}.LeaderLast(leader).Members
}

func shellWord(s string) string { return certwiz.ShellJoin([]string{s}) }

// printPhase prints the current phase's checklist: what to do on each
// member and client, then how to check and go on.
func printPhase(w io.Writer, p clix.Painter, o *rotationJSON) {
	s := o.state
	fmt.Fprintf(w, "%s %s\n", p.Bold(fmt.Sprintf("Phase %d of %d:", o.Step, o.Steps)), o.Title)
	restart := false
	for _, a := range o.Actions {
		restart = restart || a.Restart
	}
	if len(o.Actions) > 0 {
		if restart {
			fmt.Fprintln(w, "→ on each member, one at a time: copy, restart etcd, and wait until it is healthy before the next")
		} else {
			fmt.Fprintln(w, "→ on each member (no restart: etcd reads certificate files on each new connection):")
		}
	}
	for _, a := range o.Actions {
		for i, cp := range a.Copy {
			label := ""
			if i == 0 {
				label = a.Member + ":"
			}
			fmt.Fprintf(w, "    %-10s cp %s %s\n", label, shellWord(cp.From), shellWord(cp.To))
		}
		if a.Restart {
			label := ""
			if len(a.Copy) == 0 {
				label = a.Member + ":"
			}
			fmt.Fprintf(w, "    %-10s restart etcd on %s\n", label, a.Member)
		}
		if a.Note != "" {
			fmt.Fprintf(w, "    %-10s (%s)\n", "", a.Note)
		}
	}
	printClients(w, o)
	if len(o.Contexts) > 0 {
		fmt.Fprintln(w, "→ etcd-ctx contexts (after the copy above):")
		for _, l := range o.Contexts {
			fmt.Fprintln(w, "    "+l)
		}
	}
	if info := s.Info(s.Phase); info.Gate != "" {
		fmt.Fprintf(w, "→ check: etcd-certwiz rotate status %s   (exit 0 once %s)\n", shellWord(s.Dir()), info.Gate)
	}
	if o.Next != "" {
		fmt.Fprintf(w, "→ then:  %s\n", o.Next)
	}
}

// printClients groups the clients' copies that are the same.
func printClients(w io.Writer, o *rotationJSON) {
	if len(o.Clients) == 0 {
		return
	}
	type group struct {
		cp      rotation.Copy
		names   []string
		restart bool
	}
	var groups []*group
	for _, a := range o.Clients {
		for _, cp := range a.Copy {
			var g *group
			for _, x := range groups {
				if x.cp == cp {
					g = x
				}
			}
			if g == nil {
				g = &group{cp: cp, restart: a.Restart}
				groups = append(groups, g)
			}
			g.names = append(g.names, a.Client)
		}
	}
	switch o.Phase {
	case rotation.PhaseTrustBoth:
		fmt.Fprintln(w, "→ every client trusts both CAs too, before any member serves a certificate from the new one:")
	case rotation.PhaseServeNew:
		fmt.Fprintln(w, "→ every client gets its new certificate, before the old client CA is dropped (phase 3):")
	default:
		fmt.Fprintln(w, "→ clients:")
	}
	for _, g := range groups {
		what := "client " + strings.Join(g.names, ", ")
		if len(g.names) > 1 {
			what = "clients " + strings.Join(g.names, ", ")
		}
		if g.restart {
			what += "; restart them to read it"
		}
		fmt.Fprintf(w, "    cp %s %s   (%s)\n", shellWord(g.cp.From), shellWord(g.cp.To), what)
	}
}

// printSurvey prints each member's live state against the gate.
func printSurvey(w io.Writer, p clix.Painter, o *rotationJSON) {
	for _, m := range o.Members {
		mark := p.Green("✓")
		if !m.OK {
			mark = p.Red("✗")
		}
		fmt.Fprintf(w, "%s %-8s client %s\n", mark, m.Member, portLine(m.Client))
		fmt.Fprintf(w, "  %-8s peer   %s\n", "", portLine(m.Peer))
		for _, n := range m.Needs {
			fmt.Fprintf(w, "  %s %s\n", p.Red("→"), n)
		}
	}
	cl := o.Cluster
	if cl == nil {
		return
	}
	if cl.Healthy {
		fmt.Fprintf(w, "%s cluster: %d members, leader %s\n", p.Green("✓"), cl.Members, cl.Leader)
	} else {
		fmt.Fprintf(w, "%s cluster:\n", p.Red("✗"))
	}
	for _, n := range cl.Needs {
		fmt.Fprintf(w, "  %s %s\n", p.Red("→"), n)
	}
}

func portLine(v rotation.PortView) string {
	if v.URL == "" {
		return "-"
	}
	if v.Serial == "" {
		return v.URL + "  unreachable"
	}
	var parts []string
	yn := func(b *bool) string {
		switch {
		case b == nil:
			return "?"
		case *b:
			return "yes"
		}
		return "no"
	}
	if v.AcceptsNewCA != nil || v.AcceptsOldCA != nil {
		parts = append(parts, "accepts new CA "+yn(v.AcceptsNewCA)+", old "+yn(v.AcceptsOldCA))
	} else if !v.AsksClientCert {
		parts = append(parts, "asks no client certificate")
	}
	serves := "serves serial " + v.Serial
	if v.ServedCA != "" {
		serves = "serves " + v.ServedCA + "-CA serial " + v.Serial
	}
	if v.Current != nil {
		if *v.Current {
			serves += " (the file's)"
		} else {
			serves += " (the file has " + v.FileSerial + ")"
		}
	}
	return v.URL + "  " + strings.Join(append(parts, serves), "; ")
}

// surveyState runs the live check of the rotation in progress and records
// the verification times.
func surveyState(c *cli.Context, s *rotation.State, l *live) (*rotation.Report, error) {
	var cli *clientv3.Client
	opts := rotation.SurveyOptions{Timeout: c.Duration("timeout"), Now: time.Now()}
	if l != nil {
		cli, opts = l.cli, l.options(c)
	}
	r, err := rotation.Survey(c.Context, cli, s, opts)
	if err != nil {
		return nil, rotationError(err)
	}
	return r, nil
}

// relDir shortens dir for messages when it is below the working directory.
func relDir(dir string) string {
	if wd, err := filepath.Abs("."); err == nil {
		if r, err := filepath.Rel(wd, dir); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
	}
	return dir
}
