package ctxcmd

import (
	"context"
	"fmt"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/conn"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
)

func pingCommand() *cli.Command {
	return &cli.Command{
		Name:      "ping",
		Usage:     "one status call per endpoint with the stored credentials (version, leader, latency)",
		ArgsUsage: "[NAME]",
		Flags: []cli.Flag{ctxflags.ConfigFlag(), contextFlag(),
			&cli.DurationFlag{Name: "timeout", Value: 3 * time.Second, Usage: "time allowed per endpoint"},
		},
		Action: pingAction,
	}
}

func pingAction(c *cli.Context) error {
	name, err := namedContext(c)
	if err != nil {
		return err
	}
	spec, err := ctxflags.Select(c, name)
	if err != nil {
		return err
	}
	p, err := spec.Settings().Prepare()
	if err != nil {
		return err
	}
	results := make([]*conn.StatusInfo, len(p.Endpoints))
	errs := make([]error, len(p.Endpoints))
	var wg sync.WaitGroup
	for i, ep := range p.Endpoints {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
			defer cancel()
			results[i], errs[i] = p.Status(ctx, ep)
		}()
	}
	wg.Wait()
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENDPOINT\tVERSION\tLEADER\tLATENCY")
	failed := 0
	var firstErr error
	for i, ep := range p.Endpoints {
		st := results[i]
		if errs[i] != nil {
			failed++
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", ep, errs[i])
			}
			fmt.Fprintf(tw, "%s\t-\t-\tFAILED\n", ep)
			continue
		}
		leader := "no"
		if st.Leader == st.MemberID {
			leader = "yes"
		}
		if st.Leader == 0 {
			leader = "NONE"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ep, st.Version, leader, st.Latency.Round(100*time.Microsecond))
	}
	tw.Flush()
	if failed > 0 {
		return clix.Fail(fmt.Sprintf("run 'etcd-diag --context %s' to find out why", spec.Name),
			"%d of %d endpoints failed; first: %w", failed, len(p.Endpoints), firstErr)
	}
	return nil
}
