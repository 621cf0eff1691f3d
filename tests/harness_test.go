package tests

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// putRefused is put for a client the server must refuse: gRPC retries a
// refused handshake until the deadline, so it is short (any error counts).
func putRefused(cli *clientv3.Client, key string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := cli.Put(ctx, key, "v")
	return err
}

func TestHarnessPlaintext(t *testing.T) {
	c := startCluster(t, harness.Plain)
	if !strings.HasPrefix(c.Endpoints[0], "http://127.0.0.1:") {
		t.Fatalf("endpoint %s is not plaintext loopback", c.Endpoints[0])
	}
	if err := put(dial(t, c, "", "", "", "", ""), "/k"); err != nil {
		t.Fatalf("plaintext put: %v", err)
	}
}

func TestHarnessServerTLS(t *testing.T) {
	c := startCluster(t, harness.TLS)
	if err := put(dial(t, c, c.PKI.CA, "", "", "", ""), "/k"); err != nil {
		t.Fatalf("TLS put without client cert should work: %v", err)
	}
	// A client that trusts another CA must fail the handshake.
	if _, err := tls.Dial("tcp", strings.TrimPrefix(c.Endpoints[0], "https://"), &tls.Config{ServerName: "localhost"}); err == nil {
		t.Fatal("handshake with an untrusting client succeeded")
	}
}

func TestHarnessClientCertAuth(t *testing.T) {
	c := startCluster(t, harness.MTLS)
	if err := put(dial(t, c, c.PKI.CA, c.PKI.RootCert, c.PKI.RootKey, "", ""), "/k"); err != nil {
		t.Fatalf("put with a client cert: %v", err)
	}
	if err := putRefused(dial(t, c, c.PKI.CA, "", "", "", ""), "/k"); err == nil {
		t.Fatal("mTLS server accepted a client without a certificate")
	}
	if err := putRefused(dial(t, c, c.PKI.CA, c.PKI.RogueCert, c.PKI.RogueKey, "", ""), "/k"); err == nil {
		t.Fatal("mTLS server accepted a client cert from a rogue CA")
	}
}

func TestHarnessRBACByCertCN(t *testing.T) {
	c := startCluster(t, harness.RBAC)
	user := dial(t, c, c.PKI.CA, c.PKI.UserCert, c.PKI.UserKey, "", "")
	if err := put(user, harness.Prefix+"x"); err != nil {
		t.Fatalf("user inside its prefix: %v", err)
	}
	if err := put(user, "/other/x"); !errors.Is(err, rpctypes.ErrPermissionDenied) {
		t.Fatalf("user outside its prefix: got %v, want permission denied", err)
	}
	if err := put(dial(t, c, c.PKI.CA, c.PKI.RootCert, c.PKI.RootKey, "", ""), "/other/x"); err != nil {
		t.Fatalf("root by cert CN: %v", err)
	}
}

func TestHarnessRBACByPassword(t *testing.T) {
	c := startCluster(t, harness.PwdRBAC)
	if err := put(dial(t, c, c.PKI.CA, "", "", harness.User, c.UserPassword), harness.Prefix+"x"); err != nil {
		t.Fatalf("user with password: %v", err)
	}
	cfg := clientv3.Config{Endpoints: c.Endpoints, DialTimeout: 2 * time.Second, Username: harness.User, Password: "wrong", Logger: zap.NewNop()}
	info := transport.TLSInfo{TrustedCAFile: c.PKI.CA}
	cfg.TLS, _ = info.ClientConfig()
	if cli, err := clientv3.New(cfg); err == nil {
		defer cli.Close()
		err = put(cli, harness.Prefix+"x")
		if !errors.Is(err, rpctypes.ErrAuthFailed) {
			t.Fatalf("wrong password: got %v, want authentication failed", err)
		}
	} else if !errors.Is(err, rpctypes.ErrAuthFailed) {
		t.Fatalf("wrong password: got %v, want authentication failed", err)
	}
	if err := put(dial(t, c, c.PKI.CA, "", "", "", ""), harness.Prefix+"x"); err == nil {
		t.Fatal("anonymous put succeeded with auth enabled")
	}
}

func TestHarnessThreeMembersPeerTLS(t *testing.T) {
	c := startCluster(t, harness.Cluster3)
	cli := dial(t, c, c.PKI.CA, c.PKI.RootCert, c.PKI.RootKey, "", "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	members, err := cli.MemberList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(members.Members) != 3 {
		t.Fatalf("got %d members, want 3", len(members.Members))
	}
	for _, m := range members.Members {
		if len(m.PeerURLs) == 0 || !strings.HasPrefix(m.PeerURLs[0], "https://") {
			t.Fatalf("member %s peer URLs %v are not TLS", m.Name, m.PeerURLs)
		}
	}
	leaders := map[uint64]bool{}
	for _, ep := range c.Endpoints {
		st, err := cli.Status(ctx, ep)
		if err != nil {
			t.Fatalf("status %s: %v", ep, err)
		}
		leaders[st.Leader] = true
	}
	if len(leaders) != 1 {
		t.Fatalf("members disagree on the leader: %v", leaders)
	}
	// Peer TLS really requires the peer CA: a client cert from the client CA is refused on a peer port.
	cert, err := tls.LoadX509KeyPair(c.PKI.RootCert, c.PKI.RootKey)
	if err != nil {
		t.Fatal(err)
	}
	// Under TLS 1.3 the client's handshake completes before the server has
	// checked its certificate: the refusal is the alert the next read gets.
	// Only that alert counts (a read that times out would mean the port took
	// the certificate and waits for a request).
	conn, err := tls.Dial("tcp", strings.TrimPrefix(c.PeerURLs[0], "https://"), &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{cert}})
	if err == nil {
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = conn.Read(make([]byte, 1))
		conn.Close()
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" {
		t.Fatalf("peer port did not refuse a certificate from the client CA with a TLS alert: %v", err)
	}
}

// TestPrivateKeyring proves keyring tests talk to their own Secret Service:
// an item written through go-keyring is visible with secret-tool on the
// private bus, the bus is not the session's, and the data lives in the test dir.
func TestPrivateKeyring(t *testing.T) {
	harness.Need(t, harness.HasCommand("dbus-daemon") && harness.HasCommand("gnome-keyring-daemon") && harness.HasCommand("secret-tool"), "dbus, gnome-keyring and libsecret-tools")
	dir := t.TempDir()
	k, err := harness.StartKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if session := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); session != "" && session == k.Address {
		t.Fatalf("private keyring uses the session bus %s", session)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", k.Address)
	if err := keyring.Set("etcd-ctx-harness", "probe", "private-value"); err != nil {
		t.Fatalf("go-keyring Set on the private bus: %v", err)
	}
	cmd := exec.Command("secret-tool", "lookup", "service", "etcd-ctx-harness", "username", "probe")
	cmd.Env = k.Env()
	out, err := cmd.Output()
	if err != nil || string(out) != "private-value" {
		t.Fatalf("secret-tool lookup on the private bus: %q, %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "keyrings", "login.keyring")); err != nil {
		t.Fatalf("the keyring file is not in the test directory: %v", err)
	}
}

// TestHarnessProcessVersions: each real etcd version starts as a process with
// TLS, client-certificate auth and RBAC, and enforces them; a stopped member
// starts again on its data.
func TestHarnessProcessVersions(t *testing.T) {
	for _, v := range harness.Versions {
		t.Run(v, func(t *testing.T) {
			if v == "3.4" {
				harness.Need(t, harness.HasEtcd34(), "Debian's etcd 3.4 (etcd-server)")
			}
			t.Parallel()
			opts := harness.RBAC
			opts.Version = v
			c := startCluster(t, opts)
			root := dial(t, c, c.PKI.CA, c.PKI.RootCert, c.PKI.RootKey, "", "")
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			st, err := root.Status(ctx, c.Endpoints[0])
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(st.Version, v+".") {
				t.Fatalf("member runs etcd %s, want %s.x", st.Version, v)
			}
			if err := put(root, "/kept"); err != nil {
				t.Fatalf("root by cert CN: %v", err)
			}
			user := dial(t, c, c.PKI.CA, c.PKI.UserCert, c.PKI.UserKey, "", "")
			if err := put(user, "/other/x"); !errors.Is(err, rpctypes.ErrPermissionDenied) {
				t.Fatalf("user outside its prefix: got %v, want permission denied", err)
			}
			if err := putRefused(dial(t, c, c.PKI.CA, c.PKI.RogueCert, c.PKI.RogueKey, "", ""), harness.Prefix+"x"); err == nil {
				t.Fatal("a client cert from a rogue CA was accepted")
			}
			c.Stop(0)
			if err := c.Start(0); err != nil {
				t.Fatal(err)
			}
			ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel2()
			resp, err := dial(t, c, c.PKI.CA, c.PKI.RootCert, c.PKI.RootKey, "", "").Get(ctx2, "/kept")
			if err != nil {
				t.Fatalf("after a restart: %v", err)
			}
			if resp.Count != 1 {
				t.Fatalf("after a restart: %d keys, want the key written before", resp.Count)
			}
			if log, err := os.ReadFile(c.LogPath(0)); err != nil || len(log) == 0 {
				t.Fatalf("no member log at %s: %v", c.LogPath(0), err)
			}
		})
	}
}

// TestHarnessProcessCluster: three etcd 3.4 processes over peer TLS keep a
// quorum through a rolling restart.
func TestHarnessProcessCluster(t *testing.T) {
	harness.Need(t, harness.HasEtcd34(), "Debian's etcd 3.4 (etcd-server)")
	opts := harness.Cluster3
	opts.Version = "3.4"
	c := startCluster(t, opts)
	cli := dial(t, c, c.PKI.CA, c.PKI.RootCert, c.PKI.RootKey, "", "")
	for i := range c.Endpoints {
		c.Stop(i)
		if err := put(cli, fmt.Sprintf("/during-%d", i)); err != nil {
			t.Fatalf("member %d down: %v", i, err)
		}
		if err := c.Start(i); err != nil {
			t.Fatal(err)
		}
	}
}
