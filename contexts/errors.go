package contexts

import (
	"errors"
	"fmt"
	"strings"

	"github.com/etcd-ctx/etcd-ctx/internal/flock"
)

// The errors of this package know their way out: each has a Hint() that
// clix prints under the message. They name etcd-ctx's own commands where
// that is the fix; a command line adds its flags at the call site.

// NotFoundError is an unknown context name.
type NotFoundError struct {
	Name  string
	Known []string
	// FromEnv: the name came from $ETCD_CTX, not from the command line.
	FromEnv bool
}

func (e *NotFoundError) Error() string {
	if e.FromEnv {
		return fmt.Sprintf("no context named %q (from $%s)", e.Name, EnvContext)
	}
	return fmt.Sprintf("no context named %q", e.Name)
}

// Hint lists the contexts there are, or says how to add one.
func (e *NotFoundError) Hint() string {
	h := "known contexts: " + strings.Join(e.Known, ", ")
	if len(e.Known) == 0 {
		h = "add one with 'etcd-ctx add NAME --endpoints https://HOST:2379 …'"
	}
	if e.FromEnv {
		h = "unset " + EnvContext + " or set it to a context of this config; " + h
	}
	return h
}

// ExistsError is an add over an existing context without --force.
type ExistsError struct{ Name string }

func (e *ExistsError) Error() string { return fmt.Sprintf("context %q already exists", e.Name) }

// Hint says how to change it instead, or replace it.
func (e *ExistsError) Hint() string {
	return "change it with 'etcd-ctx set " + e.Name + " …', or replace it with --force"
}

// NameError is a context name that cannot be used.
type NameError struct{ Name, Why string }

func (e *NameError) Error() string { return fmt.Sprintf("invalid context name %q: %s", e.Name, e.Why) }

// Hint gives names that work.
func (e *NameError) Hint() string { return "e.g. prod, staging-eu1, k8s@lab" }

// selectError is a failure to pick a context that needs no detail.
type selectError struct{ msg, hint string }

func (e *selectError) Error() string { return e.msg }
func (e *selectError) Hint() string  { return e.hint }

// ErrNoCurrent means no context was selected by name, $ETCD_CTX or the
// config's current context.
var ErrNoCurrent error = &selectError{"no current context", "pick one with 'etcd-ctx use NAME', or set " + EnvContext}

// ErrNoPrevious means "-" has nothing to go back to.
var ErrNoPrevious error = &selectError{"no previous context", "'-' goes back to the context used before the last switch; switch with 'etcd-ctx NAME' first"}

// FileError is a config file that cannot be read, parsed or written.
type FileError struct {
	Path    string
	Err     error
	Invalid bool // the file was read, but what it holds is wrong (its lines are named)
}

func (e *FileError) Error() string { return fmt.Sprintf("config file %s: %v", e.Path, e.Err) }
func (e *FileError) Unwrap() error { return e.Err }

// Hint says to fix the file or to look at its permissions, or who may
// hold its lock.
func (e *FileError) Hint() string {
	var busy *flock.BusyError
	if errors.As(e.Err, &busy) {
		return busy.Hint()
	}
	var intr *flock.InterruptedError
	if errors.As(e.Err, &intr) {
		return intr.Hint()
	}
	if e.Invalid {
		return "fix the file (nothing was changed), or point --config or " + EnvConfig + " elsewhere"
	}
	return "check the file's permissions, or point --config or " + EnvConfig + " elsewhere"
}

// RefError is a file a context references (--store path) that cannot be read.
type RefError struct {
	Path string
	Err  error
}

func (e *RefError) Error() string { return e.Err.Error() }
func (e *RefError) Unwrap() error { return e.Err }

// Hint says to restore the file or re-create the context.
func (e *RefError) Hint() string {
	return "the context references " + e.Path + " (--store path): restore the file, or re-create the context with etcd-ctx add NAME --force …"
}

// KeyringError says the OS keyring could not be used at all, with the way out.
// ForSecrets is set when only a password or token needed it (certificates
// are kept as file references already): --store=path is then no way out.
type KeyringError struct {
	Err        error
	ForSecrets bool
}

func (e *KeyringError) Error() string {
	return "OS keyring unavailable: " + e.Err.Error()
}
func (e *KeyringError) Unwrap() error { return e.Err }

// Hint gives the ways out of a keyring failure.
func (e *KeyringError) Hint() string {
	if e.ForSecrets {
		return "passwords and tokens are kept only in the OS keyring: start a Secret Service " +
			"(gnome-keyring-daemon, KeePassXC) and unlock it, or authenticate with a client certificate (--cert, --key) instead"
	}
	return KeyringHint
}

// KeyringHint is the way out when there is no usable keyring.
const KeyringHint = "keep certificates as file references with --store=path, or start a Secret Service " +
	"(gnome-keyring-daemon, KeePassXC) and unlock it; passwords and tokens always need the keyring"

// NotFoundCmdError is a command that is not on PATH.
type NotFoundCmdError struct{ Name string }

func (e *NotFoundCmdError) Error() string { return fmt.Sprintf("%s: command not found", e.Name) }

// Hint says where to get it.
func (e *NotFoundCmdError) Hint() string {
	if e.Name == "etcdctl" {
		return "install etcdctl (apt-get install etcd-client, brew install etcd, or 'go tool etcdctl' from this repo) and put it on PATH"
	}
	return "install it or put it on PATH"
}

// TokenUnsupportedError is a JWT token context used with an etcdctl that
// cannot take one: running it would silently make an anonymous call.
type TokenUnsupportedError struct{ Version string }

func (e *TokenUnsupportedError) Error() string {
	return fmt.Sprintf("this context authenticates with a token, but etcdctl %s cannot take one (--auth-jwt-token arrived in etcdctl 3.7)", e.Version)
}

// Hint says what works instead.
func (e *TokenUnsupportedError) Hint() string {
	return "use etcdctl 3.7 or newer, or give the context a client certificate or a password"
}

// ServerNameUnsupportedError is a context that verifies the server as
// another name (--server-name): etcdctl has no such flag, so the command
// would verify the endpoint's own host and fail with a TLS error.
type ServerNameUnsupportedError struct{ Context, ServerName string }

func (e *ServerNameUnsupportedError) Error() string {
	return fmt.Sprintf("this context verifies the server certificate as %q (--server-name), which etcdctl cannot do: it would check the endpoint's host instead and fail", e.ServerName)
}

// Hint gives the lasting fix.
func (e *ServerNameUnsupportedError) Hint() string {
	return ServerNameFix + ", then drop the name: etcd-ctx set " + e.Context + " --server-name ''"
}

// ServerNameFix is the lasting fix for a context that needs --server-name
// (HOST: the host dialled).
const ServerNameFix = "the lasting fix is to reissue the server certificate with the host you dial as a SAN (etcd-certwiz renew server.crt --add-san HOST)"
