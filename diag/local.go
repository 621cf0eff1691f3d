package diag

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/etcd-ctx/etcd-ctx/internal/conn"
)

// Input is what to diagnose. Material is in memory; Sources says where each
// piece came from (a path or "keyring") for evidence and fixes.
type Input struct {
	Settings conn.Settings
	Context  string // etcd-ctx context name, "" for explicit flags
	Sources  Sources
	KeyPath  string
	Prefix   bool
	Admin    bool          // check that the identity may make admin calls (root role)
	Timeout  time.Duration // per probe
	Warn     time.Duration // "expiring soon" window
	Quota    int64         // backend quota in bytes, for db-size-near-quota
	Now      time.Time
}

// Sources names where material came from, e.g. "/etc/etcd/ca.crt" or "keyring".
type Sources struct{ CA, Cert, Key string }

// DefaultQuota is etcd's default --quota-backend-bytes (2 GiB).
const DefaultQuota = 2 << 30

// setFlag tells the user how to change a setting: through etcd-ctx when
// diagnosing a context, else as the etcdctl-style flag.
func (in *Input) setFlag(flag, value string) string {
	if in.Context != "" {
		return fmt.Sprintf("etcd-ctx set %s --%s %s", in.Context, flag, value)
	}
	return fmt.Sprintf("--%s %s", flag, value)
}

func (in *Input) source(s string) string {
	if s == "" {
		return "given"
	}
	return s
}

// localState is what the local checks learned, for later rungs.
type localState struct {
	caCerts    []*x509.Certificate
	clientCert *x509.Certificate
	clientOK   bool // a usable client pair (parses, matches, unencrypted)
	endpoints  []string
}

// checkLocal inspects the material without any network: files parse, the
// key matches and is unencrypted, the client cert has clientAuth and is
// valid, the endpoints parse.
func checkLocal(in *Input, r *Report) *localState {
	st := &localState{}
	s := in.Settings
	if len(s.CA) > 0 {
		certs, err := conn.ParseCerts(s.CA)
		switch {
		case err != nil:
			r.add(Finding{ID: "ca-invalid", Severity: Error, Cause: "the CA bundle (" + in.source(in.Sources.CA) + ") is not usable: " + err.Error(),
				Fix: "point at etcd's --trusted-ca-file PEM: " + in.setFlag("cacert", "ca.crt")})
			r.Local = append(r.Local, Check{Name: "CA bundle", Detail: err.Error()})
		default:
			st.caCerts = certs
			names := make([]string, len(certs))
			for i, c := range certs {
				names[i] = c.Subject.String()
			}
			detail := fmt.Sprintf("%d certificate(s): %s", len(certs), list(names))
			ok := true
			for _, c := range certs {
				if err := conn.CheckValidity(c, in.Now); err != nil {
					ok = false
					r.add(Finding{ID: "ca-invalid", Severity: Error, Cause: fmt.Sprintf("CA %q in the bundle is %v", c.Subject.String(), err),
						Fix: "renew the CA and reissue what it signed (etcd-certwiz ca, then etcd-certwiz renew), and fix the clock if it is wrong"})
				}
			}
			r.Local = append(r.Local, Check{Name: "CA bundle", OK: ok, Detail: detail})
		}
	}
	if len(s.Cert) > 0 || len(s.Key) > 0 {
		checkClientPair(in, r, st)
	}
	secure := s.Secure()
	for _, raw := range s.Endpoints {
		ep, err := conn.NormalizeEndpoint(raw, secure)
		if err != nil {
			r.add(Finding{ID: "endpoint-invalid", Severity: Error, Endpoint: raw, Cause: err.Error(),
				Fix: "endpoints look like https://10.0.0.1:2379: " + in.setFlag("endpoints", "https://HOST:2379")})
			r.Local = append(r.Local, Check{Name: "endpoint " + raw, Detail: err.Error()})
			continue
		}
		st.endpoints = append(st.endpoints, ep)
	}
	if len(s.Endpoints) == 0 {
		r.add(Finding{ID: "endpoint-invalid", Severity: Error, Cause: "no endpoints given", Fix: "give --endpoints https://HOST:2379 or --context NAME"})
	}
	return st
}

func checkClientPair(in *Input, r *Report, st *localState) {
	s := in.Settings
	pair, err := conn.KeyPair(s.Cert, s.Key)
	if err != nil {
		var ie *conn.InputError
		what := "client certificate"
		if errors.As(err, &ie) {
			what = ie.Input
		}
		fix := "give the certificate and its own unencrypted key: " + in.setFlag("cert", "client.crt") + " --key client.key"
		if errors.Is(err, conn.ErrEncryptedKey) {
			fix = "decrypt the key once (openssl pkey -in client.key -out client.plain.key) and use that file; keep it 0600"
		}
		r.add(Finding{ID: "client-cert-invalid", Severity: Error, Cause: err.Error(), Fix: fix,
			Evidence: []string{what + " from " + in.source(pick(what == "client key", in.Sources.Key, in.Sources.Cert))}})
		r.Local = append(r.Local, Check{Name: "client certificate", Detail: err.Error()})
		return
	}
	leaf := pair.Leaf
	st.clientCert, st.clientOK = leaf, true
	detail := fmt.Sprintf("%s, issuer %s, %s, valid until %s", leaf.Subject.String(), leaf.Issuer.String(), conn.KeyType(leaf.PublicKey), leaf.NotAfter.UTC().Format(time.DateOnly))
	ok := true
	if !conn.HasEKU(leaf, x509.ExtKeyUsageClientAuth) {
		ok = false
		r.add(noClientAuth(in, leaf, ""))
	}
	if err := conn.CheckValidity(leaf, in.Now); err != nil {
		ok = false
		r.add(clientExpired(in, leaf, ""))
	} else if left := leaf.NotAfter.Sub(in.Now); left < in.Warn {
		r.add(Finding{ID: "client-cert-expiring", Severity: Warning, Cause: fmt.Sprintf("the client certificate %s expires in %s", leaf.Subject.CommonName, days(left)),
			Fix:      "renew it now: etcd-certwiz renew " + pick(in.Sources.Cert != "keyring", in.Sources.Cert, "client.crt") + " (then " + in.setFlag("cert", "client.crt") + " --key client.key)",
			Evidence: []string{"not after " + leaf.NotAfter.UTC().Format(time.RFC3339)}})
	}
	for _, ca := range st.caCerts {
		if ca.Subject.String() == leaf.Issuer.String() {
			detail += "; issued by a CA in the bundle"
		}
	}
	r.Local = append(r.Local, Check{Name: "client certificate", OK: ok, Detail: detail})
}

func noClientAuth(in *Input, leaf *x509.Certificate, endpoint string) Finding {
	return Finding{ID: "client-cert-no-clientauth", Severity: Error, Endpoint: endpoint,
		Cause:    fmt.Sprintf("the client certificate %s lacks the clientAuth extended key usage, so etcd rejects it", leaf.Subject.CommonName),
		Fix:      "reissue it with clientAuth: etcd-certwiz client " + leaf.Subject.CommonName + " --ca-dir DIR (or etcd-certwiz renew on a certwiz-made cert), then " + in.setFlag("cert", "client.crt") + " --key client.key",
		Evidence: []string{"extended key usages: " + ekuNames(leaf)}}
}

func clientExpired(in *Input, leaf *x509.Certificate, endpoint string) Finding {
	return Finding{ID: "client-cert-expired", Severity: Error, Endpoint: endpoint,
		Cause:    fmt.Sprintf("the client certificate %s is outside its validity period", leaf.Subject.CommonName),
		Fix:      "renew it: etcd-certwiz renew " + pick(in.Sources.Cert != "keyring" && in.Sources.Cert != "", in.Sources.Cert, "client.crt") + "; if the dates look right, fix the clock (timedatectl)",
		Evidence: []string{fmt.Sprintf("valid %s to %s; local clock %s", leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339), in.Now.UTC().Format(time.RFC3339))}}
}

func ekuNames(c *x509.Certificate) string {
	if len(c.ExtKeyUsage) == 0 {
		return "(none: any)"
	}
	names := map[x509.ExtKeyUsage]string{x509.ExtKeyUsageServerAuth: "serverAuth", x509.ExtKeyUsageClientAuth: "clientAuth", x509.ExtKeyUsageAny: "any"}
	var out []string
	for _, u := range c.ExtKeyUsage {
		if n, ok := names[u]; ok {
			out = append(out, n)
		} else {
			out = append(out, fmt.Sprintf("eku(%d)", u))
		}
	}
	return strings.Join(out, ", ")
}

func days(d time.Duration) string {
	if d < 48*time.Hour {
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}
