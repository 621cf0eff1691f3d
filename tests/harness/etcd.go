// Package harness starts real etcd servers (embedded, go.etcd.io/etcd/server/v3/embed)
// on free loopback ports, with the TLS, client-certificate and RBAC setups the
// suite must handle, plus a private Secret Service and the binaries under test.
// It is used by the end-to-end tests and by `make demo`.
package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Options selects what the cluster enforces.
type Options struct {
	TLS            bool   // clients must speak TLS
	ClientCertAuth bool   // --client-cert-auth: clients must present a cert from the CA
	RBAC           bool   // auth enabled: root user/role and a user limited to Prefix
	Members        int    // 1 if zero; more members form a cluster over peer TLS when TLS is on
	AuthToken      string // --auth-token, e.g. "jwt,pub-key=…"; default "simple"
	Dir            string // where data, logs and PKI go; a new temp dir if empty
	// PKI, when set, is used instead of a generated one: member names and
	// count come from PKI.Members (e.g. files written by etcd-certwiz init).
	PKI *PKI
}

// Standard modes.
var (
	Plain    = Options{}
	TLS      = Options{TLS: true}
	MTLS     = Options{TLS: true, ClientCertAuth: true}
	RBAC     = Options{TLS: true, ClientCertAuth: true, RBAC: true}
	PwdRBAC  = Options{TLS: true, RBAC: true}
	Cluster3 = Options{TLS: true, ClientCertAuth: true, Members: 3}
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
	members      []*embed.Etcd
	ownDir       bool
	closeOnce    sync.Once
}

// Start starts a cluster and waits until it serves requests.
func Start(opts Options) (*Cluster, error) {
	if opts.Members <= 0 {
		opts.Members = 1
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

func (c *Cluster) startMembers(names []string) error {
	scheme := "http"
	if c.Opts.TLS {
		scheme = "https"
	}
	cfgs := make([]*embed.Config, len(names))
	var initial []string
	for i, name := range names {
		cport, pport := freePort(), freePort()
		if cport == 0 || pport == 0 {
			return errors.New("no free loopback port")
		}
		curl := fmt.Sprintf("%s://127.0.0.1:%d", scheme, cport)
		purl := fmt.Sprintf("%s://127.0.0.1:%d", scheme, pport)
		c.Endpoints = append(c.Endpoints, curl)
		c.PeerURLs = append(c.PeerURLs, purl)
		initial = append(initial, name+"="+purl)
		cfg := embed.NewConfig()
		cfg.Name = name
		cfg.Dir = filepath.Join(c.Dir, name+".etcd")
		cfg.ListenClientUrls = []url.URL{mustURL(curl)}
		cfg.AdvertiseClientUrls = cfg.ListenClientUrls
		cfg.ListenPeerUrls = []url.URL{mustURL(purl)}
		cfg.AdvertisePeerUrls = cfg.ListenPeerUrls
		cfg.LogLevel = "warn"
		cfg.LogOutputs = []string{filepath.Join(c.Dir, name+".log")}
		cfg.TickMs, cfg.ElectionMs = 50, 500
		cfg.InitialClusterToken = "harness"
		if c.Opts.AuthToken != "" {
			cfg.AuthToken = c.Opts.AuthToken
		}
		if c.Opts.TLS {
			m := c.PKI.Members[i]
			cfg.ClientTLSInfo = transport.TLSInfo{CertFile: m.ServerCert, KeyFile: m.ServerKey}
			if c.Opts.ClientCertAuth {
				// etcd requires client certs whenever a trusted CA file is set, so
				// server-only TLS must leave it out.
				cfg.ClientTLSInfo.TrustedCAFile, cfg.ClientTLSInfo.ClientCertAuth = c.PKI.CA, true
			}
			cfg.PeerTLSInfo = transport.TLSInfo{CertFile: m.PeerCert, KeyFile: m.PeerKey, TrustedCAFile: c.PKI.PeerCA, ClientCertAuth: true}
		}
		cfgs[i] = cfg
	}
	for _, cfg := range cfgs {
		cfg.InitialCluster = strings.Join(initial, ",")
	}
	// Members must start together: each waits for the others to form a quorum.
	errs := make([]error, len(cfgs))
	c.members = make([]*embed.Etcd, len(cfgs))
	var wg sync.WaitGroup
	for i, cfg := range cfgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := embed.StartEtcd(cfg)
			if err != nil {
				errs[i] = fmt.Errorf("start %s: %w (log: %s)", cfg.Name, err, cfg.LogOutputs[0])
				return
			}
			c.members[i] = e
			select {
			case <-e.Server.ReadyNotify():
			case err := <-e.Err():
				errs[i] = fmt.Errorf("%s: %w", cfg.Name, err)
			case <-time.After(60 * time.Second):
				errs[i] = fmt.Errorf("%s did not become ready within 60s (log: %s)", cfg.Name, cfg.LogOutputs[0])
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Client returns a client authenticated as root (by certificate when the
// cluster wants one, and by password once RBAC is on).
func (c *Cluster) Client() (*clientv3.Client, error) {
	cfg := clientv3.Config{Endpoints: c.Endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()}
	if c.Opts.TLS {
		info := transport.TLSInfo{TrustedCAFile: c.PKI.CA, CertFile: c.PKI.RootCert, KeyFile: c.PKI.RootKey}
		tlsCfg, err := info.ClientConfig()
		if err != nil {
			return nil, err
		}
		cfg.TLS = tlsCfg
	}
	if c.Opts.RBAC && !c.Opts.ClientCertAuth {
		cfg.Username, cfg.Password = "root", c.RootPassword
	}
	return clientv3.New(cfg)
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

// Env describes the cluster to scripts and child processes.
func (c *Cluster) Env() map[string]string {
	env := map[string]string{
		"ETCD_ENDPOINTS": strings.Join(c.Endpoints, ","),
		"ETCD_ENDPOINT":  c.Endpoints[0],
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
	}
	return env
}

// Stop stops member i, leaving the others running (for failure scenarios).
func (c *Cluster) Stop(i int) {
	if e := c.members[i]; e != nil {
		e.Close()
		c.members[i] = nil
	}
}

// Close stops every member and removes the directory if Start made it.
func (c *Cluster) Close() {
	c.closeOnce.Do(func() {
		var wg sync.WaitGroup
		for i := range c.members {
			wg.Add(1)
			go func() { defer wg.Done(); c.Stop(i) }()
		}
		wg.Wait()
		if c.ownDir {
			os.RemoveAll(c.Dir)
		}
	})
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

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
