package rbac

import (
	"context"
	"crypto/tls"
	"net"
	"net/url"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/etcd-ctx/etcd-ctx/internal/conn"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

// IdentityOf says who a client with these settings acts as, by etcd's rules:
// a token (its username claim, for a JWT; a simple token names no one we can
// read) or a user/password decides, and the client certificate's CN counts
// only without them. CertAuth is left false: see ProbeCertAuth.
func IdentityOf(s conn.Settings) Identity {
	switch {
	case s.Token != "":
		return Identity{User: tokenUser(s.Token), Via: ViaToken}
	case s.Username != "":
		return Identity{User: s.Username, Via: ViaPassword}
	case len(s.Cert) > 0:
		if certs, err := pki.ParseCerts(s.Cert); err == nil {
			return Identity{User: certs[0].Subject.CommonName, Via: ViaCert}
		}
	}
	return Identity{}
}

// tokenUser reads a JWT's username claim without verifying it (the server
// does that).
func tokenUser(tok string) string {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, claims); err != nil {
		return ""
	}
	u, _ := claims["username"].(string)
	return u
}

// ProbeCertAuth reports whether every endpoint asks TLS clients for a
// certificate, which etcd does exactly when it runs with --client-cert-auth,
// the flag that also makes it take the certificate's CN as the user name.
// It completes one TLS handshake per endpoint with cfg (the context's TLS
// settings).
func ProbeCertAuth(ctx context.Context, endpoints []string, cfg *tls.Config, timeout time.Duration) (bool, error) {
	if cfg == nil {
		return false, nil
	}
	for _, ep := range endpoints {
		u, err := url.Parse(ep)
		if err != nil {
			return false, err
		}
		asked := false
		c := cfg.Clone()
		certs := c.Certificates
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			asked = true
			if len(certs) == 0 {
				return &tls.Certificate{}, nil
			}
			return &certs[0], nil
		}
		if c.ServerName == "" {
			c.ServerName = u.Hostname()
		}
		d := tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: c}
		nc, err := d.DialContext(ctx, "tcp", u.Host)
		if err != nil && !asked {
			return false, err
		}
		if nc != nil {
			nc.Close()
		}
		if !asked {
			return false, nil
		}
	}
	return true, nil
}
