package diagcmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

func explainCommand() *cli.Command {
	return &cli.Command{
		Name:      "explain",
		Usage:     "explain an error line from etcdctl, a client log or an etcd member's log, offline: the finding, whose side it is on, and the fix",
		ArgsUsage: `"ERROR TEXT" | -`,
		Flags:     []cli.Flag{clix.OutputFlag("text", "json")},
		Action:    explainAction,
	}
}

func explainAction(c *cli.Context) error {
	if err := clix.Args(c, 1, -1); err != nil {
		return err
	}
	format, err := clix.Format(c)
	if err != nil {
		return err
	}
	text := strings.Join(c.Args().Slice(), " ")
	if text == "-" {
		data, err := io.ReadAll(io.LimitReader(c.App.Reader, 1<<20))
		if err != nil {
			return err
		}
		text = string(data)
	}
	e, ok := diag.Explain(text)
	if !ok {
		return clix.Fail("run etcd-diag against the cluster (etcd-diag --context NAME) to find the cause live", "no known etcd failure in this text")
	}
	if format == "json" {
		return clix.WriteJSON(c.App.Writer, e)
	}
	w := c.App.Writer
	fmt.Fprintf(w, "id:    %s\nside:  %s (%s)\ncause: %s\nfix:   %s\nseen:  %s\n", e.ID, e.Side, e.SideWhy, e.Cause, e.Fix, e.Matched)
	if e.Note != "" {
		fmt.Fprintf(w, "note:  %s\n", e.Note)
	}
	return nil
}
