package contexts

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
)

// Source is what an import found: endpoints, file paths and credentials.
type Source struct {
	Endpoints                 []string
	CAFile, CertFile, KeyFile string
	Username, Password, Token string
	DialTimeout               time.Duration
	InsecureSkipVerify        bool
}

// FromEnv reads the variables etcdctl reads (ETCDCTL_ENDPOINTS, _CACERT,
// _CERT, _KEY, _USER as user[:password], _PASSWORD, _AUTH_JWT_TOKEN, …).
func FromEnv(getenv func(string) string) (Source, error) {
	var s Source
	if eps := getenv("ETCDCTL_ENDPOINTS"); eps != "" {
		for _, ep := range strings.Split(eps, ",") {
			if ep = strings.TrimSpace(ep); ep != "" {
				s.Endpoints = append(s.Endpoints, ep)
			}
		}
	}
	if len(s.Endpoints) == 0 {
		return s, errors.New("ETCDCTL_ENDPOINTS is not set")
	}
	s.CAFile, s.CertFile, s.KeyFile = getenv("ETCDCTL_CACERT"), getenv("ETCDCTL_CERT"), getenv("ETCDCTL_KEY")
	s.Username, s.Password = getenv("ETCDCTL_USER"), getenv("ETCDCTL_PASSWORD")
	if user, pass, ok := strings.Cut(s.Username, ":"); ok {
		if s.Password != "" {
			return s, errors.New("ETCDCTL_USER holds a password and ETCDCTL_PASSWORD is set too")
		}
		s.Username, s.Password = user, pass
	}
	s.Token = getenv("ETCDCTL_AUTH_JWT_TOKEN")
	if v := getenv("ETCDCTL_DIAL_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return s, fmt.Errorf("ETCDCTL_DIAL_TIMEOUT=%q is not a duration", v)
		}
		s.DialTimeout = d
	}
	if v := getenv("ETCDCTL_INSECURE_SKIP_TLS_VERIFY"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return s, fmt.Errorf("ETCDCTL_INSECURE_SKIP_TLS_VERIFY=%q is not a boolean", v)
		}
		s.InsecureSkipVerify = b
	}
	return s, nil
}

// DefaultKubeadmManifest is where kubeadm writes etcd's static pod.
const DefaultKubeadmManifest = "/etc/kubernetes/manifests/etcd.yaml"

type podManifest struct {
	Spec struct {
		Containers []struct {
			Name    string   `yaml:"name"`
			Command []string `yaml:"command"`
			Args    []string `yaml:"args"`
		} `yaml:"containers"`
	} `yaml:"spec"`
}

// FromKubeadm reads a kubeadm etcd static pod manifest: the client URL from
// --advertise-client-urls (else --listen-client-urls), the CA from
// --trusted-ca-file, and the client pair kubeadm keeps beside it:
// healthcheck-client.{crt,key} in the etcd PKI dir, else
// apiserver-etcd-client.{crt,key} one level up.
func FromKubeadm(manifest string) (Source, error) {
	var s Source
	data, err := fileio.Read(manifest)
	if err != nil {
		return s, err
	}
	var pod podManifest
	if err := yaml.Unmarshal(data, &pod); err != nil {
		return s, fmt.Errorf("%s is not a pod manifest: %s", manifest, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	flags := map[string]string{}
	for _, c := range pod.Spec.Containers {
		for _, arg := range append(append([]string{}, c.Command...), c.Args...) {
			if k, v, ok := strings.Cut(strings.TrimPrefix(arg, "--"), "="); ok && strings.HasPrefix(arg, "--") {
				flags[k] = v
			}
		}
	}
	urls := flags["advertise-client-urls"]
	if urls == "" {
		urls = flags["listen-client-urls"]
	}
	if urls == "" {
		return s, fmt.Errorf("%s has no --advertise-client-urls or --listen-client-urls (is it etcd's manifest?)", manifest)
	}
	s.Endpoints = strings.Split(urls, ",")
	s.CAFile = flags["trusted-ca-file"]
	if s.CAFile == "" {
		return s, fmt.Errorf("%s has no --trusted-ca-file", manifest)
	}
	pki := filepath.Dir(s.CAFile)
	candidates := [][2]string{
		{filepath.Join(pki, "healthcheck-client.crt"), filepath.Join(pki, "healthcheck-client.key")},
		{filepath.Join(filepath.Dir(pki), "apiserver-etcd-client.crt"), filepath.Join(filepath.Dir(pki), "apiserver-etcd-client.key")},
	}
	for _, c := range candidates {
		if fileio.IsRegular(c[0]) && fileio.IsRegular(c[1]) {
			s.CertFile, s.KeyFile = c[0], c[1]
			return s, nil
		}
	}
	return s, fmt.Errorf("no client certificate beside %s (looked for %s and %s)", s.CAFile, candidates[0][0], candidates[1][0])
}
