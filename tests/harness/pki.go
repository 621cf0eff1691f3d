package harness

import (
	"fmt"
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
	// TrustedCA and PeerTrustedCA, when set, are this member's own trust
	// bundles (each kubeadm node has its ca.crt); else PKI.CA and PKI.PeerCA.
	TrustedCA, PeerTrustedCA string
}

// NewPKI writes a PKI for the named members into dir, generated from a
// certwiz plan exactly as 'etcd-certwiz init --plan' would.
func NewPKI(dir string, members []string, user string) (*PKI, error) {
	plan := &certwiz.Plan{Cluster: "harness", Out: dir, Clients: []certwiz.Client{{Name: "root"}, {Name: user}}}
	for _, name := range members {
		plan.Members = append(plan.Members, certwiz.Member{Name: name, IPs: []string{"127.0.0.1", "::1"}, DNS: []string{"localhost"}})
	}
	if err := plan.Complete(); err != nil {
		return nil, err
	}
	k, err := certwiz.Generate(plan)
	if err != nil {
		return nil, err
	}
	if _, err := k.Write(false); err != nil {
		return nil, err
	}
	p := LayoutPKI(dir, members, "root", user)
	rogueCA, err := certwiz.NewCA("rogue CA", certwiz.ECDSAP256, 0)
	if err != nil {
		return nil, err
	}
	rogue, err := certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleClient, CommonName: "root"}, certwiz.ECDSAP256, rogueCA)
	if err != nil {
		return nil, fmt.Errorf("issue rogue client: %w", err)
	}
	if err := certwiz.WriteFiles(certwiz.PairFiles(p.RogueCert, rogue), false); err != nil {
		return nil, err
	}
	return p, nil
}

// LayoutPKI describes a PKI already in certwiz's layout under dir (as
// 'etcd-certwiz init' writes it, or a test with openssl), to start a cluster
// on externally made files with Options.PKI. Without peer-ca.crt the peer CA
// is ca.crt; without the root client pair the harness dials without a client
// certificate. The user and rogue pair paths are set but may not exist.
func LayoutPKI(dir string, members []string, rootClient, userClient string) *PKI {
	l := certwiz.Layout{Dir: dir}
	p := &PKI{
		Dir: dir, CA: l.CA(), CAKey: certwiz.KeyPath(l.CA()), PeerCA: l.PeerCA(), PeerCAKey: certwiz.KeyPath(l.PeerCA()),
		RootCert: l.Client(rootClient), RootKey: certwiz.KeyPath(l.Client(rootClient)),
		UserCert: l.Client(userClient), UserKey: certwiz.KeyPath(l.Client(userClient)),
		RogueCert: filepath.Join(dir, "clients", "rogue.crt"), RogueKey: filepath.Join(dir, "clients", "rogue.key"),
	}
	if _, err := os.Stat(p.PeerCA); err != nil {
		p.PeerCA, p.PeerCAKey = p.CA, p.CAKey
	}
	if _, err := os.Stat(p.RootCert); err != nil {
		p.RootCert, p.RootKey = "", ""
	}
	for _, name := range members {
		p.Members = append(p.Members, MemberPKI{
			Name: name, ServerCert: l.Server(name), ServerKey: certwiz.KeyPath(l.Server(name)),
			PeerCert: l.Peer(name), PeerKey: certwiz.KeyPath(l.Peer(name)),
		})
	}
	return p
}
