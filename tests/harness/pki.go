package harness

import (
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
)

// PKI holds the paths of a throw-away cluster PKI made with certwiz: a client
// CA, a separate peer CA, per-member server and peer pairs, client pairs for
// the root user and the prefix-limited user, and a "rogue" client pair signed
// by an unrelated CA.
type PKI struct {
	Dir                 string
	CA, CAKey           string
	PeerCA, PeerCAKey   string
	RootCert, RootKey   string
	UserCert, UserKey   string
	RogueCert, RogueKey string
	Members             []MemberPKI
}

// MemberPKI is one member's server and peer pairs.
type MemberPKI struct {
	Name                  string
	ServerCert, ServerKey string
	PeerCert, PeerKey     string
}

// NewPKI writes a PKI for the named members into dir.
func NewPKI(dir string, members []string, user string) (*PKI, error) {
	p := &PKI{Dir: dir}
	ca, err := certwiz.NewCA("harness etcd CA", certwiz.ECDSAP256, 0)
	if err != nil {
		return nil, err
	}
	peerCA, err := certwiz.NewCA("harness etcd peer CA", certwiz.ECDSAP256, 0)
	if err != nil {
		return nil, err
	}
	rogueCA, err := certwiz.NewCA("rogue CA", certwiz.ECDSAP256, 0)
	if err != nil {
		return nil, err
	}
	if p.CA, p.CAKey, err = write(dir, "ca", ca); err != nil {
		return nil, err
	}
	if p.PeerCA, p.PeerCAKey, err = write(dir, "peer-ca", peerCA); err != nil {
		return nil, err
	}
	local := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	for _, name := range members {
		m := MemberPKI{Name: name}
		hosts := certwiz.Request{DNS: []string{"localhost", name}, IPs: local}
		srv := hosts
		srv.Role, srv.CommonName = certwiz.RoleServer, name
		if m.ServerCert, m.ServerKey, err = issue(dir, filepath.Join(name, "server"), srv, ca); err != nil {
			return nil, err
		}
		peer := hosts
		peer.Role, peer.CommonName = certwiz.RolePeer, name
		if m.PeerCert, m.PeerKey, err = issue(dir, filepath.Join(name, "peer"), peer, peerCA); err != nil {
			return nil, err
		}
		p.Members = append(p.Members, m)
	}
	client := func(cn string, ca *certwiz.Issued) (string, string, error) {
		return issue(dir, filepath.Join("clients", cn), certwiz.Request{Role: certwiz.RoleClient, CommonName: cn}, ca)
	}
	if p.RootCert, p.RootKey, err = client("root", ca); err != nil {
		return nil, err
	}
	if p.UserCert, p.UserKey, err = client(user, ca); err != nil {
		return nil, err
	}
	if p.RogueCert, p.RogueKey, err = issue(dir, filepath.Join("clients", "rogue"), certwiz.Request{Role: certwiz.RoleClient, CommonName: "root"}, rogueCA); err != nil {
		return nil, err
	}
	return p, nil
}

func issue(dir, name string, req certwiz.Request, ca *certwiz.Issued) (string, string, error) {
	leaf, err := certwiz.NewLeaf(req, certwiz.ECDSAP256, ca)
	if err != nil {
		return "", "", fmt.Errorf("issue %s: %w", name, err)
	}
	return write(dir, name, leaf)
}

func write(dir, name string, it *certwiz.Issued) (string, string, error) {
	crt, key := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.MkdirAll(filepath.Dir(crt), 0o700); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(crt, it.CertPEM, 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(key, it.KeyPEM, 0o600); err != nil {
		return "", "", err
	}
	return crt, key, nil
}
