package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// HungTimeout is the --timeout of the hung-member diagnosis; its target is
// this plus half a second.
const HungTimeout = "1s"

// diagFixture is a real 3-member etcd cluster with TLS and client-certificate
// auth (harness.Cluster3), the root client's credentials, and a listener
// that accepts connections and never answers: a hung member.
type diagFixture struct {
	env       []string
	etcdDiag  string
	etcdctl   string
	endpoints string   // the 3 members' client URLs, comma-separated
	creds     []string // --cacert --cert --key of the root client
	hung      string   // https://127.0.0.1:PORT of the silent listener
}

var diagShared onceFixture[*diagFixture]

func diagSetup(b *testing.B) *diagFixture { return diagShared.get(b, newDiagFixture) }

func newDiagFixture(bin string) (*diagFixture, error) {
	dir, home, err := tempHome("diag")
	if err != nil {
		return nil, err
	}
	f := &diagFixture{etcdDiag: filepath.Join(bin, "etcd-diag"), etcdctl: filepath.Join(bin, "etcdctl")}
	// XDG_CONFIG_HOME empty: no etcd-ctx config can be read.
	f.env = append(baseEnv(os.Getenv("PATH"), home), "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	opts := harness.Cluster3
	opts.Dir = filepath.Join(dir, "etcd")
	c, err := harness.Start(opts)
	if err != nil {
		return nil, err
	}
	onTeardown(c.Close)
	f.endpoints = strings.Join(c.Endpoints, ",")
	f.creds = []string{"--cacert", c.PKI.CA, "--cert", c.PKI.RootCert, "--key", c.PKI.RootKey}
	addr, stop, err := silentListener()
	if err != nil {
		return nil, err
	}
	onTeardown(stop)
	f.hung = "https://" + addr

	// The healthy diagnosis must find nothing wrong (auth-disabled is
	// information: the cluster relies on client certificates) and see the
	// three members.
	r, err := f.report(0, f.diagArgs(f.endpoints, "-o", "json")...)
	if err != nil {
		return nil, err
	}
	if !r.Healthy || len(problems(r)) != 0 || r.Cluster == nil || len(r.Cluster.Members) != 3 || r.Cluster.Leader == "" {
		return nil, fmt.Errorf("etcd-diag on the healthy cluster: healthy=%v findings=%v cluster=%+v", r.Healthy, problems(r), r.Cluster)
	}
	// The baseline must cover the three members too.
	for _, sub := range []string{"health", "status"} {
		out, err := run(f.env, f.etcdctlArgs(sub)...)
		if err != nil {
			return nil, err
		}
		if n := strings.Count(out, "127.0.0.1:"); n != 3 {
			return nil, fmt.Errorf("etcdctl endpoint %s --cluster reported %d endpoints, want 3:\n%s", sub, n, out)
		}
	}
	// With the hung member: exit 1, the timeout finding for it, and nothing
	// else wrong.
	r, err = f.report(1, f.hungArgs("-o", "json")...)
	if err != nil {
		return nil, err
	}
	for _, fd := range problems(r) {
		if fd.Endpoint != f.hung {
			return nil, fmt.Errorf("etcd-diag with a hung member: finding %s about %q, want only findings about %s", fd.ID, fd.Endpoint, f.hung)
		}
	}
	if !slices.ContainsFunc(r.Findings, func(fd diag.Finding) bool { return fd.ID == "timeout" }) {
		return nil, fmt.Errorf("etcd-diag with a hung member: no timeout finding in %v", r.Findings)
	}
	return f, nil
}

// problems are a report's findings other than information.
func problems(r *diag.Report) []diag.Finding {
	var out []diag.Finding
	for _, fd := range r.Findings {
		if fd.Severity != diag.Info {
			out = append(out, fd)
		}
	}
	return out
}

func (f *diagFixture) diagArgs(endpoints string, extra ...string) []string {
	return slices.Concat([]string{f.etcdDiag, "--endpoints", endpoints}, f.creds, extra)
}

// hungArgs diagnoses the three members plus the hung one, --timeout 1s.
func (f *diagFixture) hungArgs(extra ...string) []string {
	return f.diagArgs(f.endpoints+","+f.hung, append([]string{"--timeout", HungTimeout}, extra...)...)
}

// etcdctlArgs is `etcdctl endpoint SUB --cluster` with the same endpoints
// and credentials.
func (f *diagFixture) etcdctlArgs(sub string) []string {
	return slices.Concat([]string{f.etcdctl, "--endpoints", f.endpoints}, f.creds, []string{"endpoint", sub, "--cluster"})
}

// report runs etcd-diag -o json, expecting the exit status, and decodes it.
func (f *diagFixture) report(exit int, argv ...string) (*diag.Report, error) {
	out, err := runExit(f.env, exit, argv...)
	if err != nil {
		return nil, err
	}
	var r diag.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		return nil, fmt.Errorf("%s: not a JSON report: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return &r, nil
}

// silentListener accepts TCP connections on loopback and never writes a
// byte: a member that hangs (the client's TLS handshake never completes).
// Each connection is closed once the client gives up.
func silentListener() (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				io.Copy(io.Discard, c)
				c.Close()
			}()
		}
	}()
	return l.Addr().String(), func() { l.Close() }, nil
}

// BenchmarkDiag: the full diagnosis of a healthy 3-member mTLS cluster,
// `etcd-diag --endpoints (3) --cacert --cert --key` with the root client
// certificate, against what a person runs without it: `etcdctl endpoint
// health --cluster` then `etcdctl endpoint status --cluster` with the same
// flags (etcdctl 3.7). Metrics: etcd-diag-ns/op, health-ns/op,
// status-ns/op; the baseline is health + status.
func BenchmarkDiag(b *testing.B) {
	f := diagSetup(b)
	rotate(b,
		proc{label: "etcd-diag", env: f.env, argv: f.diagArgs(f.endpoints)},
		proc{label: "health", env: f.env, argv: f.etcdctlArgs("health")},
		proc{label: "status", env: f.env, argv: f.etcdctlArgs("status")},
	)
}

// BenchmarkDiagHung: the same diagnosis with a fourth endpoint that accepts
// TCP and never answers, --timeout 1s; etcd-diag exits 1 with a timeout
// finding. The whole run should cost the timeout plus at most 0.5 s.
// Metrics: hung-ns/op, and timeout-ns (the --timeout, for the report's
// target). Each round takes over a second: make bench runs it with a smaller
// -benchtime than the rest.
func BenchmarkDiagHung(b *testing.B) {
	f := diagSetup(b)
	timeout, err := time.ParseDuration(HungTimeout)
	if err != nil {
		b.Fatal(err)
	}
	rotate(b, proc{label: "hung", env: f.env, argv: f.hungArgs(), exit: 1})
	b.ReportMetric(float64(timeout.Nanoseconds()), "timeout-ns")
}
