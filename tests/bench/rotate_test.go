package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// rotateFixture is a healthy 3-member mTLS cluster on a tree made by
// 'etcd-certwiz init --plan', in the middle of a CA rotation whose first
// gate holds (every member restarted with the old+new bundles), and an
// etcd-ctx context for root on the tree's files.
type rotateFixture struct {
	env      []string
	certwiz  string
	etcdDiag string
	dir      string // the PKI directory
}

var rotateShared onceFixture[*rotateFixture]

func rotateSetup(b *testing.B) *rotateFixture { return rotateShared.get(b, newRotateFixture) }

func newRotateFixture(bin string) (*rotateFixture, error) {
	dir, home, err := tempHome("rotate")
	if err != nil {
		return nil, err
	}
	f := &rotateFixture{certwiz: filepath.Join(bin, "etcd-certwiz"), etcdDiag: filepath.Join(bin, "etcd-diag"), dir: filepath.Join(dir, "pki")}
	f.env = append(baseEnv(os.Getenv("PATH"), home), "ETCD_CTX_CONFIG="+filepath.Join(dir, "etcd-ctx.yaml"),
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(dir, "no-bus"))
	plan := "cluster: bench\nout: ./pki\nmembers:\n"
	names := []string{"m0", "m1", "m2"}
	for _, n := range names {
		plan += "  - name: " + n + "\n    ips: [127.0.0.1]\n"
	}
	plan += "clients:\n  - name: root\n"
	planPath := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(planPath, []byte(plan), 0o644); err != nil {
		return nil, err
	}
	if _, err := run(f.env, f.certwiz, "init", "--plan", planPath); err != nil {
		return nil, err
	}
	c, err := harness.Start(harness.Options{TLS: true, ClientCertAuth: true, Dir: filepath.Join(dir, "etcd"),
		PKI: harness.LayoutPKI(f.dir, names, "root", "")})
	if err != nil {
		return nil, err
	}
	onTeardown(c.Close)
	l := certwiz.Layout{Dir: f.dir}
	if _, err := run(f.env, filepath.Join(bin, "etcd-ctx"), "add", "bench", "--endpoints", strings.Join(c.Endpoints, ","),
		"--cacert", l.CA(), "--cert", l.Client("root"), "--key", certwiz.KeyPath(l.Client("root")), "--store", "path", "--use"); err != nil {
		return nil, err
	}
	out, err := run(f.env, f.certwiz, "rotate", "start", f.dir, "-o", "json")
	if err != nil {
		return nil, err
	}
	var start struct {
		Actions []struct {
			Member string
			Copy   []struct{ From, To string }
		}
	}
	if err := json.Unmarshal([]byte(out), &start); err != nil {
		return nil, err
	}
	for i, a := range start.Actions {
		for _, cp := range a.Copy {
			data, err := os.ReadFile(cp.From)
			if err != nil {
				return nil, err
			}
			if err := fileio.Write(cp.To, data, certwiz.CertMode); err != nil {
				return nil, err
			}
		}
		c.Stop(i)
		if err := c.Start(i); err != nil {
			return nil, err
		}
	}
	// The gate holds: status exits 0, and etcd-diag finds the cluster healthy.
	if _, err := run(f.env, f.certwiz, "rotate", "status", f.dir); err != nil {
		return nil, fmt.Errorf("the fixture's gate does not hold: %w", err)
	}
	if _, err := run(f.env, f.etcdDiag); err != nil {
		return nil, fmt.Errorf("etcd-diag on the fixture: %w", err)
	}
	return f, nil
}

// BenchmarkRotateStatus: `etcd-certwiz rotate status DIR` on a healthy
// 3-member cluster in phase 1 of a CA rotation (per member: two handshakes
// with probe certificates minted from the old and new client CA on the
// client port, two on the peer port, a status call; the member list; the
// state file read and, when something changed, written) against etcd-diag's
// full diagnosis of the same cluster through the same etcd-ctx context.
// Metrics: rotate-status-ns/op, etcd-diag-ns/op.
func BenchmarkRotateStatus(b *testing.B) {
	f := rotateSetup(b)
	rotate(b,
		proc{label: "rotate-status", env: f.env, argv: []string{f.certwiz, "rotate", "status", f.dir}},
		proc{label: "etcd-diag", env: f.env, argv: []string{f.etcdDiag}},
	)
}
