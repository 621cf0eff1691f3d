package certwiz

import (
	"net/url"
	"path/filepath"
	"slices"
	"strings"
)

// Flag is one command-line flag; Value "" means a boolean flag.
type Flag struct{ Name, Value string }

// EtcdFlags are the flags member m of plan p needs, with file paths under dir
// (as they will be on the member if dir is copied there as is).
func EtcdFlags(p *Plan, m Member, dir string) []Flag {
	l := Layout{Dir: dir}
	peerCA := l.CA()
	if p.PeerCASeparate() {
		peerCA = l.PeerCA()
	}
	var initial []string
	for _, o := range p.Members {
		initial = append(initial, o.Name+"="+o.PeerURLs[0])
	}
	return []Flag{
		{"name", m.Name},
		{"listen-client-urls", strings.Join(listenURLs(m.ClientURLs), ",")},
		{"advertise-client-urls", strings.Join(m.ClientURLs, ",")},
		{"listen-peer-urls", strings.Join(m.PeerURLs, ",")},
		{"initial-advertise-peer-urls", strings.Join(m.PeerURLs, ",")},
		{"initial-cluster", strings.Join(initial, ",")},
		{"initial-cluster-token", p.Cluster},
		{"initial-cluster-state", "new"},
		{"cert-file", l.Server(m.Name)},
		{"key-file", KeyPath(l.Server(m.Name))},
		{"client-cert-auth", ""},
		{"trusted-ca-file", l.CA()},
		{"peer-cert-file", l.Peer(m.Name)},
		{"peer-key-file", KeyPath(l.Peer(m.Name))},
		{"peer-client-cert-auth", ""},
		{"peer-trusted-ca-file", peerCA},
	}
}

// listenURLs adds https://127.0.0.1:PORT for each client port, so etcdctl on
// the member itself works (the server certificate has 127.0.0.1 for that).
func listenURLs(urls []string) []string {
	out := slices.Clone(urls)
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil {
			continue
		}
		local := "https://127.0.0.1:" + u.Port()
		if !slices.Contains(out, local) {
			out = append(out, local)
		}
	}
	return out
}

// ClientEndpoints are every member's client URLs.
func ClientEndpoints(p *Plan) []string {
	var eps []string
	for _, m := range p.Members {
		eps = append(eps, m.ClientURLs...)
	}
	return eps
}

// CtxAddArgs is the etcd-ctx command that adds a context for client c.
func CtxAddArgs(p *Plan, c Client, dir string) []string {
	l := Layout{Dir: dir}
	return []string{"etcd-ctx", "add", p.Cluster + "-" + c.Name,
		"--endpoints", strings.Join(ClientEndpoints(p), ","),
		"--cacert", l.CA(), "--cert", l.Client(c.Name), "--key", KeyPath(l.Client(c.Name))}
}

// EtcdctlFlags are the plain etcdctl flags for client c.
func EtcdctlFlags(p *Plan, c Client, dir string) []Flag {
	l := Layout{Dir: dir}
	return []Flag{
		{"endpoints", strings.Join(ClientEndpoints(p), ",")},
		{"cacert", l.CA()}, {"cert", l.Client(c.Name)}, {"key", KeyPath(l.Client(c.Name))},
	}
}

// FlagArgs renders flags as command-line words: --name value, --bool.
func FlagArgs(flags []Flag) []string {
	var out []string
	for _, f := range flags {
		out = append(out, "--"+f.Name)
		if f.Value != "" {
			out = append(out, f.Value)
		}
	}
	return out
}

// ShellJoin quotes words for a POSIX shell where needed.
func ShellJoin(words []string) string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = shellQuote(w)
	}
	return strings.Join(out, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,@+%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Instructions is the text init prints after writing a PKI: per member the
// etcd command line, per client the etcd-ctx and etcdctl commands.
func Instructions(p *Plan, dir string) string {
	var b strings.Builder
	abs := dir
	if a, err := filepath.Abs(dir); err == nil {
		abs = a
	}
	for _, m := range p.Members {
		b.WriteString("# member " + m.Name + "\n")
		b.WriteString(multiline(append([]string{"etcd"}, FlagArgs(EtcdFlags(p, m, abs))...)) + "\n\n")
	}
	for _, c := range p.Clients {
		b.WriteString("# client " + c.Name + " (etcd user \"" + c.CN + "\")\n")
		b.WriteString(ShellJoin(CtxAddArgs(p, c, abs)) + "\n")
		b.WriteString(ShellJoin(append([]string{"etcdctl"}, FlagArgs(EtcdctlFlags(p, c, abs))...)) + " endpoint health\n\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// multiline puts each flag on its own continued line, for copying.
func multiline(words []string) string {
	var b strings.Builder
	b.WriteString(shellQuote(words[0]))
	for i := 1; i < len(words); i++ {
		b.WriteString(" \\\n  " + shellQuote(words[i]))
		if i+1 < len(words) && !strings.HasPrefix(words[i+1], "--") {
			i++
			b.WriteString(" " + shellQuote(words[i]))
		}
	}
	return b.String()
}
