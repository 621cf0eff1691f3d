package certcmd

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

// DefaultPlanFile is where the wizard saves the plan it built.
const DefaultPlanFile = "etcd-certwiz.yaml"

const planHelp = `A plan describes the cluster (unknown fields are an error):

   cluster: prod
   out: ./pki                # relative to the plan file
   key-type: ecdsa-p256      # ecdsa-p384 | rsa-2048 | rsa-3072 | rsa-4096 | ed25519
   ca-days: 3650
   leaf-days: 365
   separate-peer-ca: true
   members:
     - name: etcd-0
       ips: [10.0.1.10]
       dns: [etcd-0.example.internal]
       client-urls: [https://10.0.1.10:2379]   # default: first IP or DNS name, port 2379
       peer-urls: [https://10.0.1.10:2380]     # default: port 2380
   clients:
     - name: root            # CN defaults to the name
     - name: app
       cn: app-user
       org: ops

Server certificates get localhost, 127.0.0.1, ::1, the member name, IPs, DNS names and
client URL hosts as SANs; peer certificates the name, IPs, DNS names and peer URL hosts.`

func initCommand() *cli.Command {
	return &cli.Command{
		Name:        "init",
		Usage:       "generate the whole cluster PKI from a plan, or build the plan with a wizard on a terminal",
		Description: planHelp,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "plan", Usage: "plan file (YAML); without it, a wizard asks on a terminal", TakesFile: true},
			&cli.StringFlag{Name: "out", Usage: "output directory (overrides the plan's out)", TakesFile: true},
			&cli.StringFlag{Name: "save-plan", Value: DefaultPlanFile, Usage: "where the wizard writes the plan it built", TakesFile: true},
			forceFlag(),
		},
		Action: initAction,
	}
}

func initAction(c *cli.Context) error {
	if err := clix.NoArgs(c); err != nil {
		return err
	}
	var plan *certwiz.Plan
	var err error
	switch {
	case c.IsSet("plan"):
		if plan, err = certwiz.LoadPlan(c.String("plan")); err != nil {
			return clix.UsageOn[*certwiz.PlanError](err)
		}
	case clix.IsTTY(os.Stdin) && clix.IsTTY(c.App.Writer):
		if plan, err = runWizard(c); err != nil {
			return err
		}
	default:
		return clix.Usage("pass --plan FILE ('etcd-certwiz init --help' shows the format), or run it on a terminal for the wizard",
			"no plan given and no terminal to ask on")
	}
	if c.IsSet("out") {
		plan.Out = c.String("out")
	}
	planPath := ""
	if !c.IsSet("plan") {
		planPath = c.String("save-plan")
	}
	return generate(c, plan, planPath)
}

// generate writes the PKI of plan (and the plan itself to planPath, if
// given) and prints how to use it. Nothing is written if any file exists.
func generate(c *cli.Context, plan *certwiz.Plan, planPath string) error {
	pki, err := certwiz.Generate(plan)
	if err != nil {
		return clix.UsageOn[*certwiz.PlanError](err)
	}
	files := pki.Files(plan.Out)
	if planPath != "" {
		data, err := planFile(plan, planPath)
		if err != nil {
			return err
		}
		files = append([]certwiz.PendingFile{{Path: planPath, Data: data, Mode: certwiz.CertMode}}, files...)
	}
	if err := certwiz.WriteFiles(files, c.Bool("force")); err != nil {
		return err
	}
	if planPath != "" {
		fmt.Fprintf(c.App.ErrWriter, "Wrote plan %s (re-run with 'etcd-certwiz init --plan %s').\n", planPath, planPath)
		files = files[1:]
	}
	fmt.Fprintf(c.App.ErrWriter, "Wrote %d files under %s (keys %#o, directories %#o).\n", len(files), plan.Out, certwiz.KeyMode, certwiz.DirMode)
	if w := plan.KeyType.Warning(); w != "" {
		fmt.Fprintln(c.App.ErrWriter, "warning: "+w)
	}
	clix.Println(c.App.Writer, certwiz.Instructions(plan, plan.Out))
	return nil
}

// planFile is the plan as YAML with out relative to the plan file, so
// 'init --plan FILE' reproduces the same PKI from any directory.
func planFile(plan *certwiz.Plan, path string) ([]byte, error) {
	saved := *plan
	if rel, err := filepath.Rel(mustAbs(filepath.Dir(path)), mustAbs(plan.Out)); err == nil {
		saved.Out = "./" + filepath.ToSlash(rel)
	}
	return saved.Marshal()
}

func mustAbs(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
