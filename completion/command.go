package completion

import (
	"io"
	"maps"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

const completionHelp = `bash:       PROG completion bash > ~/.local/share/bash-completion/completions/PROG
zsh:        PROG completion zsh > ~/.zfunc/_PROG   (a directory in $fpath; or: source <(PROG completion zsh))
fish:       PROG completion fish > ~/.config/fish/completions/PROG.fish
powershell: PROG completion powershell | Out-String | Invoke-Expression

The packages install these already; 'etcd-ctx shell-init' covers all three binaries.`

// Command is `PROG completion bash|zsh|fish|powershell`, the same in each binary.
func Command(prog string) *cli.Command {
	return &cli.Command{
		Name:        "completion",
		Usage:       "print the shell completion script: " + strings.Join(Shells, "|"),
		ArgsUsage:   strings.Join(Shells, "|"),
		Description: strings.ReplaceAll(completionHelp, "PROG", prog),
		Action: func(c *cli.Context) error {
			if err := clix.Args(c, 1, 1); err != nil {
				return err
			}
			s, err := Script(c.Args().First(), c.App.Name)
			if err != nil {
				return clix.Usage("use one of: "+strings.Join(Shells, ", "), "%v", err)
			}
			return write(c.App.Writer, s)
		},
	}
}

// CompleteCommand is the hidden `PROG __complete WORD... CURRENT` the scripts
// call on <TAB>. It must stay cheap: no keyring, no network. The argument
// of `completion` (Command) is one of Shells in every binary.
func CompleteCommand(hints Hints) *cli.Command {
	args := map[string]Source{"completion": Words(Shells...).Upto(1)}
	maps.Copy(args, hints.Args)
	hints.Args = args
	return &cli.Command{
		Name:            CompleteCommandName,
		Hidden:          true,
		HideHelp:        true,
		SkipFlagParsing: true, // the words are data, not our flags
		Action: func(c *cli.Context) error {
			return Complete(c.App, hints, c.Args().Slice()).Write(c.App.Writer)
		},
	}
}

func write(w io.Writer, s string) error {
	_, err := io.WriteString(w, s)
	return err
}
