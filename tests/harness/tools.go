package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Binaries are the suite's programs, built by BuildBinaries.
var Binaries = []string{"etcd-ctx", "etcd-certwiz", "etcd-diag"}

// ModuleRoot is the directory holding go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the etcd-ctx module")
	}
	return filepath.Dir(mod), nil
}

// BuildBinaries builds the three release binaries and the etcdctl pinned by go.mod's
// tool directive (the same program `go tool etcdctl` runs) into dir.
func BuildBinaries(dir string) error {
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	// Built as `make build` does (static, same tags) so tests and benchmarks
	// run what ships.
	args := []string{"build", "-trimpath", "-tags", "urfave_cli_no_docs", "-o", dir + string(os.PathSeparator)}
	for _, b := range Binaries {
		args = append(args, "./cmd/"+b)
	}
	args = append(args, "go.etcd.io/etcd/etcdctl/v3")
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	return nil
}

// BuildEtcdctl builds the etcdctl pinned by go.mod's tool directive (what
// `go tool etcdctl` runs) into dir, for the end-to-end tests, which run the
// suite's own commands inside the test binary.
func BuildEtcdctl(dir string) error {
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-o", dir+string(os.PathSeparator), "go.etcd.io/etcd/etcdctl/v3")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build etcdctl: %v\n%s", err, out)
	}
	return nil
}

// DebianEtcdctl returns the path of an etcdctl 3.4 from Debian's etcd-client
// package, or "" when it is not installed.
func DebianEtcdctl() string {
	for _, p := range []string{"/usr/bin/etcdctl"} {
		if v := EtcdctlVersion(p); strings.HasPrefix(v, "3.4.") {
			return p
		}
	}
	return ""
}

var versionRE = regexp.MustCompile(`etcdctl version: (\S+)`)

// EtcdctlVersion runs `etcdctl version` and returns the version, or "".
func EtcdctlVersion(path string) string {
	out, err := exec.Command(path, "version").Output()
	if err != nil {
		return ""
	}
	if m := versionRE.FindSubmatch(out); m != nil {
		return string(m[1])
	}
	return ""
}

// InCI reports whether the tests run in CI, where every tool .ci/run installs
// must be present: a missing one fails the test instead of skipping it.
func InCI() bool { return os.Getenv("CI") != "" }

// Need skips (on a developer machine) or fails (in CI) when a tool is missing.
func Need(t testing.TB, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if InCI() {
		t.Fatalf("%s is missing in CI; .ci/run must install it", what)
	}
	t.Skipf("%s is not installed (.ci/run installs it)", what)
}

// HasCommand reports whether name is on PATH.
func HasCommand(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}

// Contains reports whether any file under dir contains needle.
func Contains(dir string, needle []byte) (string, bool) {
	var hit string
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || hit != "" || !d.Type().IsRegular() {
			return nil
		}
		if data, err := os.ReadFile(path); err == nil && bytes.Contains(data, needle) {
			hit = path
		}
		return nil
	})
	return hit, hit != ""
}
