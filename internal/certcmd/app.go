// Package certcmd is the command-line layer of etcd-certwiz: one file per
// subcommand, wiring flags to the certwiz package.
package certcmd

import (
	"errors"
	"fmt"
	"io"
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

// loadCA reads the CA that signs leaves from the CA directory, under the
// name of any layout (certwiz.FindCA: ca.crt, cfssl's ca.pem…); peer
// prefers a separate peer CA. It returns the file read.
func loadCA(c *cli.Context, peer bool) (*certwiz.Issued, string, error) {
	path, err := certwiz.FindCA(caDir(c), peer)
	if err != nil {
		return nil, "", err
	}
	ca, err := certwiz.LoadCA(path)
	keys := strings.Join(keyNames(path), " or ")
	var noKey *pki.NoKeyError
	switch {
	case errors.As(err, &noKey):
		// pki's hint names --key, the certificate's own key: not this one.
		return nil, "", clix.Wrap(err, "put the CA's key beside it as "+keys+", or point --ca-dir at the directory holding the CA and its key")
	case err != nil && clix.HintOf(err) == "":
		return nil, "", clix.Wrap(err, "point --ca-dir at the directory holding the CA certificate "+filepath.Base(path)+" and its key "+keys+" (as 'etcd-certwiz ca' writes them)")
	case err != nil:
		return nil, "", err
	}
	return ca, path, nil
}

// keyNames are the names a CA's key is looked for by beside it.
func keyNames(caPath string) []string {
	var out []string
	for _, k := range pki.KeyCandidates(caPath) {
		out = append(out, filepath.Base(k))
	}
	return out
}

// issueLeaf signs req with the CA of the CA directory (a separate peer CA
// for peers, when there is one) and writes the pair to certPath.
func issueLeaf(c *cli.Context, req certwiz.Request, certPath string) error {
	kt, err := keyType(c)
	if err != nil {
		return err
	}
	ca, caPath, err := loadCA(c, req.Role == certwiz.RolePeer)
	if err != nil {
		return err
	}
	if req.Role == certwiz.RolePeer && !certwiz.IsPeerCA(caPath) {
		fmt.Fprintln(c.App.ErrWriter, "note: no peer-ca.crt in "+caDir(c)+"; signing with "+caPath+" (a separate peer CA is safer: 'etcd-certwiz ca --peer')")
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
