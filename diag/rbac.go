package diag

import (
	"context"
	"fmt"

	"github.com/etcd-ctx/etcd-ctx/rbac"
)

// explainDenied builds the permission-denied finding with the identity, its
// roles and ranges (when readable with these credentials) and the coverage.
func (p *prober) explainDenied(ctx context.Context, what string) Finding {
	key, r := p.in.KeyPath, rbac.SingleKey(p.in.KeyPath)
	flag := ""
	if p.in.Prefix {
		r = rbac.Prefix(key)
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
		v := rbac.Check(roles, perms, rbac.Request{Op: rbac.Read, Range: r})
		rule := "a single key needs one permission covering it"
		if !r.IsKey() {
			rule = "a range read needs its whole range covered by the union of the read permissions"
		}
		f.Evidence = append(f.Evidence, fmt.Sprintf("covered: %v (%s)", v.Allowed, rule))
	}
	f.Fix = fmt.Sprintf("as root, grant it: etcdctl role grant-permission %s read %s%s", role, key, flag)
	if role == "ROLE" || err != nil {
		f.Fix += fmt.Sprintf(" (after etcdctl role add ROLE; etcdctl user grant-role %s ROLE)", pick(user != "", user, "USER"))
	}
	return f
}

func (p *prober) permissions(ctx context.Context, user string) ([]rbac.Grant, []string, error) {
	if user == "" {
		return nil, nil, fmt.Errorf("no user name known")
	}
	u, err := p.client.UserGet(ctx, user)
	if err != nil {
		return nil, nil, err
	}
	var perms []rbac.Grant
	for _, role := range u.Roles {
		r, err := p.client.RoleGet(ctx, role)
		if err != nil {
			return nil, u.Roles, err
		}
		for _, perm := range r.Perm {
			perms = append(perms, rbac.Grant{Role: role, Perm: rbac.FromPB(perm)})
		}
	}
	return perms, u.Roles, nil
}
