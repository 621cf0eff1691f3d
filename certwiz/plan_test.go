package certwiz

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const issuePlan = `cluster: prod
out: ./pki
key-type: ecdsa-p256        # ecdsa-p384 | rsa-2048 | rsa-3072 | rsa-4096 | ed25519
ca-days: 3650
leaf-days: 365
separate-peer-ca: true
members:
  - name: etcd-0
    ips: [10.0.1.10]
    dns: [etcd-0.example.internal]
clients:
  - name: root             # CN defaults to the name
  - name: app
    cn: app-user
`

// TestParsePlanIssueExample: the plan format of the issue parses, with defaults.
func TestParsePlanIssueExample(t *testing.T) {
	p, err := ParsePlan([]byte(issuePlan))
	if err != nil {
		t.Fatal(err)
	}
	m := p.Members[0]
	if p.Cluster != "prod" || p.KeyType != ECDSAP256 || !p.PeerCASeparate() || p.Clients[0].CN != "root" || p.Clients[1].CN != "app-user" {
		t.Fatalf("plan %+v", p)
	}
	if m.ClientURLs[0] != "https://10.0.1.10:2379" || m.PeerURLs[0] != "https://10.0.1.10:2380" {
		t.Fatalf("default URLs %v %v", m.ClientURLs, m.PeerURLs)
	}
	if got := strings.Join(m.ServerHosts().Strings(), ","); got != "localhost,etcd-0,etcd-0.example.internal,127.0.0.1,::1,10.0.1.10" {
		t.Fatalf("server SANs %s", got)
	}
	// The minimal plan gets every default.
	min, err := ParsePlan([]byte("members:\n  - name: a\n"))
	if err != nil {
		t.Fatal(err)
	}
	if min.Cluster != DefaultCluster || min.Out != DefaultOut || min.KeyType != ECDSAP256 || min.CADays != DefaultCADays || min.LeafDays != DefaultLeafDays || !min.PeerCASeparate() {
		t.Fatalf("defaults %+v", min)
	}
	// Marshal and parse again: the same plan.
	data, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParsePlan(data)
	if err != nil {
		t.Fatal(err)
	}
	if d2, _ := again.Marshal(); string(d2) != string(data) {
		t.Fatalf("round trip differs:\n%s\n%s", data, d2)
	}
}

// TestParsePlanErrors: unknown fields and bad values are errors naming the line or the entry.
func TestParsePlanErrors(t *testing.T) {
	cases := []struct{ plan, want string }{
		{"cluster: a\nmembers:\n  - name: a\n    ip: [10.0.0.1]\n", `plan:4: unknown field "ip"`},
		{"clustr: a\n", `plan:1: unknown field "clustr"`},
		{"members:\n  - name: a\n    ips: [etcd.local]\n", "not an IP address"},
		{"members:\n  - name: a\n    ips: [10.0.0.300]\n", "not a valid IPv4 address"},
		{"members:\n  - name: a\n    dns: [10.0.0.1]\n", "is not a DNS name"},
		{"members:\n  - name: a\n  - name: a\n", `duplicate member name "a"`},
		{"members:\n  - name: a\nclients:\n  - name: x\n  - name: x\n", `duplicate client name "x"`},
		{"members: []\n", "at least one member"},
		{"key-type: dsa\nmembers:\n  - name: a\n", `unknown key type "dsa"`},
		{"members:\n  - name: a\n    peer-urls: [http://10.0.0.1:2380]\n", "use https://"},
		{"leaf-days: 4000\nmembers:\n  - name: a\n", "outlive their CA"},
		{"", "empty plan"},
	}
	for _, tc := range cases {
		_, err := ParsePlan([]byte(tc.plan))
		var pe *PlanError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want a PlanError with %q", tc.plan, err, tc.want)
		}
	}
}

// TestLoadPlanOutRelativeToFile: out is resolved against the plan's directory.
func TestLoadPlanOutRelativeToFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(path, []byte(issuePlan), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := LoadPlan(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.Out != filepath.Join(dir, "pki") {
		t.Fatalf("out = %s", p.Out)
	}
}
