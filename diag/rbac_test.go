package diag

import "testing"

func TestReadCovered(t *testing.T) {
	prefix := func(role, typ, p string) Perm {
		end := []byte(p)
		end[len(end)-1]++
		return Perm{Role: role, Type: typ, Key: p, End: string(end)}
	}
	cases := []struct {
		name     string
		perms    []Perm
		key, end string
		want     bool
	}{
		{"single key inside prefix", []Perm{prefix("r", "read", "/a/")}, "/a/x", "", true},
		{"single key outside", []Perm{prefix("r", "readwrite", "/a/")}, "/b/x", "", false},
		{"write-only does not read", []Perm{prefix("r", "write", "/a/")}, "/a/x", "", false},
		{"exact key perm", []Perm{{Role: "r", Type: "read", Key: "/k"}}, "/k", "", true},
		{"exact key perm, other key", []Perm{{Role: "r", Type: "read", Key: "/k"}}, "/k2", "", false},
		{"prefix read fully covered", []Perm{prefix("r", "read", "/a/")}, "/a/", "/a0", true},
		{"wider prefix covers", []Perm{prefix("r", "read", "/")}, "/a/", "/a0", true},
		{"range split over two roles", []Perm{{Role: "r1", Type: "read", Key: "/a/", End: "/a/m"}, {Role: "r2", Type: "read", Key: "/a/m", End: "/a0"}}, "/a/", "/a0", true},
		{"range with a gap", []Perm{{Role: "r1", Type: "read", Key: "/a/", End: "/a/m"}, {Role: "r2", Type: "read", Key: "/a/n", End: "/a0"}}, "/a/", "/a0", false},
		{"from-key perm covers everything after", []Perm{{Role: "r", Type: "read", Key: "/a/", End: "\x00"}}, "/b/", "/b0", true},
		{"from-key request needs unbounded perm", []Perm{prefix("r", "read", "/a/")}, "/a/", "\x00", false},
		{"no perms", nil, "/a", "", false},
	}
	for _, tc := range cases {
		if got := ReadCovered(tc.perms, tc.key, tc.end); got != tc.want {
			t.Errorf("%s: ReadCovered = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestPermString(t *testing.T) {
	if s := (Perm{Role: "r", Type: "read", Key: "/a/", End: "/a0"}).String(); s != `r: read prefix "/a/"` {
		t.Errorf("got %s", s)
	}
}
