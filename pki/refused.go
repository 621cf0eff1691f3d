package pki

import (
	"encoding/asn1"
	"math/big"
	"strings"
)

// RefusedCertError is a certificate crypto/x509 refuses to parse for a
// reason it can be reissued without (a negative serial number, an extension
// written twice): Go, and so etcd and etcdctl built with it, cannot read
// it at all, while older builds or other TLS stacks (openssl) may.
type RefusedCertError struct {
	Reason string // what is wrong, in the operator's words
	Fix    string // how to reissue it
	Err    error  // crypto/x509's error
}

func (e *RefusedCertError) Error() string { return e.Reason + " (" + e.Err.Error() + ")" }

func (e *RefusedCertError) Unwrap() error { return e.Err }

// Parse errors of crypto/x509 that have a known cause and fix; Refusal
// reads them from an error's text, so a TLS error from another process
// ("tls: failed to parse certificate from server: x509: negative serial
// number") is understood too.
const (
	errNegativeSerial = "x509: negative serial number"
	errDuplicateExt   = "x509: certificate contains duplicate extensions"
)

// RefusalErrors are the crypto/x509 messages Refusal knows, as regular
// expressions' literal text.
var RefusalErrors = []string{errNegativeSerial, errDuplicateExt}

// Refusal names the cause and fix of a crypto/x509 parse error found in
// msg; ok is false for one it does not know.
func Refusal(msg string) (reason, fix string, ok bool) {
	switch {
	case strings.Contains(msg, errNegativeSerial):
		return "its serial number is negative, which Go refuses since 1.23 (RFC 5280 wants a positive one): recent etcd 3.5, 3.6 and 3.7 and etcdctl (built with Go 1.23 or later) cannot read it, while etcd 3.4 (Go 1.19 here) and openssl accept it",
			"reissue it with a positive serial and the same key and subject (openssl x509 -req … -set_serial 0x$(openssl rand -hex 16), or -CAcreateserial; a CA: openssl req -x509 -key ca.key … -set_serial …, which keeps what it signed valid); until then GODEBUG=x509negativeserial=1 in the environment of the Go program that refuses it", true
	case strings.Contains(msg, errDuplicateExt):
		return "it carries the same extension twice (often subjectAltName from both the request and the -extfile), which Go refuses",
			"reissue it with each extension once (openssl x509 -req … -extfile with no copy_extensions, or a request without the extension)", true
	}
	return "", "", false
}

// refusedCert wraps a parse error Refusal knows, naming a negative serial.
func refusedCert(parseErr error, serial asn1.RawValue) error {
	reason, fix, ok := Refusal(parseErr.Error())
	if !ok {
		return parseErr
	}
	if strings.Contains(parseErr.Error(), errNegativeSerial) {
		var n *big.Int
		if _, err := asn1.Unmarshal(serial.FullBytes, &n); err == nil && n != nil {
			reason = strings.Replace(reason, "is negative,", "is negative ("+FormatSerial(n)+"),", 1)
		}
	}
	return &RefusedCertError{Reason: reason, Fix: fix, Err: parseErr}
}
