// Package conn turns connection settings held in memory (endpoints, PEM bytes,
// credentials) into the clientv3 and crypto/tls configurations that every
// binary of the suite uses. Certificates and keys are parsed and judged by
// package pki; conn says which input was wrong.
package conn

import "errors"

// Input is one input of a connection, as named in messages.
type Input string

// The inputs of a connection.
const (
	InputEndpoints   Input = "endpoints"
	InputEndpoint    Input = "endpoint"
	InputCA          Input = "CA bundle"
	InputCert        Input = "client certificate"
	InputKey         Input = "client key"
	InputCredentials Input = "credentials"
	InputUser        Input = "user"
	InputToken       Input = "token"
)

// InputError names which input was wrong (and, in Detail, where it came
// from: a file, the endpoint as typed), so a user knows what to fix:
// "client key (/etc/etcd/client.key): does not match the certificate".
type InputError struct {
	Input  Input
	Detail string // appended to the input's name: "file", "(PATH)", `"host:x"`
	Err    error
}

func (e *InputError) Error() string {
	label := string(e.Input)
	if e.Detail != "" {
		label += " " + e.Detail
	}
	return label + ": " + e.Err.Error()
}

func (e *InputError) Unwrap() error { return e.Err }

// Hint says what the input must be; a cause that knows its own way out
// (an unreadable or empty file, a key Go cannot use) says it instead.
func (e *InputError) Hint() string {
	var h interface{ Hint() string }
	if errors.As(e.Err, &h) && h.Hint() != "" {
		return h.Hint()
	}
	switch e.Input {
	case InputCA:
		return "the CA bundle must be the PEM bundle of the CA that signed the etcd server certificates (etcd's --trusted-ca-file)"
	case InputCert:
		return "the client certificate must be PEM, with the clientAuth usage ('etcd-certwiz inspect FILE' tells)"
	case InputKey:
		return "the client key must be the unencrypted PEM private key of the client certificate"
	case InputEndpoint, InputEndpoints:
		return "endpoints look like https://10.0.0.1:2379 (comma-separated for several)"
	}
	return ""
}
