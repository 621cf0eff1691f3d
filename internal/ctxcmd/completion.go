package ctxcmd

import (
	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/completion"
)

// completionCommand is `etcd-ctx completion SHELL`.
func completionCommand() *cli.Command { return completion.Command(Name) }

// completeCommand is the hidden `etcd-ctx __complete WORDS...` behind <TAB>.
func completeCommand() *cli.Command { return completion.CompleteCommand(completionHints()) }

// completionHints says which arguments are context names (read from the
// config file only) and what shell-init takes; flags (with their choices)
// and subcommands come from the command tree.
func completionHints() completion.Hints {
	names := completion.Contexts
	return completion.Hints{
		Flags: map[string]completion.Source{"context": names},
		Args: map[string]completion.Source{
			"":           names.Upto(1), // etcd-ctx NAME switches
			"use":        names.Upto(1),
			"rename":     names.Upto(1), // OLD only: NEW is a new name
			"delete":     names,
			"show":       names.Upto(1),
			"set":        names.Upto(1),
			"shell":      names.Upto(1),
			"ping":       names.Upto(1),
			"shell-init": completion.Words(initShells...).Upto(1),
		},
	}
}
