package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/rbac"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// TestRBACAgreesWithEtcd: a random model (10 users, 10 roles, 40 permissions
// mixing keys, prefixes, from-keys and ranges; fixed seed) is applied with
// 'etcd-certwiz rbac apply' (half the users log in with a password, half with
// a certificate it issues); a second apply has nothing to do and does not
// move the auth revision; then 30 random requests (read or write; a key, a
// prefix, a from-key or a range) are performed as each of the 10 users
// against etcd (300 requests) and the answers compared with 'rbac who-can'
// and, for one user per request, 'rbac explain': they must all agree. On the
// embedded etcd 3.7 and on Debian's 3.4.
//
// A Go test rather than a script: it draws the model and the requests, and
// etcd 3.4 has no AuthStatus, so the auth revision is read from the JWT etcd
// hands out (its "revision" claim).
func TestRBACAgreesWithEtcd(t *testing.T) {
	for _, version := range []string{"", "3.4"} {
		name := "3.7-embedded"
		if version != "" {
			name = version
		}
		t.Run(name, func(t *testing.T) {
			if version == "3.4" {
				harness.Need(t, harness.HasEtcd34(), "Debian's etcd 3.4 (package etcd-server)")
			}
			agreement(t, version)
		})
	}
}

const (
	modelUsers = 10
	modelRoles = 10
	modelPerms = 40
	requests   = 30 // each performed as every user
)

func agreement(t *testing.T, version string) {
	start := time.Now()
	dir := t.TempDir()
	keys, err := certwiz.NewJWTKeys(certwiz.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	if err := certwiz.WriteFiles(keys.Files(dir), false); err != nil {
		t.Fatal(err)
	}
	opts := harness.RBAC
	opts.Version = version
	opts.AuthToken = certwiz.AuthTokenFlag(filepath.Join(dir, certwiz.JWTPubFile), filepath.Join(dir, certwiz.JWTKeyFile), keys.Method, time.Hour)
	c := startCluster(t, opts)
	u := newUser(t, false)
	u.ok("", "etcd-ctx", "add", "adm", "--endpoints", strings.Join(c.Endpoints, ","), "--cacert", c.PKI.CA,
		"--cert", c.PKI.RootCert, "--key", c.PKI.RootKey, "--store", "path", "--use")

	r := rand.New(rand.NewPCG(16, 300))
	model, passwords := randomModel(r)
	data, err := model.EncodeYAML("random model for TestRBACAgreesWithEtcd")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(u.dir, "model.yaml")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for user, pw := range passwords {
		env[pwEnv(user)] = pw
	}
	apply := func() (string, string) {
		out, errs, code := u.runEnv(env, "", "etcd-certwiz", "rbac", "apply", file, "--pki", c.PKI.Dir, "--yes")
		if code != 0 {
			t.Fatalf("apply: exit %d\n%s\n%s\n%s", code, out, errs, data)
		}
		return out, errs
	}
	out, _ := apply()
	if n := strings.Count(out, "\n"); n < modelPerms+modelRoles+modelUsers {
		t.Fatalf("first apply made only %d changes:\n%s", n, out)
	}
	before := authRevision(t, c)
	if out, errs := apply(); out != "" || !strings.Contains(errs, "No changes") {
		t.Fatalf("second apply: %q %q", out, errs)
	}
	if after := authRevision(t, c); after != before {
		t.Fatalf("the second apply moved the auth revision from %v to %v", before, after)
	}

	clients := userClients(t, c, model, passwords)
	users := model.Users[:modelUsers] // not root
	agree, allowed := 0, 0
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i := range requests {
		q := randomRequest(r)
		args := append([]string{"etcd-certwiz", "rbac", "who-can"}, requestArgs(q)...)
		var who struct {
			Users []rbac.Access `json:"users"`
		}
		if err := json.Unmarshal([]byte(u.ok("", append(args, "-o", "json")...)), &who); err != nil {
			t.Fatal(err)
		}
		whoCan := map[string]bool{}
		for _, a := range who.Users {
			whoCan[a.User] = true
		}
		for _, user := range users {
			got := perform(ctx, t, clients[user.Name], q, i)
			if got == whoCan[user.Name] {
				agree++
			} else {
				t.Errorf("%s as %s: etcd says allowed=%v, who-can says %v\nexplain: %s", q, user.Name, got, whoCan[user.Name],
					u.ok("", append([]string{"etcd-certwiz", "rbac", "explain", user.Name}, requestArgs(q)...)...))
			}
			if got {
				allowed++
			}
		}
		// explain for one user agrees too.
		user := users[r.IntN(len(users))].Name
		var ex struct {
			Allowed bool `json:"allowed"`
		}
		exArgs := append([]string{"etcd-certwiz", "rbac", "explain", user}, requestArgs(q)...)
		if err := json.Unmarshal([]byte(u.ok("", append(exArgs, "-o", "json")...)), &ex); err != nil {
			t.Fatal(err)
		}
		if ex.Allowed != whoCan[user] {
			t.Errorf("%s as %s: explain says %v, who-can %v", q, user, ex.Allowed, whoCan[user])
		}
	}
	total := requests * len(users)
	t.Logf("etcd %s: %d/%d requests agree with who-can (%d allowed, %d denied) in %s",
		c.Version(0), agree, total, allowed, total-allowed, time.Since(start).Round(100*time.Millisecond))
	if allowed < total/10 || allowed > total*9/10 {
		t.Errorf("%d of %d allowed: the draw does not exercise both answers", allowed, total)
	}
}

func pwEnv(user string) string { return "PW_" + strings.ToUpper(strings.ReplaceAll(user, "-", "_")) }

// randomKey draws from a small alphabet, so ranges overlap, nest and touch.
func randomKey(r *rand.Rand) string {
	const alphabet = "/ab"
	b := make([]byte, 1+r.IntN(3))
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// randomRange draws a single key, a prefix (now and then every key), a range
// or a from-key, with the given weights out of 100.
func randomRange(r *rand.Rand, key, prefix, rng int) rbac.Range {
	switch n := r.IntN(100); {
	case n < key:
		return rbac.SingleKey(randomKey(r))
	case n < key+prefix:
		if r.IntN(10) == 0 {
			return rbac.Prefix("")
		}
		return rbac.Prefix(randomKey(r))
	case n < key+prefix+rng:
		for {
			a, b := randomKey(r), randomKey(r)
			if a != b {
				return rbac.Between(min(a, b), max(a, b))
			}
		}
	}
	return rbac.FromKey(randomKey(r))
}

// randomModel: roles r0..r9 with 40 permissions between them, users u0..u9
// with one to three roles each (u9 also holds root); even users log in with a
// password, odd ones with a certificate. Root is declared as the harness made
// it; alice (also the harness's) is left alone.
func randomModel(r *rand.Rand) (*rbac.Model, map[string]string) {
	types := []rbac.Type{rbac.Read, rbac.Write, rbac.ReadWrite}
	m := &rbac.Model{Auth: rbac.Bool(true)}
	for i := range modelRoles {
		m.Roles = append(m.Roles, rbac.Role{Name: fmt.Sprintf("r%d", i)})
	}
	for n := 0; n < modelPerms; {
		role := &m.Roles[r.IntN(modelRoles)]
		p := rbac.Perm{Type: types[r.IntN(3)], Range: randomRange(r, 40, 30, 25)}
		if slices.ContainsFunc(role.Perms, func(q rbac.Perm) bool { return q.Range == p.Range }) {
			continue
		}
		role.Perms = append(role.Perms, p)
		n++
	}
	m.Roles = append(m.Roles, rbac.Role{Name: rbac.RootRole})
	passwords := map[string]string{}
	for i := range modelUsers {
		u := rbac.User{Name: fmt.Sprintf("u%d", i)}
		for _, k := range r.Perm(modelRoles)[:1+r.IntN(3)] {
			u.Roles = append(u.Roles, fmt.Sprintf("r%d", k))
		}
		if i == modelUsers-1 {
			u.Roles = append(u.Roles, rbac.RootRole)
		}
		if i%2 == 0 {
			u.Password, u.PasswordEnv = rbac.Bool(true), pwEnv(u.Name)
			passwords[u.Name] = fmt.Sprintf("pw-%s-%d", u.Name, r.Uint64())
		} else {
			u.Password, u.Certificate = rbac.Bool(false), &rbac.Certificate{Days: 2}
		}
		m.Users = append(m.Users, u)
	}
	m.Users = append(m.Users, rbac.User{Name: rbac.RootUser, Roles: []string{rbac.RootRole}})
	return m, passwords
}

func randomRequest(r *rand.Rand) rbac.Request {
	op := rbac.Read
	if r.IntN(2) == 0 {
		op = rbac.Write
	}
	return rbac.Request{Op: op, Range: randomRange(r, 30, 30, 25)}
}

// requestArgs are who-can's and explain's arguments for q.
func requestArgs(q rbac.Request) []string {
	form, key, end := q.Form()
	args := []string{key}
	switch form {
	case "prefix":
		args = append(args, "--prefix")
	case "from-key":
		args = append(args, "--from-key")
	case "range":
		args = append(args, "--range-end", end)
	}
	if q.Op == rbac.Write {
		args = append(args, "--write")
	}
	return args
}

// userClients connects once per user of the model: password users with their
// password (and the root certificate, which the server requires and etcd
// ignores when a user is given), certificate users with theirs.
func userClients(t *testing.T, c *harness.Cluster, m *rbac.Model, passwords map[string]string) map[string]*clientv3.Client {
	clients := map[string]*clientv3.Client{}
	for _, u := range m.Users {
		if u.Name == rbac.RootUser {
			continue
		}
		info := transport.TLSInfo{TrustedCAFile: c.PKI.CA, CertFile: c.PKI.RootCert, KeyFile: c.PKI.RootKey}
		if u.Certificate != nil {
			cert := filepath.Join(c.PKI.Dir, u.CertFile())
			info.CertFile, info.KeyFile = cert, certwiz.KeyPath(cert)
		}
		tlsCfg, err := info.ClientConfig()
		if err != nil {
			t.Fatal(err)
		}
		cfg := clientv3.Config{Endpoints: c.Endpoints, TLS: tlsCfg, DialTimeout: 10 * time.Second, Logger: zap.NewNop()}
		if pw, ok := passwords[u.Name]; ok {
			cfg.Username, cfg.Password = u.Name, pw
		}
		cli, err := clientv3.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cli.Close() })
		clients[u.Name] = cli
	}
	return clients
}

// perform does q as the client's user and reports whether etcd allowed it.
func perform(ctx context.Context, t *testing.T, cli *clientv3.Client, q rbac.Request, i int) bool {
	t.Helper()
	var err error
	var opts []clientv3.OpOption
	if !q.IsKey() {
		opts = append(opts, clientv3.WithRange(q.End))
	}
	switch {
	case q.Op == rbac.Read:
		_, err = cli.Get(ctx, q.Key, opts...)
	case q.IsKey():
		_, err = cli.Put(ctx, q.Key, fmt.Sprint(i))
	default:
		_, err = cli.Delete(ctx, q.Key, opts...)
	}
	switch {
	case err == nil:
		return true
	case errors.Is(err, rpctypes.ErrPermissionDenied):
		return false
	}
	t.Fatalf("%s: %v", q, err)
	return false
}

// authRevision is the revision claim of a JWT etcd issues to root now.
func authRevision(t *testing.T, c *harness.Cluster) float64 {
	t.Helper()
	cli, err := c.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := cli.Authenticate(ctx, rbac.RootUser, c.RootPassword)
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(resp.Token, claims); err != nil {
		t.Fatalf("not a JWT: %v", err)
	}
	rev, ok := claims["revision"].(float64)
	if !ok || rev == 0 {
		t.Fatalf("no revision claim in %v", claims)
	}
	return rev
}

// TestRBACApplyOnTerminal: on a terminal apply asks before it changes
// anything (no: nothing changes), then asks for a new user's password twice
// without echoing it; the user then logs in with it.
func TestRBACApplyOnTerminal(t *testing.T) {
	c := startCluster(t, harness.MTLS)
	u := newUser(t, false)
	u.ok("", "etcd-ctx", "add", "adm", "--endpoints", c.Endpoints[0], "--cacert", c.PKI.CA,
		"--cert", c.PKI.RootCert, "--key", c.PKI.RootKey, "--store", "path", "--use")
	file := filepath.Join(u.dir, "access.yaml")
	model := "auth: enabled\nroles: [{name: root}, {name: app, permissions: [{type: read, prefix: /app/}]}]\n" +
		"users:\n  - {name: root, roles: [root]}\n  - {name: bob, roles: [app], password: true}\n"
	if err := os.WriteFile(file, []byte(model), 0o600); err != nil {
		t.Fatal(err)
	}
	const typed = "typed-Secret-42"

	s := startTerm(t, u, "etcd-certwiz", "rbac", "apply", file)
	s.answer("Apply these 8 changes to context adm? [y/N]", "n")
	if err := s.cmd.Wait(); err == nil {
		t.Fatal("apply answered no exited 0")
	}
	<-s.done
	cli, err := c.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if users, err := cli.UserList(ctx); err != nil || len(users.Users) != 0 {
		t.Fatalf("after no: users %v, %v", users, err)
	}

	// Ctrl-C at either question ends apply, with nothing applied.
	s = startTerm(t, u, "etcd-certwiz", "rbac", "apply", file)
	s.expect("Apply these 8 changes to context adm? [y/N]")
	if code := s.interrupt(); code != 1 {
		t.Fatalf("Ctrl-C at the confirmation: exit %d, want 1", code)
	}
	s = startTerm(t, u, "etcd-certwiz", "rbac", "apply", file)
	s.answer("Apply these 8 changes to context adm? [y/N]", "y")
	s.expect("Password for new user bob: ")
	if code := s.interrupt(); code != 1 {
		t.Fatalf("Ctrl-C at the password prompt: exit %d, want 1", code)
	}
	if users, err := cli.UserList(ctx); err != nil || len(users.Users) != 0 {
		t.Fatalf("after Ctrl-C: users %v, %v", users, err)
	}

	s = startTerm(t, u, "etcd-certwiz", "rbac", "apply", file)
	s.answer("Apply these 8 changes to context adm? [y/N]", "y")
	s.answer("Password for new user bob: ", typed)
	s.answer("Again: ", typed)
	screen := s.wait()
	if !strings.Contains(screen, "Applied 8 changes to context adm.") || strings.Contains(screen, typed) {
		t.Fatalf("screen:\n%s", screen)
	}
	if _, err := cli.Authenticate(ctx, "bob", typed); err != nil {
		t.Fatalf("bob cannot log in with the typed password: %v", err)
	}
}
