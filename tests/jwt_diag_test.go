package tests

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/etcd-ctx/etcd-ctx/pki"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// opensslJWTKeys makes an ES256 key pair for etcd's jwt token provider with
// openssl and returns the --auth-token value and the private key file.
func opensslJWTKeys(t *testing.T, ttl string) (flag, keyFile string) {
	t.Helper()
	harness.Need(t, harness.HasCommand("openssl"), "openssl")
	dir := t.TempDir()
	key, pub := filepath.Join(dir, "jwt.key"), filepath.Join(dir, "jwt.pub")
	sh := "openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out " + key + " && openssl ec -in " + key + " -pubout -out " + pub
	if out, err := exec.Command("sh", "-c", sh).CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	flag = "jwt,pub-key=" + pub + ",priv-key=" + key + ",sign-method=ES256"
	if ttl != "" {
		flag += ",ttl=" + ttl
	}
	return flag, key
}

// signToken signs etcd's JWT claims with a key file, with the jwt library
// etcd itself verifies with (not with the suite's own minting).
func signToken(t *testing.T, keyFile, user string, revision uint64, exp time.Time) string {
	t.Helper()
	key, err := pki.ParseKey(mustRead(t, keyFile))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"username": user, "revision": revision, "exp": exp.Unix()}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// etcdToken authenticates at one member and returns the token it signed.
func etcdToken(t *testing.T, c *harness.Cluster, i int, user, password string) string {
	t.Helper()
	cli := dial(t, &harness.Cluster{Opts: c.Opts, PKI: c.PKI, Endpoints: c.Endpoints[i : i+1]}, c.PKI.CA, "", "", "", "")
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := cli.Authenticate(ctx, user, password)
	if err != nil {
		t.Fatal(err)
	}
	return r.Token
}

// TestDiagJWT runs etcd-diag with JWT tokens against real --auth-token jwt
// clusters: the embedded 3.7 (one member) for an expired token, one minted
// before an auth change, one signed by another key and one for a user that
// does not exist; and two etcd 3.5 members configured with different key
// pairs, where the token of one is refused by the other. Each fix follows
// the evidence: never "mint a new one" where that cannot help.
func TestDiagJWT(t *testing.T) {
	u := newUser(t, false)
	flag1, key1 := opensslJWTKeys(t, "")
	flag2, _ := opensslJWTKeys(t, "")
	_, otherKey := opensslJWTKeys(t, "")
	one := harness.PwdRBAC
	one.AuthToken = flag1
	two := harness.PwdRBAC
	two.Version, two.Members, two.AuthToken = "3.5", 2, flag1
	two.MemberFlags = map[int][]string{1: {"--auth-token=" + flag2}}
	cs := startClusters(t, one, two)
	j1, j2 := cs[0], cs[1]
	diagToken := func(c *harness.Cluster, token string, extra ...string) []string {
		return append([]string{"--endpoints", c.Endpoints[0], "--cacert", c.PKI.CA, "--token-stdin"}, extra...)
	}

	fresh := etcdToken(t, j1, 0, harness.User, j1.UserPassword)
	if r, code, _ := diagReport(t, u, fresh+"\n", diagToken(j1, fresh)...); code != 0 {
		t.Fatalf("a fresh token: exit %d %v", code, r.Findings)
	}

	// The auth revision now, as root sees it.
	root := dial(t, j1, j1.PKI.CA, "", "", "root", j1.RootPassword)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	as, err := root.AuthStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rev := as.AuthRevision

	t.Run("expired", func(t *testing.T) {
		exp := time.Now().Add(-90 * time.Minute).Truncate(time.Second)
		tok := signToken(t, key1, harness.User, rev, exp)
		r, code, _ := diagReport(t, u, tok+"\n", diagToken(j1, tok)...)
		f := expectFinding(t, r, code, "auth-token-invalid", "jwt-token --user alice")
		mustContain(t, "cause", f.Cause, "expired at "+exp.UTC().Format(time.RFC3339), "1h30m0s ago")
		etcdctlSays(t, u, "jwt-expired", "3.7", "--endpoints", j1.Endpoints[0], "--cacert", j1.PKI.CA, "--auth-jwt-token", tok, "get", "k")
	})
	t.Run("other-key", func(t *testing.T) {
		tok := signToken(t, otherKey, harness.User, rev, time.Now().Add(time.Hour))
		r, code, _ := diagReport(t, u, tok+"\n", diagToken(j1, tok)...)
		f := expectFinding(t, r, code, "auth-token-invalid", "the key these members use")
		mustContain(t, "cause", f.Cause, "another key")
		if strings.Contains(f.Cause, "expired at") || strings.Contains(f.Cause, "revision") {
			t.Errorf("cause guesses beyond the evidence: %s", f.Cause)
		}
	})
	t.Run("auth-user-not-found", func(t *testing.T) {
		tok := signToken(t, key1, "ghost", rev, time.Now().Add(time.Hour))
		r, code, _ := diagReport(t, u, tok+"\n", diagToken(j1, tok)...)
		f := expectFinding(t, r, code, "auth-user-not-found", "etcdctl user add ghost")
		mustContain(t, "cause", f.Cause, `user "ghost" named in the token`)
	})
	t.Run("stale", func(t *testing.T) {
		tok := etcdToken(t, j1, 0, harness.User, j1.UserPassword)
		if _, err := root.RoleAdd(ctx, "bump"); err != nil { // any auth change bumps the revision
			t.Fatal(err)
		}
		r, code, _ := diagReport(t, u, tok+"\n", diagToken(j1, tok)...)
		f := expectFinding(t, r, code, "auth-token-invalid", "mint a new one")
		mustContain(t, "cause", f.Cause, "minted at auth revision", "before a later user, role or permission change")
		etcdctlSays(t, u, "jwt-stale", "3.7", "--endpoints", j1.Endpoints[0], "--cacert", j1.PKI.CA, "--auth-jwt-token", tok, "get", "k")
		logSays(t, "jwt-stale", "3.7", j1.LogPath(0), regexp.MustCompile(`request auth revision is less than current node auth revision`))
	})
	t.Run("keys-differ", func(t *testing.T) {
		tok := etcdToken(t, j2, 0, harness.User, j2.UserPassword)
		r, code, _ := diagReport(t, u, tok+"\n", diagToken(j2, tok)...)
		f := expectFinding(t, r, code, "jwt-keys-differ", "a new token will not help")
		mustContain(t, "cause", f.Cause, "m0", "accept", "m1", "refuse")
		mustContain(t, "fix", f.Fix, "--auth-token jwt,pub-key=")
		etcdctlSays(t, u, "jwt-keys-differ", "3.5", "--endpoints", j2.Endpoints[1], "--cacert", j2.PKI.CA, "--auth-jwt-token", tok, "get", "k")
		logSays(t, "jwt-keys-differ", "3.5", j2.LogPath(1), regexp.MustCompile(`invalid auth token|failed to parse a JWT token`))
	})
	for _, s := range []string{"jwt-expired", "jwt-stale", "jwt-keys-differ"} {
		captured.check(t, s)
	}
}
