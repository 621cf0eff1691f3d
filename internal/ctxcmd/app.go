// Package ctxcmd is the command-line layer of etcd-ctx: one file per
// subcommand, wiring flags to the contexts package.
package ctxcmd

import (
	"io"

	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

// Name is the program name used in messages.
const Name = "etcd-ctx"

// Run runs etcd-ctx with args (args[0] is the program name) and returns the exit code.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := clix.NewApp(Name, "kubeconfig-style contexts for etcd, with secrets in the OS keyring")
	return clix.Run(app, args, stdin, stdout, stderr)
}
