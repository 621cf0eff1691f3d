package certcmd

import (
	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/completion"
)

// completionCommand is `etcd-certwiz completion SHELL`.
func completionCommand() *cli.Command { return completion.Command(Name) }

// completeCommand is the hidden `etcd-certwiz __complete WORDS...` behind <TAB>.
func completeCommand() *cli.Command {
	return completion.CompleteCommand(completion.Hints{
		Flags: map[string]completion.Source{"context": completion.Contexts},
		Args: map[string]completion.Source{
			"inspect": completion.Files,
			"renew":   completion.Files,
			"check":   completion.Files.Upto(1),
			// The PKI directory of a rotation.
			"rotate start":  completion.Files.Upto(1),
			"rotate status": completion.Files.Upto(1),
			"rotate next":   completion.Files.Upto(1),
			"rotate abort":  completion.Files.Upto(1),
		},
	})
}
