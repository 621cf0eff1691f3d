package contexts

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// Exec runs argv with the context's credentials and returns the command's exit
// status. Where the material lives in inherited descriptors, the command
// replaces this process (exec(2)): signals, stdio and the exit code are the
// command's own, and nothing is left to clean up. Otherwise it runs as a child
// with signals forwarded, and the private directory is removed when it ends;
// termination signals are held from before the directory exists (a signal
// that comes before the child is passed on once it starts), so that an
// interrupt cannot leave key material on disk.
func Exec(spec Spec, argv []string) (int, error) {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return 0, &NotFoundCmdError{Name: argv[0]}
	}
	if spec.ServerName != "" && !spec.InsecureSkipVerify {
		return 0, &ServerNameUnsupportedError{Context: spec.Name, ServerName: spec.ServerName}
	}
	if spec.Token != "" && isEtcdctl(path) {
		if v := EtcdctlVersion(path); !TokenCapable(v) {
			return 0, &TokenUnsupportedError{Version: v}
		}
	}
	h, err := NewHandoff(spec)
	if err != nil {
		return 0, err
	}
	env := ChildEnv(os.Environ(), EtcdctlVars(spec, h.Paths), argv[1:])
	if h.InPlace {
		err := execInPlace(path, argv, env)
		if !errors.Is(err, errNoExecInPlace) {
			h.Close()
			return 0, fmt.Errorf("exec %s: %w", argv[0], err)
		}
	}
	defer h.Close()
	return runChild(path, argv, env, h.signals)
}

// runChild runs the command, forwarding termination signals (those in sigs
// already, and any later), and reports its status the way a shell would
// (128+N when killed by signal N).
func runChild(path string, argv, env []string, sigs chan os.Signal) (int, error) {
	cmd := exec.Command(path, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if sigs == nil {
		sigs = make(chan os.Signal, 4)
		signal.Notify(sigs, forwardedSignals...)
		defer signal.Stop(sigs)
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", argv[0], err)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return 0, err
	}
	return exitStatus(cmd.ProcessState), nil
}

func exitStatus(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

func isEtcdctl(path string) bool {
	base := strings.TrimSuffix(filepath.Base(path), ".exe")
	return strings.HasPrefix(base, "etcdctl")
}

var etcdctlVersionRE = regexp.MustCompile(`etcdctl version:\s*v?(\d+\.\d+\.\d+\S*)`)

// EtcdctlVersion asks an etcdctl binary for its version ("" if it cannot say).
func EtcdctlVersion(path string) string {
	cmd := exec.Command(path, "version")
	cmd.Env = ChildEnv(os.Environ(), nil, nil)
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	if m := etcdctlVersionRE.FindSubmatch(out); m != nil {
		return string(m[1])
	}
	return ""
}

// TokenCapable reports whether an etcdctl version takes --auth-jwt-token (3.7+).
func TokenCapable(version string) bool {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return major > 3 || (major == 3 && minor >= 7)
}
