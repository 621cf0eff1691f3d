package clix

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

const signalChildEnv = "CLIX_SIGNAL_CHILD"

// signalApp's commands interrupt themselves, then wait for their context's
// cancellation: "quick" keeps the default signal actions, "careful" not.
func signalApp() *cli.App {
	interrupted := func(c *cli.Context) error {
		if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
			return err
		}
		select {
		case <-c.Context.Done():
			return errors.New("cancelled, cleaning up")
		case <-time.After(10 * time.Second):
			return errors.New("the interrupt changed nothing")
		}
	}
	app := &cli.App{Name: "prog", Commands: []*cli.Command{
		{Name: "quick", Action: interrupted},
		{Name: "careful", Action: interrupted},
	}}
	SetMeta(app, "quick", CommandMeta{DefaultSignals: true})
	return app
}

// TestDefaultSignals runs signalApp in a child process (this test binary
// again): a DefaultSignals command dies of the SIGINT as a program without
// a handler does, the others see their context cancelled and report it.
func TestDefaultSignals(t *testing.T) {
	if cmd := os.Getenv(signalChildEnv); cmd != "" {
		os.Exit(Run(signalApp(), []string{"prog", cmd}, os.Stdin, os.Stdout, os.Stderr))
	}
	run := func(command string) (*os.ProcessState, string) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDefaultSignals$")
		cmd.Env = append(os.Environ(), signalChildEnv+"="+command)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		_ = cmd.Run()
		return cmd.ProcessState, stderr.String()
	}
	state, stderr := run("quick")
	if ws := state.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Errorf("quick: %v, want killed by SIGINT; stderr:\n%s", state, stderr)
	}
	state, stderr = run("careful")
	if state.ExitCode() != 1 || !strings.Contains(stderr, "prog: error: cancelled, cleaning up") {
		t.Errorf("careful: %v, want exit 1 with the cancellation reported; stderr:\n%s", state, stderr)
	}
}
