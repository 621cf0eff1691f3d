package harness

import (
	"bufio"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// BuildMember builds the member program (tests/harness/member) from the
// module in dir: the project itself for etcd 3.7, tests/testdata/etcd36 for 3.6.
func BuildMember(dir, out string) error {
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	pkg := "./tests/harness/member"
	src := root
	if dir != "" {
		src, pkg = filepath.Join(root, dir), "."
	}
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = src
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %v\n%s", src, err, b)
	}
	return nil
}

// StartProcesses starts one plaintext member per binary, forming one
// cluster, and waits until each prints "ready". It returns the client URLs
// and a function that stops them all.
func StartProcesses(dir string, binaries []string) ([]string, func(), error) {
	var clients, initial []string
	peers := make([]string, len(binaries))
	for i := range binaries {
		clients = append(clients, fmt.Sprintf("http://127.0.0.1:%d", freePort()))
		peers[i] = fmt.Sprintf("http://127.0.0.1:%d", freePort())
		initial = append(initial, fmt.Sprintf("p%d=%s", i, peers[i]))
	}
	var cmds []*exec.Cmd
	stop := func() {
		for _, c := range cmds {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	}
	errs := make(chan error, len(binaries))
	var wg sync.WaitGroup
	for i, bin := range binaries {
		cmd := exec.Command(bin, "--name", fmt.Sprintf("p%d", i), "--data-dir", filepath.Join(dir, fmt.Sprintf("p%d", i)),
			"--client-url", clients[i], "--peer-url", peers[i], "--initial-cluster", strings.Join(initial, ","))
		out, err := cmd.StdoutPipe()
		if err != nil {
			stop()
			return nil, nil, err
		}
		if err := cmd.Start(); err != nil {
			stop()
			return nil, nil, err
		}
		cmds = append(cmds, cmd)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ready := make(chan bool, 1)
			go func() {
				line, _ := bufio.NewReader(out).ReadString('\n')
				ready <- strings.TrimSpace(line) == "ready"
			}()
			select {
			case ok := <-ready:
				if !ok {
					errs <- fmt.Errorf("%s exited before it was ready", bin)
				}
			case <-time.After(60 * time.Second):
				errs <- fmt.Errorf("%s not ready within 60s", bin)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		stop()
		return nil, nil, err
	}
	return clients, stop, nil
}
