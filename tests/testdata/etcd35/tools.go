//go:build tools

// Package tools pins a real etcd 3.5 server for the test harness, which
// builds it with: go build go.etcd.io/etcd/server/v3 (its main package).
package tools

import _ "go.etcd.io/etcd/server/v3"
