package certcmd

import (
	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/manpage"
)

// ManInfo is what etcd-certwiz(1) says beyond the command tree (packaging/gen).
func ManInfo() manpage.Info {
	return manpage.Info{
		Env: append([]manpage.Entry{
			{Name: contexts.EnvContext, Text: "etcd-ctx context used by jwt-token and user when --context is not given " +
				"(else etcd-ctx's current context)."},
		}, manpage.CommonEnv()...),
		Exit: []manpage.Entry{
			{Name: "0", Text: "Success; check and inspect found nothing to report."},
			{Name: "1", Text: "Failure, or check and inspect found a problem (the error and a hint are printed on standard error)."},
			{Name: "2", Text: "Usage error, or an invalid plan file."},
		},
		SeeAlso: []string{"etcd-ctx(1)", "etcd-diag(1)"},
	}
}
