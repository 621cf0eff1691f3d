package certwiz

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/etcd-ctx/etcd-ctx/pki"
)

// File modes: private keys are readable by their owner only; certificates are
// public; directories are private because they hold keys.
const (
	KeyMode  fs.FileMode = 0o600
	CertMode fs.FileMode = 0o644
	DirMode  fs.FileMode = 0o700
)

// Layout names the files of a cluster PKI under Dir:
//
//	ca.crt|key  peer-ca.crt|key  <member>/server.crt|key  <member>/peer.crt|key  clients/<name>.crt|key
type Layout struct{ Dir string }

func (l Layout) path(parts ...string) string {
	return filepath.Join(append([]string{l.Dir}, parts...)...)
}

// CA is the client/server CA's certificate path; its key is KeyPath(CA()).
func (l Layout) CA() string { return l.path("ca.crt") }

// PeerCA is the peer CA's certificate path.
func (l Layout) PeerCA() string { return l.path("peer-ca.crt") }

// Server is a member's server certificate path.
func (l Layout) Server(member string) string { return l.path(member, "server.crt") }

// Peer is a member's peer certificate path.
func (l Layout) Peer(member string) string { return l.path(member, "peer.crt") }

// Client is a client certificate path.
func (l Layout) Client(name string) string { return l.path("clients", name+".crt") }

// KeyPath is the key file that goes with a certificate file.
func KeyPath(certPath string) string {
	return strings.TrimSuffix(certPath, filepath.Ext(certPath)) + ".key"
}

// ExistsError is a refusal to overwrite a key or certificate.
type ExistsError struct{ Path string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("%s already exists; not overwritten", e.Path)
}

// PendingFile is a file to write.
type PendingFile struct {
	Path string
	Data []byte
	Mode fs.FileMode
}

// PairFiles are the certificate and key files of it at certPath.
func PairFiles(certPath string, it *Issued) []PendingFile {
	return []PendingFile{
		{Path: certPath, Data: it.CertPEM, Mode: CertMode},
		{Path: KeyPath(certPath), Data: it.KeyPEM, Mode: KeyMode},
	}
}

// WriteFiles writes every file, or none when one exists and force is false:
// the check comes first so a refusal never leaves half a PKI behind.
func WriteFiles(files []PendingFile, force bool) error {
	if !force {
		var errs []error
		for _, f := range files {
			if _, err := os.Lstat(f.Path); err == nil {
				errs = append(errs, &ExistsError{Path: f.Path})
			}
		}
		if len(errs) > 0 {
			return errs[0]
		}
	}
	for _, f := range files {
		if err := WriteFile(f.Path, f.Data, f.Mode); err != nil {
			return err
		}
	}
	return nil
}

// WriteFile writes data atomically and durably with mode, creating private
// parent directories: a temporary file beside path is written, synced and
// renamed over it, then the directory is synced, so after a crash or power
// loss path holds either the old or the whole new content, never a torn or
// missing key. The mode is set on the temporary file before any data is
// written, so a key is never readable by others, even briefly.
func WriteFile(path string, data []byte, mode fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// SyncDir makes the entries of dir (a file just renamed into it) durable.
// Where directories cannot be synced (Windows), it does nothing.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) && runtime.GOOS != "windows" {
		return err
	}
	return nil
}

// LoadCert reads the certificate at certPath: its first certificate, and the
// ones after it (a chain file's intermediates) in Chain.
func LoadCert(certPath string) (*Issued, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, err
	}
	certs, err := pki.ParseCerts(certPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certPath, err)
	}
	return &Issued{Cert: certs[0], CertPEM: EncodeCert(certs[0]), Chain: certs[1:]}, nil
}

// LoadPair reads a certificate (as LoadCert) and its key: keyPath when
// given, else the key beside it by the conventions of certwiz, cfssl,
// kubeadm and openssl (pki.FindKey). The key must match.
func LoadPair(certPath, keyPath string) (*Issued, error) {
	it, err := LoadCert(certPath)
	if err != nil {
		return nil, err
	}
	path, key, err := pki.FindKey(certPath, it.Cert, keyPath)
	if err != nil {
		return nil, err
	}
	if it.KeyPEM, err = EncodeKey(key); err != nil {
		return nil, err
	}
	it.Key, it.KeyPath = key, path
	return it, nil
}
