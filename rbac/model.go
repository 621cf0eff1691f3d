package rbac

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Model is a cluster's access model: whether auth is on, its roles and its
// users. Read from a cluster (ReadLive) or a file (Parse); printed back by
// Marshal. In a file, a nil Auth means "leave auth as it is".
type Model struct {
	Auth  *bool
	Roles []Role
	Users []User
}

// Role is an etcd role and its permissions. Perms read from a cluster are in
// etcd's stored order and may repeat a range (etcd stores duplicates, see
// Effective); perms from a file are unique per range. The root role has none
// here: its holders may do anything whatever it holds, and etcd 3.5+ shows a
// made-up "readwrite [\"\", \"\x00\")" instead of what it stores.
type Role struct {
	Name  string
	Perms []Perm
	line  int // in the file, for errors
}

// User is an etcd user and the names of its roles.
type User struct {
	Name  string
	Roles []string
	// Password: whether the user has a password. Nil when unknown (read with
	// auth disabled, when etcd cannot tell) or, in a file, not managed.
	Password *bool
	// PasswordEnv names the environment variable apply reads the password
	// from when it creates the user (file only; the password itself never
	// appears in a file).
	PasswordEnv string
	// Certificate is the user's client certificate (CN = user name) in the PKI
	// tree, when there is or should be one.
	Certificate *Certificate
	line        int
}

// Certificate is a user's client certificate in the PKI tree.
type Certificate struct {
	File    string    // relative to the PKI directory; default clients/<user>.crt
	Days    int       // validity of a newly issued certificate; 0 is certwiz's default
	Expires time.Time // read from the file by export; ignored by apply
}

// Bool returns a pointer to b, for Model.Auth and User.Password.
func Bool(b bool) *bool { return &b }

// Role returns the named role, or nil.
func (m *Model) Role(name string) *Role {
	for i := range m.Roles {
		if m.Roles[i].Name == name {
			return &m.Roles[i]
		}
	}
	return nil
}

// User returns the named user, or nil.
func (m *Model) User(name string) *User {
	for i := range m.Users {
		if m.Users[i].Name == name {
			return &m.Users[i]
		}
	}
	return nil
}

// Effective is the role's permissions as etcd enforces them: one per range
// (copies of a range merged, their types joined: etcd unions every copy),
// sorted by key, then end.
func (r Role) Effective() []Perm {
	var out []Perm
	for _, p := range r.Perms {
		if i := slices.IndexFunc(out, func(q Perm) bool { return q.Range == p.Range }); i >= 0 {
			out[i].Type = out[i].Type.Union(p.Type)
			continue
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Perm) int {
		return cmp.Or(cmp.Compare(a.Key, b.Key), cmp.Compare(a.End, b.End))
	})
	return out
}

// Grants are the permissions user holds through its roles, and its roles.
// ok is false when the model has no such user.
func (m *Model) Grants(user string) (roles []string, grants []Grant, ok bool) {
	u := m.User(user)
	if u == nil {
		return nil, nil, false
	}
	for _, name := range u.Roles {
		if r := m.Role(name); r != nil {
			for _, p := range r.Perms {
				grants = append(grants, Grant{Role: name, Perm: p})
			}
		}
	}
	return u.Roles, grants, true
}

// NotFoundError is a user or role the model does not have.
type NotFoundError struct{ Kind, Name string }

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %q does not exist", e.Kind, e.Name) }

// Explain is etcd's verdict on q for user.
func (m *Model) Explain(user string, q Request) (Verdict, error) {
	roles, grants, ok := m.Grants(user)
	if !ok {
		return Verdict{}, &NotFoundError{Kind: "user", Name: user}
	}
	return Check(roles, grants, q), nil
}

// Access is one user allowed a request and through which roles.
type Access struct {
	User  string   `json:"user"`
	Roles []string `json:"roles"`
}

// WhoCan lists the users etcd allows q (when auth is enabled), sorted by
// name: root-role holders through the root role, the others through the
// roles whose permissions cover the request.
func (m *Model) WhoCan(q Request) []Access {
	out := []Access{}
	for _, u := range m.Users {
		v, _ := m.Explain(u.Name, q)
		if !v.Allowed {
			continue
		}
		roles := v.Roles()
		if v.Root {
			roles = []string{RootRole}
		}
		out = append(out, Access{User: u.Name, Roles: roles})
	}
	slices.SortFunc(out, func(a, b Access) int { return cmp.Compare(a.User, b.User) })
	return out
}

// Sort orders roles and users by name, each user's roles by name and each
// role's permissions as Effective does (merging copies): the canonical form
// export prints.
func (m *Model) Sort() {
	slices.SortFunc(m.Roles, func(a, b Role) int { return cmp.Compare(a.Name, b.Name) })
	for i := range m.Roles {
		m.Roles[i].Perms = m.Roles[i].Effective()
	}
	slices.SortFunc(m.Users, func(a, b User) int { return cmp.Compare(a.Name, b.Name) })
	for i := range m.Users {
		slices.Sort(m.Users[i].Roles)
	}
}
