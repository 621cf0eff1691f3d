package ctxcmd

import (
	"errors"
	"strings"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/conn"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

// explain turns domain errors into one line plus a hint that says what to do.
func explain(err error) error {
	if err == nil {
		return nil
	}
	var (
		clixErr *clix.Error
		exists  *contexts.ExistsError
		input   *conn.InputError
		file    *contexts.FileError
		noCmd   *contexts.NotFoundCmdError
		token   *contexts.TokenUnsupportedError
		badName *contexts.NameError
		sn      *contexts.ServerNameUnsupportedError
		// before input: an unusable key is not a wrong flag
		unsupported *pki.UnsupportedKeyError
	)
	switch {
	case errors.As(err, &clixErr):
		return err
	case errors.Is(err, contexts.ErrNoCurrent):
		return clix.Wrap(err, "pick one with 'etcd-ctx use NAME', set "+contexts.EnvContext+", or pass --context NAME")
	case errors.As(err, &badName):
		return &clix.Error{Msg: err.Error(), Hint: "e.g. prod, staging-eu1, k8s@lab", Code: clix.ExitUsage, Err: err}
	case errors.Is(err, contexts.ErrNoPrevious):
		return clix.Wrap(err, "'-' goes back to the context used before the last switch; switch with 'etcd-ctx NAME' first")
	case errors.As(err, &exists):
		return clix.Wrap(err, "change it with 'etcd-ctx set "+exists.Name+" …', or replace it with --force")
	case errors.As(err, &file):
		var parse *contexts.FileError
		if errors.As(err, &parse) && strings.Contains(err.Error(), "line ") {
			return clix.Wrap(err, "fix the file (nothing was changed) or point --config / "+contexts.EnvConfig+" elsewhere")
		}
		return clix.Wrap(err, "check the file's permissions, or point --config / "+contexts.EnvConfig+" elsewhere")
	case errors.As(err, &unsupported):
		return clix.Wrap(err, "Go, and so etcd and etcdctl, cannot use this key: issue a new key and certificate (etcd-certwiz client NAME --key-type ecdsa-p256, or openssl with -pkeyopt ec_paramgen_curve:P-256)")
	case errors.As(err, &input):
		return clix.Wrap(err, inputHint(input.Input))
	case errors.As(err, &noCmd):
		hint := "install it or put it on PATH"
		if noCmd.Name == "etcdctl" {
			hint = "install etcdctl (apt-get install etcd-client, brew install etcd, or 'go tool etcdctl' from this repo) and put it on PATH"
		}
		return clix.Wrap(err, hint)
	case errors.As(err, &token):
		return clix.Wrap(err, "use etcdctl 3.7 or newer, or give the context a client certificate or a password")
	case errors.As(err, &sn):
		return clix.Wrap(err, serverNameFix+", then drop the name: etcd-ctx set NAME --server-name ''")
	}
	return clix.Wrap(err, "")
}

// serverNameFix is the lasting fix for a context that needs --server-name.
const serverNameFix = "the lasting fix is to reissue the server certificate with the host you dial as a SAN (etcd-certwiz renew server.crt --add-san HOST)"

func inputHint(input string) string {
	switch {
	case strings.HasPrefix(input, "CA"):
		return "--cacert must be the PEM CA bundle that signed the etcd server certificates (etcd's --trusted-ca-file)"
	case strings.HasPrefix(input, "client certificate"):
		return "--cert must be a PEM client certificate with the clientAuth usage (etcd-certwiz inspect FILE tells)"
	case strings.HasPrefix(input, "client key"):
		return "--key must be the unencrypted PEM private key of --cert"
	case strings.HasPrefix(input, "endpoint"):
		return "endpoints look like https://10.0.0.1:2379 (comma-separated for several)"
	case strings.HasSuffix(input, "file"):
		return "check the path and that you may read it"
	}
	return "run 'etcd-ctx add --help' for the accepted inputs"
}
