package contexts

import (
	"time"

	"github.com/etcd-ctx/etcd-ctx/internal/conn"
)

// Spec is everything a context holds, with the key material in memory.
type Spec struct {
	Name               string
	Endpoints          []string
	CA                 Material
	Cert, Key          Material
	Username           string
	Password, Token    string
	ServerName         string
	DialTimeout        time.Duration
	InsecureSkipVerify bool
	Prefix, Note       string
	// KeepPaths stores file references instead of copying certificates and
	// keys into the keyring (--store=path).
	KeepPaths bool
}

// Material is PEM bytes and, when they came from a file, its path (as
// given on the command line, or resolved from the config file).
type Material struct {
	PEM  []byte
	Path string
}

func (m Material) empty() bool { return len(m.PEM) == 0 && m.Path == "" }

// Source says where material came from: its file's path, "keyring" when
// it has no file, "" when there is none.
func (m Material) Source() string {
	switch {
	case m.Path != "":
		return m.Path
	case len(m.PEM) > 0:
		return "keyring"
	}
	return ""
}

// Settings turns a context into connection settings for the Go client.
func (spec Spec) Settings() conn.Settings {
	return conn.Settings{
		Endpoints:          spec.Endpoints,
		CA:                 spec.CA.PEM,
		Cert:               spec.Cert.PEM,
		Key:                spec.Key.PEM,
		Username:           spec.Username,
		Password:           spec.Password,
		Token:              spec.Token,
		DialTimeout:        spec.DialTimeout,
		ServerName:         spec.ServerName,
		InsecureSkipVerify: spec.InsecureSkipVerify,
	}
}
