package tlsprobe

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

// A TLS 1.3 server refuses a client certificate after the client's side of
// the handshake is done: its alert comes first, then, as the server closes
// with the client's Finished still unread, a reset. When the reset is there
// before the first bytes go out (gRPC's preface, an HTTP request), the write
// fails with "connection reset by peer"; the alert, already received, must
// still be what Send returns (seen on etcd 3.7 refusing a certificate not
// yet valid on its clock: TestMemberClockBehind, one run in many).
func TestSendReturnsTheAlertBeforeAReset(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "m0"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pair := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	reset := make(chan struct{})
	go func() {
		defer close(reset)
		raw, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		srv := tls.Server(raw, &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequireAndVerifyClientCert,
			ClientCAs: x509.NewCertPool(), MinVersion: tls.VersionTLS13})
		served <- srv.Handshake() // refuses the client certificate: sends the alert
		raw.(*net.TCPConn).SetLinger(0)
		raw.Close() // a reset, as with unread bytes
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	conn := tls.Client(raw, &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{pair}}) //nolint:gosec // test server
	if err := conn.Handshake(); err != nil {
		t.Fatalf("client side of the handshake: %v", err)
	}
	if err := <-served; err == nil {
		t.Fatal("the server accepted a certificate its CA pool lacks")
	}
	<-reset // with SO_LINGER 0, close sends the reset at once: it is in before the write
	err = Send(conn, []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))
	var alert *net.OpError
	if !errors.As(err, &alert) || alert.Op != "remote error" || !strings.Contains(err.Error(), "unknown certificate authority") {
		t.Fatalf("Send: %v (%T); want the server's alert, unknown certificate authority", err, errors.Unwrap(err))
	}
}
