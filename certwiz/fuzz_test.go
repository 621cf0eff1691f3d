package certwiz

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzParsePlan: a plan file never panics the parser; a refusal is a
// *PlanError with a message (and a line, when it has one, inside the file);
// a plan that parses is complete and valid (defaults filled in, names
// unique, every member URL usable, SANs computable); and its Marshal form,
// which the wizard saves, parses back to the same plan.
func FuzzParsePlan(f *testing.F) {
	for _, s := range []string{
		issuePlan,
		"members:\n  - name: a\n",
		"cluster: lab\nout: ./pki\nmembers:\n  - name: etcd-0\n    ips: [127.0.0.1]\n    client-urls: [https://127.0.0.1:23790]\n    peer-urls: [https://127.0.0.1:23800]\nclients:\n  - name: root\n  - name: alice-cert\n    cn: alice\n",
		"cluster: c\nkey-type: RSA-2048\nseparate-peer-ca: false\nmembers:\n  - {name: m0, ips: ['::1', 10.0.0.1], dns: ['*.etcd.example.com', etcd.example.com.]}\nclients:\n  - {name: ops, org: [system:masters, ops]}\n  - {name: app, org: ops}\n",
		"members:\n  - name: a\n    ips: [\"[::1]\"]\n",
		"members:\n  - name: a\n    ip: [10.0.0.1]\n",
		"clustr: a\n",
		"members:\n  - name: a\n    ips: [etcd.local]\n",
		"members:\n  - name: a\n    dns: [10.0.0.1]\n",
		"members:\n  - name: a\n  - name: a\n",
		"members: []\n",
		"key-type: dsa\nmembers:\n  - name: a\n",
		"members:\n  - name: a\n    peer-urls: [http://10.0.0.1:2380]\n",
		"leaf-days: 4000\nmembers:\n  - name: a\n",
		"ca-days: -1\nmembers:\n  - name: a\n",
		"members:\n  - name: a\nclients:\n  - name: x\n    org: {a: b}\n",
		"",
		"# comment only\n",
		"members: &m\n  - name: a\n    dns: *m\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePlan(data)
		if err != nil {
			var pe *PlanError
			if p != nil || !errors.As(err, &pe) || pe.Msg == "" || pe.Line < 0 {
				t.Fatalf("ParsePlan gave plan %v and error %#v, want only a *PlanError with a message", p, err)
			}
			if lines := yamlLines(data); pe.Line > lines {
				t.Fatalf("error on line %d of a %d-line plan: %v", pe.Line, lines, err)
			}
			return
		}
		checkPlan(t, p)
		out, err := p.Marshal()
		if err != nil {
			t.Fatalf("a parsed plan does not marshal: %v", err)
		}
		again, err := ParsePlan(out)
		if err != nil {
			t.Fatalf("the saved form of a plan does not parse: %v\ninput:\n%q\nsaved:\n%s", err, data, out)
		}
		if !reflect.DeepEqual(normalizedPlan(p), normalizedPlan(again)) {
			t.Fatalf("Marshal→ParsePlan changed the plan\nbefore %+v\nafter  %+v\nsaved:\n%s", p, again, out)
		}
		if out2, err := again.Marshal(); err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("Marshal is not stable (%v):\n%s\n---\n%s", err, out, out2)
		}
	})
}

func checkPlan(t *testing.T, p *Plan) {
	t.Helper()
	if p.Cluster == "" || p.Out == "" || p.SeparatePeerCA == nil || !slices.Contains(KeyTypes, p.KeyType) {
		t.Fatalf("defaults not filled in: %+v", p)
	}
	if p.CADays <= 0 || p.LeafDays <= 0 || p.LeafDays > p.CADays {
		t.Fatalf("validity ca-days %d leaf-days %d accepted", p.CADays, p.LeafDays)
	}
	if len(p.Members) == 0 {
		t.Fatal("a plan without members parsed")
	}
	members := map[string]bool{}
	for _, m := range p.Members {
		if ValidName("member", m.Name) != nil || members[m.Name] {
			t.Fatalf("member name %q invalid or repeated", m.Name)
		}
		members[m.Name] = true
		if len(m.ClientURLs) == 0 || len(m.PeerURLs) == 0 {
			t.Fatalf("member %s has no client or peer URL", m.Name)
		}
		for _, u := range append(slices.Clone(m.ClientURLs), m.PeerURLs...) {
			if err := ValidURL(u); err != nil {
				t.Fatalf("member %s: %v", m.Name, err)
			}
		}
		if m.ServerHosts().Empty() || m.PeerHosts().Empty() {
			t.Fatalf("member %s has no SANs", m.Name)
		}
	}
	clients := map[string]bool{}
	for _, c := range p.Clients {
		if ValidName("client", c.Name) != nil || clients[c.Name] || c.CN == "" {
			t.Fatalf("client %q invalid, repeated or without CN", c.Name)
		}
		clients[c.Name] = true
	}
}

// normalizedPlan makes nil and empty lists equal: omitempty writes neither.
func normalizedPlan(p *Plan) Plan {
	n := *p
	n.Clients = slices.Clone(p.Clients)
	if len(n.Clients) == 0 {
		n.Clients = nil
	}
	for i := range n.Clients {
		if len(n.Clients[i].Org) == 0 {
			n.Clients[i].Org = nil
		}
	}
	n.Members = slices.Clone(p.Members)
	for i := range n.Members {
		m := &n.Members[i]
		if len(m.IPs) == 0 {
			m.IPs = nil
		}
		if len(m.DNS) == 0 {
			m.DNS = nil
		}
	}
	return n
}

// yamlLines counts lines as YAML does: CR, LF, CRLF and (in yaml.v3) NEL,
// LS and PS all end one.
func yamlLines(data []byte) int {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	n := 1
	for _, r := range s {
		switch r {
		case '\n', '\r', '\u0085', '\u2028', '\u2029':
			n++
		}
	}
	return n
}

// treeNames are the file names FuzzCheckTree places its inputs under: the
// layouts of certwiz, cfssl, kubeadm and openssl, keys, CSRs and clutter.
var treeNames = []string{
	"ca.crt", "ca.pem", "ca-key.pem", "ca.key", "server.pem", "server-key.pem", "server.csr",
	"m0/server.crt", "m0/server.key", "m0/peer.crt", "clients/root.crt", "clients/root.key",
	"etcd/ca.crt", "etcd/server.crt", "apiserver-etcd-client.crt", "peer-ca.crt", "bundle.crt",
	"client-chain.crt", "client.key", "notes.pem",
}

// FuzzCheckTree: check on a tree of arbitrary PEM files (certificates,
// chains, bundles, keys, CSRs, garbage, empty files, under any layout's
// names) never panics, and says something about every file that should
// hold a certificate: each file named like a certificate (not a key) is a
// row or skipped with a reason, every row has a status and a known path, and
// a row that is not ok says why.
func FuzzCheckTree(f *testing.F) {
	k := mustGenerate(f, testPlan(f, f.TempDir()))
	inter, err := Issue(Request{Role: RoleCA, CommonName: "fuzz intermediate"}, k.Members[0].Server.Key, k.CA.Cert, k.CA.Key)
	if err != nil {
		f.Fatal(err)
	}
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	seeds := [][]byte{
		k.CA.CertPEM, k.CA.KeyPEM, k.Members[0].Server.CertPEM, k.Members[0].Server.KeyPEM,
		join(k.Clients[0].CertPEM, inter.CertPEM), join(k.CA.CertPEM, k.PeerCA.CertPEM), join(k.Clients[1].CertPEM, k.Clients[1].KeyPEM),
		[]byte("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"),
		[]byte("-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n"), []byte("hello"), nil,
		append([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), k.Clients[0].CertPEM...),
	}
	for i, a := range seeds {
		f.Add(a, seeds[(i+3)%len(seeds)], seeds[(i+7)%len(seeds)], uint16(i*0x123))
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, a, b, c []byte, names uint16) {
		dir := t.TempDir()
		written := map[string]bool{}
		for i, data := range [][]byte{a, b, c} {
			name := filepath.FromSlash(treeNames[int(names>>(5*i))%len(treeNames)])
			if written[name] {
				continue
			}
			written[name] = true
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		check, err := CheckTree(dir, 30*24*time.Hour, now)
		if err != nil {
			if check != nil && len(check.Results) > 0 {
				t.Fatalf("an error (%v) with results", err)
			}
			return
		}
		said := map[string]bool{}
		for _, r := range check.Results {
			if !written[r.Path] || r.Status == "" || r.Index < 0 {
				t.Fatalf("row %+v: unknown path or no status", r)
			}
			if r.Status != StatusOK && len(r.Problems) == 0 {
				t.Fatalf("row %s is %s without a reason", r.Name(), r.Status)
			}
			said[r.Path] = true
		}
		for _, s := range check.Skipped {
			if s.What == "" {
				t.Fatalf("%s skipped without a reason", s.Path)
			}
			said[s.Path] = true
		}
		for name := range written {
			if strings.HasSuffix(name, ".key") || strings.HasSuffix(name, "-key.pem") {
				continue // a key paired with a certificate is not a row
			}
			if !said[name] {
				t.Fatalf("%s: nothing said about it", name)
			}
		}
	})
}
