package diag

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"go.etcd.io/etcd/api/v3/authpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Perm is one permission of a role: [Key, End) with etcd's conventions
// (End "" means the single key, "\x00" means every key from Key on).
type Perm struct {
	Role string
	Type string // read, write, readwrite
	Key  string
	End  string
}

func (p Perm) reads() bool { return p.Type == "read" || p.Type == "readwrite" }

func (p Perm) String() string {
	switch {
	case p.End == "":
		return fmt.Sprintf("%s: %s key %q", p.Role, p.Type, p.Key)
	case p.End == "\x00":
		return fmt.Sprintf("%s: %s every key from %q", p.Role, p.Type, p.Key)
	case p.End == clientv3.GetPrefixRangeEnd(p.Key):
		return fmt.Sprintf("%s: %s prefix %q", p.Role, p.Type, p.Key)
	}
	return fmt.Sprintf("%s: %s range [%q, %q)", p.Role, p.Type, p.Key, p.End)
}

// covers reports whether perm p covers [key, end) ("" end = the single key).
func (p Perm) covers(key, end string) bool {
	if p.End == "" {
		return end == "" && p.Key == key
	}
	if key < p.Key {
		return false
	}
	if p.End == "\x00" {
		return true
	}
	if end == "" {
		return key < p.End
	}
	return end != "\x00" && end <= p.End
}

// ReadCovered applies etcd's rule: a single key needs one permission that
// covers it; a range needs the union of the read permissions to cover it
// entirely (etcd merges the ranges of all of a user's roles).
func ReadCovered(perms []Perm, key, end string) bool {
	if end == "" {
		for _, p := range perms {
			if p.reads() && p.covers(key, "") {
				return true
			}
		}
		return false
	}
	type interval struct{ from, to string } // to "\x00" means no upper bound
	var ivs []interval
	for _, p := range perms {
		if !p.reads() {
			continue
		}
		to := p.End
		if to == "" {
			to = p.Key + "\x00" // a single key is the range [key, key+"\x00")
		}
		ivs = append(ivs, interval{p.Key, to})
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].from < ivs[j].from })
	reached := key
	for _, v := range ivs {
		if v.from > reached {
			return false // a gap no permission covers
		}
		if v.to == "\x00" {
			return true
		}
		if v.to > reached {
			reached = v.to
		}
		if end != "\x00" && reached >= end {
			return true
		}
	}
	return false
}

// explainDenied builds the permission-denied finding with the identity, its
// roles and ranges (when readable with these credentials) and the coverage.
func (p *prober) explainDenied(ctx context.Context, what string) Finding {
	key, end := p.in.KeyPath, ""
	flag := ""
	if p.in.Prefix {
		end = clientv3.GetPrefixRangeEnd(key)
		flag = " --prefix"
	}
	user := p.userName()
	f := Finding{ID: "permission-denied", Severity: Error,
		Cause:    fmt.Sprintf("%s may not read %s", p.identity(), what),
		Evidence: []string{"identity: " + p.identity(), "request: read " + what}}
	role := "ROLE"
	perms, roles, err := p.permissions(ctx, user)
	if err != nil {
		f.Evidence = append(f.Evidence, fmt.Sprintf("roles of %q are not readable with these credentials (%v); as root run: etcdctl user get %s --detail", user, err, user))
	} else {
		f.Evidence = append(f.Evidence, "roles: "+list(roles))
		for _, perm := range perms {
			f.Evidence = append(f.Evidence, "permission "+perm.String())
		}
		if len(roles) > 0 {
			role = roles[0]
		}
		covered := ReadCovered(perms, key, end)
		rule := "a single key needs one permission covering it"
		if end != "" {
			rule = "a range read needs its whole range covered by the union of the read permissions"
		}
		f.Evidence = append(f.Evidence, fmt.Sprintf("covered: %v (%s)", covered, rule))
	}
	f.Fix = fmt.Sprintf("as root, grant it: etcdctl role grant-permission %s read %s%s", role, key, flag)
	if role == "ROLE" || err != nil {
		f.Fix += fmt.Sprintf(" (after etcdctl role add ROLE; etcdctl user grant-role %s ROLE)", pick(user != "", user, "USER"))
	}
	return f
}

func (p *prober) permissions(ctx context.Context, user string) ([]Perm, []string, error) {
	if user == "" {
		return nil, nil, fmt.Errorf("no user name known")
	}
	u, err := p.client.UserGet(ctx, user)
	if err != nil {
		return nil, nil, err
	}
	var perms []Perm
	for _, role := range u.Roles {
		r, err := p.client.RoleGet(ctx, role)
		if err != nil {
			return nil, u.Roles, err
		}
		for _, perm := range r.Perm {
			perms = append(perms, Perm{Role: role, Type: strings.ToLower(authpb.Permission_Type_name[int32(perm.PermType)]), Key: string(perm.Key), End: string(perm.RangeEnd)})
		}
	}
	return perms, u.Roles, nil
}
