// Package conn turns connection settings held in memory (endpoints, PEM bytes,
// credentials) into the clientv3 and crypto/tls configurations that every
// binary of the suite uses. Certificates and keys are parsed and judged by
// package pki; conn says which input was wrong.
package conn

// InputError names which input (CA bundle, client certificate, client key…)
// was wrong, so a user knows which flag or file to fix.
type InputError struct {
	Input string
	Err   error
}

func (e *InputError) Error() string { return e.Input + ": " + e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }
