package contexts

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/etcd-ctx/etcd-ctx/internal/conn"
	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

// ReadMaterial reads a PEM file a user named for input (conn.InputCA,
// InputCert, InputKey), keeping its path as given (Save makes it absolute
// for --store=path). An unreadable or empty file is an *conn.InputError
// (an empty one wraps a *fileio.EmptyError: it is never taken for "none").
func ReadMaterial(input conn.Input, path string) (Material, error) {
	data, err := fileio.Read(path)
	if err != nil {
		return Material{}, &conn.InputError{Input: input, Detail: "file", Err: err}
	}
	return Material{PEM: data, Path: path}, nil
}

// Validate checks a context before anything is saved, the way etcd will
// judge it: endpoints parse, the CA bundle parses and holds a valid CA, the
// client certificate parses (keys Go cannot use are named), matches its
// unencrypted key, has clientAuth, is not expired, and the chain its file
// carries breaks nowhere; the credentials do not contradict each other. It
// normalizes the endpoints in place. Advise tells what works but should be
// fixed.
func Validate(spec *Spec, now time.Time) error {
	secure := len(spec.CA.PEM) > 0 || len(spec.Cert.PEM) > 0 || spec.InsecureSkipVerify
	if len(spec.Endpoints) == 0 {
		return &conn.InputError{Input: conn.InputEndpoints, Err: errors.New("none given (--endpoints https://HOST:2379)")}
	}
	eps, err := conn.NormalizeEndpoints(spec.Endpoints, secure)
	if err != nil {
		return err
	}
	spec.Endpoints = eps
	if len(spec.CA.PEM) > 0 {
		if _, err := conn.CheckCA(spec.CA.PEM, now); err != nil {
			return withPath(err, spec.CA, spec.CA)
		}
	}
	if len(spec.Cert.PEM) > 0 || len(spec.Key.PEM) > 0 {
		if _, err := conn.CheckClientPair(spec.Cert.PEM, spec.Key.PEM, now); err != nil {
			return withPath(err, spec.Cert, spec.Key)
		}
	}
	if spec.Token != "" && (spec.Username != "" || spec.Password != "") {
		return &conn.InputError{Input: conn.InputCredentials, Err: errors.New("a token and a user/password are mutually exclusive")}
	}
	if spec.Password != "" && spec.Username == "" {
		return &conn.InputError{Input: conn.InputCredentials, Err: errors.New("a password needs a user (--user)")}
	}
	if strings.ContainsAny(spec.Username, ":\n") {
		return &conn.InputError{Input: conn.InputUser, Err: errors.New("a user name cannot contain ':' or a newline")}
	}
	if strings.ContainsAny(spec.Token, " \n\t") {
		return &conn.InputError{Input: conn.InputToken, Err: errors.New("a token cannot contain spaces or newlines")}
	}
	return nil
}

// AdviseWindow is how close to its end (and within the last third of its
// lifetime) a client certificate draws a warning from Advise.
const AdviseWindow = 30 * 24 * time.Hour

// Advise returns warnings about a context that Validate accepted: it works
// today, or may, but something should be fixed: an expired CA beside a valid
// one in the bundle (drop it), a leaf certificate given as the CA, a weak RSA
// key, a client certificate signed by
// another key than the bundle's CA of the same name (regenerated CA), a
// client certificate near its end.
func Advise(spec Spec, now time.Time) []string {
	var out []string
	cas, _ := pki.ParseCerts(spec.CA.PEM)
	if len(cas) > 0 {
		b := pki.JudgeBundle(cas, now)
		for _, w := range b.Warnings(now) {
			out = append(out, "CA bundle: "+w)
		}
		for _, w := range b.LeafWarnings() {
			out = append(out, "CA bundle: "+w)
		}
		for _, p := range b.Problem {
			out = append(out, "CA bundle: "+p.Msg)
		}
	}
	certs, err := pki.ParseCerts(spec.Cert.PEM)
	if err != nil || len(certs) == 0 {
		return out
	}
	leaf := certs[0]
	for _, p := range pki.KeyProblems(leaf) {
		out = append(out, "client certificate: "+p.Msg)
	}
	if pki.Expiring(leaf, AdviseWindow, now) {
		out = append(out, fmt.Sprintf("client certificate: %s expires in %s, within the last third of its lifetime: renew it (etcd-certwiz renew)", pki.Name(leaf), pki.Left(leaf.NotAfter.Sub(now))))
	}
	if len(cas) > 0 {
		located := pki.Locate(certs, "the client certificate file")
		_, brk := pki.Verify(pki.ChainInput{Leaf: located[0], Presented: located[1:], Roots: pki.Locate(cas, "the CA bundle"), Role: pki.RoleClient, Now: now})
		if brk != nil && brk.Kind == pki.KindKeyMismatch {
			out = append(out, "client certificate: "+brk.Cause+"; if the server trusts that CA for clients, it refuses this certificate")
		}
	}
	return out
}

// withPath names the file an input came from, so the user knows which one
// to fix: "client key (/etc/etcd/client.key): does not match…".
func withPath(err error, cert, key Material) error {
	var ie *conn.InputError
	if !errors.As(err, &ie) {
		return err
	}
	path := cert.Path
	if ie.Input == conn.InputKey {
		path = key.Path
	}
	if path == "" || ie.Detail != "" {
		return err
	}
	return &conn.InputError{Input: ie.Input, Detail: "(" + path + ")", Err: ie.Err}
}
