// Package harness starts real etcd servers on free loopback ports, with the
// TLS, client-certificate and RBAC setups the suite must handle: embedded
// (go.etcd.io/etcd/server/v3/embed, etcd 3.7 inside the test process) or as
// real etcd processes of another version (3.4 from Debian's etcd-server
// package, 3.5, 3.6 and 3.7 built from the Go module proxy). It also starts a
// private Secret Service and builds the binaries under test. It is used by the
// end-to-end tests and by `make demo`.
package harness

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Options selects what the cluster enforces and which etcd runs it.
type Options struct {
	TLS            bool   // clients must speak TLS
	AutoTLS        bool   // TLS with the self-signed certificates etcd makes itself (--auto-tls, --peer-auto-tls; processes only)
	ClientCertAuth bool   // --client-cert-auth: clients must present a cert from the CA
	RBAC           bool   // auth enabled: root user/role and a user limited to Prefix
	Members        int    // 1 if zero; more members form a cluster over peer TLS when TLS is on
	AuthToken      string // --auth-token, e.g. "jwt,pub-key=…"; default "simple"
	Dir            string // where data, logs and PKI go; a new temp dir if empty
	// PKI, when set, is used instead of a generated one: member names and
	// count come from PKI.Members (e.g. files written by etcd-certwiz init,
	// or by openssl in a test). Certificate files may hold chains.
	PKI *PKI
	// Version is the etcd that runs the members: "" is etcd 3.7 embedded in
	// this process; "3.4" is Debian's /usr/bin/etcd; "3.5", "3.6" and "3.7"
	// are real etcd binaries built from the Go module proxy (see EtcdBinary).
	// Processes take the same options and write their log to LogPath(i).
	Version string
	// MemberVersions, when set, gives each member its own Version (a rolling
	// upgrade caught half-way); it must have one entry per member.
	MemberVersions []string
	// ExtraFlags are raw etcd flags added to every process member (not
	// supported embedded), e.g. "--max-request-bytes=1024".
	ExtraFlags []string
	// Learners, when set, makes the last Learners members join as learners
	// (etcdctl member add --learner) once the others serve: a member being
	// added, not yet promoted.
	Learners int
	// MemberFlags are raw etcd flags for member i alone, after ExtraFlags
	// (processes only; a later flag wins, so they can override the
	// harness's own). {CLIENT_PORT} and {PEER_PORT} stand for the member's
	// ports, e.g. "--advertise-client-urls=https://localhost:{CLIENT_PORT}"
	// or a per-member "--auth-token=jwt,…".
	MemberFlags map[int][]string
	// Launch, when set, starts the members and waits only until they listen
	// on their client and peer ports, not until a client can talk to them
	// (see Cluster.Launch): for TLS settings no Go client can negotiate
	// with, whose failure is what a test looks at. RBAC and Learners need
	// members that serve.
	Launch bool
	// Latency, when set, puts a Relay with this one-way delay in front of
	// each member's client and peer ports, and the members advertise the
	// relays' URLs (embedded members only): Endpoints, PeerURLs and the
	// member list all name the relays, as a cluster reached over a link
	// whose round trip is 2 × Latency.
	Latency time.Duration
}

// Standard modes.
var (
	Plain    = Options{}
	TLS      = Options{TLS: true}
	MTLS     = Options{TLS: true, ClientCertAuth: true}
	RBAC     = Options{TLS: true, ClientCertAuth: true, RBAC: true}
	PwdRBAC  = Options{TLS: true, RBAC: true}
	Cluster3 = Options{TLS: true, ClientCertAuth: true, Members: 3}
	AutoTLS  = Options{TLS: true, AutoTLS: true}
)

// The user that RBAC mode creates, limited to Prefix.
const (
	User   = "alice"
	Prefix = "/alice/"
)

// Cluster is a running etcd.
type Cluster struct {
	Opts         Options
	Dir          string
	Endpoints    []string // client URLs, one per member
	PeerURLs     []string
	PKI          *PKI
	RootPassword string
	UserPassword string
	members      []*member
	ports        []*Port // reserved for the members until Close
	relays       []*Relay
	ownDir       bool
	closeOnce    sync.Once
}

// Start starts a cluster and waits until it serves requests.
func Start(opts Options) (*Cluster, error) {
	if opts.Members <= 0 {
		opts.Members = max(1, len(opts.MemberVersions))
	}
	c := &Cluster{Opts: opts, Dir: opts.Dir, RootPassword: randomSecret("root"), UserPassword: randomSecret(User)}
	if c.Dir == "" {
		d, err := os.MkdirTemp("", "etcd-harness-")
		if err != nil {
			return nil, err
		}
		c.Dir, c.ownDir = d, true
	} else if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return nil, err
	}
	names, err := c.setupPKI()
	if err != nil {
		c.Close()
		return nil, err
	}
	if err := c.startMembers(names); err != nil {
		c.Close()
		return nil, err
	}
	if opts.RBAC {
		if err := c.enableRBAC(); err != nil {
			c.Close()
			return nil, fmt.Errorf("enable RBAC: %w", err)
		}
	}
	return c, nil
}

// setupPKI makes the cluster's PKI, or takes Options.PKI, and returns the member names.
func (c *Cluster) setupPKI() ([]string, error) {
	if c.Opts.PKI != nil {
		c.PKI = c.Opts.PKI
		c.Opts.Members = len(c.PKI.Members)
		names := make([]string, len(c.PKI.Members))
		for i, m := range c.PKI.Members {
			names[i] = m.Name
		}
		return names, nil
	}
	names := make([]string, c.Opts.Members)
	for i := range names {
		names[i] = fmt.Sprintf("m%d", i)
	}
	pki, err := NewPKI(filepath.Join(c.Dir, "pki"), names, User)
	c.PKI = pki
	return names, err
}

// member is one etcd member, embedded or a process, and how to start it again.
type member struct {
	name, version      string
	clientURL, peerURL string
	advClient, advPeer string // what it advertises: its URLs, or its relays' (Options.Latency)
	dataDir, log       string
	certFile, keyFile  string // client-facing TLS
	trustedCA          string // "" unless client-cert auth
	peerCert, peerKey  string
	peerCA             string
	initialCluster     string
	state              string   // --initial-cluster-state: "new", or "existing" for a learner
	flags              []string // MemberFlags, ports filled in
	launched           bool     // started by Launch, not known to have joined
	run                runner   // nil while stopped
}

// runner is a started member: embedded or a process.
type runner interface {
	// stop ends the member: gracefully within grace, else by force.
	stop(grace time.Duration)
	// failed returns a channel that yields an error if the member dies.
	failed() <-chan error
}

func (c *Cluster) startMembers(names []string) error {
	scheme := "http"
	if c.Opts.TLS {
		scheme = "https"
	}
	if v := c.Opts.MemberVersions; len(v) > 0 && len(v) != len(names) {
		return fmt.Errorf("MemberVersions has %d entries for %d members", len(v), len(names))
	}
	var initial []string
	for i, name := range names {
		cport, err := ReservePort()
		if err != nil {
			return err
		}
		c.ports = append(c.ports, cport)
		pport, err := ReservePort()
		if err != nil {
			return err
		}
		c.ports = append(c.ports, pport)
		m := &member{
			name: name, version: c.Opts.Version,
			clientURL: fmt.Sprintf("%s://%s", scheme, cport.Addr()),
			peerURL:   fmt.Sprintf("%s://%s", scheme, pport.Addr()),
			dataDir:   filepath.Join(c.Dir, name+".etcd"),
			log:       filepath.Join(c.Dir, name+".log"),
		}
		if len(c.Opts.MemberVersions) > 0 {
			m.version = c.Opts.MemberVersions[i]
		}
		ports := strings.NewReplacer("{CLIENT_PORT}", strconv.Itoa(cport.Number), "{PEER_PORT}", strconv.Itoa(pport.Number))
		for _, f := range c.Opts.MemberFlags[i] {
			m.flags = append(m.flags, ports.Replace(f))
		}
		if m.version != "" && m.version != "embedded" {
			if _, err := EtcdBinary(m.version); err != nil {
				return err
			}
		} else if len(c.Opts.ExtraFlags) > 0 || len(m.flags) > 0 || c.Opts.AutoTLS {
			return errors.New("ExtraFlags, MemberFlags and AutoTLS need process members (set Options.Version)")
		}
		if c.Opts.TLS {
			p := c.PKI.Members[i]
			m.certFile, m.keyFile = p.ServerCert, p.ServerKey
			if c.Opts.ClientCertAuth {
				// etcd requires client certs whenever a trusted CA file is set, so
				// server-only TLS must leave it out.
				m.trustedCA = cmp.Or(p.TrustedCA, c.PKI.CA)
			}
			m.peerCert, m.peerKey, m.peerCA = p.PeerCert, p.PeerKey, cmp.Or(p.PeerTrustedCA, c.PKI.PeerCA)
		}
		m.advClient, m.advPeer = m.clientURL, m.peerURL
		if c.Opts.Latency > 0 {
			if m.version != "" && m.version != "embedded" {
				return errors.New("the Latency option needs embedded members")
			}
			for _, u := range []*string{&m.advClient, &m.advPeer} {
				r, err := StartRelay(hostPort(*u), c.Opts.Latency)
				if err != nil {
					return err
				}
				c.relays = append(c.relays, r)
				*u = scheme + "://" + r.Addr
			}
		}
		c.Endpoints = append(c.Endpoints, m.advClient)
		c.PeerURLs = append(c.PeerURLs, m.advPeer)
		initial = append(initial, name+"="+m.advPeer)
		c.members = append(c.members, m)
	}
	if c.Opts.Launch && (c.Opts.RBAC || c.Opts.Learners > 0) {
		return errors.New("Launch cannot enable RBAC or add learners: those need members that serve")
	}
	voting := len(c.members) - c.Opts.Learners
	if voting < 1 {
		return fmt.Errorf("%d learners leave no voting member among %d", c.Opts.Learners, len(c.members))
	}
	for _, m := range c.members[:voting] {
		m.initialCluster, m.state = strings.Join(initial[:voting], ","), "new"
	}
	// Members must start together: each waits for the others to form a quorum.
	errs := make([]error, voting)
	var wg sync.WaitGroup
	for i := range voting {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c.Opts.Launch {
				errs[i] = c.Launch(i)
			} else {
				errs[i] = c.Start(i)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i := voting; i < len(c.members); i++ {
		if err := c.addLearner(i, initial[:i+1]); err != nil {
			return err
		}
	}
	return nil
}

// addLearner adds member i to the running cluster as a learner and starts
// it with the cluster as it then is (--initial-cluster-state existing).
func (c *Cluster) addLearner(i int, initial []string) error {
	m := c.members[i]
	cli, err := c.client(c.Endpoints[:i])
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := cli.MemberAddAsLearner(ctx, []string{m.advPeer}); err != nil {
		return fmt.Errorf("add %s as a learner: %w", m.name, err)
	}
	m.initialCluster, m.state = strings.Join(initial, ","), "existing"
	return c.Start(i)
}

// Start starts member i (again, after Stop) with the flags it had and waits
// until it serves requests with a leader. Its data directory is kept, so a
// restarted member rejoins the cluster; certificate and CA files are read
// afresh, as by a real restart.
func (c *Cluster) Start(i int) error {
	if err := c.launch(i); err != nil {
		return err
	}
	c.members[i].launched = false
	if err := c.waitReady(i, 60*time.Second); err != nil {
		m := c.members[i]
		return fmt.Errorf("%s: %w (log: %s)", m.name, err, m.log)
	}
	return nil
}

// Launch starts member i (again, after Stop) like Start, but waits only
// until its client and peer ports accept connections, not until it serves:
// for a member that cannot join (say, a peer certificate the others
// refuse), whose failure is what a test looks at.
func (c *Cluster) Launch(i int) error {
	if err := c.launch(i); err != nil {
		return err
	}
	m := c.members[i]
	m.launched = true
	deadline := time.Now().Add(60 * time.Second)
	for _, u := range []string{m.clientURL, m.peerURL} {
		addr := mustURL(u).Host
		for {
			select {
			case err := <-m.run.failed():
				return fmt.Errorf("%s exited: %v (log: %s)", m.name, err, m.log)
			default:
			}
			cn, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				cn.Close()
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s does not listen on %s: %v (log: %s)", m.name, addr, err, m.log)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

func (c *Cluster) launch(i int) error {
	m := c.members[i]
	if m.run != nil {
		return fmt.Errorf("member %s is already running", m.name)
	}
	var (
		r   runner
		err error
	)
	if m.version == "" || m.version == "embedded" {
		r, err = c.startEmbedded(m)
	} else {
		r, err = c.startProcess(m)
	}
	if err != nil {
		return fmt.Errorf("start %s: %w (log: %s)", m.name, err, m.log)
	}
	m.run = r
	return nil
}

// waitReady polls member i's status until it reports a leader.
func (c *Cluster) waitReady(i int, within time.Duration) error {
	m := c.members[i]
	deadline := time.Now().Add(within)
	var last error
	for time.Now().Before(deadline) {
		select {
		case err := <-m.run.failed():
			return fmt.Errorf("exited before it was ready: %v", err)
		default:
		}
		last = c.memberStatus(i)
		if last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not ready within %s: %v", within, last)
}

func (c *Cluster) memberStatus(i int) error {
	cli, err := c.client([]string{c.members[i].clientURL})
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := cli.Status(ctx, c.members[i].clientURL)
	if err != nil {
		return err
	}
	if st.Leader == 0 {
		return errors.New("no leader yet")
	}
	return nil
}

// Client returns a client authenticated as root (by certificate when the
// cluster wants one, and by password once RBAC is on).
func (c *Cluster) Client() (*clientv3.Client, error) { return c.client(c.Endpoints) }

func (c *Cluster) client(endpoints []string) (*clientv3.Client, error) {
	cfg := clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()}
	switch {
	case c.Opts.AutoTLS:
		cfg.TLS = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // --auto-tls certificates have no CA
	case c.Opts.TLS:
		info := transport.TLSInfo{TrustedCAFile: c.PKI.CA, CertFile: c.PKI.RootCert, KeyFile: c.PKI.RootKey}
		tlsCfg, err := info.ClientConfig()
		if err != nil {
			return nil, err
		}
		chainOnly(tlsCfg)
		cfg.TLS = tlsCfg
	}
	if c.Opts.RBAC && !c.Opts.ClientCertAuth {
		cfg.Username, cfg.Password = "root", c.RootPassword
	}
	return clientv3.New(cfg)
}

// chainOnly makes the harness's own client check the server's chain against
// the CA but not the name dialled: a test may start members whose
// certificates deliberately lack 127.0.0.1 (a SAN mismatch under test), and
// the harness must still see them come up.
func chainOnly(cfg *tls.Config) {
	roots := cfg.RootCAs
	cfg.InsecureSkipVerify = true //nolint:gosec // the chain is verified below; only the name is not
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("the server sent no certificate")
		}
		opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
		for _, ic := range cs.PeerCertificates[1:] {
			opts.Intermediates.AddCert(ic)
		}
		_, err := cs.PeerCertificates[0].Verify(opts)
		return err
	}
}

func (c *Cluster) enableRBAC() error {
	cli, err := c.Client()
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	steps := []func() error{
		func() error { _, err := cli.RoleAdd(ctx, "root"); return err },
		func() error { _, err := cli.UserAdd(ctx, "root", c.RootPassword); return err },
		func() error { _, err := cli.UserGrantRole(ctx, "root", "root"); return err },
		func() error { _, err := cli.RoleAdd(ctx, User+"-role"); return err },
		func() error {
			_, err := cli.RoleGrantPermission(ctx, User+"-role", Prefix, clientv3.GetPrefixRangeEnd(Prefix), clientv3.PermissionType(clientv3.PermReadWrite))
			return err
		},
		func() error { _, err := cli.UserAdd(ctx, User, c.UserPassword); return err },
		func() error { _, err := cli.UserGrantRole(ctx, User, User+"-role"); return err },
		func() error { _, err := cli.AuthEnable(ctx); return err },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// portOf is the port of an endpoint URL.
func portOf(ep string) string {
	_, port, _ := net.SplitHostPort(hostPort(ep))
	return port
}

// Env describes the cluster to scripts and child processes.
func (c *Cluster) Env() map[string]string {
	env := map[string]string{
		"ETCD_ENDPOINTS": strings.Join(c.Endpoints, ","),
		"ETCD_ENDPOINT":  c.Endpoints[0],
		"ETCD_ADDR":      hostPort(c.Endpoints[0]),
		"ETCD_PORT":      portOf(c.Endpoints[0]),
		"ETCD_PEER":      c.PeerURLs[0],
		"ETCD_LOG":       c.LogPath(0),
		"ETCD_VERSION":   c.Version(0),
		"ETCD_DIR":       c.Dir,
		"PKI_DIR":        c.PKI.Dir,
		"CA":             c.PKI.CA,
		"CA_KEY":         c.PKI.CAKey,
		"PEER_CA":        c.PKI.PeerCA,
		"ROOT_CERT":      c.PKI.RootCert,
		"ROOT_KEY":       c.PKI.RootKey,
		"USER_CERT":      c.PKI.UserCert,
		"USER_KEY":       c.PKI.UserKey,
		"ROGUE_CERT":     c.PKI.RogueCert,
		"ROGUE_KEY":      c.PKI.RogueKey,
		"ROOT_PASSWORD":  c.RootPassword,
		"USER_NAME":      User,
		"USER_PASSWORD":  c.UserPassword,
		"USER_PREFIX":    Prefix,
	}
	for i, ep := range c.Endpoints {
		env[fmt.Sprintf("ETCD_ENDPOINT_%d", i)] = ep
		env[fmt.Sprintf("ETCD_ADDR_%d", i)] = hostPort(ep)
		env[fmt.Sprintf("ETCD_PEER_%d", i)] = c.PeerURLs[i]
		env[fmt.Sprintf("ETCD_LOG_%d", i)] = c.LogPath(i)
	}
	return env
}

// LogPath is member i's log file (zap JSON from 3.5 on, capnslog text from 3.4).
func (c *Cluster) LogPath(i int) string { return c.members[i].log }

// Version is the etcd version member i runs: "3.4", … or "embedded" (3.7).
func (c *Cluster) Version(i int) string {
	if v := c.members[i].version; v != "" {
		return v
	}
	return "embedded"
}

// Stop stops member i, leaving the others running (for failure scenarios and
// rolling restarts; Start(i) brings it back).
func (c *Cluster) Stop(i int) {
	grace := 10 * time.Second
	if c.members[i].launched {
		grace = time.Second // never joined: its graceful stop waits for a quorum it never had
	}
	c.stop(i, grace)
}

func (c *Cluster) stop(i int, grace time.Duration) {
	if m := c.members[i]; m.run != nil {
		m.run.stop(grace)
		m.run = nil
	}
}

// Close stops every member and removes the directory if Start made it.
func (c *Cluster) Close() {
	c.closeOnce.Do(func() {
		var wg sync.WaitGroup
		for i := range c.members {
			wg.Add(1)
			// Torn down, not restarted: a leader that cannot hand over
			// (a member broken on purpose) need not get its 10 s.
			go func() { defer wg.Done(); c.stop(i, 2*time.Second) }()
		}
		wg.Wait()
		for _, r := range c.relays {
			r.Close()
		}
		for _, p := range c.ports {
			p.Release()
		}
		if c.ownDir {
			os.RemoveAll(c.Dir)
		}
	})
}

// hostPort is a client URL's host:port (the endpoint without its scheme).
func hostPort(endpoint string) string { return mustURL(endpoint).Host }

func mustURL(s string) url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return *u
}

func randomSecret(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}
