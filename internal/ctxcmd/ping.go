package ctxcmd

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

func pingCommand() *cli.Command {
	return &cli.Command{
		Name:      "ping",
		Usage:     "one status call per endpoint with the stored credentials (version, leader, latency)",
		ArgsUsage: "[NAME]",
		Flags: []cli.Flag{configFlag(),
			&cli.DurationFlag{Name: "timeout", Value: 3 * time.Second, Usage: "time allowed per endpoint"},
		},
		Action: pingAction,
	}
}

func pingAction(c *cli.Context) error {
	if err := clix.Args(c, 0, 1); err != nil {
		return err
	}
	spec, err := loadSpec(c, c.Args().First())
	if err != nil {
		return err
	}
	cfg, err := spec.Settings().ClientConfig()
	if err != nil {
		return explain(err)
	}
	cfg.DialTimeout = c.Duration("timeout")
	cli, err := clientv3.New(cfg)
	if err != nil {
		return explain(err)
	}
	defer cli.Close()
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENDPOINT\tVERSION\tLEADER\tLATENCY")
	failed := 0
	var firstErr error
	for _, ep := range cfg.Endpoints {
		ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
		start := time.Now()
		st, err := cli.Status(ctx, ep)
		cancel()
		if err != nil {
			failed++
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: %v", ep, err)
			}
			fmt.Fprintf(tw, "%s\t-\t-\tFAILED\n", ep)
			continue
		}
		leader := "no"
		if st.Leader == st.Header.MemberId {
			leader = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ep, st.Version, leader, time.Since(start).Round(100*time.Microsecond))
	}
	tw.Flush()
	if failed > 0 {
		return clix.Fail(fmt.Sprintf("run 'etcd-diag --context %s' to find out why", spec.Name),
			"%d of %d endpoints failed; first: %v", failed, len(cfg.Endpoints), firstErr)
	}
	return nil
}
