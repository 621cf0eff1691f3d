package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/contexts"
)

// ScaleSizes are the numbers of contexts the scale figures are measured at.
var ScaleSizes = []int{10, 100, 1000}

// Names of the contexts the scale fixtures switch to and exec in.
const (
	scaleCurrent = "prod-5"
	scaleUse     = "prod-7"
	scalePath    = "bench-path" // --store=path context with real PEM files
)

// scaleFixture is one etcd-ctx config per size, written as etcd-ctx writes
// it (contexts.File.Update: the config, its index and the state file), in
// the steady state the frequent commands run in.
type scaleFixture struct {
	etcdCtx string
	env     map[int][]string // ETCD_CTX_CONFIG per size
}

var scaleShared onceFixture[*scaleFixture]

func scaleSetup(b *testing.B) *scaleFixture { return scaleShared.get(b, newScaleFixture) }

func newScaleFixture(bin string) (*scaleFixture, error) {
	dir, home, err := tempHome("scale")
	if err != nil {
		return nil, err
	}
	pem, err := pemFiles(filepath.Join(dir, "pki"))
	if err != nil {
		return nil, err
	}
	f := &scaleFixture{etcdCtx: filepath.Join(bin, "etcd-ctx"), env: map[int][]string{}}
	for _, n := range ScaleSizes {
		path := filepath.Join(dir, fmt.Sprint(n), "config.yaml")
		if err := writeScaleConfig(path, n, pem); err != nil {
			return nil, err
		}
		env := baseEnv(os.Getenv("PATH"), home)
		f.env[n] = append(env, contexts.EnvConfig+"="+path, "XDG_RUNTIME_DIR="+home)
		// The commands measured work and say what they should.
		checks := []struct {
			argv []string
			want string
		}{
			{[]string{"current"}, scaleCurrent + "\n"},
			{[]string{"list", "-o", "name"}, fmt.Sprintf("prod-%d\n", n-1)},
			{[]string{"__complete", "use", ""}, fmt.Sprintf("prod-%d\n", n-1)},
			{[]string{"exec", "--context", scalePath, "--", "sh", "-c", `test -s "$ETCDCTL_KEY" && echo ok`}, "ok\n"},
		}
		for _, c := range checks {
			out, err := run(f.env[n], append([]string{f.etcdCtx}, c.argv...)...)
			if err != nil {
				return nil, err
			}
			if !strings.Contains(out, c.want) {
				return nil, fmt.Errorf("%d contexts: etcd-ctx %s printed %.200q, want %q in it", n, strings.Join(c.argv, " "), out, c.want)
			}
		}
		if _, err := os.Stat(path + ".state"); err != nil {
			return nil, fmt.Errorf("%d contexts: no state file beside the config: %w", n, err)
		}
	}
	return f, nil
}

// pemPaths are a CA, a client certificate and its key on disk.
type pemPaths struct{ ca, cert, key string }

func pemFiles(dir string) (pemPaths, error) {
	p := pemPaths{filepath.Join(dir, "ca.crt"), filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key")}
	ca, err := certwiz.NewCA("bench CA", certwiz.ECDSAP256, 0)
	if err != nil {
		return p, err
	}
	leaf, err := certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleClient, CommonName: "bench"}, certwiz.ECDSAP256, ca)
	if err != nil {
		return p, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return p, err
	}
	for path, data := range map[string][]byte{p.ca: ca.CertPEM, p.cert: leaf.CertPEM, p.key: leaf.KeyPEM} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return p, err
		}
	}
	return p, nil
}

// writeScaleConfig writes n contexts like configYAML's (three endpoints, a
// CA and a certificate user in the keyring, some passwords, some files) and
// a --store=path context, with prod-5 current, through etcd-ctx's own write.
func writeScaleConfig(path string, n int, pem pemPaths) error {
	data, err := configYAML(n)
	if err != nil {
		return err
	}
	generated, err := contexts.Parse(data)
	if err != nil {
		return err
	}
	return contexts.File{Path: path}.Update(func(cfg *contexts.Config) error {
		*cfg = *generated
		cfg.Clusters = append(cfg.Clusters, contexts.NamedCluster{Name: scalePath, Cluster: contexts.Cluster{
			Endpoints: []string{"https://127.0.0.1:2379"}, CA: &contexts.Ref{Path: pem.ca}}})
		cfg.Users = append(cfg.Users, contexts.NamedUser{Name: scalePath, User: contexts.User{
			Cert: &contexts.Ref{Path: pem.cert}, Key: &contexts.Ref{Path: pem.key}}})
		cfg.Contexts = append(cfg.Contexts, contexts.NamedContext{Name: scalePath, Context: contexts.Context{Cluster: scalePath, User: scalePath}})
		cfg.CurrentContext, cfg.PreviousContext = scaleCurrent, ""
		return nil
	})
}

// BenchmarkScale: the commands that run often, at 10, 100 and 1,000
// contexts, all taking turns with `etcd-ctx --version` (the process start
// they cannot go below): current (every prompt), use (a switch), list -o
// name, the completion of context names (every <TAB>) and exec -- true
// with a --store=path context (the config part of exec). Metrics:
// version-ns/op, and <command>-<n>-ns/op.
func BenchmarkScale(b *testing.B) {
	f := scaleSetup(b)
	procs := []proc{{label: "version", env: f.env[ScaleSizes[0]], argv: []string{f.etcdCtx, "--version"}}}
	for _, n := range ScaleSizes {
		for _, c := range []struct {
			label string
			argv  []string
		}{
			{"current", []string{"current"}},
			{"use", []string{"use", scaleUse}},
			{"list", []string{"list", "-o", "name"}},
			{"complete", []string{"__complete", "use", ""}},
			{"exec", []string{"exec", "--context", scalePath, "--", "true"}},
		} {
			procs = append(procs, proc{label: fmt.Sprintf("%s-%d", c.label, n), env: f.env[n], argv: append([]string{f.etcdCtx}, c.argv...)})
		}
	}
	rotate(b, procs...)
}
