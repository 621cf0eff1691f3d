package tlsprobe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
)

// server starts an HTTPS server with a certificate from ca that requires
// client certificates from trusted, at most TLS version max.
func server(t *testing.T, ca *certwiz.Issued, trusted *x509.Certificate, max uint16) string {
	t.Helper()
	leaf, err := certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleServer, CommonName: "srv", DNS: []string{"localhost"}}, certwiz.ECDSAP256, ca)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(trusted)
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"etcdserver":"3.7.0"}`)) }))
	s.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MaxVersion: max}
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	t.Cleanup(s.Close)
	return s.URL
}

func clientCert(t *testing.T, ca *certwiz.Issued) *tls.Certificate {
	t.Helper()
	it, err := certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleClient, CommonName: "probe"}, certwiz.ECDSAP256, ca)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(it.CertPEM, it.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return &pair
}

// TestProbe: under TLS 1.3 (refusal after the handshake) and 1.2 (inside
// it), a certificate from the trusted CA is accepted, one from another CA
// and none are refused, and the served chain is recorded either way.
func TestProbe(t *testing.T) {
	ca, _ := certwiz.NewCA("server CA", certwiz.ECDSAP256, 30)
	good, _ := certwiz.NewCA("good CA", certwiz.ECDSAP256, 30)
	bad, _ := certwiz.NewCA("bad CA", certwiz.ECDSAP256, 30)
	for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		url := server(t, ca, good.Cert, v)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r := Probe(ctx, url, clientCert(t, good), true)
		if !r.Accepted || !r.Asked || !r.Reached() || r.Served[0].Issuer.CommonName != "server CA" || r.Err != nil {
			t.Errorf("TLS %x, trusted certificate: %+v", v, r)
		}
		for name, cert := range map[string]*tls.Certificate{"another CA's": clientCert(t, bad), "no": nil} {
			r := Probe(ctx, url, cert, true)
			if r.Accepted || !r.Refused() || !r.Reached() || !r.Asked {
				t.Errorf("TLS %x, %s certificate: accepted %v refused %v err %v", v, name, r.Accepted, r.Refused(), r.Err)
			}
		}
		// Without confirmation only the served chain is read.
		if r := Probe(ctx, url, nil, false); !r.Reached() || r.Accepted {
			t.Errorf("TLS %x, without confirmation: %+v", v, r)
		}
	}
}

// TestProbeUnreachable: nothing listening, a plain http URL, garbage.
func TestProbeUnreachable(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if r := Probe(ctx, "https://"+addr, nil, true); r.Connected || r.Reached() || r.Refused() || r.Err == nil {
		t.Errorf("closed port: %+v", r)
	}
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	if r := Probe(ctx, plain.URL, nil, true); !r.Connected || r.TLS || r.Reached() {
		t.Errorf("http URL: %+v", r)
	}
	if r := Probe(ctx, "not a url", nil, true); r.Err == nil || !strings.Contains(r.Err.Error(), "not a URL") {
		t.Errorf("garbage: %+v", r)
	}
}
