package certcmd

import (
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
	"github.com/etcd-ctx/etcd-ctx/rotation"
)

func rotateStatusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "check the current phase's gate live (exit 0 when it holds, 1 naming each member not there yet and what it needs)",
		ArgsUsage: "DIR",
		Description: "For each member's client and peer port: does it accept a short-lived probe certificate from the new CA\n" +
			"(minted in memory, never written) and still from the old one, and which CA the certificate it serves\n" +
			"chains to; and is the cluster healthy (member list, one leader). Without a rotation in progress it checks\n" +
			"that each member serves the certificates of the tree's files (after 'renew', without a restart).",
		Flags:  []cli.Flag{ctxflags.ContextFlag("etcd-ctx context to reach the cluster with"), ctxflags.ConfigFlag(), timeoutFlag(), clix.OutputFlag("text", "json")},
		Action: rotateStatusAction,
	}
}

func rotateStatusAction(c *cli.Context) error {
	dir, format, err := rotateArgs(c)
	if err != nil {
		return err
	}
	s, err := rotation.Load(dir)
	var none *rotation.NoRotationError
	if errors.As(err, &none) {
		return treeStatus(c, dir, format)
	}
	if err != nil {
		return rotationError(err)
	}
	l, err := connectLive(c)
	if err != nil {
		return err
	}
	defer l.close()
	r, err := surveyState(c, s, l)
	if err != nil {
		return err
	}
	if err := rotation.RecordVerified(dir, s); err != nil {
		return rotationError(err)
	}
	out := newRotationJSON(s, l.name, l.cert)
	out.withSurvey(r)
	if format == "json" {
		if err := clix.WriteJSON(c.App.Writer, out); err != nil {
			return err
		}
	} else {
		printStatus(c, out)
	}
	return gateError(out)
}

// gateError is exit 1 naming what is still pending, or nil.
func gateError(o *rotationJSON) error {
	if o.Gate.Holds {
		return nil
	}
	pending := o.Gate.Pending
	if len(pending) == 0 {
		pending = []string{"the cluster could not be checked"}
	}
	msg := fmt.Sprintf("the gate of phase %s does not hold yet: %s", o.Phase, pending[0])
	if len(pending) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(pending)-1)
	}
	return clix.Fail("do what each ✗ line of 'etcd-certwiz rotate status' says, then check again", "%s", msg)
}

func printStatus(c *cli.Context, o *rotationJSON) {
	w := c.App.Writer
	p := clix.Painter{On: clix.Color(w)}
	s := o.state
	fmt.Fprintf(w, "CA rotation of %s (%s layout, the %s), started %s\n", relDir(s.Dir()), s.Layout, caList(o), s.Started.Local().Format(time.DateTime))
	fmt.Fprintf(w, "%s %s\n", p.Bold(fmt.Sprintf("Phase %d of %d:", o.Step, o.Steps)), o.Title)
	fmt.Fprintf(w, "Gate: %s\n", o.Gate.Description)
	printSurvey(w, p, o)
	if o.Gate.Holds {
		fmt.Fprintf(w, "%s the gate holds → %s\n", p.Green("✓"), o.Next)
		return
	}
	fmt.Fprintln(w)
	printPhase(w, p, o)
}

// treeStatus checks, without a rotation, that each member serves the
// tree's certificates.
func treeStatus(c *cli.Context, dir, format string) error {
	t, err := rotation.FindTree(dir, rotation.TreeOptions{})
	if err != nil {
		return rotationError(err)
	}
	l, err := connectLive(c)
	if err != nil {
		return err
	}
	defer l.close()
	r := rotation.SurveyTree(c.Context, l.cli, t, l.options(c))
	if format == "json" {
		if err := clix.WriteJSON(c.App.Writer, treeJSON{Dir: t.Dir, Layout: t.Layout, Report: r}); err != nil {
			return err
		}
	} else {
		w := c.App.Writer
		fmt.Fprintf(w, "No CA rotation in progress in %s; the certificates each member serves against the tree's files:\n", relDir(t.Dir))
		printSurvey(w, clix.Painter{On: clix.Color(w)}, &rotationJSON{Members: r.Members, Cluster: &r.Cluster})
	}
	return liveError(r)
}

type treeJSON struct {
	Dir    string `json:"dir"`
	Layout string `json:"layout"`
	*rotation.Report
}

func liveError(r *rotation.Report) error {
	if r.Holds {
		return nil
	}
	pending := r.Pending()
	if len(pending) == 0 {
		pending = []string{"the cluster could not be checked"}
	}
	msg := "not every member serves the tree's certificates: " + pending[0]
	if len(pending) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(pending)-1)
	}
	return clix.Fail("etcd reads its certificate files on each new connection: copy the renewed files to the paths its --cert-file and --peer-cert-file name", "%s", msg)
}
