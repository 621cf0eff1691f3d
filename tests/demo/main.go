// Command demo is `make demo`: it starts a throw-away secured etcd on
// 127.0.0.1 (embedded; TLS, client-cert auth, RBAC) and walks through the
// suite against it, printing each command and its output. It removes
// everything it made when it ends, even on Ctrl-C.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

func main() {
	bin := flag.String("bin", "bin", "directory holding the built binaries and etcdctl")
	flag.Parse()
	if err := run(*bin); err != nil {
		fmt.Fprintln(os.Stderr, "demo: error:", err)
		os.Exit(1)
	}
}

// demo holds the walkthrough's state: where things live and the environment
// every command runs with.
type demo struct {
	dir      string
	env      []string
	cleanups []func()
}

func run(binDir string) error {
	bin, err := filepath.Abs(binDir)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "etcd-ctx-demo-")
	if err != nil {
		return err
	}
	cleanup := func() { os.RemoveAll(dir) }
	defer cleanup()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)

	d := &demo{dir: dir}
	defer func() {
		for _, f := range d.cleanups {
			f()
		}
	}()
	d.env = []string{
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + filepath.Join(dir, "home"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "home", ".config"),
		"XDG_RUNTIME_DIR=" + filepath.Join(dir, "run"),
		"NO_COLOR=1",
	}
	for _, sub := range []string{"home/.config", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return err
		}
	}

	d.title("The suite")
	for _, b := range harness.Binaries {
		d.sh(b + " --version")
	}

	d.title("etcd-certwiz: the whole cluster PKI from a plan (right SANs and key usages)")
	if err := os.WriteFile(filepath.Join(dir, "plan.yaml"), []byte(demoPlan), 0o600); err != nil {
		return err
	}
	d.sh("cat plan.yaml")
	if !d.sh("etcd-certwiz init --plan plan.yaml") {
		return fmt.Errorf("etcd-certwiz init failed")
	}
	d.sh("etcd-certwiz check pki")
	d.sh("etcd-certwiz inspect pki/clients/alice.crt")

	d.title("Starting a throw-away etcd on 127.0.0.1 with those files (TLS, client-cert auth, RBAC)")
	pki := harness.LayoutPKI(filepath.Join(dir, "pki"), []string{"demo-0"}, "root", harness.User)
	cluster, err := harness.Start(harness.Options{TLS: true, ClientCertAuth: true, RBAC: true, Dir: filepath.Join(dir, "etcd"), PKI: pki})
	if err != nil {
		return err
	}
	defer cluster.Close()
	go func() {
		<-sig
		cluster.Close()
		cleanup()
		os.Exit(130)
	}()
	d.env = append(d.env, "EP="+cluster.Endpoints[0])
	fmt.Printf("   endpoint $EP = %s; users root and %s (a role limited to %s)\n", cluster.Endpoints[0], harness.User, harness.Prefix)

	d.title("Without etcd-ctx: every etcdctl call needs the endpoint and the cert trio")
	d.sh("etcdctl --endpoints $EP --cacert pki/ca.crt --cert pki/clients/alice.crt --key pki/clients/alice.key put /alice/greeting hello")

	store := d.keyring()
	d.title("etcd-ctx: add contexts once (files validated, secrets into the " + store + ")")
	d.sh("etcd-ctx add alice --endpoints $EP --cacert pki/ca.crt --cert pki/clients/alice.crt --key pki/clients/alice.key --prefix /alice/ --store " + store + " --use")
	d.sh("etcd-ctx add root --endpoints $EP --cacert pki/ca.crt --cert pki/clients/root.crt --key pki/clients/root.key --store " + store)
	d.sh("etcd-ctx list")
	d.sh("etcd-ctx show alice")
	if store == "keyring" {
		d.sh("grep -rl 'PRIVATE KEY' $XDG_CONFIG_HOME/etcd-ctx || echo 'no key material in the config dir'")
	}

	d.title("etcd-ctx exec: etcdctl with the right credentials, nothing on disk or in argv")
	d.sh("etcd-ctx exec -- etcdctl get /alice/greeting --print-value-only")
	d.sh("etcd-ctx etcdctl put /alice/counter 1")
	d.sh("etcd-ctx etcdctl put /other/key denied   # alice's role covers only /alice/")
	d.sh("etcd-ctx root")
	d.sh("etcd-ctx etcdctl put /other/key allowed")
	d.sh("etcd-ctx -   # back to the previous context")
	d.sh("etcd-ctx current")
	d.sh("ETCD_CTX=root etcd-ctx current   # per-shell override")
	d.sh("etcd-ctx ping")

	d.title("etcd-diag: a healthy context, then the real cause of failures")
	d.sh("etcd-diag")
	d.sh("etcd-diag --key-path /other/ --prefix   # why is alice denied?")
	d.sh("etcd-ctx add broken --endpoints $EP --cacert pki/peer-ca.crt --cert pki/clients/alice.crt --key pki/clients/alice.key --store " + store)
	d.sh("etcd-ctx --context broken etcdctl get /alice/greeting --dial-timeout 1s --command-timeout 1s 2>&1 | tail -1   # all etcdctl says")
	d.sh("etcd-diag --context broken   # the CA bundle is the peer CA, not the client CA")
	d.sh(`etcd-diag explain "Error: context deadline exceeded"`)
	d.title("Demo finished; the etcd and every file it made are removed")
	return nil
}

// keyring starts a private Secret Service for the demo when the machine has
// one to start, so the demo never touches the user's own keyring; otherwise
// contexts reference the files (--store path).
func (d *demo) keyring() string {
	k, err := harness.StartKeyring(filepath.Join(d.dir, "keyring"))
	if err != nil {
		fmt.Printf("   (no private Secret Service available: %v; using --store path)\n", err)
		return "path"
	}
	d.cleanups = append(d.cleanups, k.Close)
	d.env = append(d.env, "DBUS_SESSION_BUS_ADDRESS="+k.Address)
	return "keyring"
}

// demoPlan is the plan the demo hands etcd-certwiz: one member on loopback and
// the two clients the walkthrough uses.
const demoPlan = `cluster: demo
out: ./pki
key-type: ecdsa-p256
members:
  - name: demo-0
    ips: [127.0.0.1]
clients:
  - name: root
  - name: alice
`

func (d *demo) title(s string) { fmt.Printf("\n== %s\n", s) }

// sh prints a command line (with variables as written, so paths stay short),
// runs it through sh with the demo environment, and prints its output
// indented. A failing command is shown, not fatal: some steps fail on purpose.
func (d *demo) sh(line string) bool {
	return d.shIn(line, nil)
}

func (d *demo) shIn(line string, stdin io.Reader) bool {
	fmt.Printf("$ %s\n", line)
	cmd := exec.Command("sh", "-c", line)
	cmd.Env = d.env
	cmd.Dir = d.dir
	cmd.Stdin = stdin
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		if l != "" {
			fmt.Printf("    %s\n", l)
		}
	}
	if err != nil {
		fmt.Printf("    (exit status %d)\n", cmd.ProcessState.ExitCode())
		return false
	}
	return true
}
