package certcmd

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"github.com/manifoldco/promptui"
	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

// wizard asks for a plan step by step on the terminal. Prompts draw on
// stderr (clix.NoBell); every answer is validated as it is typed.
type wizard struct {
	c     *cli.Context
	color bool
}

// runWizard builds a plan interactively and returns it completed, after the
// user confirmed the summary. Only called with a terminal on stdin and stdout.
func runWizard(c *cli.Context) (*certwiz.Plan, error) {
	w := &wizard{c: c, color: clix.Color(os.Stderr)}
	fmt.Fprintln(c.App.ErrWriter, "etcd-certwiz: answer each question; Enter takes the default shown. Ctrl-C aborts without writing anything.")
	plan, err := w.plan()
	if err != nil {
		return nil, err
	}
	if err := plan.Complete(); err != nil {
		return nil, clix.UsageOn[*certwiz.PlanError](err)
	}
	w.summary(plan)
	if ok, err := w.yesNo("Write the plan and the certificates?", true); err != nil || !ok {
		if err == nil {
			err = &clix.ExitError{Code: clix.ExitFailure}
			fmt.Fprintln(c.App.ErrWriter, "Nothing written.")
		}
		return nil, err
	}
	return plan, nil
}

func (w *wizard) plan() (*certwiz.Plan, error) {
	p := &certwiz.Plan{}
	var err error
	steps := []func() error{
		func() (err error) {
			p.Cluster, err = w.ask("Cluster name", certwiz.DefaultCluster, validCluster)
			return
		},
		func() (err error) { p.Out, err = w.ask("Output directory", certwiz.DefaultOut, nonEmpty); return },
		func() (err error) { p.KeyType, err = w.keyType(); return },
		func() error {
			sep, err := w.yesNo("Separate CA for peer certificates (recommended)?", true)
			p.SeparatePeerCA = &sep
			return err
		},
		func() (err error) { p.Members, err = w.members(); return },
		func() (err error) { p.Clients, err = w.clients(); return },
		func() (err error) { p.CADays, err = w.days("CA validity (days)", certwiz.DefaultCADays, 0); return },
		func() (err error) {
			p.LeafDays, err = w.days("Leaf certificate validity (days)", certwiz.DefaultLeafDays, p.CADays)
			return
		},
	}
	for _, step := range steps {
		if err = step(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (w *wizard) keyType() (certwiz.KeyType, error) {
	items := make([]string, len(certwiz.KeyTypes))
	for i, kt := range certwiz.KeyTypes {
		items[i] = string(kt)
		if i == 0 {
			items[i] += " (default)"
		}
	}
	i, err := w.choose("Key type", items)
	if err != nil {
		return "", err
	}
	kt := certwiz.KeyTypes[i]
	if msg := kt.Warning(); msg != "" {
		fmt.Fprintln(w.c.App.ErrWriter, "warning: "+msg)
	}
	return kt, nil
}

func (w *wizard) members() ([]certwiz.Member, error) {
	n, err := w.days("Number of members (odd: 1, 3 or 5)", 3, 15)
	if err != nil {
		return nil, err
	}
	var members []certwiz.Member
	for i := range n {
		m, err := w.member(i, members)
		if err != nil {
			return nil, err
		}
		members = append(members, m)
	}
	return members, nil
}

func (w *wizard) member(i int, before []certwiz.Member) (certwiz.Member, error) {
	var m certwiz.Member
	var err error
	unique := func(s string) error {
		if err := certwiz.ValidName("member", s); err != nil {
			return err
		}
		if slices.ContainsFunc(before, func(o certwiz.Member) bool { return o.Name == s }) {
			return fmt.Errorf("member %q already exists", s)
		}
		return nil
	}
	n := i + 1
	if m.Name, err = w.ask(fmt.Sprintf("Member %d name", n), fmt.Sprintf("etcd-%d", i), unique); err != nil {
		return m, err
	}
	ips, err := w.ask(fmt.Sprintf("Member %d IP addresses (comma-separated)", n), "", listOf(certwiz.ValidIP))
	if err != nil {
		return m, err
	}
	m.IPs = splitList(ips)
	dns, err := w.ask(fmt.Sprintf("Member %d extra DNS names (comma-separated, optional)", n), "", listOf(validDNSOnly))
	if err != nil {
		return m, err
	}
	m.DNS = splitList(dns)
	curl, err := w.ask(fmt.Sprintf("Member %d client URL", n), m.DefaultURL(certwiz.DefaultClientPort), certwiz.ValidURL)
	if err != nil {
		return m, err
	}
	purl, err := w.ask(fmt.Sprintf("Member %d peer URL", n), m.DefaultURL(certwiz.DefaultPeerPort), certwiz.ValidURL)
	m.ClientURLs, m.PeerURLs = []string{curl}, []string{purl}
	return m, err
}

func (w *wizard) clients() ([]certwiz.Client, error) {
	names, err := w.ask("Client certificates (names, comma-separated)", "root", clientNames)
	if err != nil {
		return nil, err
	}
	var clients []certwiz.Client
	for _, name := range splitList(names) {
		cn, err := w.ask("etcd user (CN) for client "+name, name, nonEmpty)
		if err != nil {
			return nil, err
		}
		clients = append(clients, certwiz.Client{Name: name, CN: cn})
	}
	return clients, nil
}

func (w *wizard) days(label string, def, limit int) (int, error) {
	s, err := w.ask(label, strconv.Itoa(def), func(s string) error {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		switch {
		case err != nil || n <= 0:
			return errors.New("a positive whole number")
		case limit > 0 && n > limit:
			return fmt.Errorf("at most %d", limit)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(s))
}

// summary shows what will be written, with every certificate's SANs: the
// part people get wrong by hand.
func (w *wizard) summary(p *certwiz.Plan) {
	out := w.c.App.ErrWriter
	fmt.Fprintf(out, "\nCluster %s, %s keys, CA %d days, leaves %d days, into %s\n", p.Cluster, p.KeyType, p.CADays, p.LeafDays, p.Out)
	peerCA := "ca.crt (shared)"
	if p.PeerCASeparate() {
		peerCA = "peer-ca.crt (separate)"
	}
	fmt.Fprintf(out, "  CA: ca.crt; peer CA: %s\n", peerCA)
	for _, m := range p.Members {
		fmt.Fprintf(out, "  %s/server.crt  SANs %s\n", m.Name, strings.Join(m.ServerHosts().Strings(), ", "))
		fmt.Fprintf(out, "  %s/peer.crt    SANs %s\n", m.Name, strings.Join(m.PeerHosts().Strings(), ", "))
	}
	for _, cl := range p.Clients {
		fmt.Fprintf(out, "  clients/%s.crt  CN %s\n", cl.Name, cl.CN)
	}
	fmt.Fprintln(out)
}

// ask prompts for one line; an empty answer takes def. The reason an answer
// is invalid shows beside the label while it is typed (promptui itself only
// shows it after Enter).
func (w *wizard) ask(label, def string, validate func(string) error) (string, error) {
	var why string
	check := func(s string) error {
		err := validate(strings.TrimSpace(s))
		why = ""
		if err != nil {
			why = err.Error()
		}
		return err
	}
	funcs := template.FuncMap{}
	maps.Copy(funcs, promptui.FuncMap)
	funcs["why"] = func() string { return why }
	p := promptui.Prompt{Label: label, Default: def, Validate: check, Stdout: clix.NoBell{}, Templates: &promptui.PromptTemplates{
		Prompt:          `{{ . | bold }}: `,
		Valid:           `{{ "✔" | green }} {{ . | bold }}: `,
		Invalid:         `{{ "✗" | red }} {{ . | bold }} {{ printf "[%s]" why | red }}: `,
		Success:         `{{ . | faint }}: `,
		ValidationError: `{{ ">>" | red }} {{ . | red }}`,
		FuncMap:         funcs,
	}}
	if !w.color {
		p.Templates = &promptui.PromptTemplates{
			Prompt: "{{ . }}: ", Valid: "{{ . }}: ", Invalid: `{{ . }} [{{ why }}]: `, Success: "{{ . }}: ",
			ValidationError: ">> {{ . }}", FuncMap: funcs,
		}
	}
	s, err := p.Run()
	return strings.TrimSpace(s), promptError(err)
}

// choose offers items; Enter takes the first.
func (w *wizard) choose(label string, items []string) (int, error) {
	sel := promptui.Select{Label: label, Items: items, Size: len(items), Stdout: clix.NoBell{}, HideHelp: true}
	if !w.color {
		sel.Templates = &promptui.SelectTemplates{Label: "{{ . }}:", Active: "> {{ . }}", Inactive: "  {{ . }}", Selected: label + ": {{ . }}"}
	}
	i, _, err := sel.Run()
	return i, promptError(err)
}

func (w *wizard) yesNo(label string, def bool) (bool, error) {
	items := []string{"yes", "no"}
	if !def {
		items = []string{"no", "yes"}
	}
	i, err := w.choose(label, items)
	return items[i] == "yes", err
}

// promptError turns Ctrl-C/Ctrl-D into a quiet exit 1.
func promptError(err error) error {
	if errors.Is(err, promptui.ErrInterrupt) || errors.Is(err, promptui.ErrEOF) || errors.Is(err, promptui.ErrAbort) {
		return &clix.ExitError{Code: clix.ExitFailure}
	}
	return err
}

func validCluster(s string) error {
	if s == "" {
		return errors.New("a name is needed")
	}
	return certwiz.ValidName("cluster", s)
}

func nonEmpty(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("an answer is needed")
	}
	return nil
}

func validDNSOnly(s string) error {
	ip, _, err := certwiz.ClassifyHost(s)
	if err != nil {
		return err
	}
	if ip != nil {
		return fmt.Errorf("%s is an IP address; it belongs in the IP list", s)
	}
	return nil
}

// listOf validates each comma-separated entry of a list.
func listOf(each func(string) error) promptui.ValidateFunc {
	return func(s string) error {
		for _, e := range splitList(s) {
			if err := each(e); err != nil {
				return err
			}
		}
		return nil
	}
}

func clientNames(s string) error {
	names := splitList(s)
	for i, n := range names {
		if err := certwiz.ValidName("client", n); err != nil {
			return err
		}
		if slices.Contains(names[:i], n) {
			return fmt.Errorf("client %q is listed twice", n)
		}
	}
	return nil
}

func splitList(s string) []string { return clix.SplitList([]string{s}) }

func joinComma(s []string) string { return strings.Join(s, ",") }
