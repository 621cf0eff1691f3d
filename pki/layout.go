package pki

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
)

// The layouts operators really have, and how they name files:
//
//	certwiz   ca.crt|key  peer-ca.crt|key  <member>/server.crt|key  <member>/peer.crt|key  clients/<name>.crt|key
//	cfssl     NAME.pem + NAME-key.pem, with NAME.csr and NAME-csr.json beside them (cfssljson -bare NAME)
//	kubeadm   /etc/kubernetes/pki/etcd/{ca,server,peer,healthcheck-client}.crt|key, ../apiserver-etcd-client.crt|key
//	openssl   NAME.crt + NAME.key, often NAME-chain.crt (leaf then intermediates) beside them
//	certbot   cert.pem, chain.pem, fullchain.pem + privkey.pem

// CertExts are the file extensions that may hold PEM certificates.
var CertExts = []string{".crt", ".pem", ".cer", ".cert"}

// IsCertPath reports whether path has a certificate file extension.
func IsCertPath(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	for _, e := range CertExts {
		if ext == e {
			return true
		}
	}
	return false
}

// stem is a file's base name without extension.
func stem(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// IsKeyPath reports whether the name says private key: NAME.key,
// NAME-key.pem (cfssl), privkey.pem (certbot).
func IsKeyPath(path string) bool {
	s, ext := strings.ToLower(stem(path)), strings.ToLower(filepath.Ext(path))
	return ext == ".key" || (ext == ".pem" && (strings.HasSuffix(s, "-key") || strings.HasSuffix(s, "_key") || s == "privkey" || s == "key"))
}

// chainSuffixes mark a file that holds a leaf and its intermediates.
var chainSuffixes = []string{"-fullchain", "_fullchain", ".fullchain", "-chain", "_chain", ".chain", "-bundle", "_bundle", "-cert", "_cert", ".cert"}

// KeyCandidates are the key files that go with a certificate file by the
// conventions above, most likely first: NAME.key, NAME-key.pem; the same
// without a -chain/-cert suffix; privkey.pem beside certbot's files.
func KeyCandidates(certPath string) []string {
	dir, s := filepath.Dir(certPath), stem(certPath)
	names := []string{s}
	lower := strings.ToLower(s)
	for _, suf := range chainSuffixes {
		if strings.HasSuffix(lower, suf) && len(s) > len(suf) {
			names = append(names, s[:len(s)-len(suf)])
			break
		}
	}
	var out []string
	for _, n := range names {
		out = append(out, filepath.Join(dir, n+".key"), filepath.Join(dir, n+"-key.pem"))
	}
	if lower == "cert" || lower == "fullchain" {
		out = append(out, filepath.Join(dir, "privkey.pem"))
	}
	return out
}

// NoKeyError says no key file was found beside a certificate.
type NoKeyError struct {
	Cert  string
	Tried []string
}

func (e *NoKeyError) Error() string {
	tried := make([]string, len(e.Tried))
	for i, t := range e.Tried {
		tried[i] = filepath.Base(t)
	}
	return fmt.Sprintf("no key file for %s (looked for %s)", e.Cert, strings.Join(tried, ", "))
}

// Hint says how to go on.
func (e *NoKeyError) Hint() string { return "give the key file with --key" }

// KeyMismatchError is key files beside a certificate (or the one given)
// that all belong to other keys: errors.Is(err, ErrKeyMismatch).
type KeyMismatchError struct {
	Keys []string // the key files tried, in order
	Cert string
	CA   bool // the certificate is a CA's
}

func (e *KeyMismatchError) Error() string {
	return fmt.Sprintf("%s does not match %s (%v)", strings.Join(e.Keys, ", "), e.Cert, ErrKeyMismatch)
}

func (e *KeyMismatchError) Unwrap() error { return ErrKeyMismatch }

// Hint gives the ways out: the right key, or a new one for a leaf (a CA's
// new key would be a new CA).
func (e *KeyMismatchError) Hint() string {
	if e.CA {
		return "give the CA's own key with --key: with a new key, the certificates it signed would no longer verify (a new CA is 'etcd-certwiz rotate')"
	}
	return "give the certificate's own key with --key, or give it a new key: etcd-certwiz renew " + e.Cert + " --rotate-key"
}

// UnreadableKeyError is a key file found beside a certificate by the
// layout's conventions that the user may not read: keys are 0600 and owned
// by etcd's user, so a check or inspect run as another user meets it. It
// says nothing of whether the key fits.
type UnreadableKeyError struct {
	Path string
	Err  error
}

func (e *UnreadableKeyError) Error() string {
	return fmt.Sprintf("%s: not readable (%v)", e.Path, errors.Unwrap(e.Err))
}

func (e *UnreadableKeyError) Unwrap() error { return e.Err }

// Hint says how to read it.
func (e *UnreadableKeyError) Hint() string {
	return "run as the key's owner (etcd's user) or root, or give a readable copy with --key"
}

// FindKey finds and parses the private key of cert (read from certPath): the
// explicit file when given, else the first of KeyCandidates that exists and
// matches. A candidate that exists but belongs to another certificate is
// passed over; if none matches, the error says which ones did not. One the
// user may not read is *UnreadableKeyError.
func FindKey(certPath string, cert *x509.Certificate, explicit string) (string, crypto.Signer, error) {
	candidates := KeyCandidates(certPath)
	if explicit != "" {
		candidates = []string{explicit}
	}
	read := os.ReadFile
	if explicit != "" {
		read = fileio.Read // a file the user named: an empty one is refused as such
	}
	var mismatched []string
	for _, p := range candidates {
		data, err := read(p)
		if errors.Is(err, os.ErrNotExist) && explicit == "" {
			continue
		}
		if errors.Is(err, os.ErrPermission) && explicit == "" {
			return p, nil, &UnreadableKeyError{Path: p, Err: err}
		}
		if err != nil {
			return p, nil, err
		}
		key, err := ParseKey(data)
		if err != nil {
			return p, nil, fmt.Errorf("%s: %w", p, err)
		}
		if KeyMatches(cert, key) {
			return p, key, nil
		}
		mismatched = append(mismatched, p)
	}
	if len(mismatched) > 0 {
		return mismatched[0], nil, &KeyMismatchError{Keys: mismatched, Cert: certPath, CA: cert.IsCA}
	}
	return "", nil, &NoKeyError{Cert: certPath, Tried: candidates}
}

// RoleFromPath infers a certificate's role from its path in the layouts
// above; ok is false when the path says nothing (then judge it by Guess).
// A name with "ca" as a word is a CA (ca.crt, peer-ca.crt, etcd-ca.pem);
// then the clients/ directory or "client" means client, "peer" or "member"
// peer, "server" server (kubeadm's healthcheck-client and
// apiserver-etcd-client are clients).
func RoleFromPath(path string) (Role, bool) {
	if filepath.Base(filepath.Dir(path)) == "clients" {
		return RoleClient, true
	}
	words := strings.FieldsFunc(strings.ToLower(stem(path)), func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	has := func(ws ...string) bool {
		for _, w := range words {
			w = strings.TrimRight(w, "0123456789") // member1, server-2
			for _, x := range ws {
				if w == x {
					return true
				}
			}
		}
		return false
	}
	switch {
	case has("ca", "cacert", "cacerts"):
		return RoleCA, true
	case has("client"):
		return RoleClient, true
	case has("peer", "member"):
		return RolePeer, true
	case has("server"):
		return RoleServer, true
	}
	return "", false
}
