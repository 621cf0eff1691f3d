package diagcmd

import (
	"github.com/etcd-ctx/etcd-ctx/completion"
	"github.com/etcd-ctx/etcd-ctx/contexts"
)

// ManInfo is what etcd-diag(1) says beyond the command tree (packaging/gen).
func ManInfo() completion.ManInfo {
	return completion.ManInfo{
		Env: append([]completion.ManEntry{
			{Name: contexts.EnvContext, Text: "etcd-ctx context to diagnose when neither --context nor --endpoints is given " +
				"(else etcd-ctx's current context)."},
		}, completion.CommonEnv()...),
		Exit: []completion.ManEntry{
			{Name: "0", Text: "Healthy: no error and no warning."},
			{Name: "1", Text: "Problems found."},
			{Name: "2", Text: "Usage error, or the diagnosis could not run."},
		},
		SeeAlso: []string{"etcd-ctx(1)", "etcd-certwiz(1)", "etcdctl(1)"},
	}
}
