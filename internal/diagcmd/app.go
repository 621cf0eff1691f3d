// Package diagcmd is the command-line layer of etcd-diag: one file per
// subcommand, wiring flags to the diag package.
package diagcmd

import (
	"io"

	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

// Name is the program name used in messages.
const Name = "etcd-diag"

// Run runs etcd-diag with args (args[0] is the program name) and returns the
// exit code: 0 healthy, 1 problems found, 2 usage error or could not run.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := clix.NewApp(Name, "name the real cause of etcd connection, TLS, auth and cluster failures")
	return clix.Run(app, args, stdin, stdout, stderr)
}
