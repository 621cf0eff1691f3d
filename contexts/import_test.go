package contexts

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/internal/conn"
	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
)

func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestFromEnv(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		want    Source
		wantErr string
	}{
		{
			name: "everything",
			env: map[string]string{
				"ETCDCTL_ENDPOINTS":                " https://a:2379 , ,https://b:2379,",
				"ETCDCTL_CACERT":                   "/pki/ca.crt",
				"ETCDCTL_CERT":                     "/pki/c.crt",
				"ETCDCTL_KEY":                      "/pki/c.key",
				"ETCDCTL_USER":                     "root",
				"ETCDCTL_PASSWORD":                 "pw",
				"ETCDCTL_DIAL_TIMEOUT":             "3s",
				"ETCDCTL_INSECURE_SKIP_TLS_VERIFY": "true",
			},
			want: Source{Endpoints: []string{"https://a:2379", "https://b:2379"}, CAFile: "/pki/ca.crt", CertFile: "/pki/c.crt", KeyFile: "/pki/c.key",
				Username: "root", Password: "pw", DialTimeout: 3 * time.Second, InsecureSkipVerify: true},
		},
		{
			name: "user:password splits",
			env:  map[string]string{"ETCDCTL_ENDPOINTS": "h:2379", "ETCDCTL_USER": "u:p"},
			want: Source{Endpoints: []string{"h:2379"}, Username: "u", Password: "p"},
		},
		{
			name: "password keeps its colons",
			env:  map[string]string{"ETCDCTL_ENDPOINTS": "h:2379", "ETCDCTL_USER": "u:p:q"},
			want: Source{Endpoints: []string{"h:2379"}, Username: "u", Password: "p:q"},
		},
		{
			name: "token",
			env:  map[string]string{"ETCDCTL_ENDPOINTS": "h:2379", "ETCDCTL_AUTH_JWT_TOKEN": "a.b.c"},
			want: Source{Endpoints: []string{"h:2379"}, Token: "a.b.c"},
		},
		{
			name:    "user:password and ETCDCTL_PASSWORD",
			env:     map[string]string{"ETCDCTL_ENDPOINTS": "h:2379", "ETCDCTL_USER": "u:p", "ETCDCTL_PASSWORD": "q"},
			wantErr: "ETCDCTL_PASSWORD is set too",
		},
		{
			name:    "bad dial timeout",
			env:     map[string]string{"ETCDCTL_ENDPOINTS": "h:2379", "ETCDCTL_DIAL_TIMEOUT": "5"},
			wantErr: `ETCDCTL_DIAL_TIMEOUT="5" is not a duration`,
		},
		{
			name:    "bad insecure flag",
			env:     map[string]string{"ETCDCTL_ENDPOINTS": "h:2379", "ETCDCTL_INSECURE_SKIP_TLS_VERIFY": "maybe"},
			wantErr: "ETCDCTL_INSECURE_SKIP_TLS_VERIFY",
		},
		{
			name:    "no endpoints",
			env:     map[string]string{"ETCDCTL_CACERT": "/pki/ca.crt"},
			wantErr: "ETCDCTL_ENDPOINTS is not set",
		},
		{
			name:    "blank endpoints",
			env:     map[string]string{"ETCDCTL_ENDPOINTS": " , "},
			wantErr: "ETCDCTL_ENDPOINTS is not set",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromEnv(envFunc(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %+v, %v; want an error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

const kubeadmManifest = `apiVersion: v1
kind: Pod
metadata:
  annotations:
    kubeadm.kubernetes.io/etcd.advertise-client-urls: https://10.0.0.1:2379
  creationTimestamp: null
  labels:
    component: etcd
    tier: control-plane
  name: etcd
  namespace: kube-system
spec:
  containers:
  - command:
    - etcd
    - --advertise-client-urls=https://10.0.0.1:2379
    - --cert-file=PKI/etcd/server.crt
    - --client-cert-auth=true
    - --data-dir=/var/lib/etcd
    - --experimental-initial-corrupt-check=true
    - --initial-advertise-peer-urls=https://10.0.0.1:2380
    - --initial-cluster=cp-1=https://10.0.0.1:2380
    - --key-file=PKI/etcd/server.key
    - --listen-client-urls=https://127.0.0.1:2379,https://10.0.0.1:2379
    - --listen-metrics-urls=http://127.0.0.1:2381
    - --listen-peer-urls=https://10.0.0.1:2380
    - --name=cp-1
    - --peer-cert-file=PKI/etcd/peer.crt
    - --peer-client-cert-auth=true
    - --peer-key-file=PKI/etcd/peer.key
    - --peer-trusted-ca-file=PKI/etcd/ca.crt
    - --snapshot-count=10000
    - --trusted-ca-file=PKI/etcd/ca.crt
    image: registry.k8s.io/etcd:3.5.15-0
    imagePullPolicy: IfNotPresent
    livenessProbe:
      failureThreshold: 8
      httpGet:
        host: 127.0.0.1
        path: /livez
        port: 2381
        scheme: HTTP
    name: etcd
    resources:
      requests:
        cpu: 100m
        memory: 100Mi
    volumeMounts:
    - mountPath: /var/lib/etcd
      name: etcd-data
    - mountPath: PKI/etcd
      name: etcd-certs
  hostNetwork: true
  priority: 2000001000
  priorityClassName: system-node-critical
  volumes:
  - hostPath:
      path: PKI/etcd
      type: DirectoryOrCreate
    name: etcd-certs
  - hostPath:
      path: /var/lib/etcd
      type: DirectoryOrCreate
    name: etcd-data
status: {}
`

// kubeadmTree writes a kubeadm-like PKI under a temp dir with the given
// files (relative to pki/) and the manifest, and returns the manifest path
// and the pki dir.
func kubeadmTree(t *testing.T, manifest string, files ...string) (string, string) {
	t.Helper()
	root := t.TempDir()
	pki := filepath.Join(root, "pki")
	for _, f := range files {
		writeFile(t, pki, f, []byte("PEM"))
	}
	m := writeFile(t, root, "manifests/etcd.yaml", []byte(strings.ReplaceAll(manifest, "PKI", pki)))
	return m, pki
}

func TestFromKubeadm(t *testing.T) {
	allFiles := []string{"etcd/ca.crt", "etcd/ca.key", "etcd/healthcheck-client.crt", "etcd/healthcheck-client.key", "apiserver-etcd-client.crt", "apiserver-etcd-client.key"}

	t.Run("healthcheck client beside the CA", func(t *testing.T) {
		m, pki := kubeadmTree(t, kubeadmManifest, allFiles...)
		got, err := FromKubeadm(m)
		if err != nil {
			t.Fatal(err)
		}
		want := Source{
			Endpoints: []string{"https://10.0.0.1:2379"},
			CAFile:    filepath.Join(pki, "etcd", "ca.crt"),
			CertFile:  filepath.Join(pki, "etcd", "healthcheck-client.crt"),
			KeyFile:   filepath.Join(pki, "etcd", "healthcheck-client.key"),
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v\nwant %+v", got, want)
		}
	})

	t.Run("falls back to the apiserver client", func(t *testing.T) {
		// No healthcheck key: the healthcheck pair is incomplete.
		m, pki := kubeadmTree(t, kubeadmManifest, "etcd/ca.crt", "etcd/healthcheck-client.crt", "apiserver-etcd-client.crt", "apiserver-etcd-client.key")
		got, err := FromKubeadm(m)
		if err != nil {
			t.Fatal(err)
		}
		if got.CertFile != filepath.Join(pki, "apiserver-etcd-client.crt") || got.KeyFile != filepath.Join(pki, "apiserver-etcd-client.key") {
			t.Fatalf("got cert %s key %s", got.CertFile, got.KeyFile)
		}
	})

	t.Run("a directory is not a certificate", func(t *testing.T) {
		m, pki := kubeadmTree(t, kubeadmManifest, "etcd/ca.crt", "etcd/healthcheck-client.key", "apiserver-etcd-client.crt", "apiserver-etcd-client.key")
		if err := os.Mkdir(filepath.Join(pki, "etcd", "healthcheck-client.crt"), 0o700); err != nil {
			t.Fatal(err)
		}
		got, err := FromKubeadm(m)
		if err != nil || got.CertFile != filepath.Join(pki, "apiserver-etcd-client.crt") {
			t.Fatalf("got %+v, %v", got, err)
		}
	})

	t.Run("no client pair", func(t *testing.T) {
		m, pki := kubeadmTree(t, kubeadmManifest, "etcd/ca.crt", "apiserver-etcd-client.crt")
		_, err := FromKubeadm(m)
		if err == nil {
			t.Fatal("FromKubeadm succeeded without a client pair")
		}
		for _, s := range []string{"no client certificate", filepath.Join(pki, "etcd", "healthcheck-client.crt"), filepath.Join(pki, "apiserver-etcd-client.crt")} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q does not mention %q", err, s)
			}
		}
	})

	t.Run("listen-client-urls when not advertised", func(t *testing.T) {
		manifest := strings.Replace(kubeadmManifest, "    - --advertise-client-urls=https://10.0.0.1:2379\n", "", 1)
		m, _ := kubeadmTree(t, manifest, allFiles...)
		got, err := FromKubeadm(m)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Endpoints, []string{"https://127.0.0.1:2379", "https://10.0.0.1:2379"}) {
			t.Fatalf("endpoints %v", got.Endpoints)
		}
	})

	t.Run("flags in args", func(t *testing.T) {
		manifest := "spec:\n  containers:\n  - name: etcd\n    command: [etcd]\n    args:\n    - --advertise-client-urls=https://10.0.0.9:2379\n    - --trusted-ca-file=PKI/etcd/ca.crt\n"
		m, _ := kubeadmTree(t, manifest, allFiles...)
		got, err := FromKubeadm(m)
		if err != nil || !reflect.DeepEqual(got.Endpoints, []string{"https://10.0.0.9:2379"}) {
			t.Fatalf("got %+v, %v", got, err)
		}
	})

	t.Run("not etcd's manifest", func(t *testing.T) {
		apiserver := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\nspec:\n  containers:\n  - command:\n    - kube-apiserver\n    - --advertise-address=10.0.0.1\n    - --etcd-servers=https://127.0.0.1:2379\n    - --etcd-cafile=PKI/etcd/ca.crt\n    name: kube-apiserver\n"
		m, _ := kubeadmTree(t, apiserver, allFiles...)
		_, err := FromKubeadm(m)
		if err == nil || !strings.Contains(err.Error(), "is it etcd's manifest?") || !strings.Contains(err.Error(), m) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("no trusted CA", func(t *testing.T) {
		manifest := strings.Replace(kubeadmManifest, "    - --trusted-ca-file=PKI/etcd/ca.crt\n", "", 1)
		m, _ := kubeadmTree(t, manifest, allFiles...)
		if _, err := FromKubeadm(m); err == nil || !strings.Contains(err.Error(), "no --trusted-ca-file") {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("not YAML", func(t *testing.T) {
		m, _ := kubeadmTree(t, "{{ this is a template }}\n\t- :\n", allFiles...)
		if _, err := FromKubeadm(m); err == nil || !strings.Contains(err.Error(), "is not a pod manifest") {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("missing manifest", func(t *testing.T) {
		if _, err := FromKubeadm(filepath.Join(t.TempDir(), "etcd.yaml")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestReadMaterial(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "ca.crt", []byte("pem bytes"))
	writeFile(t, dir, "empty.crt", []byte(" \n"))
	t.Chdir(dir)
	m, err := ReadMaterial(conn.InputCA, "ca.crt")
	if err != nil {
		t.Fatal(err)
	}
	if string(m.PEM) != "pem bytes" || m.Path != "ca.crt" {
		t.Fatalf("got %+v, want the path as given", m)
	}

	_, err = ReadMaterial(conn.InputKey, "missing.key")
	var ie *conn.InputError
	if !errors.As(err, &ie) || ie.Input != conn.InputKey || ie.Detail != "file" || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v, want an *InputError for the client key file", err)
	}
	if want := "client key file: missing.key: "; !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "open ") {
		t.Fatalf("error %q, want it to start with %q and not repeat open", err, want)
	}

	// An empty file is not "no file".
	_, err = ReadMaterial(conn.InputCA, "empty.crt")
	var empty *fileio.EmptyError
	if !errors.As(err, &empty) || !errors.As(err, &ie) || err.Error() != "CA bundle file: empty.crt is empty" || ie.Hint() != empty.Hint() {
		t.Fatalf("got %v, want the empty file refused", err)
	}
}
