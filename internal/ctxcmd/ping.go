package ctxcmd

import (
	"context"
	"fmt"
	"strings"
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
		hint := fmt.Sprintf("run 'etcd-diag --context %s' to find out why", spec.Name)
		if len(spec.Cert.PEM) == 0 && refusedWithoutCert(firstErr) {
			// A member under --client-cert-auth closes the connection
			// of a client that sent no certificate, after the handshake
			// (TLS 1.3): the client sees only a broken pipe or a reset.
			hint = fmt.Sprintf("the member closed the connection after TLS, and this context has no client certificate: if the member requires one (--client-cert-auth), add it with 'etcd-ctx set %s --cert FILE --key FILE'; 'etcd-diag --context %s' tells", spec.Name, spec.Name)
		}
		return clix.Fail(hint, "%d of %d endpoints failed; first: %w", failed, len(p.Endpoints), firstErr)
	}
	return nil
}

// refusedWithoutCert reports whether err is how a TLS 1.3 server's refusal
// of a missing client certificate reaches a client: the alert itself, or
// the connection closed under the first request.
func refusedWithoutCert(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "certificate required") || strings.Contains(msg, "broken pipe") || strings.Contains(msg, "connection reset by peer")
}
