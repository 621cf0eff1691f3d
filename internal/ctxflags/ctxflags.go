// Package ctxflags is the command-line side of etcd-ctx contexts that the
// three binaries share: --config and --context, and how a command finds its
// context through them (one path: contexts.Store.Select); the connection and
// credential flags etcd-ctx and etcd-diag both take (endpoints, the TLS
// files, server name, user, password or token from standard input), applied
// to a context with one file reader (contexts.ReadMaterial: an empty file is
// refused); and --store.
package ctxflags

import (
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/conn"
)

// ConfigFlag is --config, the etcd-ctx config file.
func ConfigFlag() cli.Flag {
	return &cli.StringFlag{Name: "config", TakesFile: true,
		Usage: "etcd-ctx config file (default $" + contexts.EnvConfig + ", else $XDG_CONFIG_HOME/etcd-ctx/config.yaml)"}
}

// ContextFlag is --context; usage says what the context is for.
func ContextFlag(usage string) cli.Flag {
	return &cli.StringFlag{Name: "context", Usage: usage + " (default $" + contexts.EnvContext + ", else the current context)"}
}

// Lookup returns a flag's value from the innermost command that set it, so
// that flags of the app work before or after a subcommand.
func Lookup(c *cli.Context, name string) string {
	for _, level := range c.Lineage() {
		if level.IsSet(name) {
			return level.String(name)
		}
	}
	return ""
}

// Store opens the store of the config file --config names, else
// $ETCD_CTX_CONFIG's, else the default.
func Store(c *cli.Context) (*contexts.Store, error) {
	return contexts.Open(Lookup(c, "config"))
}

// Config opens the store (as Store) and loads its whole config.
func Config(c *cli.Context) (*contexts.Store, *contexts.Config, error) {
	store, err := Store(c)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := store.Config()
	return store, cfg, err
}

// Select is the context a command is about, with its material: name (an
// argument) when given, else --context, else $ETCD_CTX, else the current
// context. It is the one way the binaries load a context
// (contexts.Store.Select).
func Select(c *cli.Context, name string) (contexts.Spec, error) {
	store, err := Store(c)
	if err != nil {
		return contexts.Spec{}, err
	}
	if name == "" {
		name = Lookup(c, "context")
	}
	spec, err := store.Select(name)
	return spec, NoCurrentHint(err)
}

// NoCurrentHint adds --context to the ways out of contexts.ErrNoCurrent:
// every binary has the flag, the contexts package does not know it.
func NoCurrentHint(err error) error {
	if errors.Is(err, contexts.ErrNoCurrent) {
		return clix.Wrap(err, clix.HintOf(err)+", or pass --context NAME")
	}
	return err
}

// StoreFlag is --store: where a new context keeps its certificates.
func StoreFlag(usage string) *clix.ChoiceFlag {
	return clix.Choice("store", usage, "keyring", "path")
}

// KeepPaths reads --store: whether certificates and keys given as files
// stay files the context references (path) instead of being copied into
// the keyring.
func KeepPaths(c *cli.Context) (bool, error) {
	s, err := clix.Choose(c, "store")
	return s == "path", err
}

// ConnFlags are the connection and credential flags: the cluster's
// endpoints, the TLS files and server name, the user and its password or
// a token from standard input (never argv).
func ConnFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "endpoints", Usage: "client URLs, comma-separated (https://10.0.0.1:2379)"},
		&cli.StringFlag{Name: "cacert", Usage: "PEM CA bundle that signed the server certificates", TakesFile: true},
		&cli.StringFlag{Name: "cert", Usage: "PEM client certificate (etcd uses its CN as the user under --client-cert-auth)", TakesFile: true},
		&cli.StringFlag{Name: "key", Usage: "unencrypted PEM private key of --cert", TakesFile: true},
		&cli.StringFlag{Name: "user", Usage: "user name for password authentication"},
		&cli.BoolFlag{Name: "password-stdin", Usage: "read the password from standard input"},
		&cli.BoolFlag{Name: "token-stdin", Usage: "read a JWT token from standard input"},
		&cli.StringFlag{Name: "server-name", Usage: "TLS server name to verify instead of the endpoint host"},
		&cli.BoolFlag{Name: "insecure-skip-tls-verify", Usage: "do not verify the server certificate (testing only)"},
	}
}

// ConnFlagNames are the names of ConnFlags.
var ConnFlagNames = []string{"endpoints", "cacert", "cert", "key", "user", "password-stdin", "token-stdin", "server-name", "insecure-skip-tls-verify"}

// ConnOptions say how a command takes the connection flags.
type ConnOptions struct {
	// Pair: --cert and --key come together (a context stores a pair).
	// Without it either one replaces its half (etcd-diag judges the result).
	Pair bool
	// Prompt: --user without --password-stdin asks for the password on a
	// terminal, and is refused without one. Without it the user goes
	// without a password.
	Prompt bool
}

// ApplyConn overlays the connection flags that were given on spec: files
// are read with contexts.ReadMaterial (an unreadable or empty file is
// refused), a password or token from standard input.
func ApplyConn(c *cli.Context, spec *contexts.Spec, o ConnOptions) error {
	if c.IsSet("endpoints") {
		spec.Endpoints = clix.SplitList(c.StringSlice("endpoints"))
	}
	if o.Pair && c.IsSet("cert") != c.IsSet("key") {
		return clix.Usage("give both --cert and --key", "--cert and --key go together")
	}
	for _, f := range []struct {
		flag  string
		input conn.Input
		dst   *contexts.Material
	}{{"cacert", conn.InputCA, &spec.CA}, {"cert", conn.InputCert, &spec.Cert}, {"key", conn.InputKey, &spec.Key}} {
		if !c.IsSet(f.flag) {
			continue
		}
		m, err := contexts.ReadMaterial(f.input, c.String(f.flag))
		if err != nil {
			return err
		}
		*f.dst = m
	}
	if c.IsSet("server-name") {
		spec.ServerName = c.String("server-name")
	}
	if c.IsSet("insecure-skip-tls-verify") {
		spec.InsecureSkipVerify = c.Bool("insecure-skip-tls-verify")
	}
	return applyCredentials(c, spec, o)
}

func applyCredentials(c *cli.Context, spec *contexts.Spec, o ConnOptions) error {
	if c.Bool("password-stdin") && c.Bool("token-stdin") {
		return clix.Usage("a context has a password or a token, not both", "--password-stdin and --token-stdin are exclusive")
	}
	if c.Bool("token-stdin") {
		if c.IsSet("user") {
			return clix.Usage("a context has a user/password or a token, not both", "--user and --token-stdin are exclusive")
		}
		tok, err := stdinSecret(c, "Token", "token")
		if err != nil {
			return err
		}
		spec.Token, spec.Username, spec.Password = tok, "", ""
		return nil
	}
	if c.IsSet("user") {
		spec.Username, spec.Password, spec.Token = c.String("user"), "", ""
	}
	switch {
	case c.Bool("password-stdin"):
		if spec.Username == "" {
			return clix.Usage("give --user with --password-stdin", "--password-stdin needs a user")
		}
		pw, err := stdinSecret(c, "Password for "+spec.Username, "password")
		if err != nil {
			return err
		}
		spec.Password = pw
	case !c.IsSet("user") || spec.Username == "" || !o.Prompt:
	case clix.IsTTY(c.App.Reader):
		pw, err := promptSecret(c, "Password for "+spec.Username, "password")
		if err != nil {
			return err
		}
		spec.Password = pw
	default:
		return clix.Usage("pipe it in with --password-stdin (never on the command line)", "--user %s needs a password and there is no terminal to ask for it", spec.Username)
	}
	return nil
}

// stdinSecret reads the secret of --password-stdin or --token-stdin: the
// first line of a pipe or file, or, when standard input is a terminal, a
// line typed after a prompt without echo (a secret typed or pasted there
// would otherwise show on the screen and in any recording of the session).
func stdinSecret(c *cli.Context, prompt, what string) (string, error) {
	if clix.IsTTY(c.App.Reader) {
		return promptSecret(c, prompt, what)
	}
	return clix.Interruptible(c, func() (string, error) { return clix.ReadSecret(c.App.Reader) })
}

// promptSecret asks for a secret on the terminal, without echo.
func promptSecret(c *cli.Context, prompt, what string) (string, error) {
	fmt.Fprintf(c.App.ErrWriter, "%s: ", prompt)
	pw, err := clix.Interruptible(c, func() ([]byte, error) { return term.ReadPassword(int(c.App.Reader.(*os.File).Fd())) })
	if err != nil {
		return "", err
	}
	fmt.Fprintln(c.App.ErrWriter)
	if err != nil {
		return "", err
	}
	if len(pw) == 0 {
		return "", clix.Usage("", "empty %s", what)
	}
	return string(pw), nil
}
