//go:build linux

// Command peakrss runs a command with stdio on /dev/null and prints its exit
// status and peak memory: "EXIT MAXRSS_KIB" (wait4's ru_maxrss, which covers
// the command's waited-for children too).
//
// The benchmarks measure memory through it instead of from the test process
// because on Linux a child's ru_maxrss is never lower than the peak RSS of the
// process that spawned it: the child runs in the spawner's address space until
// exec (vfork), and exec folds that space's high-water mark into the child's
// record. From the test process, which embeds etcd members, every command
// would show the test's own 40-70 MiB. This spawner is kept small (package
// syscall only, no allocation to speak of); a command using less than it shows
// its size, which BenchmarkExecTrue's `true` row makes visible.
package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	if len(os.Args) < 2 || !strings.Contains(os.Args[1], "/") {
		os.Stderr.WriteString("usage: peakrss /path/to/command [args...]\n")
		os.Exit(2)
	}
	null, err := syscall.Open(os.DevNull, syscall.O_RDWR, 0)
	if err != nil {
		fail(err)
	}
	fd := uintptr(null)
	pid, err := syscall.ForkExec(os.Args[1], os.Args[1:], &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{fd, fd, fd}})
	if err != nil {
		fail(err)
	}
	var ws syscall.WaitStatus
	var ru syscall.Rusage
	for {
		_, err = syscall.Wait4(pid, &ws, 0, &ru)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		fail(err)
	}
	os.Stdout.WriteString(strconv.Itoa(ws.ExitStatus()) + " " + strconv.FormatInt(ru.Maxrss, 10) + "\n")
}

func fail(err error) {
	os.Stderr.WriteString("peakrss: " + err.Error() + "\n")
	os.Exit(125)
}
