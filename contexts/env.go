package contexts

import (
	"strings"
	"time"
)

// etcdctlConnVars are the inherited variables that would mix another
// identity or cluster into the context's: they are always replaced or dropped.
var etcdctlConnVars = []string{
	"ETCDCTL_ENDPOINTS", "ETCDCTL_CACERT", "ETCDCTL_CERT", "ETCDCTL_KEY",
	"ETCDCTL_USER", "ETCDCTL_PASSWORD", "ETCDCTL_AUTH_JWT_TOKEN",
	"ETCDCTL_INSECURE_SKIP_TLS_VERIFY", "ETCDCTL_INSECURE_TRANSPORT",
	"ETCDCTL_DISCOVERY_SRV", "ETCDCTL_DISCOVERY_SRV_NAME", "ETCDCTL_DIAL_TIMEOUT",
}

// flagTwins: typing one of these flags drops the variables of the whole
// group, so `--user other` never meets the context's ETCDCTL_PASSWORD.
var flagTwins = map[string][]string{
	"ETCDCTL_USER":           {"ETCDCTL_USER", "ETCDCTL_PASSWORD", "ETCDCTL_AUTH_JWT_TOKEN"},
	"ETCDCTL_PASSWORD":       {"ETCDCTL_USER", "ETCDCTL_PASSWORD", "ETCDCTL_AUTH_JWT_TOKEN"},
	"ETCDCTL_AUTH_JWT_TOKEN": {"ETCDCTL_USER", "ETCDCTL_PASSWORD", "ETCDCTL_AUTH_JWT_TOKEN"},
	"ETCDCTL_CERT":           {"ETCDCTL_CERT", "ETCDCTL_KEY"},
	"ETCDCTL_KEY":            {"ETCDCTL_CERT", "ETCDCTL_KEY"},
	"ETCDCTL_DISCOVERY_SRV":  {"ETCDCTL_DISCOVERY_SRV", "ETCDCTL_ENDPOINTS"},
	"ETCDCTL_ENDPOINTS":      {"ETCDCTL_ENDPOINTS", "ETCDCTL_DISCOVERY_SRV"},
}

var shorthands = map[string]string{"w": "write-out", "d": "discovery-srv"}

// EnvAPI is etcdctl's API version switch. It is never passed on: etcdctl
// 3.4+ speaks v3 by default, 3.7 warns about ETCDCTL_API=3, and
// ETCDCTL_API=2 makes etcdctl 3.4 speak v2, ignoring the v3 TLS flags and
// so the context's CA and credentials.
const EnvAPI = "ETCDCTL_API"

// Paths are where the child finds the key material: /dev/fd/N descriptors or
// files in a private directory, or the user's own files (--store=path).
type Paths struct{ CA, Cert, Key string }

// EtcdctlVars returns the ETCDCTL_* variables for a context. ETCDCTL_API is
// not set: etcdctl 3.4+ speaks v3 by default and 3.7 warns about the variable.
func EtcdctlVars(spec Spec, p Paths) map[string]string {
	vars := map[string]string{
		"ETCDCTL_ENDPOINTS": strings.Join(spec.Endpoints, ","),
		EnvContext:          spec.Name,
	}
	set := func(k, v string) {
		if v != "" {
			vars[k] = v
		}
	}
	set("ETCDCTL_CACERT", p.CA)
	set("ETCDCTL_CERT", p.Cert)
	set("ETCDCTL_KEY", p.Key)
	set("ETCDCTL_USER", spec.Username)
	set("ETCDCTL_PASSWORD", spec.Password)
	set("ETCDCTL_AUTH_JWT_TOKEN", spec.Token)
	if spec.DialTimeout > 0 {
		vars["ETCDCTL_DIAL_TIMEOUT"] = spec.DialTimeout.Round(time.Millisecond).String()
	}
	if spec.InsecureSkipVerify {
		vars["ETCDCTL_INSECURE_SKIP_TLS_VERIFY"] = "true"
	}
	return vars
}

// ChildEnv merges vars into base: inherited connection variables and
// ETCDCTL_API are dropped, and so is the ETCDCTL_ twin of every flag in
// args, because etcdctl refuses a flag given both ways ("conflicting
// environment variable is shadowed").
func ChildEnv(base []string, vars map[string]string, args []string) []string {
	drop := map[string]bool{EnvAPI: true}
	for _, k := range etcdctlConnVars {
		drop[k] = true
	}
	typed := typedFlagVars(args)
	out := make([]string, 0, len(base)+len(vars))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if drop[k] || typed[k] {
			continue
		}
		if _, ours := vars[k]; ours {
			continue
		}
		out = append(out, kv)
	}
	for k, v := range vars {
		if !typed[k] {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// typedFlagVars maps the flags in args (after the program name) to the
// ETCDCTL_ variables they shadow.
func typedFlagVars(args []string) map[string]bool {
	typed := map[string]bool{}
	for _, a := range args {
		if a == "--" {
			break
		}
		var name string
		switch {
		case strings.HasPrefix(a, "--"):
			name, _, _ = strings.Cut(a[2:], "=")
		case strings.HasPrefix(a, "-") && len(a) >= 2:
			name = shorthands[a[1:2]]
		}
		if name == "" {
			continue
		}
		k := "ETCDCTL_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		typed[k] = true
		for _, twin := range flagTwins[k] {
			typed[twin] = true
		}
	}
	return typed
}
