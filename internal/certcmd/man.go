package certcmd

import (
	"github.com/etcd-ctx/etcd-ctx/completion"
	"github.com/etcd-ctx/etcd-ctx/contexts"
)

// ManInfo is what etcd-certwiz(1) says beyond the command tree (packaging/gen).
func ManInfo() completion.ManInfo {
	return completion.ManInfo{
		Env: []completion.ManEntry{
			{Name: contexts.EnvContext, Text: "etcd-ctx context used by jwt-token and user when --context is not given " +
				"(else etcd-ctx's current context)."},
			{Name: contexts.EnvConfig, Text: "etcd-ctx config file (--config overrides it)."},
			{Name: "XDG_CONFIG_HOME", Text: "The default etcd-ctx config file is $XDG_CONFIG_HOME/etcd-ctx/config.yaml, else ~/.config/etcd-ctx/config.yaml."},
			{Name: "NO_COLOR", Text: "When set (to anything), no colour; colour is only ever used on a terminal."},
		},
		Exit: []completion.ManEntry{
			{Name: "0", Text: "Success; check and inspect found nothing to report."},
			{Name: "1", Text: "Failure, or check and inspect found a problem (the error and a hint are printed on standard error)."},
			{Name: "2", Text: "Usage error, or an invalid plan file."},
		},
		SeeAlso: []string{"etcd-ctx(1)", "etcd-diag(1)"},
	}
}
