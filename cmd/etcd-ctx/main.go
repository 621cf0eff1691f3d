// Command etcd-ctx; see internal/ctxcmd.
package main

import (
	"os"

	"github.com/etcd-ctx/etcd-ctx/internal/ctxcmd"
)

func main() { os.Exit(ctxcmd.Run(os.Args, os.Stdin, os.Stdout, os.Stderr)) }
