package tests

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
	"github.com/etcd-ctx/etcd-ctx/rotation"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// TestRotateUnderLoad is issue 15's acceptance: a 3-member cluster with
// separate client and peer CAs from 'etcd-certwiz init --plan', client-cert
// auth with RBAC, and a writer putting a key every 20 ms the whole time.
// The test is the operator: it runs 'rotate start', 'status' and 'next' and
// does exactly what their JSON says — copies, one restart at a time, the
// clients' files and contexts — and nothing else. It proves, per etcd
// version: no write fails (unacknowledged within 10 s while retrying), no
// put stalls over 5 s, a fresh TLS connection with the writer's current
// credentials reaches every running member at every moment, every
// acknowledged key is there at the end, old-CA client and peer
// certificates are refused and new ones accepted, and check is clean; and
// no command printed or was given a CA key.
func TestRotateUnderLoad(t *testing.T) {
	for _, v := range []string{"", "3.4", "3.5"} {
		name := "embedded-3.7"
		if v != "" {
			name = "etcd-" + v
		}
		t.Run(name, func(t *testing.T) {
			if v == "3.4" {
				harness.Need(t, harness.HasEtcd34(), "Debian's etcd 3.4 (etcd-server)")
			}
			rotateUnderLoad(t, v)
		})
	}
}

func rotateUnderLoad(t *testing.T, version string) {
	op := newOperator(t)
	dir := op.initPlan("prod", "m0", "m1", "m2")
	names := []string{"m0", "m1", "m2"}
	c := op.startCluster(harness.Options{TLS: true, ClientCertAuth: true, RBAC: true, Version: version,
		PKI: harness.LayoutPKI(dir, names, "root", harness.User)})
	op.addContext("prod", c, dir)

	l := certwiz.Layout{Dir: dir}
	w := startWriter(t, c, l.CA(), l.Client(harness.User))
	time.Sleep(3 * time.Second) // the "before" latencies
	w.mark("rotation")

	op.secret("the old CA's key", certwiz.KeyPath(l.CA()))
	op.secret("the old peer CA's key", certwiz.KeyPath(l.PeerCA()))
	out := op.rotate("start", dir)
	op.secret("the new CA's key", filepath.Join(dir, "rotation", "new", "ca.key"))
	op.secret("the new peer CA's key", filepath.Join(dir, "rotation", "new", "peer-ca.key"))
	op.follow(c, w, out)
	for out.Phase != rotation.PhaseDone {
		st := op.waitGate(dir)
		if len(st.Members) != 3 {
			t.Fatalf("status shows %d members", len(st.Members))
		}
		out = op.rotate("next", dir)
		op.follow(c, w, out)
	}
	w.mark("after")
	time.Sleep(2 * time.Second)
	w.stop()
	w.report(t)

	// Every acknowledged key is there, read with the writer's new credentials.
	keys := w.readAll(t)
	for _, k := range w.acked() {
		if !keys[k] {
			t.Errorf("acknowledged key %s is missing", k)
		}
	}

	// Old-CA client and peer certificates are refused everywhere, new ones
	// accepted: probes minted from the retired old CAs and from the tree's
	// (new) CAs.
	retired, _ := filepath.Glob(filepath.Join(dir, "retired", "*", "ca.key"))
	if len(retired) != 1 {
		t.Fatalf("retired CA keys: %v", retired)
	}
	rdir := filepath.Dir(retired[0])
	for i := range names {
		for _, port := range []struct {
			url, oldCA, newCA string
		}{{c.Endpoints[i], filepath.Join(rdir, "ca.crt"), l.CA()}, {c.PeerURLs[i], filepath.Join(rdir, "peer-ca.crt"), l.PeerCA()}} {
			if p := probeWith(t, port.url, port.oldCA); p.Accepted || !p.Refused() {
				t.Errorf("%s accepts (or did not answer) a certificate from the retired CA %s: %+v", port.url, port.oldCA, p.Err)
			}
			if p := probeWith(t, port.url, port.newCA); !p.Accepted {
				t.Errorf("%s refuses a certificate from the new CA %s: %v", port.url, port.newCA, p.Err)
			}
		}
	}
	if _, errs, code := op.run("etcd-certwiz", "check", dir); code != 0 {
		t.Errorf("check after the rotation: exit %d\n%s\n%s", code, op.lastOut, errs)
	}
	if _, errs, code := op.run("etcd-certwiz", "rotate", "status", dir, "--context", "prod"); code != 0 {
		t.Errorf("status after the rotation (the members serve the tree's certificates): exit %d\n%s\n%s", code, op.lastOut, errs)
	}
}

// operator runs the suite's commands as an operator would, in the tests'
// sandbox (a user without a keyring: contexts keep paths), and checks that
// no output holds a secret it was told about.
type operator struct {
	*user
	lastOut string
	secrets map[string]string // name → bytes no output may hold
}

func newOperator(t *testing.T) *operator {
	u := newUser(t, false)
	u.setenv("NO_COLOR", "1")
	return &operator{user: u}
}

func (o *operator) run(args ...string) (string, string, int) {
	o.t.Helper()
	out, errs, code := o.user.run("", args...)
	o.lastOut = out
	for name, secret := range o.secrets {
		if strings.Contains(out, secret) || strings.Contains(errs, secret) || strings.Contains(strings.Join(args, " "), secret) {
			o.t.Errorf("%v printed (or was given) %s", args, name)
		}
	}
	if strings.Contains(out+errs, "PRIVATE KEY") {
		o.t.Errorf("%v printed a private key", args)
	}
	return out, errs, code
}

// secret records the body of a PEM key file: no command's argv, stdout or
// stderr may hold it from now on.
func (o *operator) secret(name, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		o.t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) < 3 {
		o.t.Fatalf("%s: not a PEM key", path)
	}
	if o.secrets == nil {
		o.secrets = map[string]string{}
	}
	o.secrets[name] = lines[1] // the first line of the base64 body
}

func (o *operator) ok(args ...string) string {
	o.t.Helper()
	out, errs, code := o.run(args...)
	if code != 0 {
		o.t.Fatalf("%v: exit %d\n%s\n%s", args, code, out, errs)
	}
	return out
}

// initPlan writes a plan for members on 127.0.0.1 with clients root and
// the harness's RBAC user, and runs 'etcd-certwiz init --plan'.
func (o *operator) initPlan(cluster string, members ...string) string {
	plan := "cluster: " + cluster + "\nout: ./pki\nmembers:\n"
	for _, m := range members {
		plan += "  - name: " + m + "\n    ips: [127.0.0.1]\n"
	}
	plan += "clients:\n  - name: root\n  - name: " + harness.User + "\n"
	if err := os.WriteFile(filepath.Join(o.dir, "plan.yaml"), []byte(plan), 0o644); err != nil {
		o.t.Fatal(err)
	}
	o.ok("etcd-certwiz", "init", "--plan", "plan.yaml")
	return filepath.Join(o.dir, "pki")
}

func (o *operator) startCluster(opts harness.Options) *harness.Cluster {
	return harness.StartCluster(o.t, opts)
}

// addContext adds an etcd-ctx context for root on the tree's files (kept
// as paths: no keyring needed).
func (o *operator) addContext(name string, c *harness.Cluster, dir string) {
	l := certwiz.Layout{Dir: dir}
	o.ok("etcd-ctx", "add", name, "--endpoints", strings.Join(c.Endpoints, ","), "--cacert", l.CA(),
		"--cert", l.Client("root"), "--key", certwiz.KeyPath(l.Client("root")), "--store", "path", "--use")
}

// rotationOut is the JSON of rotate start, status and next.
type rotationOut struct {
	Phase   rotation.Phase `json:"phase"`
	Actions []rotation.MemberAction
	Clients []rotation.ClientAction
	Gate    struct {
		Holds   bool
		Checked bool
		Pending []string
	}
	Contexts []string
	Members  []rotation.MemberView
}

func (o *operator) rotate(cmd, dir string, extra ...string) rotationOut {
	o.t.Helper()
	args := append([]string{"etcd-certwiz", "rotate", cmd, dir, "-o", "json"}, extra...)
	out := o.ok(args...)
	var r rotationOut
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		o.t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return r
}

// waitGate runs status until it exits 0, as an operator waits for the
// gate after doing what the phase asked; each run is a live check.
func (o *operator) waitGate(dir string) rotationOut {
	o.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, errs, code := o.run("etcd-certwiz", "rotate", "status", dir, "-o", "json")
		var r rotationOut
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			o.t.Fatalf("status: %v\n%s\n%s", err, out, errs)
		}
		if code == 0 && r.Gate.Holds {
			return r
		}
		if time.Now().After(deadline) {
			o.t.Fatalf("the gate of %s does not hold after 30 s: exit %d %s\n%s", r.Phase, code, strings.Join(r.Gate.Pending, "\n"), errs)
		}
		time.Sleep(time.Second)
	}
}

// follow carries out a phase's JSON exactly: each member's copies then, if
// asked, its restart (waiting until it is healthy) one at a time; the
// clients' copies (the writer reconnects when asked to restart); the
// etcd-ctx commands.
func (o *operator) follow(c *harness.Cluster, w *writer, out rotationOut) {
	o.followAs(c, w, out, "")
}

// followAs is follow for a writer running on member host's node, like
// kubeadm's kube-apiserver: it restarts after that member to read the
// node's new ca.crt, as the member's note says.
func (o *operator) followAs(c *harness.Cluster, w *writer, out rotationOut, host string) {
	o.t.Helper()
	index := func(name string) int {
		for i := range c.Endpoints {
			if c.PKI.Members[i].Name == name {
				return i
			}
		}
		o.t.Fatalf("no member %s", name)
		return -1
	}
	for _, a := range out.Actions {
		for _, cp := range a.Copy {
			copyFile(o.t, cp.From, cp.To)
		}
		if a.Restart {
			i := index(a.Member)
			w.down(i, true)
			c.Stop(i)
			if err := c.Start(i); err != nil {
				o.t.Fatal(err)
			}
			w.down(i, false)
			if a.Member == host {
				w.reconnect(o.t)
			}
		}
	}
	restart := false
	for _, a := range out.Clients {
		for _, cp := range a.Copy {
			copyFile(o.t, cp.From, cp.To)
		}
		restart = restart || (a.Restart && a.Client == harness.User)
	}
	if restart {
		w.reconnect(o.t)
	}
	for _, line := range out.Contexts {
		words := strings.Fields(line)
		if words[0] != "etcd-ctx" {
			o.t.Fatalf("context line %q", line)
		}
		o.ok(words...)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := fileio.Write(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// probeWith presents a probe certificate minted from the CA at caPath (its
// key beside it) to url.
func probeWith(t *testing.T, url, caPath string) rotation.PortProbe {
	t.Helper()
	ca, err := certwiz.LoadCA(caPath)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := rotation.MintProbe(ca, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return rotation.Probe(ctx, url, cert)
}

// writer puts a key every 20 ms through a Go client with all endpoints,
// retrying each until it is acknowledged or 10 s have passed, as a real
// client would. Its CA bundle is read when it (re)connects; its certificate
// on each new connection (etcd's transport reloads it), as etcd's own
// clients do.
type writer struct {
	c              *harness.Cluster
	caFile, cert   string
	cli            atomic.Pointer[clientv3.Client]
	mu             sync.Mutex
	ack            []string
	lat            []putSample
	failed         []string
	marks          map[string]time.Time
	tlsFailures    []string
	downs          []atomic.Bool
	done           chan struct{}
	wg             sync.WaitGroup
	old            []*clientv3.Client
	handshakes     atomic.Int64
	reconnects     int
	startedAt      time.Time
	maxStall       time.Duration
	maxStallAt     time.Time
	probeInterval  time.Duration
	writeInterval  time.Duration
	attemptTimeout time.Duration
	pool           *x509.CertPool
}

type putSample struct {
	at  time.Time
	lat time.Duration
}

func startWriter(t *testing.T, c *harness.Cluster, caFile, cert string) *writer {
	w := &writer{c: c, caFile: caFile, cert: cert, marks: map[string]time.Time{}, downs: make([]atomic.Bool, len(c.Endpoints)),
		done: make(chan struct{}), startedAt: time.Now(), probeInterval: 250 * time.Millisecond, writeInterval: 20 * time.Millisecond,
		attemptTimeout: 2 * time.Second}
	w.reconnect(t)
	w.wg.Add(2)
	go w.writeLoop()
	go w.probeLoop()
	return w
}

func (w *writer) clientConfig() (*tls.Config, error) {
	info := transport.TLSInfo{TrustedCAFile: w.caFile, CertFile: w.cert, KeyFile: certwiz.KeyPath(w.cert)}
	return info.ClientConfig()
}

// reconnect is the client restarting to read a new CA bundle: a new client
// takes over, the old one is closed once the puts it carries are done.
func (w *writer) reconnect(t *testing.T) {
	cfg, err := w.clientConfig()
	if err != nil {
		t.Fatal(err)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: w.c.Endpoints, TLS: cfg, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	w.pool = cfg.RootCAs
	w.mu.Unlock()
	if old := w.cli.Swap(cli); old != nil {
		w.mu.Lock()
		w.old = append(w.old, old)
		w.reconnects++
		w.mu.Unlock()
	}
}

func (w *writer) mark(name string) {
	w.mu.Lock()
	w.marks[name] = time.Now()
	w.mu.Unlock()
}

func (w *writer) down(i int, down bool) { w.downs[i].Store(down) }

func (w *writer) writeLoop() {
	defer w.wg.Done()
	tick := time.NewTicker(w.writeInterval)
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-w.done:
			return
		case <-tick.C:
		}
		n++
		key := fmt.Sprintf("%sw/%06d", harness.Prefix, n)
		w.put(key)
	}
}

// put retries one key until acknowledged, for at most 10 s.
func (w *writer) put(key string) {
	start := time.Now()
	var last error
	for time.Since(start) < 10*time.Second {
		ctx, cancel := context.WithTimeout(context.Background(), w.attemptTimeout)
		_, err := w.cli.Load().Put(ctx, key, "v")
		cancel()
		if err == nil {
			lat := time.Since(start)
			w.mu.Lock()
			w.ack = append(w.ack, key)
			w.lat = append(w.lat, putSample{at: start, lat: lat})
			if lat > w.maxStall {
				w.maxStall, w.maxStallAt = lat, start
			}
			w.mu.Unlock()
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	w.mu.Lock()
	w.failed = append(w.failed, fmt.Sprintf("%s at %s: %v", key, start.Format("15:04:05.000"), last))
	w.mu.Unlock()
}

// probeLoop makes a fresh TLS connection to every running member every
// 250 ms with the writer's current credentials: the CA bundle it last read
// and its certificate file now. A member the test has stopped is skipped;
// any other failure is recorded.
func (w *writer) probeLoop() {
	defer w.wg.Done()
	tick := time.NewTicker(w.probeInterval)
	defer tick.Stop()
	for {
		select {
		case <-w.done:
			return
		case <-tick.C:
		}
		var wg sync.WaitGroup
		for i, ep := range w.c.Endpoints {
			if w.downs[i].Load() {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := w.handshake(ep); err != nil && !w.downs[i].Load() {
					w.mu.Lock()
					w.tlsFailures = append(w.tlsFailures, fmt.Sprintf("%s %s: %v", time.Now().Format("15:04:05.000"), ep, err))
					w.mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
}

func (w *writer) handshake(ep string) error {
	w.handshakes.Add(1)
	cfg := w.currentTLS()
	if cfg == nil {
		return errors.New("no TLS config")
	}
	host := strings.TrimPrefix(ep, "https://")
	// A connection may be slow on a loaded machine (5 s, the stall bound),
	// never refused.
	d := &tls.Dialer{Config: cfg}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "GET /version HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n"); err != nil {
		return err
	}
	buf := make([]byte, 12)
	if _, err := io.ReadAtLeast(conn, buf, 12); err != nil {
		return fmt.Errorf("after the handshake: %w", err)
	}
	if !bytes.HasPrefix(buf, []byte("HTTP/1.1 200")) {
		return fmt.Errorf("answer %q", buf)
	}
	return nil
}

// currentTLS is the writer's TLS as it stands: the bundle its client read
// at its last (re)connect, its certificate file as it is now.
func (w *writer) currentTLS() *tls.Config {
	cfg, err := w.clientConfig()
	if err != nil {
		return nil
	}
	w.mu.Lock()
	cfg.RootCAs = w.pool
	w.mu.Unlock()
	cfg.NextProtos = nil
	return cfg
}

func (w *writer) stop() {
	close(w.done)
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.old {
		c.Close()
	}
}

func (w *writer) acked() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.ack)
}

func (w *writer) readAll(t *testing.T) map[string]bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := w.cli.Load().Get(ctx, harness.Prefix+"w/", clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, kv := range resp.Kvs {
		out[string(kv.Key)] = true
	}
	w.cli.Load().Close()
	return out
}

// report asserts the writer's record and logs its figures.
func (w *writer) report(t *testing.T) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.failed) > 0 {
		t.Errorf("%d writes failed (not acknowledged within 10 s):\n%s", len(w.failed), strings.Join(w.failed, "\n"))
	}
	if w.maxStall > 5*time.Second {
		t.Errorf("a put stalled %s (started %s)", w.maxStall, w.maxStallAt.Format("15:04:05.000"))
	}
	if len(w.tlsFailures) > 0 {
		t.Errorf("%d fresh TLS connections to running members failed:\n%s", len(w.tlsFailures), strings.Join(w.tlsFailures, "\n"))
	}
	if w.handshakes.Load() < 20 {
		t.Errorf("only %d fresh TLS connections were tried", w.handshakes.Load())
	}
	before, during := w.window("", "rotation"), w.window("rotation", "after")
	t.Logf("writes acknowledged %d, failed %d, max stall %s; fresh TLS connections %d, failed %d; client reconnects %d",
		len(w.ack), len(w.failed), w.maxStall.Round(time.Millisecond), w.handshakes.Load(), len(w.tlsFailures), w.reconnects)
	t.Logf("put latency p50/p99/max before the rotation %s, during %s", before, during)
	if path := os.Getenv("ROTATE_FIGURES"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintf(f, "%s\tacked=%d\tfailed=%d\tmaxstall=%s\tbefore=%s\tduring=%s\n", t.Name(), len(w.ack), len(w.failed), w.maxStall.Round(time.Millisecond), before, during)
			f.Close()
		}
	}
}

type latencies struct{ p50, p99, max time.Duration }

func (l latencies) String() string {
	return fmt.Sprintf("%s/%s/%s", l.p50.Round(100*time.Microsecond), l.p99.Round(100*time.Microsecond), l.max.Round(100*time.Microsecond))
}

func (w *writer) window(from, to string) latencies {
	lo, hi := w.marks[from], w.marks[to]
	var d []time.Duration
	for _, s := range w.lat {
		if (from == "" || !s.at.Before(lo)) && s.at.Before(hi) {
			d = append(d, s.lat)
		}
	}
	if len(d) == 0 {
		return latencies{}
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	q := func(p float64) time.Duration { return d[int(math.Ceil(p*float64(len(d))))-1] }
	return latencies{q(0.5), q(0.99), d[len(d)-1]}
}

// TestRotateKubeadm: the same rotation on a kubeadm PKI made with openssl
// (one CA for clients and peers, RSA keys as kubeadm makes them): three
// nodes, each with its own /etc/kubernetes/pki/etcd ({ca,server,peer,
// healthcheck-client}.crt|key) and ../apiserver-etcd-client.crt|key. The
// rotation runs on node m0's directory with the other nodes' given by
// --member (and, as they are not at kubeadm's path on this one machine,
// --member-dir); every copy goes to the node's own files under kubeadm's names;
// the writer is node m0's kube-apiserver (its etcd client certificate and
// ca.crt), restarted after etcd on its node as the notes say. At the end
// each node's tree checks clean and the old CA is refused on every port.
func TestRotateKubeadm(t *testing.T) {
	harness.Need(t, harness.HasCommand("openssl"), "openssl")
	op := newOperator(t)
	names := []string{"m0", "m1", "m2"}
	nodes := kubeadmNodes(t, op.dir, names)
	p := &harness.PKI{Dir: nodes[0], CA: filepath.Join(nodes[0], "ca.crt"), PeerCA: filepath.Join(nodes[0], "ca.crt"),
		RootCert: filepath.Join(nodes[0], "..", "apiserver-etcd-client.crt"), RootKey: filepath.Join(nodes[0], "..", "apiserver-etcd-client.key")}
	for i, n := range names {
		p.Members = append(p.Members, harness.MemberPKI{Name: n,
			ServerCert: filepath.Join(nodes[i], "server.crt"), ServerKey: filepath.Join(nodes[i], "server.key"),
			PeerCert: filepath.Join(nodes[i], "peer.crt"), PeerKey: filepath.Join(nodes[i], "peer.key"),
			TrustedCA: filepath.Join(nodes[i], "ca.crt"), PeerTrustedCA: filepath.Join(nodes[i], "ca.crt")})
	}
	// Real etcd 3.7 processes: the embedded members share the test
	// process's CPU with the writer, which starves them on a loaded machine
	// (the acceptance test covers the embedded harness).
	c := op.startCluster(harness.Options{TLS: true, ClientCertAuth: true, PKI: p, Version: "3.7"})
	op.ok("etcd-ctx", "add", "k8s", "--endpoints", strings.Join(c.Endpoints, ","), "--cacert", p.CA,
		"--cert", p.RootCert, "--key", p.RootKey, "--store", "path", "--use")
	w := startWriter(t, c, p.CA, p.RootCert)
	w.mark("rotation")

	// The nodes' directories are apart here (one machine); on real nodes
	// they share kubeadm's path and --member-dir is not needed.
	out := op.rotate("start", nodes[0], "--member", "m1="+nodes[1], "--member", "m2="+nodes[2],
		"--member-dir", "m1="+nodes[1], "--member-dir", "m2="+nodes[2])
	if len(out.Actions) != 3 || len(out.Clients) != 0 {
		t.Fatalf("start: %d member actions, %d client actions", len(out.Actions), len(out.Clients))
	}
	for i, a := range out.Actions {
		// One CA: one bundle, at the node's own ca.crt.
		if len(a.Copy) != 1 || a.Copy[0].To != filepath.Join(nodes[i], "ca.crt") || !a.Restart {
			t.Errorf("start: %s: %+v", a.Member, a)
		}
	}
	op.followAs(c, w, out, "m0")
	for out.Phase != rotation.PhaseDone {
		op.waitGate(nodes[0])
		out = op.rotate("next", nodes[0])
		if out.Phase == rotation.PhaseServeNew {
			for i, a := range out.Actions {
				var to []string
				for _, cp := range a.Copy {
					to = append(to, cp.To)
				}
				want := []string{filepath.Join(nodes[i], "server.crt"), filepath.Join(nodes[i], "peer.crt"),
					filepath.Join(nodes[i], "healthcheck-client.crt"), filepath.Join(filepath.Dir(nodes[i]), "apiserver-etcd-client.crt")}
				if !slices.Equal(to, want) || a.Restart {
					t.Errorf("serve-new: %s copies to %v (restart %v), want %v", a.Member, to, a.Restart, want)
				}
			}
		}
		op.followAs(c, w, out, "m0")
	}
	w.mark("after")
	w.stop()
	w.report(t)
	keys := w.readAll(t)
	for _, k := range w.acked() {
		if !keys[k] {
			t.Errorf("acknowledged key %s is missing", k)
		}
	}
	retired, _ := filepath.Glob(filepath.Join(nodes[0], "retired", "*", "ca.crt"))
	if len(retired) != 1 {
		t.Fatalf("retired CAs: %v", retired)
	}
	for i := range names {
		for _, url := range []string{c.Endpoints[i], c.PeerURLs[i]} {
			if p := probeWith(t, url, retired[0]); p.Accepted || !p.Refused() {
				t.Errorf("%s accepts (or did not answer) a certificate from the retired CA: %v", url, p.Err)
			}
			if p := probeWith(t, url, filepath.Join(nodes[i], "ca.crt")); !p.Accepted {
				t.Errorf("%s refuses a certificate from the new CA: %v", url, p.Err)
			}
		}
		if _, errs, code := op.run("etcd-certwiz", "check", filepath.Dir(nodes[i])); code != 0 {
			t.Errorf("check %s: exit %d\n%s\n%s", nodes[i], code, op.lastOut, errs)
		}
	}
}

// kubeadmNodes makes a kubeadm etcd PKI for each node with openssl, as
// kubeadm lays it out: DIR/<node>/pki/etcd/{ca,server,peer,
// healthcheck-client}.crt|key and DIR/<node>/pki/apiserver-etcd-client.crt|key,
// one CA (etcd-ca) copied to every node. It returns the etcd directories.
func kubeadmNodes(t *testing.T, dir string, names []string) []string {
	t.Helper()
	script := `set -e
mkdir -p ca && cd ca
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj /CN=etcd-ca \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign 2>/dev/null
leaf() { # dir name cn eku san
  openssl req -new -newkey rsa:2048 -nodes -keyout "$1/$2.key" -subj "/CN=$3" -out "$1/$2.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n' "$4" > "$1/$2.ext"
  [ -z "$5" ] || echo "subjectAltName=$5" >> "$1/$2.ext"
  openssl x509 -req -in "$1/$2.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 -extfile "$1/$2.ext" -out "$1/$2.crt" 2>/dev/null
  rm "$1/$2.csr" "$1/$2.ext"
}
for n in $NODES; do
  d=../$n/pki/etcd
  mkdir -p $d
  cp ca.crt ca.key $d/
  leaf $d server $n serverAuth,clientAuth "DNS:$n,DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1"
  leaf $d peer $n serverAuth,clientAuth "DNS:$n,DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1"
  leaf $d healthcheck-client kube-etcd-healthcheck-client clientAuth ""
  leaf $d/.. apiserver-etcd-client kube-apiserver-etcd-client clientAuth ""
done
`
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODES="+strings.Join(names, " "))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	var out []string
	for _, n := range names {
		out = append(out, filepath.Join(dir, n, "pki", "etcd"))
	}
	return out
}
