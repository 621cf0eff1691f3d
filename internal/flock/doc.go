// Package flock takes an exclusive advisory lock on a file, released by the
// function it returns or when the process dies (so a crash never leaves a
// stale lock). It is the one lock of the suite: the etcd-ctx config file's
// writers, and certwiz's PKI writes.
package flock
