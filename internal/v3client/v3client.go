// Package v3client builds etcd clients from conn.Settings. It is apart from
// conn because importing clientv3 links gRPC and protobuf, whose package
// initialisation costs milliseconds in every process that imports them.
package v3client

import (
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/etcd-ctx/etcd-ctx/internal/conn"
)

// Config builds a clientv3.Config. The client logs nothing: errors are
// returned to the caller, which explains them.
func Config(s conn.Settings) (clientv3.Config, error) {
	p, err := s.Prepare()
	if err != nil {
		return clientv3.Config{}, err
	}
	cfg := clientv3.Config{
		Endpoints:   p.Endpoints,
		TLS:         p.TLS,
		Username:    s.Username,
		Password:    s.Password,
		Token:       s.Token,
		DialTimeout: p.Timeout,
		Logger:      zap.NewNop(),
	}
	if s.ServerName != "" && p.TLS != nil {
		// gRPC's TLS credentials set tls.Config.ServerName from the
		// connection's authority, overwriting ours: the name to verify must
		// be the authority itself, or it is silently ignored (and the run
		// ends in a handshake retried until the deadline).
		cfg.DialOptions = append(cfg.DialOptions, grpc.WithAuthority(s.ServerName))
	}
	return cfg, nil
}

// New connects a client.
func New(s conn.Settings) (*clientv3.Client, error) {
	cfg, err := Config(s)
	if err != nil {
		return nil, err
	}
	return clientv3.New(cfg)
}
