package tests

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// anyFailure as an expected exit code accepts any non-zero one.
const anyFailure = -1

// TestSecretsPass runs every command of the three binaries that touches
// credentials — successes and failures, text and JSON — with sentinel
// secrets: a client private key, an admin private key, a password, a wrong
// password, a token, a JWT signing key and a password typed into a config
// file by hand. None may appear on stdout or stderr, in any file under the
// config dir, HOME, the runtime dir, /tmp or /dev/shm (the harness clusters'
// own files and the encrypted keyring excepted), or in any process's argv
// while exec'd children run.
func TestSecretsPass(t *testing.T) {
	testStart(t) // files older than this cannot hold the secrets made below
	u := newUser(t, true)
	certs := startCluster(t, harness.RBAC)
	pw := startCluster(t, harness.PwdRBAC)
	p := certs.PKI
	token := userToken(t, pw)
	wrongPW, handTyped := "wrong-"+randomHex(t, 12), "pw"+randomHex(t, 4) // short: YAML errors quote up to 10 characters whole

	// The user's own copy of the key goes after add; the JWT signing key
	// stays with the cluster's files.
	src := filepath.Join(u.dir, "src")
	keyCopy := filepath.Join(src, "alice.key")
	if err := os.MkdirAll(src, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyCopy, mustRead(t, p.UserKey), 0o600); err != nil {
		t.Fatal(err)
	}
	jwtDir := filepath.Join(certs.Dir, "jwt")
	u.ok("", "etcd-certwiz", "jwt-keys", "--out", jwtDir)
	jwtKey := filepath.Join(jwtDir, certwiz.JWTKeyFile)
	// A hand-written config with a password in plain text: loading it fails.
	badConfig := filepath.Join(u.dir, "bad", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(badConfig), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(badConfig, []byte("contexts:\n- name: hand\n  context: {cluster: hand, user: hand}\nusers:\n- name: hand\n  user:\n    username: alice\n    password: "+handTyped+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	sentinels := map[string][]byte{
		"private key":         keyLine(t, p.UserKey),
		"admin private key":   keyLine(t, p.RootKey),
		"JWT signing key":     keyLine(t, jwtKey),
		"password":            []byte(pw.UserPassword),
		"wrong password":      []byte(wrongPW),
		"hand-typed password": []byte(handTyped),
		"token":               []byte(token),
	}
	roots := []string{u.dir, os.TempDir(), "/dev/shm"}
	skip := []string{filepath.Join(u.dir, "keyring"), certs.Dir, pw.Dir}
	runDir := filepath.Join(u.dir, "run")

	pwEP, pwCA := pw.Endpoints[0], pw.PKI.CA
	down := "https://" + closedPort(t)
	fromEnv := func(kv ...string) map[string]string {
		env := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			env[kv[i]] = kv[i+1]
		}
		return env
	}
	withPW := map[string]string{"ETCDCTL_ENDPOINTS": pwEP, "ETCDCTL_CACERT": pwCA}
	merge := func(a, b map[string]string) map[string]string {
		out := fromEnv()
		for k, v := range a {
			out[k] = v
		}
		for k, v := range b {
			out[k] = v
		}
		return out
	}
	pasted := "$ etcdctl --user alice --password " + pw.UserPassword + " get /alice/k\n{\"level\":\"warn\",\"error\":\"rpc error: code = InvalidArgument desc = etcdserver: authentication failed, invalid user ID or password\"}\nError: etcdserver: authentication failed, invalid user ID or password\n"

	type run struct {
		args  []string
		stdin string
		env   map[string]string
		code  int // anyFailure: any non-zero code
	}
	ctx := func(code int, stdin string, args ...string) run {
		return run{args: append([]string{"etcd-ctx"}, args...), stdin: stdin, code: code}
	}
	diagRun := func(code int, stdin string, args ...string) run {
		return run{args: append([]string{"etcd-diag", "--timeout", "10s"}, args...), stdin: stdin, code: code}
	}
	certwizRun := func(code int, args ...string) run {
		return run{args: append([]string{"etcd-certwiz"}, args...), code: code}
	}
	importRun := func(code int, name string, env map[string]string) run {
		return run{args: []string{"etcd-ctx", "import", name, "--from-env"}, env: env, code: code}
	}
	runs := []run{
		// Contexts of every kind, stored in the keyring or by path.
		ctx(0, "", "add", "certs", "--endpoints", certs.Endpoints[0], "--cacert", p.CA, "--cert", p.UserCert, "--key", keyCopy, "--use"),
		ctx(0, "", "add", "admin", "--endpoints", certs.Endpoints[0], "--cacert", p.CA, "--cert", p.RootCert, "--key", p.RootKey),
		ctx(0, "", "add", "certs-path", "--store", "path", "--endpoints", certs.Endpoints[0], "--cacert", p.CA, "--cert", p.UserCert, "--key", p.UserKey),
		ctx(0, pw.UserPassword+"\n", "add", "pw", "--endpoints", pwEP, "--cacert", pwCA, "--user", harness.User, "--password-stdin"),
		ctx(0, token+"\n", "add", "tok", "--endpoints", pwEP, "--cacert", pwCA, "--token-stdin"),
		ctx(0, wrongPW+"\n", "add", "badpw", "--endpoints", pwEP, "--cacert", pwCA, "--user", harness.User, "--password-stdin"),
		ctx(0, pw.UserPassword+"\n", "add", "down", "--endpoints", down, "--cacert", pwCA, "--user", harness.User, "--password-stdin", "--dial-timeout", "1s"),
		importRun(0, "env-pw", merge(withPW, fromEnv("ETCDCTL_USER", harness.User, "ETCDCTL_PASSWORD", pw.UserPassword))),
		importRun(0, "env-userpass", merge(withPW, fromEnv("ETCDCTL_USER", harness.User+":"+wrongPW))),
		importRun(0, "env-tok", merge(withPW, fromEnv("ETCDCTL_AUTH_JWT_TOKEN", token))),
		importRun(0, "env-certs", fromEnv("ETCDCTL_ENDPOINTS", certs.Endpoints[0], "ETCDCTL_CACERT", p.CA, "ETCDCTL_CERT", p.UserCert, "ETCDCTL_KEY", p.UserKey)),
		// Refusals that hold a secret in hand.
		importRun(1, "env-both", merge(withPW, fromEnv("ETCDCTL_USER", harness.User+":"+pw.UserPassword, "ETCDCTL_PASSWORD", wrongPW))),
		importRun(1, "env-mixed", merge(withPW, fromEnv("ETCDCTL_USER", harness.User, "ETCDCTL_PASSWORD", pw.UserPassword, "ETCDCTL_AUTH_JWT_TOKEN", token))),
		ctx(1, token+" "+wrongPW+"\n", "add", "spaced", "--endpoints", pwEP, "--cacert", pwCA, "--token-stdin"),
		ctx(2, pw.UserPassword+"\n", "add", "both", "--endpoints", pwEP, "--user", harness.User, "--password-stdin", "--token-stdin"),
		ctx(1, "", "add", "mismatch", "--endpoints", certs.Endpoints[0], "--cacert", p.CA, "--cert", p.UserCert, "--key", p.RootKey),
		ctx(1, "", "add", "ca-is-key", "--endpoints", certs.Endpoints[0], "--cacert", p.UserKey),
		ctx(1, "", "add", "key-as-cert", "--endpoints", certs.Endpoints[0], "--cert", p.UserKey, "--key", p.UserKey),
		ctx(1, pw.UserPassword+"\n", "add", "pw", "--endpoints", pwEP, "--cacert", pwCA, "--user", harness.User, "--password-stdin"),
		// Reading.
		ctx(0, "", "list"), ctx(0, "", "list", "-o", "json"), ctx(0, "", "list", "-o", "yaml"), ctx(0, "", "list", "-o", "name"),
		ctx(0, "", "show"), ctx(0, "", "show", "certs", "-o", "json"), ctx(0, "", "show", "pw", "-o", "json"), ctx(0, "", "show", "tok", "-o", "yaml"),
		ctx(0, "", "show", "certs-path", "-o", "json"), ctx(0, "", "show", "env-certs", "-o", "yaml"), ctx(0, "", "show", "badpw"), ctx(0, "", "show", "env-tok", "-o", "json"),
		ctx(0, "", "current"), ctx(0, "", "--context", "pw", "current"),
		// Changing.
		ctx(0, "", "set", "pw", "--dial-timeout", "5s"),
		ctx(0, "", "set", "certs", "--note", "alice by certificate"),
		ctx(0, token+"\n", "set", "env-tok", "--token-stdin"),
		ctx(1, "", "set", "nope", "--note", "x"),
		ctx(0, "", "rename", "tok", "tok2"),
		ctx(0, "", "use", "pw"), ctx(0, "", "use", "certs"),
		// Talking to the clusters.
		ctx(0, "", "ping"), ctx(0, "", "ping", "pw"), ctx(0, "", "ping", "tok2"), ctx(1, "", "ping", "badpw"),
		ctx(1, "", "ping", "down", "--timeout", "1s"),
		ctx(0, "", "--context", "certs", "etcdctl", "put", "/alice/k", "v"),
		ctx(0, "", "--context", "pw", "etcdctl", "get", "/alice/k", "-w", "json"),
		ctx(0, "", "--context", "tok2", "etcdctl", "get", "/alice/k"),
		ctx(0, "", "--context", "env-pw", "etcdctl", "get", "/alice/k"),
		ctx(0, "", "--context", "env-certs", "etcdctl", "get", "/alice/k"),
		ctx(0, "", "--context", "certs-path", "etcdctl", "get", "/alice/k"),
		ctx(anyFailure, "", "--context", "badpw", "etcdctl", "get", "/alice/k"),
		ctx(anyFailure, "", "--context", "env-userpass", "etcdctl", "get", "/alice/k"),
		ctx(anyFailure, "", "--context", "certs", "etcdctl", "get", "/other/k"),
		ctx(anyFailure, "", "--context", "down", "etcdctl", "--command-timeout", "2s", "get", "/alice/k"),
		ctx(anyFailure, "", "--context", "pw", "exec", "--", "etcdctl", "--user", "root:not-the-password", "get", "/alice/k"),
		ctx(3, "", "--context", "pw", "exec", "--", "sh", "-c", "exit 3"),
		ctx(127, "", "--context", "pw", "exec", "--", "no-such-command"),
		{args: []string{"etcd-ctx", "shell", "pw"}, stdin: "etcdctl get /alice/k >/dev/null && echo ok\n", env: fromEnv("SHELL", "/bin/sh"), code: 0},
		// A config file that does not load.
		ctx(1, "", "--config", badConfig, "list"),
		ctx(1, "", "--config", badConfig, "show", "hand"),
		ctx(1, "", "--config", badConfig, "add", "x", "--endpoints", "h:1"),
		// Diagnosis: healthy and failing, text and JSON, contexts and flags.
		diagRun(0, ""), diagRun(0, "", "-o", "json"),
		diagRun(0, "", "--context", "pw"), diagRun(0, "", "--context", "pw", "-o", "json"),
		diagRun(0, "", "--context", "tok2", "-o", "json"), diagRun(0, "", "--context", "env-certs"),
		diagRun(1, "", "--context", "badpw"), diagRun(1, "", "--context", "badpw", "-o", "json"),
		diagRun(1, "", "--context", "certs", "--key-path", "/other/", "--prefix"),
		diagRun(1, "", "--context", "certs", "--key-path", "/other/", "--prefix", "-o", "json"),
		diagRun(1, "", "--context", "pw", "--key-path", "/other/x", "-o", "json"),
		diagRun(1, "", "--context", "down"), diagRun(1, "", "--context", "down", "-o", "json"),
		diagRun(1, wrongPW+"\n", "--endpoints", pwEP, "--cacert", pwCA, "--user", harness.User, "--password-stdin", "-o", "json"),
		diagRun(0, token+"\n", "--endpoints", pwEP, "--cacert", pwCA, "--token-stdin", "-o", "json"),
		diagRun(0, "", "--endpoints", certs.Endpoints[0], "--cacert", p.CA, "--cert", p.UserCert, "--key", p.UserKey),
		diagRun(anyFailure, "", "--endpoints", certs.Endpoints[0], "--cacert", p.CA, "--cert", p.UserCert, "--key", p.RootKey, "-o", "json"),
		diagRun(2, "", "--config", badConfig, "--context", "hand"),
		{args: []string{"etcd-diag", "explain", "-"}, stdin: pasted, code: 0},
		{args: []string{"etcd-diag", "explain", "-o", "json", "-"}, stdin: pasted, code: 0},
		// The PKI tool on the key's directory, and the commands that use a context.
		certwizRun(0, "inspect", p.UserCert), certwizRun(0, "inspect", "-o", "json", p.UserCert, p.RootCert),
		certwizRun(anyFailure, "inspect", p.UserKey), certwizRun(1, "inspect", p.UserCert, "--key", p.RootKey),
		certwizRun(anyFailure, "check", p.Dir), certwizRun(anyFailure, "check", "-o", "json", p.Dir),
		certwizRun(0, "user", "bob", "--context", "admin", "--prefix", "/bob/", "--readwrite", "--ca-dir", p.Dir, "--out", filepath.Join(u.dir, "pki"), "--add-context", "bob"),
		certwizRun(0, "jwt-token", "--user", harness.User, "--key", jwtKey, "--context", "pw"),
		certwizRun(0, "jwt-token", "--user", harness.User, "--key", jwtKey, "--revision", "3"),
		certwizRun(1, "jwt-token", "--user", harness.User, "--key", p.UserCert, "--revision", "3"),
		// Cleaning up.
		ctx(0, "", "delete", "certs-path", "env-tok"),
		ctx(1, "", "delete", "nope"),
	}
	for i, r := range runs {
		if i == 1 {
			os.RemoveAll(src) // after the first add: the keyring holds the only copy
		}
		out, errs, code := u.runEnv(r.env, r.stdin, r.args...)
		if (r.code == anyFailure && code == 0) || (r.code != anyFailure && code != r.code) {
			t.Errorf("%v: exit %d, want %d\nstdout: %s\nstderr: %s", r.args, code, r.code, out, errs)
		}
		for name, s := range sentinels {
			if strings.Contains(out, string(s)) || strings.Contains(errs, string(s)) {
				t.Errorf("%v printed the %s:\nstdout: %s\nstderr: %s", r.args, name, out, errs)
			}
		}
	}

	// While exec'd children hold the credentials, in both hand-off modes: no
	// argv holds a secret; in memfd mode no file does either (in dir mode the
	// private runtime dir legitimately holds the material until exit).
	for _, mode := range []string{"", "dir"} {
		u.setenv(contexts.EnvHandoff, mode)
		for _, name := range []string{"certs", "pw", "tok2", "env-certs", "bob"} {
			whileRunning(t, u.command("", "etcd-ctx", "--context", name, "exec", "--", "sh", "-c",
				`etcdctl get /alice/x >/dev/null 2>&1; etcdctl get /bob/x >/dev/null 2>&1; echo ready && cat >/dev/null`), func() {
				if n := scanArgv(t, sentinels); n < 3 {
					t.Fatalf("saw only %d processes", n)
				}
				if mode == "" {
					scanFiles(t, roots, append(skip, filepath.Dir(badConfig)), sentinels)
				}
			})
		}
	}
	u.setenv(contexts.EnvHandoff, "")
	if left, _ := filepath.Glob(filepath.Join(runDir, "etcd-ctx-exec-*")); len(left) > 0 {
		t.Errorf("hand-off dirs left behind: %v", left)
	}
	os.Remove(badConfig) // it holds the hand-typed password by design
	scanFiles(t, roots, skip, sentinels)
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
