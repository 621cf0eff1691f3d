//go:build windows

package contexts

import (
	"errors"
	"os"
)

var errNoExecInPlace = errors.New("exec in place not supported")

var forwardedSignals = []os.Signal{os.Interrupt}

func execInPlace(string, []string, []string) error { return errNoExecInPlace }
