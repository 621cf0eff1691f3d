package certwiz

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
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

// Hint says how to replace it on purpose.
func (e *ExistsError) Hint() string {
	return "keys and certificates are never replaced silently: pass --force to overwrite, or write them elsewhere"
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

// JournalName is the journal of a write of several files (a PKI, a pair)
// while it is under way: a file in the directory that holds them all,
// listing their paths. A write that dies part way (a crash, a full disk,
// a kill) leaves it behind, and the next write of those files (the same
// command run again) may replace the files it lists without force: it
// completes the write instead of refusing the keys the first one left.
const JournalName = ".etcd-certwiz-writing"

// WriteFiles writes every file atomically and durably (fileio.Write), or
// none when one exists and force is false: the check comes first, so a
// refusal never leaves half a PKI behind. Files that an interrupted write
// of the same directory left (see JournalName) do not count as existing.
func WriteFiles(files []PendingFile, force bool) error {
	if len(files) == 0 {
		return nil
	}
	journal := filepath.Join(commonDir(files), JournalName)
	left := readJournal(journal)
	if !force {
		for _, f := range files {
			if _, err := os.Lstat(f.Path); err == nil && !left[absPath(f.Path)] {
				return &ExistsError{Path: f.Path}
			}
		}
	}
	if len(files) > 1 {
		if err := writeJournal(journal, left, files); err != nil {
			return err
		}
	}
	batch := make([]fileio.File, len(files))
	for i, f := range files {
		batch[i] = fileio.File{Path: f.Path, Data: f.Data, Mode: f.Mode}
	}
	if err := fileio.WriteAll(batch); err != nil {
		return err
	}
	if len(files) == 1 && left == nil {
		return nil
	}
	if err := os.Remove(journal); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return fileio.SyncDir(filepath.Dir(journal))
}

// commonDir is the deepest directory that holds every file.
func commonDir(files []PendingFile) string {
	dir := filepath.Dir(absPath(files[0].Path))
	for _, f := range files[1:] {
		p := absPath(f.Path)
		for dir != filepath.Dir(dir) && !strings.HasPrefix(p, dir+string(filepath.Separator)) {
			dir = filepath.Dir(dir)
		}
	}
	return dir
}

func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// readJournal returns the paths an interrupted write listed (nil when there
// is no journal).
func readJournal(path string) map[string]bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	left := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if line != "" {
			left[line] = true
		}
	}
	return left
}

// writeJournal lists the files about to be written, with those an
// interrupted write left and this one does not rewrite.
func writeJournal(path string, left map[string]bool, files []PendingFile) error {
	var b strings.Builder
	for p := range left {
		b.WriteString(p + "\n")
	}
	for _, f := range files {
		if p := absPath(f.Path); !left[p] {
			b.WriteString(p + "\n")
		}
	}
	return fileio.Write(path, []byte(b.String()), KeyMode)
}

// LoadCert reads the certificate at certPath: its first certificate, and the
// ones after it (a chain file's intermediates) in Chain.
func LoadCert(certPath string) (*Issued, error) {
	certPEM, err := fileio.Read(certPath)
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

// caNames are the names a CA that signs etcd's leaves is kept under in a
// directory, by layout: certwiz and kubeadm's etcd/ (ca.crt), cfssl
// (ca.pem, its key ca-key.pem), kubeadm's /etc/kubernetes/pki (etcd/ca.crt),
// and etcd-ca.crt|pem; a separate peer CA first for peers.
func caNames(peer bool) []string {
	names := []string{"ca.crt", "ca.pem", filepath.Join("etcd", "ca.crt"), "etcd-ca.crt", "etcd-ca.pem"}
	if peer {
		names = append([]string{"peer-ca.crt", "peer-ca.pem"}, names...)
	}
	return names
}

// FindCA is the CA certificate file in dir that signs new leaves (its key
// beside it by the layout's naming: LoadCA): the first of the layouts'
// names that exists; for a peer, a separate peer CA when there is one.
func FindCA(dir string, peer bool) (string, error) {
	names := caNames(peer)
	for _, n := range names {
		if p := filepath.Join(dir, n); fileio.IsRegular(p) {
			return p, nil
		}
	}
	return "", &NoCAError{Dir: dir, Tried: names}
}

// NoCAError is a directory without a CA by any layout's name.
type NoCAError struct {
	Dir   string
	Tried []string
}

func (e *NoCAError) Error() string {
	return fmt.Sprintf("no CA certificate in %s (looked for %s)", e.Dir, strings.Join(e.Tried, ", "))
}

// Hint says how to make one or where to point.
func (e *NoCAError) Hint() string {
	return "point --ca-dir at the directory holding the CA certificate and its key (ca.crt and ca.key; cfssl's ca.pem and ca-key.pem), or create one with 'etcd-certwiz ca --out DIR'"
}

// IsPeerCA reports whether the CA file FindCA chose is a separate peer CA.
func IsPeerCA(path string) bool {
	return strings.HasPrefix(filepath.Base(path), "peer-ca.")
}
