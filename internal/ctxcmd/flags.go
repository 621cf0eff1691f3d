package ctxcmd

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

// specFlags are the flags shared by add, set and import.
func specFlags() []cli.Flag {
	return []cli.Flag{
		configFlag(),
		&cli.StringSliceFlag{Name: "endpoints", Usage: "client URLs, comma-separated (https://10.0.0.1:2379)"},
		&cli.StringFlag{Name: "cacert", Usage: "PEM CA bundle that signed the server certificates", TakesFile: true},
		&cli.StringFlag{Name: "cert", Usage: "PEM client certificate (etcd uses its CN as the user under --client-cert-auth)", TakesFile: true},
		&cli.StringFlag{Name: "key", Usage: "unencrypted PEM private key of --cert", TakesFile: true},
		&cli.StringFlag{Name: "user", Usage: "user name for password authentication"},
		&cli.BoolFlag{Name: "password-stdin", Usage: "read the password from standard input"},
		&cli.BoolFlag{Name: "token-stdin", Usage: "read a JWT token from standard input"},
		&cli.StringFlag{Name: "store", Value: "keyring", Usage: "where certificates go: keyring (copied, self-contained) or path (referenced files); keys and secrets given as files follow"},
		&cli.StringFlag{Name: "server-name", Usage: "TLS server name to verify instead of the endpoint host"},
		&cli.DurationFlag{Name: "dial-timeout", Usage: "dial timeout (etcdctl's default is 2s)"},
		&cli.BoolFlag{Name: "insecure-skip-tls-verify", Usage: "do not verify the server certificate (testing only)"},
		&cli.StringFlag{Name: "prefix", Usage: "key prefix this context is about (shown; checked by etcd-diag)"},
		&cli.StringFlag{Name: "note", Usage: "free-form note shown by list and show"},
	}
}

// applyFlags overlays the flags that were given on spec.
func applyFlags(c *cli.Context, spec *contexts.Spec) error {
	switch c.String("store") {
	case "keyring":
		spec.KeepPaths = false
	case "path":
		spec.KeepPaths = true
	default:
		return clix.Usage("use --store keyring or --store path", "unknown store %q", c.String("store"))
	}
	if c.IsSet("endpoints") {
		spec.Endpoints = clix.SplitList(c.StringSlice("endpoints"))
	}
	if c.IsSet("cacert") {
		m, err := readMaterial("CA", c.String("cacert"))
		if err != nil {
			return err
		}
		spec.CA = m
	}
	if c.IsSet("cert") != c.IsSet("key") {
		return clix.Usage("give both --cert and --key", "--cert and --key go together")
	}
	if c.IsSet("cert") {
		cert, err := readMaterial("client certificate", c.String("cert"))
		if err != nil {
			return err
		}
		key, err := readMaterial("client key", c.String("key"))
		if err != nil {
			return err
		}
		spec.Cert, spec.Key = cert, key
	}
	if err := applyCredentials(c, spec); err != nil {
		return err
	}
	if c.IsSet("server-name") {
		spec.ServerName = c.String("server-name")
	}
	if c.IsSet("dial-timeout") {
		spec.DialTimeout = c.Duration("dial-timeout")
	}
	if c.IsSet("insecure-skip-tls-verify") {
		spec.InsecureSkipVerify = c.Bool("insecure-skip-tls-verify")
	}
	if c.IsSet("prefix") {
		spec.Prefix = c.String("prefix")
	}
	if c.IsSet("note") {
		spec.Note = c.String("note")
	}
	return contexts.Validate(spec, time.Now())
}

func applyCredentials(c *cli.Context, spec *contexts.Spec) error {
	if c.Bool("password-stdin") && c.Bool("token-stdin") {
		return clix.Usage("a context has a password or a token, not both", "--password-stdin and --token-stdin are exclusive")
	}
	if c.Bool("token-stdin") {
		if c.IsSet("user") {
			return clix.Usage("a context has a user/password or a token, not both", "--user and --token-stdin are exclusive")
		}
		tok, err := clix.ReadSecret(c.App.Reader)
		if err != nil {
			return err
		}
		spec.Token, spec.Username, spec.Password = tok, "", ""
		return nil
	}
	if !c.IsSet("user") {
		if c.Bool("password-stdin") {
			if spec.Username == "" {
				return clix.Usage("give --user with --password-stdin", "--password-stdin needs a user")
			}
			pw, err := clix.ReadSecret(c.App.Reader)
			if err != nil {
				return err
			}
			spec.Password = pw
		}
		return nil
	}
	spec.Username, spec.Token = c.String("user"), ""
	if spec.Username == "" {
		spec.Password = ""
		return nil
	}
	switch {
	case c.Bool("password-stdin"):
		pw, err := clix.ReadSecret(c.App.Reader)
		if err != nil {
			return err
		}
		spec.Password = pw
	case isTerminal(c.App.Reader):
		pw, err := promptPassword(c, spec.Username)
		if err != nil {
			return err
		}
		spec.Password = pw
	default:
		return clix.Usage("pipe it in with --password-stdin (never on the command line)", "--user %s needs a password and there is no terminal to ask for it", spec.Username)
	}
	return nil
}

func readMaterial(what, path string) (contexts.Material, error) {
	m, err := contexts.ReadMaterial(what, path)
	return m, explain(err)
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func promptPassword(c *cli.Context, user string) (string, error) {
	fmt.Fprintf(c.App.ErrWriter, "Password for %s: ", user)
	pw, err := term.ReadPassword(int(c.App.Reader.(*os.File).Fd()))
	fmt.Fprintln(c.App.ErrWriter)
	if err != nil {
		return "", err
	}
	if len(pw) == 0 {
		return "", clix.Usage("", "empty password")
	}
	return string(pw), nil
}
