package ctxcmd

import (
	"io"
	"strings"

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
		ArgsUsage:   strings.Join(completion.InitShells, "|"),
		Description: shellInitHelp,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "wrap-etcdctl", Usage: "also define an etcdctl function that uses the current context"},
		},
		Action: func(c *cli.Context) error {
			if err := clix.Args(c, 1, 1); err != nil {
				return err
			}
			s, err := completion.ShellInit(c.Args().First(), c.Bool("wrap-etcdctl"))
			if err != nil {
				return clix.Usage("use one of: "+strings.Join(completion.InitShells, ", "), "%v", err)
			}
			_, err = io.WriteString(c.App.Writer, s)
			return err
		},
	}
}
