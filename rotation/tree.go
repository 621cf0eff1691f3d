package rotation

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

// The layouts a rotation knows.
const (
	LayoutCertwiz = "certwiz" // ca.crt|key, peer-ca.crt|key, <member>/server.crt|key, <member>/peer.crt|key, clients/<name>.crt|key
	LayoutKubeadm = "kubeadm" // /etc/kubernetes/pki/etcd/{ca,server,peer,healthcheck-client}.crt|key, ../apiserver-etcd-client.crt|key
)

// Slot is what a file is to a member: one of etcd's TLS flags, or a file
// kubeadm keeps beside them on the member's node.
type Slot string

// The slots. A member's etcd reads the first six; kubeadm's clients on the
// node (the kubelet's health check, kube-apiserver) read the last two.
const (
	SlotTrustedCA         Slot = "trusted-ca-file"
	SlotPeerTrustedCA     Slot = "peer-trusted-ca-file"
	SlotCert              Slot = "cert-file"
	SlotKey               Slot = "key-file"
	SlotPeerCert          Slot = "peer-cert-file"
	SlotPeerKey           Slot = "peer-key-file"
	SlotHealthcheckClient Slot = "healthcheck-client"
	SlotAPIServerClient   Slot = "apiserver-etcd-client"
)

// EtcdSlots are the slots that are etcd flags, in the order etcd lists them.
var EtcdSlots = []Slot{SlotCert, SlotKey, SlotTrustedCA, SlotPeerCert, SlotPeerKey, SlotPeerTrustedCA}

// Tree is the PKI a rotation works on, found on disk.
type Tree struct {
	Dir    string // absolute: certwiz's tree, or kubeadm's etcd PKI directory
	Layout string
	// ClientCA signs the server and client certificates, PeerCA the peer
	// certificates; the same path when one CA signs all (kubeadm, or
	// certwiz with separate-peer-ca: false). Their keys are beside them.
	ClientCA, PeerCA string
	Members          []TreeMember
	Clients          []TreeLeaf // certwiz's clients/<name>.crt
}

// TreeMember is one member's leaf certificates in the tree, and the
// directory its files were read from.
type TreeMember struct {
	Name string
	Dir  string // certwiz: DIR/<name>; kubeadm: the member's etcd PKI directory
	// Leaves by slot: cert-file (server), peer-cert-file (peer) and, for
	// kubeadm, the node's healthcheck-client and apiserver-etcd-client.
	Leaves map[Slot]string
}

// TreeLeaf is a client certificate of the tree.
type TreeLeaf struct {
	Name string
	Cert string
}

// SeparatePeerCA reports whether peers have their own CA.
func (t *Tree) SeparatePeerCA() bool { return t.ClientCA != t.PeerCA }

// Member returns the member named name, or nil.
func (t *Tree) Member(name string) *TreeMember {
	for i := range t.Members {
		if t.Members[i].Name == name {
			return &t.Members[i]
		}
	}
	return nil
}

// TreeOptions controls FindTree.
type TreeOptions struct {
	// Layout forces a layout ("" detects it).
	Layout string
	// Members adds kubeadm members whose etcd PKI directory (a copy of
	// their /etc/kubernetes/pki/etcd) is elsewhere: name → directory.
	Members map[string]string
}

// LayoutError is a directory a rotation cannot work on.
type LayoutError struct{ Msg, Hint string }

func (e *LayoutError) Error() string { return e.Msg }

// FindTree reads the PKI at dir. certwiz's layout is found by ca.crt with
// member directories holding server.crt or peer.crt beside it; kubeadm's by
// ca.crt, server.crt and peer.crt in dir with ../apiserver-etcd-client.crt
// (or by dir/etcd/ca.crt when dir is /etc/kubernetes/pki). A kubeadm member
// is named by its server certificate's CN, as kubeadm names it after the
// node and etcd's --name.
func FindTree(dir string, opts TreeOptions) (*Tree, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(abs); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, &LayoutError{Msg: dir + " is not a directory", Hint: "give the PKI directory (certwiz's tree, or kubeadm's /etc/kubernetes/pki/etcd)"}
	}
	layout := opts.Layout
	if layout == "" {
		layout = detectLayout(abs)
	}
	switch layout {
	case LayoutCertwiz:
		if len(opts.Members) > 0 {
			return nil, &LayoutError{Msg: "--member is for kubeadm trees; a certwiz tree holds every member's directory", Hint: "drop --member"}
		}
		return certwizTree(abs)
	case LayoutKubeadm:
		if exists(filepath.Join(abs, "etcd", "ca.crt")) && !exists(filepath.Join(abs, "ca.crt")) {
			abs = filepath.Join(abs, "etcd")
		}
		return kubeadmTree(abs, opts.Members)
	case "":
		hint := "point at the PKI directory, or choose the layout with --layout certwiz|kubeadm"
		if holdsCertificates(abs) {
			// A PKI of another shape (cfssl's ca.pem and member1.pem,
			// openssl's by hand): --layout would not make it one.
			hint = "rotate drives certwiz's and kubeadm's layouts only, and this directory holds certificates in another (cfssl's or openssl's files): renew them one by one (etcd-certwiz renew FILE), and see what it holds with etcd-certwiz check " + dir
		}
		return nil, &LayoutError{Msg: "no CA rotation layout found in " + dir + " (certwiz's ca.crt with <member>/server.crt, or kubeadm's ca.crt, server.crt and peer.crt)",
			Hint: hint}
	}
	return nil, &LayoutError{Msg: fmt.Sprintf("unknown layout %q", layout), Hint: "use --layout certwiz or --layout kubeadm"}
}

func detectLayout(dir string) string {
	if exists(filepath.Join(dir, "etcd", "ca.crt")) && exists(filepath.Join(dir, "apiserver-etcd-client.crt")) {
		return LayoutKubeadm
	}
	if !exists(filepath.Join(dir, "ca.crt")) {
		return ""
	}
	if exists(filepath.Join(dir, "server.crt")) && exists(filepath.Join(dir, "peer.crt")) {
		return LayoutKubeadm
	}
	if len(certwizMembers(dir)) > 0 {
		return LayoutCertwiz
	}
	return ""
}

// reserved are the directories of a certwiz tree that are not members.
var reserved = []string{"clients", RotationDirName, RetiredDirName}

func certwizMembers(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || slices.Contains(reserved, e.Name()) {
			continue
		}
		if exists(filepath.Join(dir, e.Name(), "server.crt")) || exists(filepath.Join(dir, e.Name(), "peer.crt")) {
			names = append(names, e.Name())
		}
	}
	return names
}

func certwizTree(dir string) (*Tree, error) {
	l := certwiz.Layout{Dir: dir}
	t := &Tree{Dir: dir, Layout: LayoutCertwiz, ClientCA: l.CA(), PeerCA: l.CA()}
	if exists(l.PeerCA()) {
		t.PeerCA = l.PeerCA()
	}
	for _, name := range certwizMembers(dir) {
		m := TreeMember{Name: name, Dir: filepath.Join(dir, name), Leaves: map[Slot]string{}}
		if p := l.Server(name); exists(p) {
			m.Leaves[SlotCert] = p
		}
		if p := l.Peer(name); exists(p) {
			m.Leaves[SlotPeerCert] = p
		}
		t.Members = append(t.Members, m)
	}
	if len(t.Members) == 0 {
		return nil, &LayoutError{Msg: "no member directories (<member>/server.crt or peer.crt) in " + dir, Hint: "etcd-certwiz init writes them; give the tree's top directory"}
	}
	clients, _ := filepath.Glob(filepath.Join(dir, "clients", "*.crt"))
	sort.Strings(clients)
	for _, c := range clients {
		t.Clients = append(t.Clients, TreeLeaf{Name: strings.TrimSuffix(filepath.Base(c), ".crt"), Cert: c})
	}
	return t, t.checkCAs()
}

// kubeadm's file names in the etcd PKI directory.
var kubeadmLeaves = map[Slot]string{
	SlotCert:              "server.crt",
	SlotPeerCert:          "peer.crt",
	SlotHealthcheckClient: "healthcheck-client.crt",
	SlotAPIServerClient:   filepath.Join("..", "apiserver-etcd-client.crt"),
}

func kubeadmTree(dir string, others map[string]string) (*Tree, error) {
	ca := filepath.Join(dir, "ca.crt")
	t := &Tree{Dir: dir, Layout: LayoutKubeadm, ClientCA: ca, PeerCA: ca}
	local, err := kubeadmMember("", dir)
	if err != nil {
		return nil, err
	}
	t.Members = append(t.Members, local)
	names := make([]string, 0, len(others))
	for n := range others {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		d, err := filepath.Abs(others[name])
		if err != nil {
			return nil, err
		}
		m, err := kubeadmMember(name, d)
		if err != nil {
			return nil, err
		}
		if t.Member(m.Name) != nil {
			return nil, &LayoutError{Msg: fmt.Sprintf("member %s is given twice (%s holds its certificates too)", m.Name, dir), Hint: "give each member's etcd PKI directory once"}
		}
		t.Members = append(t.Members, m)
	}
	return t, t.checkCAs()
}

// kubeadmMember reads one node's etcd PKI directory; the member is named
// by its server certificate's CN unless name is given.
func kubeadmMember(name, dir string) (TreeMember, error) {
	m := TreeMember{Name: name, Dir: dir, Leaves: map[Slot]string{}}
	for slot, file := range kubeadmLeaves {
		if p := filepath.Join(dir, file); exists(p) {
			m.Leaves[slot] = p
		}
	}
	server, ok := m.Leaves[SlotCert]
	if !ok {
		return m, &LayoutError{Msg: "no server.crt in " + dir, Hint: "give a kubeadm etcd PKI directory (/etc/kubernetes/pki/etcd or a copy of it)"}
	}
	if m.Name == "" {
		it, err := certwiz.LoadCert(server)
		if err != nil {
			return m, err
		}
		m.Name = it.Cert.Subject.CommonName
		if m.Name == "" {
			return m, &LayoutError{Msg: server + " has no CN to name its member by", Hint: "kubeadm names it after the node; give the member's name with --member NAME=DIR"}
		}
	}
	return m, nil
}

// checkCAs makes sure each CA file holds a CA with its key beside it.
func (t *Tree) checkCAs() error {
	for _, p := range dedupe([]string{t.ClientCA, t.PeerCA}) {
		ca, err := certwiz.LoadCA(p)
		if err != nil {
			var none *pki.NoKeyError
			if errors.As(err, &none) {
				return &LayoutError{Msg: "no key beside " + p + ": a CA rotation signs with the old CA (probes) and the new one", Hint: "run it where the CA key is (the tree's ca.key)"}
			}
			return err
		}
		if !pki.SelfSigned(ca.Cert) {
			return &LayoutError{Msg: p + " is an intermediate CA (" + ca.Cert.Subject.String() + ", issued by " + ca.Cert.Issuer.String() + ")",
				Hint: "rotate renews self-signed root CAs; renew an intermediate from its root with 'etcd-certwiz renew'"}
		}
	}
	return nil
}

// Leaves lists every leaf of the tree with the CA that signs it.
func (t *Tree) Leaves() []Leaf {
	var out []Leaf
	for _, m := range t.Members {
		for _, slot := range []Slot{SlotCert, SlotPeerCert, SlotHealthcheckClient, SlotAPIServerClient} {
			if p, ok := m.Leaves[slot]; ok {
				out = append(out, Leaf{Member: m.Name, Slot: slot, Path: p, Peer: slot == SlotPeerCert})
			}
		}
	}
	for _, c := range t.Clients {
		out = append(out, Leaf{Client: c.Name, Path: c.Cert})
	}
	return out
}

// Leaf is one leaf certificate file of the tree.
type Leaf struct {
	Member string // the member it belongs to, or ""
	Client string // the client it belongs to, or ""
	Slot   Slot   // for a member's leaf
	Path   string
	Peer   bool // signed by the peer CA
}

// LoadLeaf reads a leaf and its key (beside it, as the layouts name it).
func LoadLeaf(path string) (*certwiz.Issued, error) {
	return certwiz.LoadPair(path, "")
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func dedupe(s []string) []string {
	var out []string
	for _, x := range s {
		if x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// chainsTo reports whether cert (with the intermediates after it) verifies
// up to ca for serverAuth or clientAuth, as its role needs.
func chainsTo(chain []*x509.Certificate, cas []*x509.Certificate, usage x509.ExtKeyUsage) bool {
	if len(chain) == 0 || len(cas) == 0 {
		return false
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for _, c := range cas {
		roots.AddCert(c)
	}
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{usage},
		CurrentTime: chain[0].NotBefore.Add(chain[0].NotAfter.Sub(chain[0].NotBefore) / 2)})
	return err == nil
}

// holdsCertificates reports whether dir has a .crt or .pem file of its own.
func holdsCertificates(dir string) bool {
	for _, pattern := range []string{"*.crt", "*.pem"} {
		if m, _ := filepath.Glob(filepath.Join(dir, pattern)); len(m) > 0 {
			return true
		}
	}
	return false
}
