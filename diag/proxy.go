package diag

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"
)

// grpcProxy is the proxy gRPC sends a connection to addr (host:port)
// through: grpc-go asks net/http's ProxyFromEnvironment with an https URL
// for every target, plaintext or TLS, so HTTPS_PROXY (or https_proxy)
// applies unless NO_PROXY (no_proxy) covers the host; loopback addresses
// and localhost never go through a proxy. etcdctl 3.7, etcd-diag's own etcd
// calls and other clients built on grpc-go's default dialer follow it;
// etcdctl 3.4, which dials with its own dialer, does not. Asking the same
// function in the same process gives the answer gRPC gets.
var grpcProxy = func(addr string) *url.URL {
	u, err := http.ProxyFromEnvironment(&http.Request{URL: &url.URL{Scheme: "https", Host: addr}})
	if err != nil {
		return nil
	}
	return u
}

// proxyVars names the environment variables that chose the proxy and that
// could exclude the member, as Go reads them (the upper-case name first).
func proxyVars() (set, noProxy string) {
	set, noProxy = "HTTPS_PROXY", "NO_PROXY"
	if os.Getenv("HTTPS_PROXY") == "" && os.Getenv("https_proxy") != "" {
		set = "https_proxy"
	}
	if os.Getenv("NO_PROXY") == "" && os.Getenv("no_proxy") != "" {
		noProxy = "no_proxy"
	}
	return set, noProxy
}

// proxyAddr is where a proxy URL points, without any user or password.
func proxyAddr(u *url.URL) string {
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "socks5": "1080"}[u.Scheme]
		if port == "" {
			port = "80"
		}
	}
	return net.JoinHostPort(host, port)
}

// proxyShown is the proxy as the operator wrote it, minus credentials.
func proxyShown(u *url.URL) string {
	scheme := u.Scheme
	if scheme == "" {
		scheme = "http"
	}
	return scheme + "://" + u.Host
}

// throughProxy, once the member answered TCP and TLS directly, checks the
// path gRPC takes when a proxy applies: a CONNECT to the member through it.
// A proxy that is down or refuses is the cause of every gRPC client's
// "context deadline exceeded" although the member is fine; one that
// tunnels works, and is said, as every etcd connection then depends on it.
func (p *prober) throughProxy(ctx context.Context) bool {
	target := net.JoinHostPort(p.host, p.port)
	pu := grpcProxy(target)
	if pu == nil {
		return true
	}
	status, err := proxyConnect(ctx, pu, target)
	if err == nil && status == http.StatusOK {
		p.step("proxy", true, fmt.Sprintf("gRPC goes through %s, which tunnels to %s", proxyShown(pu), target))
		p.fail(p.proxyFinding(pu, target, Info, "", "it tunnels the connection, so etcd works, but every gRPC client of this machine now depends on that proxy"))
		return true
	}
	var why string
	switch {
	case err != nil && errors.Is(err, syscall.ECONNREFUSED):
		why = "nothing listens at the proxy's address " + proxyAddr(pu)
	case err != nil && isTimeout(err):
		why = "the proxy at " + proxyAddr(pu) + " does not answer"
	case err != nil:
		why = "the proxy cannot be used: " + err.Error()
	case status == http.StatusProxyAuthRequired:
		why = fmt.Sprintf("the proxy asks for credentials (HTTP %d)", status)
	default:
		why = fmt.Sprintf("the proxy refuses to tunnel to %s (HTTP %d %s)", target, status, http.StatusText(status))
	}
	p.step("proxy", false, "gRPC goes through "+proxyShown(pu)+": "+why)
	p.fail(p.proxyFinding(pu, target, Error, why, "the member itself answers directly (TCP and TLS worked from here)"))
	return false
}

func (p *prober) proxyFinding(pu *url.URL, target string, sev Severity, why, state string) Finding {
	set, no := proxyVars()
	cause := fmt.Sprintf("%s is set to %s and %s does not cover %s, so gRPC clients (etcdctl 3.5 and later, etcd-diag's own calls, any client on grpc-go's default dialer) connect to %s through that proxy", set, proxyShown(pu), no, p.host, target)
	if why != "" {
		cause += ", and " + why
	}
	cause += "; " + state
	return Finding{ID: "proxy-in-path", Severity: sev, Cause: cause,
		Fix:      fmt.Sprintf("exempt the members from the proxy where clients run: export %s=\"$%s,%s\" (list every member's address, or its subnet such as 10.0.0.0/24, or a domain suffix such as .etcd.example.com), or run the client without it (env -u HTTPS_PROXY -u https_proxy etcdctl …); etcdctl 3.4 ignores the proxy, so it working proves nothing", no, no, p.host),
		Evidence: []string{fmt.Sprintf("%s=%s; %s=%q", set, proxyShown(pu), no, os.Getenv(no))}}
}

// proxyConnect asks the proxy to tunnel to target, as grpc-go does (HTTP
// CONNECT, with the URL's user as basic auth), and returns its status.
func proxyConnect(ctx context.Context, pu *url.URL, target string) (int, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", proxyAddr(pu))
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	} else {
		conn.SetDeadline(time.Now().Add(5 * time.Second))
	}
	if s := pu.Scheme; s != "" && s != "http" {
		return 0, fmt.Errorf("its scheme %s:// is not one gRPC speaks (it sends an HTTP CONNECT)", s)
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Host: target}, Host: target, Header: http.Header{}}
	if pu.User != nil {
		pw, _ := pu.User.Password()
		req.SetBasicAuth(pu.User.Username(), pw)
		req.Header.Set("Proxy-Authorization", req.Header.Get("Authorization"))
		req.Header.Del("Authorization")
	}
	if err := req.Write(conn); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return 0, fmt.Errorf("no HTTP answer to CONNECT: %s", strings.TrimPrefix(err.Error(), "http: "))
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
