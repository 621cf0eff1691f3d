package contexts

import (
	"maps"
	"strings"
	"testing"
	"time"
)

// inherited is a parent environment full of another cluster's settings.
var inherited = []string{
	"PATH=/usr/bin:/bin",
	"HOME=/home/me",
	"LANG=C.UTF-8=odd", // values may contain '='
	"ETCDCTL_ENDPOINTS=https://other:2379",
	"ETCDCTL_CACERT=/other/ca.crt",
	"ETCDCTL_CERT=/other/client.crt",
	"ETCDCTL_KEY=/other/client.key",
	"ETCDCTL_USER=mallory",
	"ETCDCTL_PASSWORD=hunter2",
	"ETCDCTL_AUTH_JWT_TOKEN=other.jwt",
	"ETCDCTL_INSECURE_SKIP_TLS_VERIFY=true",
	"ETCDCTL_INSECURE_TRANSPORT=false",
	"ETCDCTL_DISCOVERY_SRV=other.example",
	"ETCDCTL_DISCOVERY_SRV_NAME=other",
	"ETCDCTL_DIAL_TIMEOUT=30s",
	"ETCDCTL_WRITE_OUT=table",
	"ETCDCTL_COMMAND_TIMEOUT=9s",
	"ETCD_CTX=other",
}

var ctxVars = map[string]string{
	"ETCDCTL_ENDPOINTS":      "https://10.0.0.1:2379",
	"ETCDCTL_CACERT":         "/dev/fd/3",
	"ETCDCTL_CERT":           "/dev/fd/4",
	"ETCDCTL_KEY":            "/dev/fd/5",
	"ETCDCTL_USER":           "root",
	"ETCDCTL_PASSWORD":       "pw",
	"ETCDCTL_AUTH_JWT_TOKEN": "tok",
	"ETCD_CTX":               "prod",
}

// envMap turns an environment into a map, failing on duplicate names.
func envMap(t *testing.T, env []string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("malformed entry %q", kv)
		}
		if _, dup := m[k]; dup {
			t.Fatalf("%s set twice in %v", k, env)
		}
		m[k] = v
	}
	return m
}

func TestChildEnv(t *testing.T) {
	// The context's own variables, and the unrelated inherited ones, that
	// survive when no flag is typed.
	base := map[string]string{
		"PATH":                    "/usr/bin:/bin",
		"HOME":                    "/home/me",
		"LANG":                    "C.UTF-8=odd",
		"ETCDCTL_WRITE_OUT":       "table",
		"ETCDCTL_COMMAND_TIMEOUT": "9s",
	}
	maps.Copy(base, ctxVars)
	without := func(keys ...string) map[string]string {
		m := maps.Clone(base)
		for _, k := range keys {
			delete(m, k)
		}
		return m
	}
	cases := []struct {
		name string
		args []string
		want map[string]string
	}{
		{"no flags", []string{"get", "foo"}, base},
		{"no args", nil, base},
		{"--endpoints=x", []string{"--endpoints=x", "get", "foo"}, without("ETCDCTL_ENDPOINTS")},
		{"--endpoints x", []string{"get", "--endpoints", "x", "foo"}, without("ETCDCTL_ENDPOINTS")},
		{"--user u", []string{"--user", "u", "get", "foo"}, without("ETCDCTL_USER", "ETCDCTL_PASSWORD", "ETCDCTL_AUTH_JWT_TOKEN")},
		{"--user=u:p", []string{"--user=u:p", "get", "foo"}, without("ETCDCTL_USER", "ETCDCTL_PASSWORD", "ETCDCTL_AUTH_JWT_TOKEN")},
		{"--password", []string{"--password", "p"}, without("ETCDCTL_USER", "ETCDCTL_PASSWORD", "ETCDCTL_AUTH_JWT_TOKEN")},
		{"--auth-jwt-token", []string{"--auth-jwt-token=t"}, without("ETCDCTL_USER", "ETCDCTL_PASSWORD", "ETCDCTL_AUTH_JWT_TOKEN")},
		{"--cert", []string{"--cert", "c.pem", "get", "foo"}, without("ETCDCTL_CERT", "ETCDCTL_KEY")},
		{"--key", []string{"--key=k.pem"}, without("ETCDCTL_CERT", "ETCDCTL_KEY")},
		{"--cacert", []string{"--cacert", "ca.pem"}, without("ETCDCTL_CACERT")},
		{"-w json", []string{"get", "-w", "json", "foo"}, without("ETCDCTL_WRITE_OUT")},
		{"-wjson", []string{"get", "-wjson", "foo"}, without("ETCDCTL_WRITE_OUT")},
		{"--write-out=json", []string{"get", "--write-out=json", "foo"}, without("ETCDCTL_WRITE_OUT")},
		{"--command-timeout", []string{"--command-timeout=1s", "get"}, without("ETCDCTL_COMMAND_TIMEOUT")},
		{"-d srv", []string{"-d", "example.com", "member", "list"}, without("ETCDCTL_ENDPOINTS")},
		{"several", []string{"--user", "u", "-w", "json", "--cert", "c", "get", "x"}, without("ETCDCTL_USER", "ETCDCTL_PASSWORD", "ETCDCTL_AUTH_JWT_TOKEN", "ETCDCTL_WRITE_OUT", "ETCDCTL_CERT", "ETCDCTL_KEY")},
		{"nothing after --", []string{"put", "--", "--user", "-w", "--endpoints=x"}, base},
		{"flags before -- count", []string{"-w", "json", "put", "--", "--user"}, without("ETCDCTL_WRITE_OUT")},
		{"lone dash", []string{"put", "k", "-"}, base},
		{"unknown shorthand", []string{"-h"}, base},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := envMap(t, ChildEnv(inherited, ctxVars, tc.args))
			if !maps.Equal(got, tc.want) {
				for k, v := range got {
					if w, ok := tc.want[k]; !ok || w != v {
						t.Errorf("%s=%q, want %q (present=%v)", k, v, w, ok)
					}
				}
				for k, w := range tc.want {
					if _, ok := got[k]; !ok {
						t.Errorf("%s missing, want %q", k, w)
					}
				}
			}
		})
	}
}

func TestChildEnvDropsInheritedConnectionVarsWithoutContext(t *testing.T) {
	// As used to ask etcdctl its version: no context, nothing inherited.
	got := envMap(t, ChildEnv(inherited, nil, nil))
	for _, k := range etcdctlConnVars {
		if v, ok := got[k]; ok {
			t.Errorf("inherited %s=%q kept", k, v)
		}
	}
	for _, k := range []string{"PATH", "HOME", "ETCDCTL_WRITE_OUT", "ETCD_CTX"} {
		if _, ok := got[k]; !ok {
			t.Errorf("unrelated %s dropped", k)
		}
	}
}

func TestChildEnvContextVarsPartial(t *testing.T) {
	// A context without a password must not inherit the parent's.
	vars := map[string]string{"ETCDCTL_ENDPOINTS": "http://h:2379", "ETCD_CTX": "anon"}
	got := envMap(t, ChildEnv(inherited, vars, []string{"get", "k"}))
	for _, k := range []string{"ETCDCTL_USER", "ETCDCTL_PASSWORD", "ETCDCTL_CACERT", "ETCDCTL_CERT", "ETCDCTL_KEY", "ETCDCTL_AUTH_JWT_TOKEN", "ETCDCTL_INSECURE_SKIP_TLS_VERIFY", "ETCDCTL_DIAL_TIMEOUT"} {
		if v, ok := got[k]; ok {
			t.Errorf("%s=%q leaked from the parent", k, v)
		}
	}
	if got["ETCDCTL_ENDPOINTS"] != "http://h:2379" || got["ETCD_CTX"] != "anon" {
		t.Errorf("context vars not set: %v", got)
	}
}

func TestEtcdctlVars(t *testing.T) {
	spec := Spec{
		Name:               "prod",
		Endpoints:          []string{"https://a:2379", "https://b:2379"},
		Username:           "root",
		Password:           "pw",
		Token:              "tok",
		DialTimeout:        1500*time.Millisecond + 400*time.Microsecond,
		InsecureSkipVerify: true,
	}
	got := EtcdctlVars(spec, Paths{CA: "/dev/fd/3", Cert: "/dev/fd/4", Key: "/dev/fd/5"})
	want := map[string]string{
		"ETCDCTL_ENDPOINTS":                "https://a:2379,https://b:2379",
		"ETCD_CTX":                         "prod",
		"ETCDCTL_CACERT":                   "/dev/fd/3",
		"ETCDCTL_CERT":                     "/dev/fd/4",
		"ETCDCTL_KEY":                      "/dev/fd/5",
		"ETCDCTL_USER":                     "root",
		"ETCDCTL_PASSWORD":                 "pw",
		"ETCDCTL_AUTH_JWT_TOKEN":           "tok",
		"ETCDCTL_DIAL_TIMEOUT":             "1.5s",
		"ETCDCTL_INSECURE_SKIP_TLS_VERIFY": "true",
	}
	if !maps.Equal(got, want) {
		t.Fatalf("EtcdctlVars =\n%v\nwant\n%v", got, want)
	}

	minimal := EtcdctlVars(Spec{Name: "anon", Endpoints: []string{"http://h:2379"}}, Paths{})
	if want := map[string]string{"ETCDCTL_ENDPOINTS": "http://h:2379", "ETCD_CTX": "anon"}; !maps.Equal(minimal, want) {
		t.Fatalf("minimal EtcdctlVars = %v, want %v", minimal, want)
	}

	for _, vars := range []map[string]string{got, minimal} {
		if _, ok := vars["ETCDCTL_API"]; ok {
			t.Fatal("ETCDCTL_API set")
		}
	}
}

func TestTokenCapable(t *testing.T) {
	cases := []struct {
		v  string
		ok bool
	}{
		{"3.7.3", true},
		{"3.7.0", true},
		{"3.7.0-alpha.0", true},
		{"3.7", true},
		{"3.10.1", true},
		{"4.0.0", true},
		{"3.6.16", false},
		{"3.5.21", false},
		{"3.4.23", false},
		{"2.3.8", false},
		{"", false},
		{"3", false},
		{"v3.7.3", false}, // EtcdctlVersion strips the v
		{"x.y.z", false},
		{"3.x.1", false},
	}
	for _, tc := range cases {
		if got := TokenCapable(tc.v); got != tc.ok {
			t.Errorf("TokenCapable(%q) = %v, want %v", tc.v, got, tc.ok)
		}
	}
}
