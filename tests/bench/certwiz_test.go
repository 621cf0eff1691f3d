package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// initPlan is the plan of certwiz's own BenchmarkFullPKI (certwiz/bench_test.go):
// 3 members, 3 clients, ECDSA P-256, separate peer CA; 11 key pairs and
// certificates, 22 files.
const initPlan = `cluster: bench
out: ./pki
members:
  - name: etcd-0
    ips: [10.0.1.10]
  - name: etcd-1
    ips: [10.0.1.11]
  - name: etcd-2
    ips: [10.0.1.12]
clients:
  - name: root
  - name: app
  - name: ops
`

// initFiles is how many files initPlan produces.
const initFiles = 22

// initFixture is a plan file for `etcd-certwiz init --plan`.
type initFixture struct {
	env     []string
	certwiz string
	plan    string
}

var initShared onceFixture[*initFixture]

func initSetup(b *testing.B) *initFixture { return initShared.get(b, newInitFixture) }

func newInitFixture(bin string) (*initFixture, error) {
	dir, err := tempDir("certwiz")
	if err != nil {
		return nil, err
	}
	f := &initFixture{certwiz: filepath.Join(bin, "etcd-certwiz"), plan: filepath.Join(dir, "plan.yaml"), env: baseEnv(os.Getenv("PATH"), dir)}
	if err := os.WriteFile(f.plan, []byte(initPlan), 0o600); err != nil {
		return nil, err
	}
	if _, err := run(f.env, f.initArgs()...); err != nil {
		return nil, err
	}
	n := 0
	err = filepath.WalkDir(filepath.Join(dir, "pki"), func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if n != initFiles {
		return nil, fmt.Errorf("%s wrote %d files, want %d", strings.Join(f.initArgs(), " "), n, initFiles)
	}
	return f, nil
}

// initArgs regenerates the whole PKI each time (--force overwrites).
func (f *initFixture) initArgs() []string {
	return []string{f.certwiz, "init", "--plan", f.plan, "--force"}
}

// BenchmarkCertwizInit: `etcd-certwiz init --plan` for the PKI of
// certwiz's BenchmarkFullPKI, as a whole process (start-up, plan, keys,
// certificates, 22 files). Metric: init-ns/op, and its peak memory.
func BenchmarkCertwizInit(b *testing.B) {
	f := initSetup(b)
	rotate(b, proc{label: "init", env: f.env, argv: f.initArgs()})
}

// TestInitPlan checks, without running anything, that the plan is the one
// the report compares with certwiz's BenchmarkFullPKI.
func TestInitPlan(t *testing.T) {
	for _, want := range []string{"etcd-0", "etcd-1", "etcd-2", "10.0.1.10", "10.0.1.11", "10.0.1.12", "name: root", "name: app", "name: ops"} {
		if !strings.Contains(initPlan, want) {
			t.Errorf("plan lacks %q", want)
		}
	}
}
