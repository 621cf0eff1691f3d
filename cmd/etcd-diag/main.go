// Command etcd-diag; see internal/diagcmd.
package main

import (
	"os"

	"github.com/etcd-ctx/etcd-ctx/internal/diagcmd"
)

func main() { os.Exit(diagcmd.Run(os.Args, os.Stdin, os.Stdout, os.Stderr)) }
