package harness

import (
	"net/url"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	"go.etcd.io/etcd/server/v3/embed"
)

// embedded is a member running inside the test process (etcd 3.7).
type embedded struct{ e *embed.Etcd }

func (c *Cluster) startEmbedded(m *member) (runner, error) {
	cfg := embed.NewConfig()
	cfg.Name = m.name
	cfg.Dir = m.dataDir
	cfg.ListenClientUrls = []url.URL{mustURL(m.clientURL)}
	cfg.AdvertiseClientUrls = []url.URL{mustURL(m.advClient)}
	cfg.ListenPeerUrls = []url.URL{mustURL(m.peerURL)}
	cfg.AdvertisePeerUrls = []url.URL{mustURL(m.advPeer)}
	cfg.InitialCluster = m.initialCluster
	cfg.ClusterState = m.state
	cfg.LogLevel = "warn"
	cfg.LogOutputs = []string{m.log}
	cfg.TickMs, cfg.ElectionMs = 50, 500
	cfg.InitialClusterToken = "harness"
	if c.Opts.AuthToken != "" {
		cfg.AuthToken = c.Opts.AuthToken
	}
	if c.Opts.TLS {
		cfg.ClientTLSInfo = transport.TLSInfo{CertFile: m.certFile, KeyFile: m.keyFile}
		if m.trustedCA != "" {
			cfg.ClientTLSInfo.TrustedCAFile, cfg.ClientTLSInfo.ClientCertAuth = m.trustedCA, true
		}
		cfg.PeerTLSInfo = transport.TLSInfo{CertFile: m.peerCert, KeyFile: m.peerKey, TrustedCAFile: m.peerCA, ClientCertAuth: true}
	}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, err
	}
	return &embedded{e: e}, nil
}

func (r *embedded) stop(time.Duration) { r.e.Close() }

func (r *embedded) failed() <-chan error { return r.e.Err() }
