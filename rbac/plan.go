package rbac

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Op is one kind of change. Plans run them in this order: certificates
// first (a refusal to overwrite stops before the cluster changes), then what
// adds access, then what removes it, then auth.
type Op int

const (
	OpIssueCert Op = iota
	OpAddRole
	OpGrantPerm
	OpAddUser
	OpGrantRole
	OpRevokePerm
	OpRevokeRole
	OpDeleteUser
	OpDeleteRole
	OpEnableAuth
	OpDisableAuth
)

// Change is one step of a plan.
type Change struct {
	Op   Op
	Role string
	User string
	Perm Perm // OpGrantPerm, OpRevokePerm
	// OpGrantPerm on a range the role already has: its type now and how many
	// copies etcd stores. Replace: every copy is revoked first (etcd updates a
	// type in place only when the range is the first of its key in the role,
	// and one revoke removes every copy).
	Was     Type
	Copies  int
	Replace bool
	// OpAddUser: with a password (read from PasswordEnv, stdin or a prompt).
	// Recreate: the user exists with the other kind of login, which etcd
	// cannot change in place, so it is deleted first (its roles are granted
	// again by the OpGrantRole changes that follow).
	Password    bool
	PasswordEnv string
	Recreate    bool
	// OpIssueCert.
	Cert *CertChange
}

// CertChange is a client certificate to issue.
type CertChange struct {
	File    string // relative to the PKI directory
	Days    int
	Replace string // why an existing file is replaced (needs --force), "" for a new one
}

// Sign is the change's diff marker: + adds, - removes, ~ changes.
func (c Change) Sign() string {
	switch {
	case c.Op == OpIssueCert && c.Cert.Replace != "", c.Op == OpGrantPerm && c.Was != "", c.Op == OpAddUser && c.Recreate:
		return "~"
	case c.Op >= OpRevokePerm && c.Op <= OpDeleteRole, c.Op == OpDisableAuth:
		return "-"
	}
	return "+"
}

// String is the change as a diff line, e.g. `+ role app: readwrite prefix "/app/"`.
func (c Change) String() string {
	s := c.Sign() + " "
	switch c.Op {
	case OpIssueCert:
		s += fmt.Sprintf("certificate %s for user %s (CN %s, clientAuth, %s)", c.Cert.File, c.User, c.User, days(c.Cert.Days))
		if c.Cert.Replace != "" {
			s += ", replacing one that " + c.Cert.Replace
		}
	case OpAddRole:
		s += "role " + c.Role
	case OpGrantPerm:
		s += fmt.Sprintf("role %s: %s", c.Role, c.Perm)
		switch {
		case c.Copies > 1:
			s += fmt.Sprintf(" (stored %d times as %s: revoked, then granted once)", c.Copies, c.Was)
		case c.Replace:
			s += fmt.Sprintf(" (was %s: revoked, then granted)", c.Was)
		case c.Was != "":
			s += fmt.Sprintf(" (was %s)", c.Was)
		}
	case OpAddUser:
		s += "user " + c.User
		login := "no password: client certificate CN only"
		if c.Password {
			login = "password"
			if c.PasswordEnv != "" {
				login += " from $" + c.PasswordEnv
			}
		}
		if c.Recreate {
			s += " (deleted and added again with " + login + ": etcd cannot add or remove a password in place)"
		} else {
			s += " (" + login + ")"
		}
	case OpGrantRole:
		s += fmt.Sprintf("user %s: role %s", c.User, c.Role)
	case OpRevokePerm:
		s += fmt.Sprintf("role %s: %s", c.Role, c.Perm)
	case OpRevokeRole:
		s += fmt.Sprintf("user %s: role %s", c.User, c.Role)
	case OpDeleteUser:
		s += "user " + c.User
	case OpDeleteRole:
		s += "role " + c.Role
	case OpEnableAuth:
		s += "auth enable"
	case OpDisableAuth:
		s += "auth disable"
	}
	return s
}

func days(n int) string {
	if n == 0 {
		return "default validity"
	}
	return fmt.Sprintf("%d days", n)
}

// Plan is the ordered changes that make a cluster match a file, and notes on
// what it leaves alone.
type Plan struct {
	Changes []Change
	Notes   []string
}

// Identity is who a client acts as, by etcd's rules: a user/password or a
// token decides; the client certificate's CN counts only without them, and
// only when the server asks for client certificates (--client-cert-auth).
type Identity struct {
	User string // "" when unknown or nobody
	Via  Via
	// CertAuth: every endpoint asked for a client certificate (meaningful
	// with ViaCert).
	CertAuth bool
}

// Via is how a client identifies itself.
type Via string

const (
	ViaNone     Via = ""
	ViaPassword Via = "password"
	ViaToken    Via = "token"
	ViaCert     Via = "client certificate CN"
)

func (id Identity) String() string {
	if id.User == "" {
		if id.Via == ViaToken {
			return "a token that names no user"
		}
		return "nobody (no user, token or client certificate)"
	}
	return fmt.Sprintf("user %s (%s)", id.User, id.Via)
}

// RefusedError is a plan etcd-certwiz will not carry out, with the fix.
type RefusedError struct{ Msg, Fix string }

func (e *RefusedError) Error() string { return e.Msg }

// Hint is the fix.
func (e *RefusedError) Hint() string { return e.Fix }

// DiffOptions shape a plan.
type DiffOptions struct {
	Prune    bool     // delete users and roles the file does not declare
	Identity Identity // who will apply the plan
	// Certs checks the certificates of users declared with certificate:;
	// nil when no PKI directory was given.
	Certs *PKI
	Force bool // replace certificates that exist but do not fit
	File  string
}

// Diff plans the changes that make live match want. It refuses (with a
// *RefusedError) plans that would delete or demote root or the root role,
// remove the applying identity from root, or enable auth without a root user
// with the root role or with an identity that could not act afterwards.
func Diff(live, want *Model, o DiffOptions) (*Plan, error) {
	d := &differ{live: live, want: want, o: o, plan: &Plan{}}
	steps := []func() error{d.certificates, d.roles, d.users, d.prune, d.references, d.safety, d.auth}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(d.plan.Changes, func(a, b Change) int { return cmp.Compare(a.Op, b.Op) })
	return d.plan, nil
}

type differ struct {
	live, want *Model
	o          DiffOptions
	plan       *Plan
	deleted    map[string]bool // users the plan deletes
	recreated  map[string]bool
	droppedRls map[string]bool // roles the plan deletes
}

func (d *differ) add(c Change)  { d.plan.Changes = append(d.plan.Changes, c) }
func (d *differ) note(s string) { d.plan.Notes = append(d.plan.Notes, s) }
func (d *differ) file() string  { return cmp.Or(d.o.File, "the file") }

func (d *differ) certificates() error {
	var missing []string
	for _, u := range d.want.Users {
		if u.Certificate == nil {
			continue
		}
		if d.o.Certs == nil {
			missing = append(missing, u.Name)
			continue
		}
		c, note, err := d.o.Certs.plan(u, d.o.Force)
		if err != nil {
			return err
		}
		if note != "" {
			d.note(note)
		}
		if c != nil {
			d.add(Change{Op: OpIssueCert, User: u.Name, Cert: c})
		}
	}
	if len(missing) > 0 {
		return &RefusedError{
			Msg: fmt.Sprintf("%s declares client certificates (users %s) but no PKI directory was given", d.file(), strings.Join(missing, ", ")),
			Fix: "pass --pki DIR, the directory holding the client CA (ca.crt, ca.key) and clients/",
		}
	}
	return nil
}

// copies groups a role's stored permissions by range.
type copies struct {
	n   int
	typ Type
}

func group(perms []Perm) map[Range]copies {
	g := map[Range]copies{}
	for _, p := range perms {
		c := g[p.Range]
		g[p.Range] = copies{n: c.n + 1, typ: c.typ.Union(p.Type)}
	}
	return g
}

func (d *differ) roles() error {
	for _, r := range d.want.Roles {
		lr := d.live.Role(r.Name)
		if lr == nil {
			d.add(Change{Op: OpAddRole, Role: r.Name})
			for _, p := range r.Perms {
				d.add(Change{Op: OpGrantPerm, Role: r.Name, Perm: p})
			}
			continue
		}
		stored := group(lr.Perms)
		for _, p := range r.Perms {
			c, ok := stored[p.Range]
			switch {
			case !ok:
				d.add(Change{Op: OpGrantPerm, Role: r.Name, Perm: p})
			case c.n == 1 && c.typ == p.Type:
			default:
				d.add(Change{Op: OpGrantPerm, Role: r.Name, Perm: p, Was: c.typ, Copies: c.n,
					Replace: c.n > 1 || sharesKey(lr.Perms, r.Perms, p.Range)})
			}
		}
		for _, p := range lr.Effective() {
			if !slices.ContainsFunc(r.Perms, func(q Perm) bool { return q.Range == p.Range }) {
				d.add(Change{Op: OpRevokePerm, Role: r.Name, Perm: p})
			}
		}
	}
	return nil
}

// sharesKey: another range of the role (now or planned) starts at r.Key, so
// etcd's grant may not find r to update in place.
func sharesKey(live, want []Perm, r Range) bool {
	for _, p := range slices.Concat(live, want) {
		if p.Key == r.Key && p.Range != r {
			return true
		}
	}
	return false
}

func (d *differ) users() error {
	d.recreated = map[string]bool{}
	for _, u := range d.want.Users {
		lu := d.live.User(u.Name)
		recreate := lu != nil && u.Password != nil && lu.Password != nil && *u.Password != *lu.Password
		if lu == nil || recreate {
			pw := u.Password != nil && *u.Password
			d.add(Change{Op: OpAddUser, User: u.Name, Password: pw, PasswordEnv: u.PasswordEnv, Recreate: recreate})
			for _, r := range u.Roles {
				d.add(Change{Op: OpGrantRole, User: u.Name, Role: r})
			}
			d.recreated[u.Name] = recreate
			continue
		}
		for _, r := range u.Roles {
			if !slices.Contains(lu.Roles, r) {
				d.add(Change{Op: OpGrantRole, User: u.Name, Role: r})
			}
		}
		for _, r := range lu.Roles {
			if !slices.Contains(u.Roles, r) {
				d.add(Change{Op: OpRevokeRole, User: u.Name, Role: r})
			}
		}
		if u.Password != nil && lu.Password == nil {
			d.note(fmt.Sprintf("user %s: whether it has a password cannot be read while auth is disabled; left as it is", u.Name))
		}
	}
	return nil
}

func (d *differ) prune() error {
	d.deleted, d.droppedRls = map[string]bool{}, map[string]bool{}
	var users, roles []string
	for _, u := range d.live.Users {
		if d.want.User(u.Name) == nil {
			users = append(users, u.Name)
		}
	}
	for _, r := range d.live.Roles {
		if d.want.Role(r.Name) == nil {
			roles = append(roles, r.Name)
		}
	}
	if !d.o.Prune {
		if len(users)+len(roles) > 0 {
			d.note(fmt.Sprintf("left alone (not in %s; --prune deletes them): %s", d.file(), describe(users, roles)))
		}
		return nil
	}
	for _, name := range users {
		if name == RootUser {
			d.note("user root is not in " + d.file() + " but is never deleted")
			continue
		}
		if name == d.o.Identity.User {
			return &RefusedError{
				Msg: fmt.Sprintf("--prune would delete user %s, the identity applying this plan", name),
				Fix: fmt.Sprintf("declare user %s in %s", name, d.file()),
			}
		}
		d.deleted[name] = true
		d.add(Change{Op: OpDeleteUser, User: name})
	}
	for _, name := range roles {
		if name == RootRole {
			d.note("role root is not in " + d.file() + " but is never deleted")
			continue
		}
		d.droppedRls[name] = true
		d.add(Change{Op: OpDeleteRole, Role: name})
	}
	return nil
}

func describe(users, roles []string) string {
	var parts []string
	if len(users) > 0 {
		parts = append(parts, "users "+strings.Join(users, ", "))
	}
	if len(roles) > 0 {
		parts = append(parts, "roles "+strings.Join(roles, ", "))
	}
	return strings.Join(parts, "; ")
}

// references: every role a declared user holds exists after the plan.
func (d *differ) references() error {
	for _, u := range d.want.Users {
		for _, r := range u.Roles {
			if d.want.Role(r) != nil || (d.live.Role(r) != nil && !d.droppedRls[r]) {
				continue
			}
			fix := fmt.Sprintf("declare role %s in %s", r, d.file())
			if r == RootRole {
				fix += " (- name: root, with no permissions: holders of the root role may do anything)"
			}
			at := &FileError{File: d.o.File, Line: u.line, Msg: fmt.Sprintf("user %q has role %q, which is neither in the file nor in the cluster", u.Name, r)}
			return &RefusedError{Msg: at.Error(), Fix: fix}
		}
	}
	return nil
}

// finalRoles are a user's roles after the plan; ok is false when the user
// will not exist.
func (d *differ) finalRoles(name string) (roles []string, ok bool) {
	if u := d.want.User(name); u != nil {
		return u.Roles, true
	}
	if u := d.live.User(name); u != nil && !d.deleted[name] {
		return slices.DeleteFunc(slices.Clone(u.Roles), func(r string) bool { return d.droppedRls[r] }), true
	}
	return nil, false
}

func (d *differ) safety() error {
	if lr := d.live.User(RootUser); lr != nil && slices.Contains(lr.Roles, RootRole) {
		if roles, _ := d.finalRoles(RootUser); !slices.Contains(roles, RootRole) {
			return &RefusedError{
				Msg: fmt.Sprintf("%s takes the root role from user root; etcd-certwiz never demotes root", d.file()),
				Fix: "keep root in user root's roles: roles: [root]",
			}
		}
	}
	if d.recreated[RootUser] {
		return &RefusedError{
			Msg: fmt.Sprintf("%s changes whether user root has a password, which etcd can only do by deleting the user; etcd-certwiz never deletes root", d.file()),
			Fix: "leave password: out of user root, or set it to what root has now ('etcd-certwiz rbac export' shows it)",
		}
	}
	id := d.o.Identity
	if id.User == "" {
		return nil
	}
	if d.recreated[id.User] {
		return &RefusedError{
			Msg: fmt.Sprintf("the plan deletes and re-adds %s, the identity applying it", id),
			Fix: "apply this change with another root user's context",
		}
	}
	if lu := d.live.User(id.User); lu != nil && slices.Contains(lu.Roles, RootRole) {
		if roles, _ := d.finalRoles(id.User); !slices.Contains(roles, RootRole) {
			return &RefusedError{
				Msg: fmt.Sprintf("the plan removes %s, the identity applying it, from the root role", id),
				Fix: fmt.Sprintf("keep root in user %s's roles, or apply with another root user's context", id.User),
			}
		}
	}
	return nil
}

func (d *differ) auth() error {
	if d.want.Auth == nil || d.live.Auth == nil || *d.want.Auth == *d.live.Auth {
		return nil
	}
	if !*d.want.Auth {
		d.add(Change{Op: OpDisableAuth})
		return nil
	}
	if err := d.canEnable(); err != nil {
		return err
	}
	d.add(Change{Op: OpEnableAuth})
	return nil
}

// canEnable checks, on the planned final state, what etcd checks (a user
// named root with the root role) and that the identity applying the plan can
// still act once auth is on.
func (d *differ) canEnable() error {
	rootRoles, ok := d.finalRoles(RootUser)
	rootRoleExists := d.want.Role(RootRole) != nil || d.live.Role(RootRole) != nil
	if !ok || !slices.Contains(rootRoles, RootRole) || !rootRoleExists {
		return &RefusedError{
			Msg: fmt.Sprintf("auth: enabled needs a user named root with the root role, and %s does not give one (etcd would refuse: \"root user does not exist\")", d.file()),
			Fix: "add to the file: under roles:, '- name: root'; under users:, '- {name: root, roles: [root], password: true}' (or a client certificate with CN root instead of the password)",
		}
	}
	id := d.o.Identity
	switch {
	case id.User == "":
		return &RefusedError{
			Msg: fmt.Sprintf("this context acts as %s: once auth is enabled it could do nothing", id),
			Fix: "apply with a context that has a user and password, or a client certificate whose CN is a user with the root role",
		}
	case id.Via == ViaCert && !id.CertAuth:
		return &RefusedError{
			Msg: fmt.Sprintf("this context would act as %s, but the server does not ask for client certificates (no --client-cert-auth), so etcd would ignore the CN and the context would be nobody once auth is enabled", id),
			Fix: "apply with a context that has user root and its password",
		}
	}
	roles, ok := d.finalRoles(id.User)
	if !ok || !slices.Contains(roles, RootRole) {
		return &RefusedError{
			Msg: fmt.Sprintf("this context acts as %s, which would not hold the root role once auth is enabled: it could no longer manage the cluster", id),
			Fix: fmt.Sprintf("give user %s the root role in the file, or apply with root's context", id.User),
		}
	}
	if id.Via == ViaPassword {
		if u := d.want.User(id.User); u != nil && u.Password != nil && !*u.Password {
			return &RefusedError{
				Msg: fmt.Sprintf("this context logs in as user %s with a password, but the file gives that user none", id.User),
				Fix: "set password: true for it, or apply with a client-certificate context",
			}
		}
		d.note(fmt.Sprintf("etcd cannot check %s's password before auth is on; apply checks right after enabling that this context still works", id.User))
	}
	return nil
}

// NeedPasswords are the changes that create a user with a password, in plan order.
func (p *Plan) NeedPasswords() []Change {
	var out []Change
	for _, c := range p.Changes {
		if c.Op == OpAddUser && c.Password {
			out = append(out, c)
		}
	}
	return out
}
