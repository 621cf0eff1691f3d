// Package pki is how etcd judges certificates, in one place for the whole
// suite: a PEM file as a list of certificates (with a record of the keys,
// CSRs and anything else it holds), the roles of an etcd PKI and the key
// usages etcd needs for each, chains built as crypto/x509 (and so etcd and
// etcdctl) builds them with the exact broken link named when one fails, the
// key types and signatures Go can use, proportional expiry, and the file
// layouts operators really have (certwiz, cfssl, kubeadm, plain openssl).
//
// It knows nothing of the command line, and it is cheap to import: nothing
// is built at package initialisation, so `etcd-ctx current`, which links it
// through contexts, stays fast.
package pki
