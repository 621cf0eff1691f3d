package ctxcmd

import (
	"embed"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/template"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/completion"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

const shellInitHelp = `Add one line to your shell's rc file:

   ~/.bashrc                   eval "$(etcd-ctx shell-init bash)"
   ~/.zshrc                    eval "$(etcd-ctx shell-init zsh)"
   ~/.config/fish/config.fish  etcd-ctx shell-init fish | source

It sets up completion for etcd-ctx, etcd-certwiz and etcd-diag (context names
are read from the config file), the aliases ectx (etcd-ctx) and ectl
(etcd-ctx etcdctl), and etcd_ctx_prompt, which prints the context in use
(followed by * when $ETCD_CTX overrides it in this shell) for a prompt:
PS1='[$(etcd_ctx_prompt)] \w\$ '. With --wrap-etcdctl, plain etcdctl runs
through the current context too ('command etcdctl' bypasses it).`

// shellInitCommand is `etcd-ctx shell-init bash|zsh|fish`.
func shellInitCommand() *cli.Command {
	return &cli.Command{
		Name:        "shell-init",
		Usage:       "print the shell setup for your rc file: completion, aliases (ectx, ectl), prompt helper",
		ArgsUsage:   strings.Join(initShells, "|"),
		Description: shellInitHelp,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "wrap-etcdctl", Usage: "also define an etcdctl function that uses the current context"},
		},
		Action: func(c *cli.Context) error {
			if err := clix.Args(c, 1, 1); err != nil {
				return err
			}
			s, err := shellInit(c.Args().First(), c.Bool("wrap-etcdctl"))
			if err != nil {
				return clix.Usage("use one of: "+strings.Join(initShells, ", "), "%w", err)
			}
			_, err = io.WriteString(c.App.Writer, s)
			return err
		},
	}
}

// initShells are the shells shell-init supports.
var initShells = []string{"bash", "zsh", "fish"}

// programs are the suite's binaries, all completed by shell-init.
var programs = []string{"etcd-ctx", "etcd-certwiz", "etcd-diag"}

//go:embed shellinit
var initFS embed.FS

// initScripts are parsed on first use, not at start-up: every run of
// etcd-ctx (current on each prompt) would pay for it.
var initScripts = sync.OnceValue(func() *template.Template {
	return template.Must(template.ParseFS(initFS, "shellinit/*"))
})

// shellInit returns what `eval "$(etcd-ctx shell-init SHELL)"` runs:
// completion for the three binaries, the ectx/ectl aliases, etcd_ctx_prompt
// and, when wrapEtcdctl is set, an etcdctl function that uses the current
// context.
func shellInit(shell string, wrapEtcdctl bool) (string, error) {
	file := "init.sh"
	switch shell {
	case "bash", "zsh":
	case "fish":
		file = "init.fish"
	default:
		return "", fmt.Errorf("unknown shell %q (want %s)", shell, strings.Join(initShells, ", "))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# etcd-ctx shell-init %s: completion, aliases and the prompt helper.\n", shell)
	for _, prog := range programs {
		s, err := completion.Script(shell, prog)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	if err := initScripts().ExecuteTemplate(&b, file, map[string]any{"Shell": shell, "WrapEtcdctl": wrapEtcdctl}); err != nil {
		return "", err
	}
	return b.String(), nil
}
