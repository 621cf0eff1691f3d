package harness

import (
	"io"
	"net"
	"testing"
	"time"
)

// TestRelay: bytes cross a relay intact and a round trip through it takes
// at least twice its delay; a half-close crosses it, so the peer's answer
// to EOF comes back, then EOF.
func TestRelay(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // echoes until EOF, then says bye and closes
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
		c.Write([]byte("bye"))
	}()
	const delay = 20 * time.Millisecond
	r, err := StartRelay(ln.Addr().String(), delay)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c, err := net.Dial("tcp", r.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo: %q, %v", buf, err)
	}
	if rtt := time.Since(start); rtt < 2*delay {
		t.Errorf("round trip %s through a relay delaying %s each way", rtt, delay)
	}
	c.(*net.TCPConn).CloseWrite()
	rest, err := io.ReadAll(c)
	if err != nil || string(rest) != "bye" {
		t.Fatalf("after the half-close: %q, %v; want the peer's bye, then EOF", rest, err)
	}
}
