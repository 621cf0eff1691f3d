package diag

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/etcd-ctx/etcd-ctx/internal/conn"
	"github.com/etcd-ctx/etcd-ctx/pki"
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
	caCerts     []*x509.Certificate
	bundle      []pki.Located // caCerts, named for messages
	clientCert  *x509.Certificate
	clientChain []pki.Located    // what the client certificate file carries after its leaf
	clientOK    bool             // a usable client pair (parses, matches, unencrypted)
	clientPair  *tls.Certificate // that pair, for the ladder's handshakes
	pairErr     string           // the id of the local finding that made the pair unusable
	endpoints   []string
}

// bundleName names the CA bundle in messages: "the CA bundle in use (ca.crt)".
func (in *Input) bundleName() string {
	if in.Sources.CA == "" || in.Sources.CA == "keyring" {
		return "the CA bundle in use"
	}
	return "the CA bundle in use (" + in.Sources.CA + ")"
}

// certFile names the client certificate file in fixes (commands to run):
// its path, or client.crt for material with no file of its own.
func (in *Input) certFile() string {
	return pick(in.Sources.Cert != "keyring" && in.Sources.Cert != "", in.Sources.Cert, "client.crt")
}

// certSource names where the client certificate came from, in causes and
// chain messages: its file, or the keyring (there is no file to look at).
func (in *Input) certSource() string {
	switch in.Sources.Cert {
	case "keyring":
		return "the context's client certificate, in the keyring"
	case "":
		return "the client certificate"
	}
	return in.Sources.Cert
}

// checkLocal inspects the material without any network: files parse, the
// key matches and is unencrypted, the client cert has clientAuth, is valid
// and chains, the CA bundle holds a valid CA, the endpoints parse.
func checkLocal(in *Input, r *Report) *localState {
	st := &localState{}
	s := in.Settings
	if len(s.CA) > 0 {
		checkBundle(in, r, st)
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

// checkBundle reads the CA bundle as a list: every CA in it, which are
// valid; a stale CA beside a valid one is a warning (drop it), a bundle
// with no valid CA an error.
func checkBundle(in *Input, r *Report, st *localState) {
	certs, err := pki.ParseCerts(in.Settings.CA)
	if err != nil {
		id, fix := "ca-invalid", "point at etcd's --trusted-ca-file PEM: "+in.setFlag("cacert", "ca.crt")
		var (
			uk *pki.UnsupportedKeyError
			rc *pki.RefusedCertError
		)
		switch {
		case errors.As(err, &rc):
			// The file is the right one: the certificate in it is written
			// in a way Go refuses, so members built on it refuse it too.
			id, fix = "cert-unsupported", rc.Fix+"; then replace it in every member's --trusted-ca-file and here"
		case errors.As(err, &uk):
			id = "cert-unsupported"
		}
		r.add(Finding{ID: id, Severity: Error, Cause: "the CA bundle (" + in.source(in.Sources.CA) + ") is not usable: " + err.Error(), Fix: fix})
		r.Local = append(r.Local, Check{Name: "CA bundle", Detail: err.Error()})
		return
	}
	st.caCerts = certs
	st.bundle = pki.Locate(certs, in.source(in.Sources.CA))
	b := pki.JudgeBundle(certs, in.Now)
	names := make([]string, len(certs))
	for i, c := range certs {
		state := "valid until " + c.NotAfter.UTC().Format(time.DateOnly)
		if err := pki.CheckValidity(c, in.Now); err != nil {
			state = err.Error()
		}
		names[i] = fmt.Sprintf("%s (%s, key %s)", c.Subject.String(), state, shortID(pki.KeyID(c)))
	}
	ok := true
	if err := b.Err(in.Now); err != nil {
		ok = false
		r.add(Finding{ID: "ca-invalid", Severity: Error, Cause: fmt.Sprintf("the CA bundle (%s) is unusable: %v", in.source(in.Sources.CA), err),
			Fix:      "renew the CA with its key kept (etcd-certwiz renew ca.crt: what it signed stays valid), put it in the bundle on the members and here; if the dates look right, fix the clock (timedatectl)",
			Evidence: names})
	}
	for _, w := range b.Warnings(in.Now) {
		r.add(Finding{ID: "ca-expired-in-bundle", Severity: Warning, Cause: "in the CA bundle (" + in.source(in.Sources.CA) + "), " + w,
			Fix:      "remove that certificate from the bundle file (keep the valid CA); it needs no renewal",
			Evidence: names})
	}
	for _, w := range b.LeafWarnings() {
		r.add(Finding{ID: "ca-bundle-holds-leaf", Severity: Warning, Cause: "in the CA bundle (" + in.source(in.Sources.CA) + "), " + w,
			Fix:      "point at the CA that issued the member's server certificate (etcd-certwiz inspect shows a certificate's issuer): " + in.setFlag("cacert", "ca.crt"),
			Evidence: names})
	}
	for _, p := range b.Problem {
		sev := Warning
		if p.Severity == pki.SevError {
			sev, ok = Error, false
		}
		r.add(Finding{ID: "cert-unsupported", Severity: sev, Cause: "in the CA bundle (" + in.source(in.Sources.CA) + "): " + p.Msg, Fix: p.Fix})
	}
	r.Local = append(r.Local, Check{Name: "CA bundle", OK: ok, Detail: fmt.Sprintf("%d certificate(s): %s", len(certs), list(names))})
}

func shortID(id string) string {
	if len(id) > 11 {
		return id[:11] + "…"
	}
	return id
}

func checkClientPair(in *Input, r *Report, st *localState) {
	s := in.Settings
	pair, err := conn.KeyPair(s.Cert, s.Key)
	if err != nil {
		var ie *conn.InputError
		what := "client certificate"
		if errors.As(err, &ie) {
			what = string(ie.Input)
		}
		from := what + " from " + in.source(pick(what == "client key", in.Sources.Key, in.Sources.Cert))
		var uk *pki.UnsupportedKeyError
		if errors.As(err, &uk) {
			st.pairErr = "cert-unsupported"
			r.add(Finding{ID: "cert-unsupported", Severity: Error, Cause: err.Error(),
				Fix:      "issue a new key and certificate on P-256/P-384, RSA or Ed25519 (etcd-certwiz client NAME --ca-dir DIR), then " + in.setFlag("cert", "client.crt") + " --key client.key",
				Evidence: []string{from}})
			r.Local = append(r.Local, Check{Name: "client certificate", Detail: err.Error()})
			return
		}
		var rc *pki.RefusedCertError
		if errors.As(err, &rc) {
			st.pairErr = "cert-unsupported"
			r.add(Finding{ID: "cert-unsupported", Severity: Error, Cause: err.Error(),
				Fix:      rc.Fix + ", then " + in.setFlag("cert", "client.crt") + " --key client.key",
				Evidence: []string{from}})
			r.Local = append(r.Local, Check{Name: "client certificate", Detail: err.Error()})
			return
		}
		fix := "give the certificate and its own unencrypted key: " + in.setFlag("cert", "client.crt") + " --key client.key"
		if errors.Is(err, pki.ErrEncryptedKey) {
			fix = "decrypt the key once (openssl pkey -in client.key -out client.plain.key) and use that file; keep it 0600"
		}
		st.pairErr = "client-cert-invalid"
		if errors.Is(err, pki.ErrKeyMismatch) {
			if f, ok := misordered(in, from); ok {
				r.add(f)
				r.Local = append(r.Local, Check{Name: "client certificate", Detail: f.Cause})
				return
			}
		}
		r.add(Finding{ID: "client-cert-invalid", Severity: Error, Cause: err.Error(), Fix: fix, Evidence: []string{from}})
		r.Local = append(r.Local, Check{Name: "client certificate", Detail: err.Error()})
		return
	}
	leaf := pair.Leaf
	st.clientCert, st.clientOK, st.clientPair = leaf, true, &pair
	certs, _ := pki.ParseCerts(s.Cert)
	located := pki.Locate(certs, in.certSource())
	st.clientChain = located[1:]
	detail := fmt.Sprintf("%s, issuer %s, %s, valid until %s", leaf.Subject.String(), leaf.Issuer.String(), pki.KeyType(leaf.PublicKey), leaf.NotAfter.UTC().Format(time.DateOnly))
	if len(certs) > 1 {
		detail += fmt.Sprintf(", with %d more certificate(s) in the file", len(certs)-1)
	}
	ok := true
	if !pki.HasEKU(leaf, x509.ExtKeyUsageClientAuth) {
		ok = false
		r.add(noClientAuth(in, leaf, ""))
	}
	for _, p := range pki.KeyProblems(leaf) {
		sev := Warning
		if p.Severity == pki.SevError {
			sev, ok = Error, false
		}
		r.add(Finding{ID: "cert-unsupported", Severity: sev, Cause: "the client certificate " + pki.Name(leaf) + " (" + in.certSource() + "): " + p.Msg, Fix: p.Fix})
	}
	if err := pki.CheckValidity(leaf, in.Now); err != nil {
		ok = false
		r.add(clientExpired(in, leaf, ""))
	} else if pki.Expiring(leaf, in.Warn, in.Now) {
		r.add(Finding{ID: "client-cert-expiring", Severity: Warning, Cause: fmt.Sprintf("the client certificate %s expires in %s, within the last third of its lifetime", leaf.Subject.CommonName, pki.Left(leaf.NotAfter.Sub(in.Now))),
			Fix:      "renew it now: etcd-certwiz renew " + in.certFile() + " (then " + in.setFlag("cert", "client.crt") + " --key client.key)",
			Evidence: []string{"valid " + leaf.NotBefore.UTC().Format(time.RFC3339) + " to " + leaf.NotAfter.UTC().Format(time.RFC3339)}})
	}
	if ok && len(st.bundle) > 0 {
		d, f := clientChainLocal(in, st, located[0])
		detail += "; " + d
		if f != nil {
			if f.Severity == Error {
				ok = false
			}
			r.add(*f)
		}
	}
	r.Local = append(r.Local, Check{Name: "client certificate", OK: ok, Detail: detail})
}

// misordered: the key does not match the first certificate of the client
// certificate file but a later one, which Go (so etcdctl, etcd-diag and
// every Go client) never considers: it takes the first as the client's own.
// Seen with bundles written intermediate first (cat ca.crt client.crt).
func misordered(in *Input, from string) (Finding, bool) {
	certs, err := pki.ParseCerts(in.Settings.Cert)
	if err != nil || len(certs) < 2 {
		return Finding{}, false
	}
	key, err := pki.ParseKey(in.Settings.Key)
	if err != nil {
		return Finding{}, false
	}
	for i, c := range certs[1:] {
		if !pki.KeyMatches(c, key) {
			continue
		}
		first := "a certificate"
		if certs[0].IsCA {
			first = "a CA"
		}
		f := Finding{ID: "client-cert-invalid", Severity: Error,
			Cause: fmt.Sprintf("the certificates of the client certificate file (%s) are in the wrong order: the first, %s, is %s, and the leaf that matches the key, %s, is certificate %d; Go clients (etcdctl, etcd-diag) take the first certificate as the client's own, so they fail with \"tls: private key does not match public key\" and send no certificate",
				in.certSource(), pki.Name(certs[0]), first, pki.Name(c), i+2),
			Fix:      fmt.Sprintf("put the leaf first, then its intermediates: openssl crl2pkcs7 -nocrl -certfile %s | openssl pkcs7 -print_certs shows the order; write the leaf's block, then the others (cat client.crt intermediate.crt > client-chain.crt), and %s --key %s", in.certFile(), in.setFlag("cert", "client-chain.crt"), pick(in.Sources.Key != "" && in.Sources.Key != "keyring", in.Sources.Key, "client.key")),
			Evidence: []string{from, fmt.Sprintf("certificate 1: %s, issuer %s, CA %v", certs[0].Subject, certs[0].Issuer, certs[0].IsCA), fmt.Sprintf("certificate %d: %s, issuer %s, matches the key", i+2, c.Subject, c.Issuer)}}
		return f, true
	}
	return Finding{}, false
}

// clientChainLocal builds the client certificate's chain against the CA
// bundle in use, which usually is the server's --trusted-ca-file too. A CA
// on the chain that restricts clientAuth, is expired or cannot sign breaks
// it for any server; a same-name CA with another key is a warning (the
// server may trust another bundle); an issuer the bundle lacks is only said
// (the TLS rung compares with the CAs the server accepts).
func clientChainLocal(in *Input, st *localState, leaf pki.Located) (string, *Finding) {
	_, brk := pki.Verify(pki.ChainInput{Leaf: leaf, Presented: st.clientChain, Roots: st.bundle, Role: pki.RoleClient, Now: in.Now,
		LeafFile: in.certSource(), RootsName: in.bundleName()})
	if brk == nil {
		return "chains to a CA of the bundle (signatures verified)", nil
	}
	switch brk.Kind {
	case pki.KindUnknownIssuer, pki.KindUntrustedRoot, pki.KindMissingIntermediate, pki.KindLeafUsage, pki.KindLeafExpired:
		return "its chain is not checked here: the CA bundle in use is for the server's certificate, and the server may trust another CA for clients (the TLS rung shows which it accepts): " + brk.Cause, nil
	case pki.KindKeyMismatch:
		f := chainFinding(in, brk, "")
		f.Severity = Warning
		f.Cause += "; if the server trusts that CA for clients (its --trusted-ca-file is usually this bundle), it refuses this certificate"
		return "signed by another key than the bundle's CA of that name", &f
	}
	f := chainFinding(in, brk, "")
	return "its chain breaks: " + brk.Cause, &f
}

// chainFinding turns a broken link into its finding: the id names the kind
// of link, the cause and fix name the certificate.
func chainFinding(in *Input, brk *pki.Break, endpoint string) Finding {
	id := "tls-handshake-failed"
	switch brk.Kind {
	case pki.KindMissingIntermediate:
		id = "chain-incomplete"
	case pki.KindEKURestricted:
		id = "ca-eku-restricted"
	case pki.KindKeyMismatch:
		id = "ca-key-mismatch"
	case pki.KindCAExpired, pki.KindNotCA, pki.KindNoCertSign, pki.KindPathLength:
		id = "ca-invalid"
	case pki.KindWeakSignature, pki.KindUnsupportedKey:
		id = "cert-unsupported"
	}
	f := Finding{ID: id, Severity: Error, Endpoint: endpoint, Cause: brk.Cause, Fix: brk.Fix}
	if brk.Err != nil {
		f.Evidence = append(f.Evidence, "crypto/x509: "+brk.Err.Error())
	}
	return f
}

func noClientAuth(in *Input, leaf *x509.Certificate, endpoint string) Finding {
	return Finding{ID: "client-cert-no-clientauth", Severity: Error, Endpoint: endpoint,
		Cause:    fmt.Sprintf("the client certificate %s lacks the clientAuth extended key usage, so etcd rejects it", leaf.Subject.CommonName),
		Fix:      "reissue it with clientAuth: etcd-certwiz client " + leaf.Subject.CommonName + " --ca-dir DIR (or etcd-certwiz renew on a certwiz-made cert), then " + in.setFlag("cert", "client.crt") + " --key client.key",
		Evidence: []string{"extended key usages: " + ekuNames(leaf)}}
}

func clientExpired(in *Input, leaf *x509.Certificate, endpoint string) Finding {
	if notYetValid(leaf, in.Now) {
		return Finding{ID: "client-cert-expired", Severity: Error, Endpoint: endpoint,
			Cause:    notYetValidCause("the client certificate "+leaf.Subject.CommonName, leaf, in.Now, "this machine's clock") + "; a member whose clock agrees refuses it too",
			Fix:      clockFix,
			Evidence: []string{fmt.Sprintf("valid %s to %s; local clock %s", leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339), in.Now.UTC().Format(time.RFC3339))}}
	}
	return Finding{ID: "client-cert-expired", Severity: Error, Endpoint: endpoint,
		Cause:    fmt.Sprintf("the client certificate %s is outside its validity period", leaf.Subject.CommonName),
		Fix:      "renew it: etcd-certwiz renew " + in.certFile() + "; if the dates look right, fix the clock (timedatectl)",
		Evidence: []string{fmt.Sprintf("valid %s to %s; local clock %s", leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339), in.Now.UTC().Format(time.RFC3339))}}
}

func ekuNames(c *x509.Certificate) string { return pki.ExtKeyUsageList(c) }

func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}
