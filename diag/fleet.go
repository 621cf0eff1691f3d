package diag

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// Target is one cluster of a fleet run: a name (the etcd-ctx context) and
// how to read its input (config, files, keyring), called in the worker that
// then diagnoses it.
type Target struct {
	Name string
	Load func() (Input, error)
}

// FleetOptions bounds a fleet run.
type FleetOptions struct {
	// Parallel is how many diagnoses run at once; 0 or less means
	// DefaultParallel().
	Parallel int
	// Progress, when set, is called after each target is done with the
	// number done so far and the total (from one goroutine at a time).
	Progress func(done, total int)
}

// PerCPU is how many diagnoses DefaultParallel allows per CPU: a diagnosis
// mostly waits on the network (a few TLS handshakes of CPU, a few sockets),
// so one wave covers a fleet of tens of clusters even on a small machine.
const PerCPU = 32

// DefaultParallel is the default bound of a fleet run: PerCPU times the
// CPUs Go may use.
func DefaultParallel() int { return PerCPU * runtime.GOMAXPROCS(0) }

// DiagnoseAll diagnoses every target, at most opts.Parallel at once, each
// with its own Input.Timeout (the same deadline rule as Diagnose), and
// returns their reports in the targets' order. Each target's deadline
// counts from the moment its turn came (before Load). A target whose Load
// fails gets a report with Error set and Healthy false. When the targets
// fit in one wave, the whole run takes one timeout however many clusters
// hang; with more, each wave can.
func DiagnoseAll(ctx context.Context, targets []Target, opts FleetOptions) []*Report {
	parallel := opts.Parallel
	if parallel <= 0 {
		parallel = DefaultParallel()
	}
	reports := make([]*Report, len(targets))
	slots := make(chan struct{}, parallel)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
	)
	for i, t := range targets {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			reports[i] = diagnoseTarget(ctx, t)
			if opts.Progress != nil {
				mu.Lock()
				done++
				opts.Progress(done, len(targets))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return reports
}

// diagnoseTarget loads and diagnoses one target. Its deadline counts from
// its turn, not from the end of its loading and local checks: on a starved
// CPU, a wave of diagnoses still ends one timeout after it started.
func diagnoseTarget(ctx context.Context, t Target) *Report {
	start := time.Now()
	in, err := t.Load()
	if err != nil {
		return &Report{Context: t.Name, Error: err.Error(), Local: []Check{}, Endpoints: []*Endpoint{}, Findings: []Finding{},
			Elapsed: ms(time.Since(start))}
	}
	if in.Context == "" {
		in.Context = t.Name
	}
	if in.Timeout <= 0 {
		in.Timeout = DefaultTimeout
	}
	dctx, cancel := context.WithDeadline(ctx, start.Add(in.Timeout))
	defer cancel()
	r := Diagnose(dctx, in)
	r.Elapsed = ms(time.Since(start)) // loading included
	return r
}
