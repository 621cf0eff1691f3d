// Package contexts keeps etcd-ctx's kubeconfig-style contexts: the YAML
// config file (atomic, locked writes), secrets in the OS keyring, and the
// environment handed to etcdctl.
package contexts
