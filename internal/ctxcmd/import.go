package ctxcmd

import (
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

func importCommand() *cli.Command {
	return &cli.Command{
		Name:  "import",
		Usage: "add a context from etcdctl's ETCDCTL_* environment or a kubeadm etcd manifest",
		ArgsUsage: "NAME [--from-env | --from-kubeadm [MANIFEST]]\n\n" +
			"   --from-kubeadm reads " + contexts.DefaultKubeadmManifest + " unless a MANIFEST follows NAME",
		Flags: []cli.Flag{
			configFlag(),
			&cli.BoolFlag{Name: "from-env", Usage: "read ETCDCTL_ENDPOINTS, _CACERT, _CERT, _KEY, _USER, _PASSWORD, _AUTH_JWT_TOKEN"},
			&cli.BoolFlag{Name: "from-kubeadm", Usage: "read a kubeadm static pod manifest and the client pair beside its CA"},
			&cli.StringFlag{Name: "store", Value: "keyring", Usage: "keyring (copy certificates and keys) or path (reference the files)"},
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
	}
	if err != nil {
		return clix.Fail("", "import: %v", err)
	}
	spec, err := specFromSource(name, src, c.String("store"))
	if err != nil {
		return explain(err)
	}
	return save(c, spec, contexts.SaveOptions{Replace: c.Bool("force"), Use: c.Bool("use")}, "Imported")
}

func specFromSource(name string, src contexts.Source, store string) (contexts.Spec, error) {
	spec := contexts.Spec{
		Name: name, Endpoints: src.Endpoints, Username: src.Username, Password: src.Password, Token: src.Token,
		DialTimeout: src.DialTimeout, InsecureSkipVerify: src.InsecureSkipVerify,
	}
	switch store {
	case "keyring":
	case "path":
		spec.KeepPaths = true
	default:
		return spec, clix.Usage("use --store keyring or --store path", "unknown store %q", store)
	}
	var err error
	if src.CAFile != "" {
		if spec.CA, err = contexts.ReadMaterial("CA", src.CAFile); err != nil {
			return spec, err
		}
	}
	if src.CertFile != "" || src.KeyFile != "" {
		if spec.Cert, err = contexts.ReadMaterial("client certificate", src.CertFile); err != nil {
			return spec, err
		}
		if spec.Key, err = contexts.ReadMaterial("client key", src.KeyFile); err != nil {
			return spec, err
		}
	}
	if err := contexts.ValidName(name); err != nil {
		return spec, err
	}
	return spec, contexts.Validate(&spec, time.Now())
}
