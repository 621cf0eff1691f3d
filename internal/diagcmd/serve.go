package diagcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

// serveCommand is `etcd-diag serve`: a Prometheus exporter that diagnoses
// the contexts on an interval.
func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "export the diagnosis of every context (or --contexts, --context) as Prometheus metrics, run on an interval",
		Description: "Diagnoses the selected contexts (default: every context of the etcd-ctx config, read afresh\n" +
			"each run) every --interval, one run at a time, and serves the last run's results on /metrics,\n" +
			"per context: etcd_diag_up, etcd_diag_healthy, etcd_diag_findings (by id and severity),\n" +
			"etcd_diag_members, etcd_diag_cert_not_after_seconds (by member, port, role, subject, issuer and\n" +
			"serial), etcd_diag_run_duration_seconds. A scrape never starts a diagnosis. /healthz answers\n" +
			"200 while runs complete. Contexts with keyring secrets need the user's session (a systemd user unit).\n" +
			"Stops cleanly on SIGTERM or SIGINT.",
		Flags: slices.Concat([]cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:9479", Usage: "address to serve /metrics and /healthz on (host:port; port 0 picks one)"},
			&cli.DurationFlag{Name: "interval", Value: time.Minute, Usage: "time from the start of one run to the start of the next (a longer run delays the next, never overlaps it)"},
		}, contextFlags(), probeFlags(), fleetFlags()),
		Action: serveAction,
	}
}

func serveAction(c *cli.Context) error {
	if err := clix.NoArgs(c); err != nil {
		return err
	}
	interval := c.Duration("interval")
	if interval <= 0 {
		return clix.Usage("e.g. --interval 1m", "--interval must be positive")
	}
	if c.Bool("all-contexts") && c.IsSet("contexts") || c.IsSet("context") && isFleet(c) {
		return clix.Usage("give one of --context, --contexts, --all-contexts (the default)", "--context, --contexts and --all-contexts are exclusive")
	}
	opts, err := fleetOptions(c)
	if err != nil {
		return err
	}
	base, err := baseInput(c)
	if err != nil {
		return err
	}
	e := &exporter{log: c.App.ErrWriter, interval: interval, timeout: base.Timeout, started: time.Now(), errs: map[string]string{}}
	load := func() ([]diag.Target, error) { return serveTargets(c, base, &e.hints) }
	if _, err := load(); err != nil {
		return err // a bad selection or config stops the start, not a later run
	}
	ln, err := net.Listen("tcp", c.String("listen"))
	if err != nil {
		return cannotRun(err, "give --listen a free host:port (e.g. 127.0.0.1:9479)")
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(&e.metrics, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", e.healthz)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "etcd-diag exporter: /metrics, /healthz")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	e.logf("serving http://%s/metrics, diagnosing every %s", ln.Addr(), interval)

	ctx := c.Context
	e.loop(ctx, load, opts)
	select {
	case err := <-served:
		return cannotRun(err, "")
	default:
	}
	e.logf("stopping")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return cannotRun(err, "")
	}
	return nil
}

// serveTargets reads the config and the selection afresh: --context NAME,
// --contexts GLOBS, else every context.
func serveTargets(c *cli.Context, base diag.Input, hints *sync.Map) ([]diag.Target, error) {
	store, cfg, err := openConfig(c)
	if err != nil {
		return nil, err
	}
	var names []string
	switch {
	case c.IsSet("context"):
		if _, ok := cfg.Context(c.String("context")); !ok {
			return nil, cannotRun(&contexts.NotFoundError{Name: c.String("context"), Known: cfg.Names()}, "")
		}
		names = []string{c.String("context")}
	case c.IsSet("contexts"):
		names, err = selectContexts(cfg, false, clix.SplitList(c.StringSlice("contexts")))
	default:
		names, err = selectContexts(cfg, true, nil)
	}
	if err != nil {
		return nil, err
	}
	return contextTargets(store, cfg, names, base, hints), nil
}

// exporter runs the diagnoses and holds what /metrics and /healthz show.
type exporter struct {
	metrics           collector
	log               io.Writer
	interval, timeout time.Duration
	started           time.Time

	hints sync.Map // context → the hint of its load error

	mu      sync.Mutex
	lastEnd time.Time
	runs    int
	errs    map[string]string // context → the load error last logged
}

// loop runs the diagnoses until ctx ends: one run at a time, each starting
// an interval after the previous one started (at once if it took longer).
// A run cut short by ctx is not published.
func (e *exporter) loop(ctx context.Context, load func() ([]diag.Target, error), opts diag.FleetOptions) {
	for {
		start := time.Now()
		ts, err := load()
		if err != nil {
			e.logf("error: %s", clix.OneLine(err.Error()))
		} else {
			reports := diag.DiagnoseAll(ctx, ts, opts)
			if ctx.Err() != nil {
				return
			}
			e.publish(reports, time.Since(start))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(start.Add(e.interval))):
		}
	}
}

func (e *exporter) publish(reports []*diag.Report, took time.Duration) {
	e.mu.Lock()
	e.runs++
	e.lastEnd = time.Now()
	runs := e.runs
	var healthy, problems []string
	seen := map[string]bool{}
	for _, r := range reports {
		seen[r.Context] = true
		switch {
		case r.Error != "":
			if e.errs[r.Context] != r.Error {
				e.errs[r.Context] = r.Error
				e.logf("error: context %q: %s", r.Context, clix.OneLine(r.Error))
				if h, ok := e.hints.Load(r.Context); ok {
					fmt.Fprintf(e.log, "hint: %s\n", clix.OneLine(h.(string)))
				}
			}
		case r.Healthy:
			healthy = append(healthy, r.Context)
		default:
			worst, _ := worstFinding(r, clix.Painter{})
			problems = append(problems, r.Context+": "+strings.TrimPrefix(strings.TrimPrefix(worst, "✗ "), "! "))
		}
		if r.Error == "" {
			delete(e.errs, r.Context)
		}
	}
	for name := range e.errs {
		if !seen[name] {
			delete(e.errs, name)
		}
	}
	failed := len(e.errs)
	e.mu.Unlock()
	e.metrics.last.Store(newSnapshot(reports, time.Now(), runs))
	line := fmt.Sprintf("run %d: %d context(s) in %.2f s: %d healthy, %d with problems, %d could not be diagnosed",
		runs, len(reports), took.Seconds(), len(healthy), len(problems), failed)
	if n := len(problems); n > maxLogged {
		problems = append(problems[:maxLogged], fmt.Sprintf("%d more", n-maxLogged))
	}
	if len(problems) > 0 {
		line += " (" + strings.Join(problems, "; ") + ")"
	}
	e.logf("%s", line)
}

// maxLogged is how many contexts with problems a run's log line names.
const maxLogged = 10

// healthz answers 200 while runs complete on time, 503 once none has for
// three intervals plus ten timeouts (a wedged process).
func (e *exporter) healthz(w http.ResponseWriter, _ *http.Request) {
	e.mu.Lock()
	last := e.lastEnd
	if last.IsZero() {
		last = e.started
	}
	e.mu.Unlock()
	if late := time.Since(last); late > 3*e.interval+10*e.timeout {
		http.Error(w, fmt.Sprintf("stale: no run completed for %s", late.Round(time.Second)), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

func (e *exporter) logf(format string, args ...any) {
	fmt.Fprintf(e.log, "%s: %s\n", Name, fmt.Sprintf(format, args...))
}
