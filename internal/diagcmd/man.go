package diagcmd

import (
	"github.com/etcd-ctx/etcd-ctx/completion"
	"github.com/etcd-ctx/etcd-ctx/contexts"
)

// ManInfo is what etcd-diag(1) says beyond the command tree (packaging/gen).
func ManInfo() completion.ManInfo {
	return completion.ManInfo{
		Env: []completion.ManEntry{
			{Name: contexts.EnvContext, Text: "etcd-ctx context to diagnose when neither --context nor --endpoints is given " +
				"(else etcd-ctx's current context)."},
			{Name: contexts.EnvConfig, Text: "etcd-ctx config file (--config overrides it)."},
			{Name: "XDG_CONFIG_HOME", Text: "The default etcd-ctx config file is $XDG_CONFIG_HOME/etcd-ctx/config.yaml, else ~/.config/etcd-ctx/config.yaml."},
			{Name: "NO_COLOR", Text: "When set (to anything), no colour; colour is only ever used on a terminal."},
		},
		Exit: []completion.ManEntry{
			{Name: "0", Text: "Healthy: no error and no warning."},
			{Name: "1", Text: "Problems found."},
			{Name: "2", Text: "Usage error, or the diagnosis could not run."},
		},
		SeeAlso: []string{"etcd-ctx(1)", "etcd-certwiz(1)", "etcdctl(1)"},
	}
}
