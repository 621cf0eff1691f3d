package ctxcmd

import (
	"errors"
	"io/fs"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/conn"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
)

func importCommand() *cli.Command {
	return &cli.Command{
		Name:  "import",
		Usage: "add a context from etcdctl's ETCDCTL_* environment or a kubeadm etcd manifest",
		ArgsUsage: "NAME [--from-env | --from-kubeadm [MANIFEST]]\n\n" +
			"   --from-kubeadm reads " + contexts.DefaultKubeadmManifest + " unless a MANIFEST follows NAME",
		Flags: []cli.Flag{
			ctxflags.ConfigFlag(),
			&cli.BoolFlag{Name: "from-env", Usage: "read ETCDCTL_ENDPOINTS, _CACERT, _CERT, _KEY, _USER, _PASSWORD, _AUTH_JWT_TOKEN"},
			&cli.BoolFlag{Name: "from-kubeadm", Usage: "read a kubeadm static pod manifest and the client pair beside its CA"},
			ctxflags.StoreFlag("keyring (copy certificates and keys) or path (reference the files)"),
			&cli.BoolFlag{Name: "use", Usage: "switch to the new context"},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing context of that name"},
		},
		Action: importAction,
	}
}

func importAction(c *cli.Context) error {
	if err := clix.Args(c, 1, 2); err != nil {
		return err
	}
	name := c.Args().First()
	var (
		src contexts.Source
		err error
	)
	switch {
	case c.Bool("from-env") == c.Bool("from-kubeadm"):
		return clix.Usage("e.g. etcd-ctx import "+name+" --from-kubeadm", "give exactly one of --from-env and --from-kubeadm")
	case c.Bool("from-env"):
		if c.NArg() > 1 {
			return clix.Usage("", "--from-env takes no manifest")
		}
		src, err = contexts.FromEnv(os.Getenv)
	default:
		manifest := contexts.DefaultKubeadmManifest
		if c.NArg() == 2 {
			manifest = c.Args().Get(1)
		}
		src, err = contexts.FromKubeadm(manifest)
		if errors.Is(err, fs.ErrNotExist) && c.NArg() < 2 {
			return clix.Fail("on a kubeadm control-plane node the manifest is there; elsewhere copy it here and give its path: etcd-ctx import "+name+" --from-kubeadm etcd.yaml (the CA and client pair it names must be readable too)",
				"import: %w", err)
		}
	}
	if err != nil {
		return clix.Fail("", "import: %w", err)
	}
	if err := contexts.ValidName(name); err != nil {
		return clix.WithCode(err, clix.ExitUsage, "")
	}
	keep, err := ctxflags.KeepPaths(c)
	if err != nil {
		return err
	}
	spec, err := specFromSource(name, src, keep)
	if err != nil {
		return err
	}
	return save(c, spec, contexts.SaveOptions{Replace: c.Bool("force"), Use: c.Bool("use")}, "Imported")
}

// specFromSource reads the files an import names (the same reader as the
// flags': an empty file is refused) into a validated context.
func specFromSource(name string, src contexts.Source, keepPaths bool) (contexts.Spec, error) {
	spec := contexts.Spec{
		Name: name, Endpoints: src.Endpoints, Username: src.Username, Password: src.Password, Token: src.Token,
		DialTimeout: src.DialTimeout, InsecureSkipVerify: src.InsecureSkipVerify, KeepPaths: keepPaths,
	}
	var err error
	if src.CAFile != "" {
		if spec.CA, err = contexts.ReadMaterial(conn.InputCA, src.CAFile); err != nil {
			return spec, err
		}
	}
	if src.CertFile != "" || src.KeyFile != "" {
		if spec.Cert, err = contexts.ReadMaterial(conn.InputCert, src.CertFile); err != nil {
			return spec, err
		}
		if spec.Key, err = contexts.ReadMaterial(conn.InputKey, src.KeyFile); err != nil {
			return spec, err
		}
	}
	return spec, contexts.Validate(&spec, time.Now())
}
