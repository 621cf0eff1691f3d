package certcmd

import (
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
	"github.com/etcd-ctx/etcd-ctx/rotation"
)

func rotateNextCommand() *cli.Command {
	return &cli.Command{
		Name:      "next",
		Usage:     "once the gate holds, go to the next phase: write its files and print what to copy where",
		ArgsUsage: "DIR",
		Description: "After trust-both: every server, peer and client certificate is reissued from the new CA(s) with its\n" +
			"own key, for a swap without restart. After serve-new: bundles with the new CA(s) only, for a second\n" +
			"rolling restart. After trust-new: the old CA(s) go to DIR/retired/, the new ones and the new\n" +
			"certificates into the tree. It refuses while the gate does not hold; --force overrides, with a warning.",
		Flags: []cli.Flag{
			ctxflags.ContextFlag("etcd-ctx context to reach the cluster with"), ctxflags.ConfigFlag(), timeoutFlag(),
			&cli.BoolFlag{Name: "force", Usage: "go on although the gate does not hold (or cannot be checked); at the end, replace tree files changed meanwhile"},
			clix.OutputFlag("text", "json"),
		},
		Action: rotateNextAction,
	}
}

func rotateNextAction(c *cli.Context) error {
	dir, format, err := rotateArgs(c)
	if err != nil {
		return err
	}
	s, err := rotation.Load(dir)
	if err != nil {
		return rotationError(err)
	}
	if rotation.NextPhase(s.Phase) == "" {
		return clix.Fail("start a new rotation with 'etcd-certwiz rotate start'", "the rotation is %s: there is no next phase", s.Phase)
	}
	from := s.Phase
	force := c.Bool("force")
	l, err := connectLive(c)
	if err != nil && !force {
		return err
	}
	defer l.close()
	name := ""
	note := "gate held"
	forced := false
	if l != nil {
		name = l.name
	}
	r, err := surveyState(c, s, l)
	if err != nil && !force {
		return err
	}
	if r != nil {
		if err := rotation.RecordVerified(dir, s); err != nil {
			return rotationError(err)
		}
	}
	if r == nil || !r.Holds {
		if !force {
			out := newRotationJSON(s, name, nil)
			if r != nil {
				out.withSurvey(r)
			}
			if format == "text" {
				printStatus(c, out)
			} else if err := clix.WriteJSON(c.App.Writer, out); err != nil {
				return err
			}
			e := gateError(out).(*clix.Error)
			e.Msg = "refusing to leave phase " + string(from) + ": " + strings.TrimPrefix(e.Msg, "the gate of phase "+string(from)+" does not hold yet: ")
			e.Hint = "do what 'etcd-certwiz rotate status' says until it exits 0; --force goes on anyway, at the risk of an outage"
			return e
		}
		why := "it could not be checked"
		if r != nil && len(r.Pending()) > 0 {
			why = r.Pending()[0]
		}
		fmt.Fprintf(c.App.ErrWriter, "warning: the gate of phase %s does not hold (%s); going on because of --force\n", from, why)
		note, forced = "--force: the gate did not hold: "+why, true
	}
	s, err = rotation.Advance(dir, from, rotation.AdvanceOptions{Now: time.Now(), Note: note, Force: force})
	if err != nil {
		return rotationError(err)
	}
	var ctxCert *x509.Certificate
	if l != nil {
		ctxCert = l.cert
	}
	out := newRotationJSON(s, name, ctxCert)
	out.Gate.Forced = forced
	if r != nil {
		out.leaderLast(r.Cluster.Leader)
	}
	if format == "json" {
		return clix.WriteJSON(c.App.Writer, out)
	}
	w := c.App.Writer
	p := clix.Painter{On: clix.Color(w)}
	if forced {
		fmt.Fprintf(w, "%s left phase %s without its gate (--force)\n", p.Yellow("!"), from)
	} else {
		fmt.Fprintf(w, "%s phase %s done: %s\n", p.Green("✓"), from, s.Info(from).Gate)
	}
	switch s.Phase {
	case rotation.PhaseDone, rotation.PhaseAborted:
		printEnd(c, out)
		return nil
	case rotation.PhaseServeNew:
		fmt.Fprintf(w, "%s every certificate reissued from the new CA(s) with its own key, in %s\n", p.Green("✓"), relDir(s.Path(rotation.RotationDirName)))
	case rotation.PhaseTrustNew:
		fmt.Fprintf(w, "%s bundles with the new CA(s) only written in %s\n", p.Green("✓"), relDir(s.Path(rotation.RotationDirName)))
	}
	fmt.Fprintln(w)
	printPhase(w, p, out)
	return nil
}

func printEnd(c *cli.Context, o *rotationJSON) {
	w := c.App.Writer
	p := clix.Painter{On: clix.Color(w)}
	s := o.state
	if s.Phase == rotation.PhaseAborted {
		fmt.Fprintf(w, "%s rotation aborted: every member trusts and serves the old CA(s) only; the new CA's key is deleted, the records are in %s\n", p.Green("✓"), relDir(o.Retired))
		return
	}
	fmt.Fprintf(w, "%s the old CA(s) retired to %s; the tree holds the new CA(s) and certificates\n", p.Green("✓"), relDir(o.Retired))
	if len(o.Actions) > 0 {
		fmt.Fprintln(w, "→ on each member:")
		for _, a := range o.Actions {
			for _, cp := range a.Copy {
				fmt.Fprintf(w, "    %-10s cp %s %s\n", a.Member+":", shellWord(cp.From), shellWord(cp.To))
			}
			if a.Note != "" {
				fmt.Fprintf(w, "    %-10s (%s)\n", "", a.Note)
			}
		}
	}
	fmt.Fprintf(w, "→ check the tree: etcd-certwiz check %s\n", shellWord(s.Dir()))
	fmt.Fprintf(w, "→ and what the members serve: etcd-certwiz rotate status %s\n", shellWord(s.Dir()))
}

func rotateAbortCommand() *cli.Command {
	return &cli.Command{
		Name:      "abort",
		Usage:     "turn the rotation back (until the old CA is dropped) and print what to put back",
		ArgsUsage: "DIR",
		Description: "From trust-both: put the original bundles back, restarting one member at a time. From serve-new: first\n" +
			"the original certificates (no restart), then the bundles. Follow with 'rotate status' and 'rotate next'\n" +
			"as for the rotation itself; at the end the new CA's key is deleted.",
		Flags:  []cli.Flag{ctxflags.ContextFlag("etcd-ctx context to reach the cluster with"), ctxflags.ConfigFlag(), clix.OutputFlag("text", "json")},
		Action: rotateAbortAction,
	}
}

func rotateAbortAction(c *cli.Context) error {
	dir, format, err := rotateArgs(c)
	if err != nil {
		return err
	}
	s, err := rotation.Abort(dir, rotation.AdvanceOptions{Now: time.Now(), Note: "asked by the operator"})
	if err != nil {
		return rotationError(err)
	}
	name, cert := contextName(c, s.Phase == rotation.PhaseAbortServeOld)
	out := newRotationJSON(s, name, cert)
	if format == "json" {
		return clix.WriteJSON(c.App.Writer, out)
	}
	w := c.App.Writer
	p := clix.Painter{On: clix.Color(w)}
	fmt.Fprintf(w, "%s aborting the CA rotation of %s: put the original files back\n\n", p.Yellow("!"), relDir(s.Dir()))
	printPhase(w, p, out)
	return nil
}
