package rotation

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
)

// Where each member's etcd reads its files decides the "to" of every copy a
// rotation asks for. It is known in three ways, the last given winning:
//
//  1. the layout's defaults: for certwiz's tree, the paths 'etcd-certwiz
//     init' printed in each member's etcd flags (the tree where it is, or
//     copied as is to the same path on the member); for kubeadm, the etcd
//     PKI directory given (/etc/kubernetes/pki/etcd on the node the
//     rotation runs on), which kubeadm keeps at the same path on every
//     node;
//  2. --member-dir [NAME=]PATH: the tree (certwiz) or the etcd PKI directory
//     (kubeadm, e.g. /etc/kubernetes/pki/etcd) is at PATH on the member(s);
//  3. --member-config NAME=FILE: the member's own etcd configuration, read
//     for its TLS flags: an etcd YAML config file (--config-file), a kubeadm
//     static pod manifest, a systemd unit or a file of ETCD_* variables.
//
// The result is stored in rotation.yaml (members[].files), where it can be
// read and corrected before the files are copied.

// MemberFileOptions says where members read their files.
type MemberFileOptions struct {
	// Dirs maps a member name to the directory its files are under on the
	// member; the key "" applies to every member without its own.
	Dirs map[string]string
	// Configs maps a member name to a file holding its etcd flags.
	Configs map[string]string
}

// MemberFiles returns, for every member of t, the path of each slot on the
// member.
func MemberFiles(t *Tree, opts MemberFileOptions) (map[string]map[Slot]string, error) {
	for name := range opts.Dirs {
		if name != "" && t.Member(name) == nil {
			return nil, fmt.Errorf("--member-dir %s=…: no member %s in the tree (members: %s)", name, name, strings.Join(t.memberNames(), ", "))
		}
	}
	for name := range opts.Configs {
		if t.Member(name) == nil {
			return nil, fmt.Errorf("--member-config %s=…: no member %s in the tree (members: %s)", name, name, strings.Join(t.memberNames(), ", "))
		}
	}
	out := map[string]map[Slot]string{}
	for _, m := range t.Members {
		base, ok := opts.Dirs[m.Name]
		if !ok {
			base = opts.Dirs[""]
		}
		files := defaultFiles(t, m, base)
		if cfg, ok := opts.Configs[m.Name]; ok {
			flags, err := ReadEtcdFlags(cfg)
			if err != nil {
				return nil, err
			}
			for slot, p := range flags {
				files[slot] = p
			}
		}
		if t.SeparatePeerCA() && files[SlotTrustedCA] == files[SlotPeerTrustedCA] {
			return nil, fmt.Errorf("member %s reads one file (%s) for --trusted-ca-file and --peer-trusted-ca-file, but the tree has separate client and peer CAs; give it two files", m.Name, files[SlotTrustedCA])
		}
		out[m.Name] = files
	}
	return out, nil
}

func (t *Tree) memberNames() []string {
	var names []string
	for _, m := range t.Members {
		names = append(names, m.Name)
	}
	return names
}

// defaultFiles are a member's file paths under base (the tree's own paths
// when base is empty).
func defaultFiles(t *Tree, m TreeMember, base string) map[Slot]string {
	files := map[Slot]string{}
	switch t.Layout {
	case LayoutCertwiz:
		if base == "" {
			base = t.Dir
		}
		l := certwiz.Layout{Dir: base}
		files[SlotTrustedCA] = l.CA()
		files[SlotPeerTrustedCA] = l.CA()
		if t.SeparatePeerCA() {
			files[SlotPeerTrustedCA] = l.PeerCA()
		}
		files[SlotCert], files[SlotKey] = l.Server(m.Name), certwiz.KeyPath(l.Server(m.Name))
		files[SlotPeerCert], files[SlotPeerKey] = l.Peer(m.Name), certwiz.KeyPath(l.Peer(m.Name))
	case LayoutKubeadm:
		if base == "" {
			// kubeadm's certificatesDir is cluster-wide: every node keeps
			// its etcd files where the node the rotation runs on does.
			base = t.Dir
		}
		files[SlotTrustedCA] = filepath.Join(base, "ca.crt")
		files[SlotPeerTrustedCA] = filepath.Join(base, "ca.crt")
		for slot, name := range kubeadmLeaves {
			files[slot] = filepath.Clean(filepath.Join(base, name))
		}
		files[SlotKey] = filepath.Join(base, "server.key")
		files[SlotPeerKey] = filepath.Join(base, "peer.key")
	}
	return files
}

// etcdYAML is the TLS part of etcd's --config-file.
type etcdYAML struct {
	Client etcdYAMLTLS `yaml:"client-transport-security"`
	Peer   etcdYAMLTLS `yaml:"peer-transport-security"`
}

type etcdYAMLTLS struct {
	CertFile      string `yaml:"cert-file"`
	KeyFile       string `yaml:"key-file"`
	TrustedCAFile string `yaml:"trusted-ca-file"`
}

var (
	flagRE = regexp.MustCompile(`--(cert-file|key-file|trusted-ca-file|peer-cert-file|peer-key-file|peer-trusted-ca-file)(?:=|\s+)["']?([^\s"',\]]+)`)
	envRE  = regexp.MustCompile(`ETCD_(CERT_FILE|KEY_FILE|TRUSTED_CA_FILE|PEER_CERT_FILE|PEER_KEY_FILE|PEER_TRUSTED_CA_FILE)\s*[=:]\s*["']?([^\s"']+)`)
)

// ReadEtcdFlags reads a member's TLS file flags from its configuration: an
// etcd YAML config file (client-transport-security and
// peer-transport-security), or any text holding the flags as --flag=value
// or --flag value (a kubeadm manifest, a systemd unit, a shell script) or
// as ETCD_FLAG=value variables. Only the flags found are returned; none is
// an error.
func ReadEtcdFlags(path string) (map[Slot]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[Slot]string{}
	var y etcdYAML
	if yaml.Unmarshal(data, &y) == nil {
		set := func(slot Slot, v string) {
			if v != "" {
				out[slot] = v
			}
		}
		set(SlotCert, y.Client.CertFile)
		set(SlotKey, y.Client.KeyFile)
		set(SlotTrustedCA, y.Client.TrustedCAFile)
		set(SlotPeerCert, y.Peer.CertFile)
		set(SlotPeerKey, y.Peer.KeyFile)
		set(SlotPeerTrustedCA, y.Peer.TrustedCAFile)
	}
	if len(out) == 0 {
		for _, line := range bytes.Split(data, []byte("\n")) {
			if t := bytes.TrimSpace(line); bytes.HasPrefix(t, []byte("#")) {
				continue
			}
			for _, m := range flagRE.FindAllSubmatch(line, -1) {
				out[Slot(m[1])] = string(m[2])
			}
			for _, m := range envRE.FindAllSubmatch(line, -1) {
				out[Slot(strings.ReplaceAll(strings.ToLower(string(m[1])), "_", "-"))] = string(m[2])
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s names none of etcd's TLS files (--cert-file, --trusted-ca-file, --peer-cert-file…)", path)
	}
	for slot, p := range out {
		if !slices.Contains(EtcdSlots, slot) {
			delete(out, slot)
			continue
		}
		out[slot] = filepath.Clean(p)
	}
	return out, nil
}
