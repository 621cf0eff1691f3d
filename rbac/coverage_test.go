package rbac

import (
	"math/rand/v2"
	"slices"
	"testing"

	"go.etcd.io/etcd/pkg/v3/adt"
)

func grant(role string, t Type, r Range) Grant {
	return Grant{Role: role, Perm: Perm{Type: t, Range: r}}
}

func TestCheckRules(t *testing.T) {
	cases := []struct {
		name   string
		grants []Grant
		q      Request
		want   bool
	}{
		{"single key inside prefix", []Grant{grant("r", Read, Prefix("/a/"))}, Request{Read, SingleKey("/a/x")}, true},
		{"single key outside", []Grant{grant("r", ReadWrite, Prefix("/a/"))}, Request{Read, SingleKey("/b/x")}, false},
		{"write-only does not read", []Grant{grant("r", Write, Prefix("/a/"))}, Request{Read, SingleKey("/a/x")}, false},
		{"read-only does not write", []Grant{grant("r", Read, Prefix("/a/"))}, Request{Write, SingleKey("/a/x")}, false},
		{"readwrite writes", []Grant{grant("r", ReadWrite, Prefix("/a/"))}, Request{Write, Prefix("/a/b")}, true},
		{"exact key", []Grant{grant("r", Read, SingleKey("/k"))}, Request{Read, SingleKey("/k")}, true},
		{"exact key, other key", []Grant{grant("r", Read, SingleKey("/k"))}, Request{Read, SingleKey("/k2")}, false},
		{"single key perm does not cover its prefix", []Grant{grant("r", Read, SingleKey("/a/b/k"))}, Request{Read, Prefix("/a/b/k")}, false},
		{"prefix /a/b/ does not cover prefix /a/b", []Grant{grant("r", Read, Prefix("/a/b/"))}, Request{Read, Prefix("/a/b")}, false},
		{"a range [/k, /l) is prefix /k", []Grant{grant("r", Read, Between("/k", "/l"))}, Request{Read, Prefix("/k")}, true},
		{"prefix fully covered", []Grant{grant("r", Read, Prefix("/a/"))}, Request{Read, Prefix("/a/")}, true},
		{"wider prefix covers", []Grant{grant("r", Read, Prefix("/"))}, Request{Read, Prefix("/a/")}, true},
		{"range split over two roles", []Grant{grant("r1", Read, Between("/a/", "/a/m")), grant("r2", Read, Between("/a/m", "/a0"))}, Request{Read, Prefix("/a/")}, true},
		{"range with a gap", []Grant{grant("r1", Read, Between("/a/", "/a/m")), grant("r2", Read, Between("/a/n", "/a0"))}, Request{Read, Prefix("/a/")}, false},
		{"read and write halves do not make a read", []Grant{grant("r1", Read, Between("/a/", "/a/m")), grant("r2", Write, Between("/a/m", "/a0"))}, Request{Read, Prefix("/a/")}, false},
		{"a key joins a range", []Grant{grant("r", Read, Between("/a", "/b")), grant("r", Read, SingleKey("/b")), grant("r", Read, Between("/b\x00", "/c"))}, Request{Read, Between("/a", "/c")}, true},
		{"from-key perm covers everything after", []Grant{grant("r", Read, FromKey("/a/"))}, Request{Read, Prefix("/b/")}, true},
		{"from-key request needs an unbounded perm", []Grant{grant("r", Read, Prefix("/a/"))}, Request{Read, FromKey("/a/")}, false},
		{"every key covers every key", []Grant{grant("r", Read, Prefix(""))}, Request{Read, FromKey("")}, true},
		{"root role", []Grant{grant("root", Read, SingleKey("/x"))}, Request{Write, Prefix("")}, true},
		{"no perms", nil, Request{Read, SingleKey("/a")}, false},
		{"3.4's empty-key perm covers nothing", []Grant{grant("r", Read, Range{Key: ""})}, Request{Read, SingleKey("\x00")}, false},
		{"3.4's inverted range covers nothing", []Grant{grant("r", Read, Between("/x", "/w"))}, Request{Read, SingleKey("/x")}, false},
	}
	for _, tc := range cases {
		roles := []string{}
		for _, g := range tc.grants {
			roles = append(roles, g.Role)
		}
		v := Check(roles, tc.grants, tc.q)
		if v.Allowed != tc.want {
			t.Errorf("%s: allowed = %v, want %v (%+v)", tc.name, v.Allowed, tc.want, v)
		}
		if v.Allowed != (len(v.Missing) == 0) {
			t.Errorf("%s: allowed %v with missing %v", tc.name, v.Allowed, v.Missing)
		}
		if got := etcdAllows(roles, tc.grants, tc.q); got != tc.want {
			t.Errorf("%s: etcd's algorithm says %v, the case says %v", tc.name, got, tc.want)
		}
	}
}

func TestCheckExplains(t *testing.T) {
	grants := []Grant{grant("r1", Read, Between("/a/", "/a/m")), grant("r2", Read, Between("/a/n", "/a0")), grant("r3", Read, SingleKey("/z"))}
	v := Check([]string{"r1", "r2", "r3"}, grants, Request{Read, Prefix("/a/")})
	if v.Allowed || !slices.Equal(v.Roles(), []string{"r1", "r2"}) || len(v.Missing) != 1 || v.Missing[0] != Between("/a/m", "/a/n") {
		t.Errorf("verdict %+v", v)
	}
	v = Check([]string{"r1"}, grants[:1], Request{Read, FromKey("/a/")})
	if v.Allowed || len(v.Missing) != 1 || v.Missing[0] != FromKey("/a/m") {
		t.Errorf("from-key verdict %+v", v)
	}
	v = Check([]string{"r3"}, grants[2:], Request{Read, SingleKey("/z")})
	if !v.Allowed || v.Rule != RuleKey || len(v.Grants) != 1 {
		t.Errorf("key verdict %+v", v)
	}
}

// etcdAllows is etcd's own decision (server/auth: getMergedPerms,
// isOpPermitted, checkKeyPoint, checkKeyInterval) built on etcd's interval
// tree, to hold Check to it.
func etcdAllows(roles []string, grants []Grant, q Request) bool {
	if slices.Contains(roles, RootRole) {
		return true
	}
	tree := adt.NewIntervalTree()
	for _, g := range grants {
		if !g.Type.Allows(q.Op) {
			continue
		}
		var ivl adt.Interval
		var end []byte
		if g.End != NoEnd {
			end = []byte(g.End)
		}
		if g.End != "" {
			ivl = adt.NewBytesAffineInterval([]byte(g.Key), end)
		} else {
			ivl = adt.NewBytesAffinePoint([]byte(g.Key))
		}
		tree.Insert(ivl, struct{}{})
	}
	if q.End == "" {
		return tree.Intersects(adt.NewBytesAffinePoint([]byte(q.Key)))
	}
	var end []byte
	if q.End != NoEnd {
		end = []byte(q.End)
	}
	return tree.Contains(adt.NewBytesAffineInterval([]byte(q.Key), end))
}

// randomKey draws from a tiny alphabet so ranges overlap, touch and nest.
func randomKey(r *rand.Rand) string {
	const alphabet = "/ab\xff"
	n := 1 + r.IntN(3)
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func randomRange(r *rand.Rand) Range {
	switch r.IntN(5) {
	case 0:
		return SingleKey(randomKey(r))
	case 1:
		if r.IntN(8) == 0 {
			return Prefix("")
		}
		return Prefix(randomKey(r))
	case 2:
		return FromKey(randomKey(r))
	}
	for {
		a, b := randomKey(r), randomKey(r)
		if a != b {
			return Between(min(a, b), max(a, b))
		}
	}
}

// TestCheckAgreesWithEtcdTree: on thousands of random permission sets and
// requests, Check decides as etcd's interval tree does.
func TestCheckAgreesWithEtcdTree(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 3))
	types := []Type{Read, Write, ReadWrite}
	allowed := 0
	const n = 20000
	for i := range n {
		var grants []Grant
		for range r.IntN(6) {
			grants = append(grants, grant("r", types[r.IntN(3)], randomRange(r)))
		}
		q := Request{Op: types[r.IntN(2)], Range: randomRange(r)}
		want := etcdAllows(nil, grants, q)
		v := Check(nil, grants, q)
		if v.Allowed != want {
			t.Fatalf("case %d: %s with %v: Check says %v, etcd's tree %v", i, q, grants, v.Allowed, want)
		}
		if want {
			allowed++
		}
	}
	if allowed < n/10 || allowed > n*9/10 {
		t.Fatalf("only %d of %d allowed: the draw does not exercise both answers", allowed, n)
	}
}
