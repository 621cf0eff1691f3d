package diagcmd

import (
	"errors"
	"fmt"
	"os"
	"path"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
)

// fleetFlags select many contexts at once.
func fleetFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "all-contexts", Usage: "diagnose every context of the etcd-ctx config, in parallel"},
		&cli.StringSliceFlag{Name: "contexts", Usage: "diagnose the contexts whose names match these globs, in parallel (comma-separated, e.g. 'prod-*,stage-eu')"},
		&cli.IntFlag{Name: "parallel", Usage: fmt.Sprintf("with --all-contexts or --contexts: how many contexts to diagnose at once (default %d per CPU)", diag.PerCPU)},
	}
}

// isFleet reports whether the flags ask for many contexts.
func isFleet(c *cli.Context) bool { return c.Bool("all-contexts") || c.IsSet("contexts") }

// fleetOptions are the run's bounds from --parallel.
func fleetOptions(c *cli.Context) (diag.FleetOptions, error) {
	n := c.Int("parallel")
	if n < 0 {
		return diag.FleetOptions{}, clix.Usage("e.g. --parallel 16", "--parallel must be positive")
	}
	return diag.FleetOptions{Parallel: n}, nil
}

// oneFlags are the flags that describe a single diagnosis: a context's
// settings overridden, or given outright.
var oneFlags = append([]string{"context"}, ctxflags.ConnFlagNames...)

// targets is what a command diagnoses: the contexts --all-contexts or
// --contexts select, each read when its turn comes (loadContext), or the one
// diagnosis the other flags describe (input).
func targets(c *cli.Context, hints *sync.Map) ([]diag.Target, error) {
	if !isFleet(c) {
		if c.IsSet("parallel") {
			return nil, clix.Usage("e.g. --all-contexts --parallel 16", "--parallel applies to --all-contexts or --contexts")
		}
		in, err := input(c)
		if err != nil {
			return nil, err
		}
		return []diag.Target{{Name: in.Context, Load: func() (diag.Input, error) { return in, nil }}}, nil
	}
	if c.Bool("all-contexts") && c.IsSet("contexts") {
		return nil, clix.Usage("--contexts '*' is --all-contexts", "--all-contexts and --contexts are exclusive")
	}
	for _, f := range oneFlags {
		if c.IsSet(f) {
			return nil, clix.Usage("set them in the contexts (etcd-ctx set NAME …), or diagnose one context with --context NAME --"+f,
				"--%s applies to one diagnosis, not to --all-contexts or --contexts", f)
		}
	}
	base, err := baseInput(c)
	if err != nil {
		return nil, err
	}
	store, cfg, err := openConfig(c)
	if err != nil {
		return nil, err
	}
	names, err := selectContexts(cfg, c.Bool("all-contexts"), clix.SplitList(c.StringSlice("contexts")))
	if err != nil {
		return nil, err
	}
	return contextTargets(store, cfg, names, base, hints), nil
}

// selectContexts returns the config's contexts that the globs match
// (path.Match: * ? [..]), sorted by name; every context with all. A glob
// that matches nothing is an error: a typo must not shrink the fleet
// silently.
func selectContexts(cfg *contexts.Config, all bool, globs []string) ([]string, error) {
	known := cfg.Names()
	slices.Sort(known)
	if all {
		if len(known) == 0 {
			return nil, cannotRun(errors.New("the etcd-ctx config has no contexts"), "add one with 'etcd-ctx add NAME --endpoints https://HOST:2379 …'")
		}
		return known, nil
	}
	if len(globs) == 0 {
		return nil, clix.Usage("e.g. --contexts 'prod-*,stage'", "--contexts needs at least one name or glob")
	}
	var names []string
	for _, g := range globs {
		if _, err := path.Match(g, ""); err != nil {
			return nil, clix.Usage("globs use * ? and [a-z], as in the shell", "--contexts %q: %w", g, err)
		}
		matched := false
		for _, n := range known {
			if ok, _ := path.Match(g, n); ok {
				matched = true
				if !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
		}
		switch {
		case !matched && strings.ContainsAny(g, "*?["):
			return nil, cannotRun(fmt.Errorf("no context matches %q", g), (&contexts.NotFoundError{Known: known}).Hint())
		case !matched:
			return nil, cannotRun(&contexts.NotFoundError{Name: g, Known: known}, "")
		}
	}
	slices.Sort(names)
	return names, nil
}

// contextTargets loads each context through loadContext when its diagnosis
// starts. Keyring reads go one at a time (the Secret Service serves one
// client at a time anyway, and a locked collection prompts once); once the
// keyring failed as a whole, the other contexts that need it fail with the
// same error at once instead of each waiting for the keyring's timeout. The
// hint of each failure is kept in hints for the message.
func contextTargets(store *contexts.Store, cfg *contexts.Config, names []string, base diag.Input, hints *sync.Map) []diag.Target {
	gate := &keyringGate{}
	out := make([]diag.Target, len(names))
	for i, name := range names {
		out[i] = diag.Target{Name: name, Load: func() (diag.Input, error) {
			in := base
			err := gate.do(cfg.UsesKeyring(name), func() error { return loadContext(store, cfg, name, &in) })
			if hints != nil {
				if h := clix.HintOf(err); h != "" {
					hints.Store(name, h)
				} else {
					hints.Delete(name)
				}
			}
			return in, err
		}}
	}
	return out
}

// keyringGate serialises keyring reads and remembers a keyring that failed.
type keyringGate struct {
	mu     sync.Mutex
	broken error
}

func (g *keyringGate) do(keyring bool, load func() error) error {
	if !keyring {
		return load()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.broken != nil {
		return g.broken
	}
	err := load()
	var ke *contexts.KeyringError
	if errors.As(err, &ke) {
		g.broken = err
	}
	return err
}

// fleetExit is the exit status over a set of reports: 2 when any could not
// run, else 1 when any found problems, else 0.
func fleetExit(reports []*diag.Report) error {
	code := clix.ExitOK
	for _, r := range reports {
		switch {
		case r.Error != "":
			code = clix.ExitUsage
		case !r.Healthy && code == clix.ExitOK:
			code = clix.ExitFailure
		}
	}
	if code == clix.ExitOK {
		return nil
	}
	return &clix.ExitError{Code: code}
}

// loadErrors prints why contexts could not be diagnosed, as errors, then
// each distinct hint once.
func loadErrors(c *cli.Context, reports []*diag.Report, hints *sync.Map) {
	var said []string
	for _, r := range reports {
		if r.Error == "" {
			continue
		}
		fmt.Fprintf(c.App.ErrWriter, "%s: error: context %q: %s\n", Name, r.Context, clix.OneLine(r.Error))
		if h, ok := hints.Load(r.Context); ok && !slices.Contains(said, h.(string)) {
			said = append(said, h.(string))
		}
	}
	for _, h := range said {
		fmt.Fprintf(c.App.ErrWriter, "hint: %s\n", clix.OneLine(h))
	}
}

// progress shows "diagnosed 12/22 contexts" on stderr while a run goes on,
// on a terminal only, and clears it at the end.
type progress struct {
	c  *cli.Context
	on bool
}

func newProgress(c *cli.Context, total int) *progress {
	p := &progress{c: c, on: total > 1 && clix.IsTTY(c.App.ErrWriter)}
	p.update(0, total)
	return p
}

func (p *progress) update(done, total int) {
	if p.on {
		fmt.Fprintf(p.c.App.ErrWriter, "\r\x1b[K%s: diagnosed %d/%d contexts…", Name, done, total)
	}
}

func (p *progress) clear() {
	if p.on {
		fmt.Fprint(p.c.App.ErrWriter, "\r\x1b[K")
	}
}

// runFleet diagnoses the targets with the progress line.
func runFleet(c *cli.Context, ts []diag.Target) ([]*diag.Report, error) {
	opts, err := fleetOptions(c)
	if err != nil {
		return nil, err
	}
	p := newProgress(c, len(ts))
	opts.Progress = p.update
	if os.Getenv("GOGC") == "" {
		// A one-shot run over many contexts holds little (20 contexts
		// peak at 28 MiB resident), and a collection each time the heap
		// doubles was 8% of its CPU: collect at five times the live heap.
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	reports := diag.DiagnoseAll(c.Context, ts, opts)
	p.clear()
	return reports, nil
}

// fleetAction is etcd-diag --all-contexts / --contexts: the summary table
// (each context's checklist first with -v), or one JSON report per context.
func fleetAction(c *cli.Context, format string) error {
	var hints sync.Map
	ts, err := targets(c, &hints)
	if err != nil {
		return err
	}
	reports, err := runFleet(c, ts)
	if err != nil {
		return err
	}
	if format == "json" {
		if err := clix.WriteJSON(c.App.Writer, reports); err != nil {
			return err
		}
	} else {
		p := clix.Painter{On: clix.Color(c.App.Writer)}
		if c.Bool("verbose") {
			for _, r := range reports {
				if r.Error != "" {
					fmt.Fprintf(c.App.Writer, "%s: context %q could not be diagnosed: %s\n\n", p.Bold("etcd-diag"), r.Context, clix.OneLine(r.Error))
					continue
				}
				render(c.App.Writer, r, p, c.Duration("timeout"))
				fmt.Fprintln(c.App.Writer)
			}
		}
		renderSummary(c.App.Writer, reports, p)
	}
	loadErrors(c, reports, &hints)
	return fleetExit(reports)
}
