//go:build unix

package contexts

import (
	"errors"
	"os"
	"syscall"
)

var errNoExecInPlace = errors.New("exec in place not supported")

var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

func execInPlace(path string, argv, env []string) error {
	return syscall.Exec(path, argv, env)
}
