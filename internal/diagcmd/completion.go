package diagcmd

import (
	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/completion"
)

// completionCommand is `etcd-diag completion SHELL`.
func completionCommand() *cli.Command { return completion.Command(Name) }

// completeCommand is the hidden `etcd-diag __complete WORDS...` behind <TAB>:
// --context and --contexts offer the etcd-ctx context names (read from the
// config file).
func completeCommand() *cli.Command {
	return completion.CompleteCommand(completion.Hints{
		Flags: map[string]completion.Source{"context": completion.Contexts, "contexts": completion.Contexts},
	})
}
