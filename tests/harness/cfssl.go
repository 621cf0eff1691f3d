package harness

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
)

var (
	cfsslOnce sync.Once
	cfsslDir  string
	cfsslErr  error
)

// CFSSL returns a directory holding CloudFlare's cfssl and cfssljson, the
// tools of etcd's own certificate recipe, built once from the Go module
// proxy (the pin in tests/testdata/cfssl) into a per-user cache keyed by
// that go.sum, so later runs only pay a stat.
func CFSSL() (string, error) {
	cfsslOnce.Do(func() { cfsslDir, cfsslErr = buildCFSSL() })
	return cfsslDir, cfsslErr
}

func buildCFSSL() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	src := filepath.Join(root, "tests", "testdata", "cfssl")
	sum, err := os.ReadFile(filepath.Join(src, "go.sum"))
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(append(sum, runtime.Version()...))
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("etcd-ctx-harness-%d", os.Getuid()), "cfssl-"+hex.EncodeToString(h[:6]))
	if _, err := os.Stat(filepath.Join(dir, "cfssljson")); err == nil {
		return dir, nil
	}
	// Built into a temporary directory and renamed, so concurrent test
	// binaries never run a half-written tool.
	tmp := fmt.Sprintf("%s.tmp-%d", dir, os.Getpid())
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return "", err
	}
	cmd := exec.Command("go", "build", "-o", tmp+string(os.PathSeparator),
		"github.com/cloudflare/cfssl/cmd/cfssl", "github.com/cloudflare/cfssl/cmd/cfssljson")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("build cfssl in %s: %v\n%s", src, err, b)
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		if _, serr := os.Stat(filepath.Join(dir, "cfssljson")); serr == nil {
			return dir, nil // another test binary won the race
		}
		return "", err
	}
	return dir, nil
}
