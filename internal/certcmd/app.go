// Package certcmd is the command-line layer of etcd-certwiz: one file per
// subcommand, wiring flags to the certwiz package.
package certcmd

import (
	"io"

	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

// Name is the program name used in messages.
const Name = "etcd-certwiz"

// Run runs etcd-certwiz with args (args[0] is the program name) and returns the exit code.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := clix.NewApp(Name, "generate, inspect and check the whole PKI of an etcd cluster")
	return clix.Run(app, args, stdin, stdout, stderr)
}
