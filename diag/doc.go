// Package diag finds the real cause of etcd connection, TLS, auth and cluster
// failures and names the fix.
package diag
