package diag_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/internal/conn"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// TestMemberClockBehind: a member whose clock is behind refuses a client
// certificate as "expired certificate" although it is valid by this
// machine's clock. The member is real (embedded etcd) and its clock is the
// real one; this machine's clock is Input.Now, three hours ahead, and the
// openssl-made client certificate starts two hours from the real now. The
// finding must blame the member's clock, not the certificate (renewing it
// would not help).
func TestMemberClockBehind(t *testing.T) {
	harness.Need(t, harness.HasCommand("openssl"), "openssl")
	dir := t.TempDir()
	run := func(script string) {
		t.Helper()
		cmd := exec.Command("sh", "-ec", script)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", script, err, out)
		}
	}
	writeFile(t, filepath.Join(dir, "leaf.ext"), "[member]\nbasicConstraints = CA:FALSE\nkeyUsage = digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth, clientAuth\nsubjectAltName = IP:127.0.0.1\n"+
		"[client]\nbasicConstraints = CA:FALSE\nkeyUsage = digitalSignature\nextendedKeyUsage = clientAuth\n")
	writeFile(t, filepath.Join(dir, "ca.cnf"), "[ca]\ndefault_ca = d\n[d]\ndir = .\ndatabase = index.txt\nnew_certs_dir = newcerts\nserial = serial\ncertificate = pki/ca.crt\nprivate_key = pki/ca.key\n"+
		"default_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n")
	run(`mkdir -p pki/m0 pki/clients newcerts; touch index.txt; echo 1000 > serial
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj /CN=openssl-ca -keyout pki/ca.key -out pki/ca.crt 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=m0 -keyout pki/m0/server.key -out m0.csr 2>/dev/null
openssl x509 -req -in m0.csr -CA pki/ca.crt -CAkey pki/ca.key -days 365 -extfile leaf.ext -extensions member -out pki/m0/server.crt 2>/dev/null
cp pki/m0/server.crt pki/m0/peer.crt; cp pki/m0/server.key pki/m0/peer.key
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=root -keyout pki/clients/root.key -out root.csr 2>/dev/null
openssl x509 -req -in root.csr -CA pki/ca.crt -CAkey pki/ca.key -days 365 -extfile leaf.ext -extensions client -out pki/clients/root.crt 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=ahead -keyout ahead.key -out ahead.csr 2>/dev/null
openssl ca -batch -config ca.cnf -in ahead.csr -startdate $(date -u -d "+2 hours" +%y%m%d%H%M%SZ) -enddate $(date -u -d "+30 days" +%y%m%d%H%M%SZ) -extfile leaf.ext -extensions client -out ahead.crt 2>/dev/null`)
	c, err := harness.Start(harness.Options{TLS: true, ClientCertAuth: true, PKI: harness.LayoutPKI(filepath.Join(dir, "pki"), []string{"m0"}, "root", "alice"), Dir: filepath.Join(dir, "etcd")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	in := diag.Input{
		Settings: conn.Settings{Endpoints: c.Endpoints, CA: readFile(t, filepath.Join(dir, "pki/ca.crt")), Cert: readFile(t, filepath.Join(dir, "ahead.crt")), Key: readFile(t, filepath.Join(dir, "ahead.key"))},
		Timeout:  5 * time.Second,
		Now:      time.Now().Add(3 * time.Hour),
	}
	r := diag.Diagnose(context.Background(), in)
	var got *diag.Finding
	for i, f := range r.Findings {
		if f.ID == "client-cert-expired" {
			got = &r.Findings[i]
		}
	}
	if got == nil || !strings.Contains(got.Cause, "although by this machine's clock it is valid") || !strings.Contains(got.Fix, "check the member's clock") ||
		!strings.Contains(got.Fix, "renewing the client certificate does not help") || got.Endpoint != c.Endpoints[0] {
		t.Fatalf("want client-cert-expired blaming the member's clock; got %+v", r.Findings)
	}

	// By the real clock, the certificate is not valid yet: a clock problem
	// found before any network, with the clocks as the fix.
	in.Now = time.Time{}
	r = diag.Diagnose(context.Background(), in)
	if len(r.Findings) == 0 || r.Findings[0].ID != "client-cert-expired" || !strings.Contains(r.Findings[0].Cause, "is not valid yet") ||
		!strings.Contains(r.Findings[0].Fix, "compare the clocks") || r.Findings[0].Endpoint != "" {
		t.Fatalf("want a local client-cert-expired saying not valid yet; got %+v", r.Findings)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
