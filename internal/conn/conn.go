package conn

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/etcd-ctx/etcd-ctx/pki"
)

// DefaultDialTimeout matches etcdctl's default.
const DefaultDialTimeout = 2 * time.Second

// Settings is everything needed to reach an etcd cluster. Key material is held
// as PEM bytes in memory: callers read it from the keyring or from files, and
// nothing here ever writes it anywhere.
type Settings struct {
	Endpoints          []string
	CA                 []byte // PEM bundle of trusted CAs; empty means the system pool
	Cert               []byte // PEM client certificate (chain)
	Key                []byte // PEM private key of Cert
	Username           string
	Password           string
	Token              string // JWT or simple token (clientv3 3.7+ Config.Token)
	DialTimeout        time.Duration
	ServerName         string
	InsecureSkipVerify bool
}

// Secure reports whether the settings call for TLS: any https endpoint or any
// key material given.
func (s Settings) Secure() bool {
	for _, ep := range s.Endpoints {
		if strings.HasPrefix(ep, "https://") || strings.HasPrefix(ep, "unixs://") {
			return true
		}
	}
	return len(s.CA) > 0 || len(s.Cert) > 0 || s.InsecureSkipVerify
}

// TLSConfig builds the client TLS configuration, or nil for plaintext. Every
// error is an *InputError naming the input at fault.
func (s Settings) TLSConfig() (*tls.Config, error) {
	if !s.Secure() {
		return nil, nil
	}
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         s.ServerName,
		InsecureSkipVerify: s.InsecureSkipVerify, //nolint:gosec // only when the user asks for it
	}
	if len(s.CA) > 0 {
		pool, err := CertPool(s.CA)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if len(s.Cert) > 0 || len(s.Key) > 0 {
		pair, err := KeyPair(s.Cert, s.Key)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// CertPool parses a CA bundle into a pool.
func CertPool(caPEM []byte) (*x509.CertPool, error) {
	certs, err := pki.ParseCerts(caPEM)
	if err != nil {
		return nil, &InputError{Input: InputCA, Err: err}
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// KeyPair checks a client certificate and its key and joins them.
func KeyPair(certPEM, keyPEM []byte) (tls.Certificate, error) {
	switch {
	case len(certPEM) == 0 && len(keyPEM) == 0:
		return tls.Certificate{}, &InputError{Input: "client certificate", Err: errors.New("missing: neither a client certificate nor its key was given")}
	case len(certPEM) == 0:
		return tls.Certificate{}, &InputError{Input: InputCert, Err: errors.New("missing: a client key was given without its certificate")}
	case len(keyPEM) == 0:
		return tls.Certificate{}, &InputError{Input: InputKey, Err: errors.New("missing: a client certificate was given without its key")}
	}
	certs, err := pki.ParseCerts(certPEM)
	if err != nil {
		return tls.Certificate{}, &InputError{Input: InputCert, Err: err}
	}
	key, err := pki.ParseKey(keyPEM)
	if err != nil {
		return tls.Certificate{}, &InputError{Input: InputKey, Err: err}
	}
	if !pki.KeyMatches(certs[0], key) {
		return tls.Certificate{}, &InputError{Input: InputKey, Err: pki.ErrKeyMismatch}
	}
	pair := tls.Certificate{PrivateKey: key, Leaf: certs[0]}
	for _, c := range certs {
		pair.Certificate = append(pair.Certificate, c.Raw)
	}
	return pair, nil
}

// Prepared is Settings checked and turned into what a dialer needs.
type Prepared struct {
	Settings
	Endpoints []string    // normalized, with schemes
	TLS       *tls.Config // nil for plaintext
	Timeout   time.Duration
}

// Prepare validates the settings and builds the TLS configuration. Every
// error is an *InputError naming the input at fault. (The clientv3.Config is
// built from it in internal/v3client, so that programs that never dial
// through clientv3, like `etcd-ctx current`, do not link gRPC.)
func (s Settings) Prepare() (Prepared, error) {
	if len(s.Endpoints) == 0 {
		return Prepared{}, &InputError{Input: InputEndpoints, Err: errors.New("none given")}
	}
	eps, err := NormalizeEndpoints(s.Endpoints, s.Secure())
	if err != nil {
		return Prepared{}, err
	}
	tlsCfg, err := s.TLSConfig()
	if err != nil {
		return Prepared{}, err
	}
	if s.Token != "" && (s.Username != "" || s.Password != "") {
		return Prepared{}, &InputError{Input: InputCredentials, Err: errors.New("a token and a user/password are mutually exclusive")}
	}
	timeout := s.DialTimeout
	if timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	return Prepared{Settings: s, Endpoints: eps, TLS: tlsCfg, Timeout: timeout}, nil
}

// NormalizeEndpoints validates endpoint URLs and gives bare host:port
// entries the scheme etcdctl would use (https when TLS material is present).
func NormalizeEndpoints(endpoints []string, secure bool) ([]string, error) {
	out := make([]string, 0, len(endpoints))
	for _, raw := range endpoints {
		ep, err := NormalizeEndpoint(raw, secure)
		if err != nil {
			return nil, err
		}
		out = append(out, ep)
	}
	return out, nil
}

// NormalizeEndpoint validates one endpoint.
func NormalizeEndpoint(raw string, secure bool) (string, error) {
	ep := strings.TrimSpace(raw)
	if ep == "" {
		return "", &InputError{Input: InputEndpoint, Err: errors.New("empty endpoint")}
	}
	if !strings.Contains(ep, "://") {
		scheme := "http://"
		if secure {
			scheme = "https://"
		}
		ep = scheme + ep
	}
	u, err := url.Parse(ep)
	if err != nil {
		return "", &InputError{Input: InputEndpoint, Detail: quote(raw), Err: errors.New("not a valid URL")}
	}
	switch u.Scheme {
	case "http", "https":
	case "unix", "unixs":
		return ep, nil
	default:
		return "", &InputError{Input: InputEndpoint, Detail: quote(raw), Err: fmt.Errorf("unsupported scheme %q (use https:// or http://)", u.Scheme)}
	}
	if u.Hostname() == "" {
		return "", &InputError{Input: InputEndpoint, Detail: quote(raw), Err: errors.New("no host")}
	}
	if u.Port() == "" {
		return "", &InputError{Input: InputEndpoint, Detail: quote(raw), Err: errors.New("no port (etcd's client port is usually 2379)")}
	}
	if port, err := strconv.Atoi(u.Port()); err != nil || port < 1 || port > 65535 {
		return "", &InputError{Input: InputEndpoint, Detail: quote(raw), Err: fmt.Errorf("port %s is not between 1 and 65535", u.Port())}
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil || u.Fragment != "" || strings.HasSuffix(ep, "#") {
		return "", &InputError{Input: InputEndpoint, Detail: quote(raw), Err: errors.New("an endpoint is scheme://host:port, without path, query, fragment or user")}
	}
	// u.Host is unescaped: an IPv6 zone written %25 (the only way a URL can
	// hold it) must be escaped again, or the result is no longer a URL.
	return u.Scheme + "://" + strings.ReplaceAll(u.Host, "%", "%25"), nil
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return fmt.Sprintf("%q", s)
}
