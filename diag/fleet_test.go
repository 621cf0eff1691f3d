package diag_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/diag"
	"github.com/etcd-ctx/etcd-ctx/internal/conn"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// TestDiagnoseAllBound: DiagnoseAll keeps the targets' order, never runs
// more than Parallel at once, reports a target whose Load failed as could
// not run, and tells Progress of each one done.
func TestDiagnoseAllBound(t *testing.T) {
	var running, peak atomic.Int32
	targets := make([]diag.Target, 9)
	for i := range targets {
		name := fmt.Sprintf("c%d", i)
		targets[i] = diag.Target{Name: name, Load: func() (diag.Input, error) {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(20 * time.Millisecond) // long enough for the others to start if nothing bounded them
			running.Add(-1)
			if i == 4 {
				return diag.Input{}, errors.New("keyring item etcd-ctx/cluster/c4 is missing")
			}
			return diag.Input{}, nil // no endpoints: endpoint-invalid, without any network
		}}
	}
	var mu sync.Mutex
	var seen []int
	reports := diag.DiagnoseAll(context.Background(), targets, diag.FleetOptions{Parallel: 3, Progress: func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if total != len(targets) {
			t.Errorf("progress total %d, want %d", total, len(targets))
		}
		seen = append(seen, done)
	}})
	if p := peak.Load(); p > 3 {
		t.Errorf("peak concurrency %d, want at most 3", p)
	}
	if !slices.Equal(seen, []int{1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("progress calls %v", seen)
	}
	for i, r := range reports {
		if r.Context != targets[i].Name || r.Healthy {
			t.Errorf("report %d: context %q healthy=%v", i, r.Context, r.Healthy)
		}
		if (r.Error != "") != (i == 4) {
			t.Errorf("report %d: error %q", i, r.Error)
		}
	}
	if len(reports[4].Findings) != 0 || reports[4].Error != "keyring item etcd-ctx/cluster/c4 is missing" {
		t.Errorf("a target that could not load: %+v", reports[4])
	}
}

// TestInventoryInProcess diagnoses a real single-member mTLS etcd as two
// contexts plus one that never answers, in one DiagnoseAll, and checks the
// inventory against the certificate files: the server certificate read on
// the client URL and the peer certificate on the peer URL (serials as
// openssl prints them), the client certificate and the CA, soonest expiry
// first; the silent context lists only its own material.
func TestInventoryInProcess(t *testing.T) {
	c, err := harness.Start(harness.Options{TLS: true, ClientCertAuth: true, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			cn, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, cn)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, cn := range conns {
			cn.Close()
		}
	}()
	read := func(p string) []byte {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	settings := conn.Settings{Endpoints: c.Endpoints, CA: read(c.PKI.CA), Cert: read(c.PKI.RootCert), Key: read(c.PKI.RootKey)}
	in := diag.Input{Settings: settings, Sources: diag.Sources{CA: c.PKI.CA, Cert: c.PKI.RootCert, Key: c.PKI.RootKey}, Timeout: 2 * time.Second}
	hung := in
	hung.Settings.Endpoints = []string{"https://" + silent.Addr().String()}
	load := func(in diag.Input) func() (diag.Input, error) { return func() (diag.Input, error) { return in, nil } }
	reports := diag.DiagnoseAll(context.Background(), []diag.Target{{Name: "a", Load: load(in)}, {Name: "b", Load: load(in)}, {Name: "hung", Load: load(hung)}}, diag.FleetOptions{})

	want := map[string]*x509.Certificate{
		"server": parseCert(t, read(c.PKI.Members[0].ServerCert)),
		"peer":   parseCert(t, read(c.PKI.Members[0].PeerCert)),
		"client": parseCert(t, read(c.PKI.RootCert)),
		"ca":     parseCert(t, read(c.PKI.CA)),
	}
	for _, r := range reports[:2] {
		certs := r.Certificates()
		if !r.Healthy || len(certs) != 4 {
			t.Fatalf("context %s: healthy=%v, %d certificates: %+v", r.Context, r.Healthy, len(certs), certs)
		}
		for i, x := range certs {
			w := want[x.Role]
			if w == nil || x.Context != r.Context || x.Serial != fmt.Sprintf("%X", w.SerialNumber) && x.Serial != fmt.Sprintf("0%X", w.SerialNumber) ||
				!x.NotAfter.Equal(w.NotAfter) || x.Subject != w.Subject.String() || x.State != diag.CertOK {
				t.Errorf("context %s: %+v does not match the %s certificate file", r.Context, x, x.Role)
			}
			if i > 0 && x.NotAfter.Before(certs[i-1].NotAfter) {
				t.Errorf("not sorted by expiry: %v", certs)
			}
			switch x.Role {
			case "server":
				if x.Port != "client" || x.Member != "m0" || x.URL != c.Endpoints[0] {
					t.Errorf("server certificate placed at %q %q %q", x.Port, x.Member, x.URL)
				}
			case "peer":
				if x.Port != "peer" || x.Member != "m0" || x.URL != c.PeerURLs[0] {
					t.Errorf("peer certificate placed at %q %q %q", x.Port, x.Member, x.URL)
				}
			case "client", "ca":
				if x.Port != "" || x.Member != "" || x.Source == "" {
					t.Errorf("%s certificate: port %q member %q source %q", x.Role, x.Port, x.Member, x.Source)
				}
			}
		}
	}
	h := reports[2]
	if h.Healthy || !slices.ContainsFunc(h.Findings, func(f diag.Finding) bool { return f.ID == "timeout" }) {
		t.Errorf("the silent endpoint: healthy=%v findings %v", h.Healthy, h.Findings)
	}
	for _, x := range h.Certificates() {
		if x.Role != "client" && x.Role != "ca" {
			t.Errorf("the silent endpoint served a certificate? %+v", x)
		}
	}
}

func parseCert(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatal("no PEM block")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
