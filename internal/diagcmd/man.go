package diagcmd

import (
	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/manpage"
)

// ManInfo is what etcd-diag(1) says beyond the command tree (packaging/gen).
func ManInfo() manpage.Info {
	return manpage.Info{
		Env: append([]manpage.Entry{
			{Name: contexts.EnvContext, Text: "etcd-ctx context to diagnose when neither --context nor --endpoints is given " +
				"(else etcd-ctx's current context)."},
		}, manpage.CommonEnv()...),
		Exit: []manpage.Entry{
			{Name: "0", Text: "Healthy: no error and no warning."},
			{Name: "1", Text: "Problems found."},
			{Name: "2", Text: "Usage error, or the diagnosis could not run."},
		},
		SeeAlso: []string{"etcd-ctx(1)", "etcd-certwiz(1)", "etcdctl(1)"},
	}
}
