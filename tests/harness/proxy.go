package harness

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
)

// HTTPProxy listens on a reserved loopback port as an HTTP proxy that
// answers every CONNECT with status (a corporate proxy that refuses to
// tunnel to internal addresses: 403, or one that cannot reach them: 502);
// with http.StatusOK it tunnels to the address asked for. It stops, closing
// every connection, with stop.
func HTTPProxy(status int) (addr string, stop func(), err error) {
	l, p, err := listenReserved()
	if err != nil {
		return "", nil, err
	}
	var conns connSet
	track := conns.add
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			track(c)
			go func() {
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil || req.Method != http.MethodConnect {
					c.Close()
					return
				}
				if status != http.StatusOK {
					fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status, http.StatusText(status))
					c.Close()
					return
				}
				up, err := net.Dial("tcp", req.Host)
				if err != nil {
					fmt.Fprintf(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
					c.Close()
					return
				}
				track(up)
				fmt.Fprintf(c, "HTTP/1.1 200 Connection established\r\n\r\n")
				go func() { io.Copy(up, c); up.Close() }()
				io.Copy(c, up)
				c.Close()
			}()
		}
	}()
	return p.Addr(), func() {
		l.Close()
		conns.closeAll()
		p.Release()
	}, nil
}
