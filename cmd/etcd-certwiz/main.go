// Command etcd-certwiz; see internal/certcmd.
package main

import (
	"os"

	"github.com/etcd-ctx/etcd-ctx/internal/certcmd"
)

func main() { os.Exit(certcmd.Run(os.Args, os.Stdin, os.Stdout, os.Stderr)) }
