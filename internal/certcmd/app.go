// Package certcmd is the command-line layer of etcd-certwiz: one file per
// subcommand, wiring flags to the certwiz package.
package certcmd

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/completion"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

// Name is the program name used in messages.
const Name = "etcd-certwiz"

// Run runs etcd-certwiz with args (args[0] is the program name) and returns the exit code.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return clix.Run(NewApp(), args, stdin, stdout, stderr)
}

// NewApp builds the command tree (also used to generate completion and man pages).
func NewApp() *cli.App {
	app := clix.NewApp(Name, "generate, inspect and check the whole PKI of an etcd cluster")
	app.Description = "Start with 'etcd-certwiz init' (a wizard on a terminal, or --plan FILE)."
	app.Commands = []*cli.Command{
		initCommand(), caCommand(), serverCommand(), peerCommand(), clientCommand(),
		inspectCommand(), checkCommand(), renewCommand(), rotateCommand(),
		jwtKeysCommand(), jwtTokenCommand(), userCommand(), rbacCommand(),
		completionCommand(), completeCommand(),
	}
	clix.SetMeta(app, completion.CompleteCommandName, clix.CommandMeta{DefaultSignals: true}) // reads only
	return app
}

// Flags shared by the single-shot commands.
func outFlag() cli.Flag {
	return &cli.StringFlag{Name: "out", Value: certwiz.DefaultOut, Usage: "PKI directory (layout: ca.crt, <member>/server.crt, clients/<name>.crt…)", TakesFile: true}
}

func caDirFlag() cli.Flag {
	return &cli.StringFlag{Name: "ca-dir", Usage: "directory holding ca.crt/ca.key (and peer-ca.crt/peer-ca.key)", DefaultText: "--out", TakesFile: true}
}

func keyTypeFlag() cli.Flag {
	names := make([]string, len(certwiz.KeyTypes)) // the default first
	for i, kt := range certwiz.KeyTypes {
		names[i] = string(kt)
	}
	return clix.Choice("key-type", strings.Join(names, "|"), names...)
}

func daysFlag(def int) cli.Flag {
	return &cli.IntFlag{Name: "days", Value: def, Usage: "validity in days"}
}

func forceFlag() cli.Flag {
	return &cli.BoolFlag{Name: "force", Usage: "overwrite existing keys and certificates"}
}

func caDir(c *cli.Context) string {
	if d := c.String("ca-dir"); d != "" {
		return d
	}
	return c.String("out")
}

func keyType(c *cli.Context) (certwiz.KeyType, error) {
	kt, err := certwiz.ParseKeyType(c.String("key-type"))
	if err != nil {
		return "", clix.Usage("e.g. --key-type ecdsa-p256", "%w", err)
	}
	if w := kt.Warning(); w != "" {
		fmt.Fprintln(c.App.ErrWriter, "warning: "+w)
	}
	return kt, nil
}

// write writes files, refusing to overwrite without --force, and reports
// each on stderr (stdout is for data).
func write(c *cli.Context, files []certwiz.PendingFile) error {
	if err := certwiz.WriteFiles(files, c.Bool("force")); err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintf(c.App.ErrWriter, "Wrote %s (%#o)\n", f.Path, f.Mode)
	}
	return nil
}

// loadCA reads the CA named file ("ca.crt" or "peer-ca.crt") from the CA directory.
func loadCA(c *cli.Context, file string) (*certwiz.Issued, error) {
	ca, err := certwiz.LoadCA(filepath.Join(caDir(c), file))
	key := strings.TrimSuffix(file, ".crt") + ".key"
	var noKey *pki.NoKeyError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		create := "'etcd-certwiz ca --out DIR'"
		if file != "ca.crt" {
			create = "'etcd-certwiz ca --peer --out DIR'"
		}
		return nil, clix.Wrap(err, "create one with "+create+", or point --ca-dir at the directory holding "+file+" and "+key)
	case errors.As(err, &noKey):
		// pki's hint names --key, the certificate's own key: not this one.
		return nil, clix.Wrap(err, "put the CA's key beside it as "+key+", or point --ca-dir at the directory holding "+file+" and "+key)
	case err != nil && clix.HintOf(err) == "":
		return nil, clix.Wrap(err, "point --ca-dir at the directory holding the CA certificate "+file+" and its key "+key+" (as 'etcd-certwiz ca' writes them)")
	case err != nil:
		return nil, err
	}
	return ca, nil
}

// issueLeaf signs req with the CA file in the CA directory and writes the
// pair to certPath.
func issueLeaf(c *cli.Context, req certwiz.Request, caFile, certPath string) error {
	kt, err := keyType(c)
	if err != nil {
		return err
	}
	ca, err := loadCA(c, caFile)
	if err != nil {
		return err
	}
	req.Days = c.Int("days")
	leaf, err := certwiz.NewLeaf(req, kt, ca)
	if err != nil {
		return clix.UsageOn[*certwiz.HostError](err)
	}
	return write(c, certwiz.PairFiles(certPath, leaf))
}

// leafFlags are the flags of server, peer and client.
func leafFlags(extra ...cli.Flag) []cli.Flag {
	return append([]cli.Flag{outFlag(), caDirFlag(), keyTypeFlag(), daysFlag(certwiz.DefaultLeafDays), forceFlag()}, extra...)
}

func hostsFlag(usage string) cli.Flag {
	return &cli.StringSliceFlag{Name: "hosts", Usage: usage}
}

func joinDir(dir, file string) string { return filepath.Join(dir, file) }
