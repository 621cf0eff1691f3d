package ctxcmd

import (
	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/manpage"
)

// ManInfo is what etcd-ctx(1) says beyond the command tree (packaging/gen).
func ManInfo() manpage.Info {
	return manpage.Info{
		Env: append([]manpage.Entry{
			{Name: contexts.EnvContext, Text: "Context for this shell only: overrides current-context (--context overrides it). " +
				"'etcd-ctx shell' and the commands run by exec set it."},
			{
				Name: "ETCDCTL_ENDPOINTS, ETCDCTL_CACERT, ETCDCTL_CERT, ETCDCTL_KEY, ETCDCTL_USER, ETCDCTL_PASSWORD, " +
					"ETCDCTL_AUTH_JWT_TOKEN, ETCDCTL_DIAL_TIMEOUT, ETCDCTL_INSECURE_SKIP_TLS_VERIFY",
				Text: "Read by 'import --from-env'. exec, etcdctl and shell set them for the command from the context " +
					"and drop inherited connection variables (and the twin of any etcdctl flag typed).",
			},
			{Name: contexts.EnvHandoff, Text: "Set to dir to hand key material to commands as files in a private directory " +
				"instead of sealed memory files (Linux)."},
			{Name: "XDG_RUNTIME_DIR", Text: "Where that private directory is created (else a per-user temporary directory)."},
			{Name: "SHELL", Text: "The shell 'etcd-ctx shell' starts (default /bin/sh)."},
			{Name: "DBUS_SESSION_BUS_ADDRESS", Text: "The session bus of the Secret Service holding secrets (Linux)."},
		}, manpage.CommonEnv()...),
		Files: []manpage.Entry{
			{Name: "$XDG_CONFIG_HOME/etcd-ctx/config.yaml", Text: "Contexts, clusters and users (references only; 0600, " +
				"replaced atomically under a lock). Secrets live in the OS keyring, service etcd-ctx."},
		},
		Exit: []manpage.Entry{
			{Name: "0", Text: "Success."},
			{Name: "1", Text: "Failure (the error and a hint are printed on standard error)."},
			{Name: "2", Text: "Usage error."},
			{Name: "other", Text: "exec, etcdctl and shell exit with the status of the command they ran."},
		},
		SeeAlso: []string{"etcd-certwiz(1)", "etcd-diag(1)", "etcdctl(1)"},
	}
}
