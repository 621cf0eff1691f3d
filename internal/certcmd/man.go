package certcmd

import (
	"github.com/etcd-ctx/etcd-ctx/completion"
	"github.com/etcd-ctx/etcd-ctx/contexts"
)

// ManInfo is what etcd-certwiz(1) says beyond the command tree (packaging/gen).
func ManInfo() completion.ManInfo {
	return completion.ManInfo{
		Env: append([]completion.ManEntry{
			{Name: contexts.EnvContext, Text: "etcd-ctx context used by jwt-token and user when --context is not given " +
				"(else etcd-ctx's current context)."},
		}, completion.CommonEnv()...),
		Exit: []completion.ManEntry{
			{Name: "0", Text: "Success; check and inspect found nothing to report."},
			{Name: "1", Text: "Failure, or check and inspect found a problem (the error and a hint are printed on standard error)."},
			{Name: "2", Text: "Usage error, or an invalid plan file."},
		},
		SeeAlso: []string{"etcd-ctx(1)", "etcd-diag(1)"},
	}
}
