package certwiz

import (
	"fmt"
	"sync"
)

// PKI is a whole cluster's generated material, not yet written.
type PKI struct {
	Plan    *Plan
	CA      *Issued
	PeerCA  *Issued // the same as CA when the plan shares one CA
	Members []MemberPKI
	Clients []ClientPKI
}

// MemberPKI is one member's server and peer pairs.
type MemberPKI struct {
	Member       Member
	Server, Peer *Issued
}

// ClientPKI is one client's pair.
type ClientPKI struct {
	Client Client
	*Issued
}

// Generate issues every certificate of a completed plan. Keys are generated
// in parallel: for RSA that is most of the time spent.
func Generate(p *Plan) (*PKI, error) {
	k := &PKI{Plan: p}
	var err error
	if k.CA, err = NewCA(p.Cluster+" etcd CA", p.KeyType, p.CADays); err != nil {
		return nil, err
	}
	k.PeerCA = k.CA
	if p.PeerCASeparate() {
		if k.PeerCA, err = NewCA(p.Cluster+" etcd peer CA", p.KeyType, p.CADays); err != nil {
			return nil, err
		}
	}
	k.Members = make([]MemberPKI, len(p.Members))
	k.Clients = make([]ClientPKI, len(p.Clients))
	var jobs []func() error
	for i, m := range p.Members {
		k.Members[i].Member = m
		jobs = append(jobs,
			func() (err error) {
				k.Members[i].Server, err = k.leaf(RoleServer, m.Name, nil, m.ServerHosts(), k.CA)
				return
			},
			func() (err error) {
				k.Members[i].Peer, err = k.leaf(RolePeer, m.Name, nil, m.PeerHosts(), k.PeerCA)
				return
			},
		)
	}
	for i, c := range p.Clients {
		k.Clients[i].Client = c
		jobs = append(jobs, func() (err error) {
			k.Clients[i].Issued, err = k.leaf(RoleClient, c.CN, c.Org, Hosts{}, k.CA)
			return
		})
	}
	return k, parallel(jobs)
}

func (k *PKI) leaf(role Role, cn string, org []string, h Hosts, ca *Issued) (*Issued, error) {
	req := Request{Role: role, CommonName: cn, Org: org, DNS: h.DNS, IPs: h.IPs, Days: k.Plan.LeafDays}
	it, err := NewLeaf(req, k.Plan.KeyType, ca)
	if err != nil {
		return nil, fmt.Errorf("%s certificate %s: %w", role, cn, err)
	}
	return it, nil
}

func parallel(jobs []func() error) error {
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = job() }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Files lists every file of the PKI in the standard layout under dir.
func (k *PKI) Files(dir string) []PendingFile {
	l := Layout{Dir: dir}
	files := PairFiles(l.CA(), k.CA)
	if k.PeerCA != k.CA {
		files = append(files, PairFiles(l.PeerCA(), k.PeerCA)...)
	}
	for _, m := range k.Members {
		files = append(files, PairFiles(l.Server(m.Member.Name), m.Server)...)
		files = append(files, PairFiles(l.Peer(m.Member.Name), m.Peer)...)
	}
	for _, c := range k.Clients {
		files = append(files, PairFiles(l.Client(c.Client.Name), c.Issued)...)
	}
	return files
}

// Write writes the PKI into the plan's output directory, refusing to
// overwrite anything unless force is set.
func (k *PKI) Write(force bool) ([]PendingFile, error) {
	files := k.Files(k.Plan.Out)
	return files, WriteFiles(files, force)
}
