// Package flock takes an exclusive advisory lock on a file, released by the
// function it returns or when the process dies (so a crash never leaves a
// stale lock). It is the lock certwiz's PKI writes take; contexts has the
// same lock for its config file.
package flock
