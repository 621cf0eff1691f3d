package tests

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/pki"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// opensslShortLivedPKI makes, with openssl, a one-member PKI in certwiz's
// layout whose server certificate was issued 85 days ago for 90 days: 5
// days left, in the last third of its life (so etcd-diag's proportional
// warning fires too). Peer and client certificates get a year, the CA ten.
func opensslShortLivedPKI(t *testing.T, dir string) *harness.PKI {
	t.Helper()
	harness.Need(t, harness.HasCommand("openssl"), "openssl")
	for _, d := range []string{"m0", "clients", "newcerts"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"leaf.ext": "[member]\nbasicConstraints = CA:FALSE\nkeyUsage = digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth, clientAuth\nsubjectAltName = IP:127.0.0.1\n" +
			"[client]\nbasicConstraints = CA:FALSE\nkeyUsage = digitalSignature\nextendedKeyUsage = clientAuth\n",
		"ca.cnf":    "[ca]\ndefault_ca = ca_default\n[ca_default]\ndir = .\ndatabase = index.txt\nnew_certs_dir = newcerts\nserial = serial\ndefault_md = sha256\npolicy = policy_any\nunique_subject = no\n[policy_any]\ncommonName = supplied\n",
		"index.txt": "",
		"serial":    "1000\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	script := `set -e
key() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" -keyout "$2" -out "$3" 2>/dev/null; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj /CN=openssl-fleet-ca -keyout ca.key -out ca.crt 2>/dev/null
key m0 m0/server.key server.csr
openssl ca -config ca.cnf -batch -notext -cert ca.crt -keyfile ca.key -in server.csr -out m0/server.crt -extfile leaf.ext -extensions member \
	-startdate $(date -u -d "-85 days" +%Y%m%d%H%M%SZ) -enddate $(date -u -d "+5 days" +%Y%m%d%H%M%SZ) 2>/dev/null
key m0 m0/peer.key peer.csr
openssl x509 -req -in peer.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 -extfile leaf.ext -extensions member -out m0/peer.crt 2>/dev/null
key root clients/root.key root.csr
openssl x509 -req -in root.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 -extfile leaf.ext -extensions client -out clients/root.crt 2>/dev/null
`
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	return harness.LayoutPKI(dir, []string{"m0"}, "root", harness.User)
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// exporter is a running etcd-diag serve.
type exporter struct {
	cmd  *exec.Cmd
	log  *lockedBuffer
	addr string // host:port it serves on
	done chan error
}

// startExporter runs etcd-diag serve on a port the kernel picks and reads
// the address from its first log line.
func startExporter(t *testing.T, u *user, args ...string) *exporter {
	t.Helper()
	cmd := u.command("", append([]string{"etcd-diag", "serve", "--listen", "127.0.0.1:0"}, args...)...)
	e := &exporter{cmd: cmd, log: &lockedBuffer{}, done: make(chan error, 1)}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = e.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stderr)
		sent := false
		for {
			line, err := r.ReadString('\n')
			e.log.Write([]byte(line))
			if m := regexp.MustCompile(`serving http://(\S+)/metrics`).FindStringSubmatch(line); m != nil && !sent {
				addr <- m[1]
				sent = true
			}
			if err != nil {
				if !sent {
					close(addr)
				}
				e.done <- cmd.Wait()
				return
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-e.done
	})
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatalf("etcd-diag serve exited: %s", e.log.String())
		}
		e.addr = a
	case <-time.After(30 * time.Second):
		t.Fatalf("etcd-diag serve did not say where it listens: %s", e.log.String())
	}
	return e
}

// get fetches a URL and returns the body, failing the test on anything but 200.
func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", u, resp.Status, body)
	}
	return string(body)
}

// metricValue reads one sample of an exposition (name{labels} value).
func metricValue(exposition, series string) (float64, bool) {
	for _, line := range strings.Split(exposition, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			return v, err == nil
		}
	}
	return 0, false
}

// prometheus is a real Prometheus server started by the test.
type prometheus struct{ base string }

// startPrometheus runs Debian's prometheus on a reserved loopback port with a
// config that scrapes target every second and evaluates rules every second.
func startPrometheus(t *testing.T, target, rules string) *prometheus {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	harness.Need(t, err == nil, "prometheus (Debian package prometheus)")
	dir := t.TempDir()
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [%q]\nscrape_configs:\n  - job_name: etcd-diag\n    static_configs:\n      - targets: [%q]\n", rules, target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := harness.ClosedPort(t) // reserved for this test, so nothing else takes it before prometheus binds it
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logf.Name())
			t.Logf("prometheus log:\n%s", log)
		}
	})
	p := &prometheus{base: "http://" + addr}
	waitFor(t, 60*time.Second, "prometheus ready", func() (bool, string) {
		resp, err := http.Get(p.base + "/-/ready")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	return p
}

// sample is one element of an instant query's vector.
type sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (s sample) value() float64 {
	v, _ := strconv.ParseFloat(fmt.Sprint(s.Value[1]), 64)
	return v
}

// query runs an instant PromQL query through the HTTP API.
func (p *prometheus) query(t *testing.T, q string) []sample {
	t.Helper()
	var r struct {
		Status string `json:"status"`
		Data   struct {
			Result []sample `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(get(t, p.base+"/api/v1/query?query="+url.QueryEscape(q))), &r); err != nil || r.Status != "success" {
		t.Fatalf("query %s: %v %+v", q, err, r)
	}
	return r.Data.Result
}

type alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
}

func (p *prometheus) alerts(t *testing.T) []alert {
	t.Helper()
	var r struct {
		Data struct {
			Alerts []alert `json:"alerts"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(get(t, p.base+"/api/v1/alerts")), &r); err != nil {
		t.Fatal(err)
	}
	return r.Data.Alerts
}

// TestExporterPrometheus: three real clusters (an mTLS member, a member
// whose openssl-made server certificate expires in 5 days, a 3-member mTLS
// cluster) are first inventoried by etcd-diag certs (checkCerts); then
// etcd-diag serve watches them and a real Prometheus scrapes it every
// second with the rule file the README shows (packaging/prometheus). The
// series are in Prometheus with the values the clusters warrant, the
// 14-day expiry alert fires for exactly the short-lived certificate (by
// serial), scrapes never start a diagnosis, /healthz answers, and SIGTERM
// stops the exporter cleanly.
func TestExporterPrometheus(t *testing.T) {
	u := newUser(t, false)
	dir := t.TempDir()
	short := opensslShortLivedPKI(t, filepath.Join(dir, "b-pki"))
	b := startCluster(t, harness.Options{TLS: true, ClientCertAuth: true, PKI: short})
	a := startCluster(t, harness.MTLS)
	c := startCluster(t, harness.Cluster3)
	writeFleetConfig(t, u.configPath(), []fleetContext{
		{name: "a", endpoint: a.Endpoints[0], ca: a.PKI.CA, cert: a.PKI.RootCert, key: a.PKI.RootKey},
		{name: "b", endpoint: b.Endpoints[0], ca: short.CA, cert: short.RootCert, key: short.RootKey},
		{name: "c", endpoint: strings.Join(c.Endpoints, ","), ca: c.PKI.CA, cert: c.PKI.RootCert, key: c.PKI.RootKey},
	})
	expiring, err := pki.ParseCerts(mustRead(t, short.Members[0].ServerCert))
	if err != nil {
		t.Fatal(err)
	}
	serial := strings.ToUpper(expiring[0].SerialNumber.Text(16))
	if len(serial)%2 == 1 {
		serial = "0" + serial
	}

	t.Run("certs", func(t *testing.T) { checkCerts(t, u, a, b, c, short, serial) })

	const interval = 2 * time.Second
	e := startExporter(t, u, "--interval", interval.String(), "--timeout", "5s")
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	p := startPrometheus(t, e.addr, filepath.Join(root, "packaging", "prometheus", "etcd-diag.rules.yml"))

	waitFor(t, 90*time.Second, "the expiry alert firing", func() (bool, string) {
		for _, a := range p.alerts(t) {
			if a.Labels["alertname"] == "EtcdCertificateExpiresSoon" && a.State == "firing" {
				return true, ""
			}
		}
		return false, fmt.Sprint(p.alerts(t))
	})
	var firing []alert
	for _, a := range p.alerts(t) {
		if a.Labels["alertname"] == "EtcdCertificateExpiresSoon" {
			firing = append(firing, a)
		}
	}
	want := map[string]string{"context": "b", "member": "m0", "port": "client", "role": "server", "subject": "CN=m0", "issuer": "CN=openssl-fleet-ca", "serial": serial, "severity": "warning"}
	if len(firing) != 1 || firing[0].State != "firing" {
		t.Fatalf("want exactly one expiry alert, firing; got %+v", firing)
	}
	for k, v := range want {
		if firing[0].Labels[k] != v {
			t.Errorf("alert label %s=%q, want %q (%v)", k, firing[0].Labels[k], v, firing[0].Labels)
		}
	}
	if s := firing[0].Annotations["summary"]; !regexp.MustCompile(`^server certificate CN=m0 of b \(member m0, client URL\) expires in [45]d `).MatchString(s) {
		t.Errorf("alert summary %q", s)
	}

	// The series, as Prometheus stored them.
	expect := func(q string, n int, value func(float64) bool) {
		t.Helper()
		got := p.query(t, q)
		if len(got) != n {
			t.Errorf("%s: %d series, want %d: %+v", q, len(got), n, got)
			return
		}
		for _, s := range got {
			if !value(s.value()) {
				t.Errorf("%s: %v", q, s)
			}
		}
	}
	is := func(want float64) func(float64) bool { return func(v float64) bool { return v == want } }
	expect(`etcd_diag_up`, 3, is(1))
	expect(`etcd_diag_healthy{context=~"a|c"}`, 2, is(1))
	expect(`etcd_diag_healthy{context="b"}`, 1, is(0))
	expect(`etcd_diag_findings{context="b",id="server-cert-expiring",severity="warning"}`, 1, is(1))
	expect(`etcd_diag_findings{severity=~"error|warning",context=~"a|c"}`, 0, nil)
	expect(`etcd_diag_members{context="c"}`, 2, is(3))
	expect(`etcd_diag_cert_not_after_seconds{context="b",role="server",serial="`+serial+`"}`, 1, is(float64(expiring[0].NotAfter.Unix())))
	expect(`etcd_diag_cert_not_after_seconds{context="c",role="peer",port="peer"}`, 3, func(v float64) bool { return v > float64(time.Now().Add(300*24*time.Hour).Unix()) })
	expect(`etcd_diag_cert_not_after_seconds{context="a",role="ca"}`, 1, func(v float64) bool { return v > 0 })
	expect(`etcd_diag_run_duration_seconds`, 3, func(v float64) bool { return v > 0 && v < 5 })

	// Scrapes read the last run: ten in a row see at most one new run.
	base := "http://" + e.addr
	var runs []float64
	for range 10 {
		v, ok := metricValue(get(t, base+"/metrics"), "etcd_diag_runs_total")
		if !ok {
			t.Fatal("no etcd_diag_runs_total")
		}
		runs = append(runs, v)
	}
	if runs[9]-runs[0] > 1 {
		t.Errorf("runs_total over 10 quick scrapes: %v: a scrape started a diagnosis", runs)
	}
	if h := get(t, base+"/healthz"); h != "ok\n" {
		t.Errorf("/healthz: %q", h)
	}

	// SIGTERM: a clean stop, exit 0.
	e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-e.done:
		if err != nil || !strings.Contains(e.log.String(), "etcd-diag: stopping") {
			t.Errorf("after SIGTERM: %v\n%s", err, e.log.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("etcd-diag serve did not stop on SIGTERM:\n%s", e.log.String())
	}
	e.done <- nil // for the cleanup
	if strings.Count(e.log.String(), "etcd-diag: run ") < 2 || !strings.Contains(e.log.String(), "3 context(s)") {
		t.Errorf("log:\n%s", e.log.String())
	}
}

// checkCerts: etcd-diag certs over the three clusters: the short-lived
// server certificate first, expiring, and exit 1; every member's server and
// peer certificate, each context's client certificate and CA, in text and
// CSV; with a 3-day window that certificate is fine (exit 0). A context
// that never answers is named on stderr, exit 1.
func checkCerts(t *testing.T, u *user, a, b, c *harness.Cluster, short *harness.PKI, serial string) {
	out, errs, code := u.run("", "etcd-diag", "certs", "--all-contexts")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	first := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\dZ +[45] +expiring +b +server m0 +CN=m0 +CN=openssl-fleet-ca +` + serial + ` +127\.0\.0\.1$`)
	if code != 1 || errs != "" || len(lines) != 17 || !strings.HasPrefix(lines[0], "NOT AFTER ") || !first.MatchString(lines[1]) {
		t.Fatalf("certs --all-contexts: exit %d, %d lines, want 1 and a header with 16 certificates, b's server certificate first\n%s%s", code, len(lines), out, errs)
	}
	if n := strings.Count(out, " ok "); n != 15 {
		t.Errorf("%d certificates ok, want 15:\n%s", n, out)
	}

	out, _, code = u.run("", "etcd-diag", "certs", "--all-contexts", "-o", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || code != 1 || len(rows) != 17 || strings.Join(rows[0], ",") != "context,role,port,member,url,source,subject,issuer,sans,serial,not_before,not_after,days_left,state" {
		t.Fatalf("-o csv: exit %d %v\n%s", code, err, out)
	}
	count := map[string]int{}
	for _, r := range rows[1:] {
		count[r[0]+" "+r[1]]++
		switch {
		case r[0] == "c" && r[1] == "peer" && (r[2] != "peer" || !slices.Contains(c.PeerURLs, r[4])):
			t.Errorf("c's peer certificate placed at %v", r)
		case r[0] == "c" && r[1] == "server" && (r[2] != "client" || !slices.Contains(c.Endpoints, r[4])):
			t.Errorf("c's server certificate placed at %v", r)
		case r[0] == "b" && r[1] == "server" && (r[9] != serial || r[13] != "expiring" || r[8] != "127.0.0.1"):
			t.Errorf("b's server certificate: %v", r)
		case r[1] == "client" && r[5] == "":
			t.Errorf("client certificate without its source: %v", r)
		}
	}
	for k, n := range map[string]int{"a server": 1, "a peer": 1, "a client": 1, "a ca": 1, "b server": 1, "b ca": 1, "c server": 3, "c peer": 3, "c ca": 1} {
		if count[k] != n {
			t.Errorf("%d × %s, want %d (%v)", count[k], k, n, count)
		}
	}

	out, errs, code = u.run("", "etcd-diag", "certs", "--context", "b", "--warn", "3d", "-o", "json")
	var certs []diag.Certificate
	if err := json.Unmarshal([]byte(out), &certs); err != nil || code != 0 || len(certs) != 4 || certs[0].Serial != serial || certs[0].State != diag.CertOK {
		t.Errorf("certs --context b --warn 3d: exit %d %v\n%s%s", code, err, out, errs)
	}

	hung := "https://" + harness.SilentListener(t)
	other := filepath.Join(u.dir, "other.yaml")
	writeFleetConfig(t, other, []fleetContext{
		{name: "a", endpoint: a.Endpoints[0], ca: a.PKI.CA, cert: a.PKI.RootCert, key: a.PKI.RootKey},
		{name: "hung", endpoint: hung, ca: short.CA, cert: short.RootCert, key: short.RootKey},
	})
	out, errs, code = u.run("", "etcd-diag", "certs", "--config", other, "--all-contexts", "--timeout", "1s")
	if code != 1 || errs != `etcd-diag: warning: context "hung": no certificate read from `+hung+": timeout\n" || strings.Count(out, "\n") != 7 {
		t.Errorf("certs with a context that never answers: exit %d\n%s%s", code, out, errs)
	}
}

// TestREADMEShowsExporterFiles: the systemd unit, scrape job and alert
// rules the README shows are the files in packaging/prometheus, the rules
// being what TestExporterPrometheus loads into Prometheus.
func TestREADMEShowsExporterFiles(t *testing.T) {
	readme := string(mustRead(t, filepath.Join("..", "README.md")))
	for _, f := range []string{"etcd-diag.service", "prometheus.yml", "etcd-diag.rules.yml"} {
		if data := mustRead(t, filepath.Join("..", "packaging", "prometheus", f)); !strings.Contains(readme, "\n"+string(data)+"```\n") {
			t.Errorf("README.md does not show packaging/prometheus/%s as it is", f)
		}
	}
}
