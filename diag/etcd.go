package diag

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/etcd-ctx/etcd-ctx/internal/v3client"
)

// etcdStatus opens the etcd client on this endpoint and asks for its status.
func (p *prober) etcdStatus(ctx context.Context) bool {
	s := p.in.Settings
	s.Endpoints = []string{p.ep.URL}
	cfg, err := v3client.Config(s)
	if err != nil {
		p.step("etcd", false, err.Error())
		p.fail(Finding{ID: "client-cert-invalid", Severity: Error, Cause: err.Error(), Fix: "fix the input named in the cause"})
		return false
	}
	cfg.DialTimeout = remaining(ctx)
	if cfg.Username != "" {
		// Logging in is a raft commit: without a quorum it never answers,
		// and the other half of the time asks without credentials.
		cfg.DialTimeout /= 2
	}
	cfg.Context = ctx
	cli, err := clientv3.New(cfg)
	if err != nil {
		if cfg.Username != "" && stalled(err) && p.unauthenticated(ctx, cfg, err) {
			return false
		}
		p.step("etcd", false, err.Error())
		p.fail(p.rpcFinding(err, "connect"))
		return false
	}
	p.client = cli
	st, err := memberStatus(ctx, cli, p.ep.URL)
	if err != nil {
		p.step("etcd", false, err.Error())
		if _, ok := rpctypes.Error(err).(rpctypes.EtcdError); ok {
			p.answered = true
		}
		if p.in.Settings.Token != "" && tokenVerdict(err) == tokenRefused {
			p.token, p.tokenErr = tokenRefused, err // judged with every member's answer
			return false
		}
		p.fail(p.rpcFinding(err, "status"))
		return false
	}
	p.ep.Reachable, p.answered = true, true
	if p.ready != nil {
		p.ready <- p
	}
	p.ep.Status = &Status{
		Version: st.Version, ClusterID: id(st.Header.ClusterId), MemberID: id(st.Header.MemberId),
		Leader: id(st.Leader), IsLeader: st.Leader == st.Header.MemberId, RaftTerm: st.RaftTerm, RaftIndex: st.RaftIndex,
		DBSize: st.DbSize, Errors: st.Errors,
	}
	p.ep.Status.Learner = st.IsLearner
	detail := fmt.Sprintf("etcd %s, member %s, raft term %d index %d, db %s", st.Version, id(st.Header.MemberId), st.RaftTerm, st.RaftIndex, bytesize(st.DbSize))
	switch {
	case st.Leader == 0:
		p.noLeader = true
		p.step("etcd", false, detail+", no leader")
		p.fail(noLeader(id(st.Header.MemberId)))
		return false
	case st.IsLearner:
		p.step("etcd", true, detail+", learner")
		if !p.member {
			p.fail(learnerEndpoint(p.ep.URL, id(st.Header.MemberId)))
		}
		return false
	case p.ep.Status.IsLeader:
		detail += ", leader"
	}
	p.step("etcd", true, detail)
	if st.DbSize > 0 && p.in.Quota > 0 && float64(st.DbSize) >= 0.8*float64(p.in.Quota) {
		p.fail(Finding{ID: "db-size-near-quota", Severity: Warning,
			Cause:    fmt.Sprintf("the database is %s, %.0f%% of the %s quota; at 100%% etcd raises NOSPACE and refuses writes", bytesize(st.DbSize), 100*float64(st.DbSize)/float64(p.in.Quota), bytesize(p.in.Quota)),
			Fix:      "compact and defragment: etcdctl compact $(etcdctl endpoint status -w json | jq '.[0].Status.header.revision'); etcdctl defrag --cluster; or raise --quota-backend-bytes",
			Evidence: []string{fmt.Sprintf("dbSize %d, dbSizeInUse %d", st.DbSize, st.DbSizeInUse)}})
	}
	return true
}

// memberStatus asks the one endpoint cli was made for for its status, on
// cli's own connection. clientv3's Maintenance.Status opens a connection of
// its own to the endpoint it is given (one more TLS handshake on each side,
// a quarter of a healthy diagnosis's CPU) and closes it after the call; with
// a single endpoint that connection reaches the same member. The call goes
// through the same retrying client, call options and error conversion.
func memberStatus(ctx context.Context, cli *clientv3.Client, endpoint string) (*clientv3.StatusResponse, error) {
	m := clientv3.NewMaintenanceFromMaintenanceClient(clientv3.RetryMaintenanceClient(cli, cli.ActiveConnection()), cli)
	return m.Status(ctx, endpoint)
}

// unauthenticated runs when logging in with the user and password got no
// answer in time once TLS and HTTP/2 worked: etcd commits every
// authentication through raft, so a member that cannot reach a quorum never
// answers it. Asked without credentials, the member still answers: status
// on etcd 3.4 and 3.5 (3.6 and later keep it for the root role), and on
// every version the serializable member list, whose header names the
// member. The stall is then judged with every member's answer
// (quorumVerdict); false when the member does not answer that either.
func (p *prober) unauthenticated(ctx context.Context, cfg clientv3.Config, authErr error) bool {
	user := cfg.Username
	cfg.Username, cfg.Password = "", ""
	cfg.DialTimeout = remaining(ctx)
	cli, err := clientv3.New(cfg)
	if err != nil {
		return false
	}
	var st *Status
	who := "the member"
	s, err := memberStatus(ctx, cli, p.ep.URL)
	if err == nil {
		st = &Status{Version: s.Version, ClusterID: id(s.Header.ClusterId), MemberID: id(s.Header.MemberId), Leader: id(s.Leader),
			IsLeader: s.Leader == s.Header.MemberId, RaftTerm: s.RaftTerm, RaftIndex: s.RaftIndex, DBSize: s.DbSize, Errors: s.Errors, Learner: s.IsLearner}
	} else if ml, mlErr := cli.MemberList(ctx, clientv3.WithSerializable()); mlErr == nil {
		st = &Status{ClusterID: id(ml.Header.ClusterId), MemberID: id(ml.Header.MemberId), RaftTerm: ml.Header.RaftTerm}
	} else if isEtcdAnswer(err) {
		// etcd 3.6+ with password auth keeps both for users: its refusal
		// still shows a live member (whose ID stays unknown).
		st, who = &Status{}, "the member (it refused an anonymous status: \""+rpctypes.ErrorDesc(err)+"\")"
	}
	if st == nil {
		cli.Close()
		return false
	}
	p.client, p.ep.Status, p.answered = cli, st, true
	p.commitErr = fmt.Errorf("logging in as %s (committed through raft) got no answer in time: %w", user, authErr)
	p.noLeader = st.Leader == "0"
	if p.ready != nil {
		p.ready <- p
	}
	if st.MemberID != "" {
		who = "member " + st.MemberID
	}
	p.step("etcd", false, fmt.Sprintf("%s answers without credentials, but logging in as %s got no answer in time (etcd commits each login through raft)", who, user))
	return true
}

// learnerEndpoint is a dialled endpoint that is a learner: it serves status
// and serializable reads only (etcd's isRPCSupportedForLearner, 3.4 to 3.7).
func learnerEndpoint(url, member string) Finding {
	return Finding{ID: "learner-rpc-unsupported", Severity: Warning, Endpoint: url,
		Cause:    fmt.Sprintf("%s is member %s, a learner (a member being added, without a vote): it answers status and serializable reads only and refuses writes, linearizable reads, auth and the member list with \"rpc not supported for learner\", so clients and etcdctl given this endpoint fail", url, member),
		Fix:      "give clients the voting members' client URLs instead (etcdctl member list -w table: IS LEARNER false); once the learner has caught up, promote it: etcdctl member promote " + member,
		Evidence: []string{"status: isLearner true"}}
}

// quorum checks that the member serves a linearizable read, which needs the
// leader to confirm with a quorum that it still leads (ReadIndex) before
// anything else, permissions included: every identity can ask, and any
// answer but a stall (a timeout, no leader) means the cluster commits. A
// serializable read first shows whether the member answers on its own.
// Whether a stall is a lost quorum or a member cut off from the others is
// decided with every member's answer (quorumVerdict).
func (p *prober) quorum(ctx context.Context) bool {
	_, serr := p.client.Get(ctx, p.probeKey(), clientv3.WithCountOnly(), clientv3.WithSerializable())
	p.serialOK = serr == nil || isEtcdAnswer(serr)
	t0 := time.Now()
	_, err := p.client.Get(ctx, p.probeKey(), clientv3.WithCountOnly())
	if !stalled(err) {
		p.committed = true
		p.step("quorum", true, fmt.Sprintf("a linearizable read was confirmed by the leader in %s", time.Since(t0).Round(10*time.Microsecond)))
		return true
	}
	p.commitErr = err
	what := "a linearizable read got no answer in time (" + err.Error() + ")"
	if p.serialOK {
		what += "; a serializable read (--consistency=s) answers"
	}
	p.step("quorum", false, what)
	return false
}

// stalled reports an answer that says the member could not get a leader's
// confirmation: a timeout, no leader, or one of etcd's request timeouts.
func stalled(err error) bool {
	if err == nil {
		return false
	}
	e := rpctypes.Error(err)
	for _, s := range []error{rpctypes.ErrNoLeader, rpctypes.ErrTimeout, rpctypes.ErrTimeoutDueToLeaderFail, rpctypes.ErrTimeoutDueToConnectionLost,
		rpctypes.ErrLeaderChanged, rpctypes.ErrTimeoutWaitAppliedIndex} {
		if errors.Is(e, s) {
			return true
		}
	}
	return isTimeout(err) || status.Code(err) == codes.DeadlineExceeded
}

// isEtcdAnswer reports an error etcd itself returned (not a transport failure).
func isEtcdAnswer(err error) bool {
	_, ok := rpctypes.Error(err).(rpctypes.EtcdError)
	return ok
}

func noLeader(member string) Finding {
	return Finding{ID: "no-leader", Severity: Error, Cause: "member " + member + " reports no leader: the cluster has lost quorum or this member is cut off from its peers",
		Fix:      "check that a majority of members are up and can reach each other on the peer port (2380): etcdctl endpoint status --cluster -w table; look for 'lost leader' or peer TLS errors in the member logs",
		Evidence: []string{"status.leader = 0"}}
}

// keyAccess checks --key-path (with --prefix) and explains a denial.
func (p *prober) keyAccess(ctx context.Context) bool {
	if p.in.KeyPath == "" {
		return true
	}
	opts := []clientv3.OpOption{clientv3.WithCountOnly()}
	what := "key " + p.in.KeyPath
	if p.in.Prefix {
		opts = append(opts, clientv3.WithPrefix())
		what = "prefix " + p.in.KeyPath
	}
	resp, err := p.client.Get(ctx, p.in.KeyPath, opts...)
	if err == nil {
		p.step("access", true, fmt.Sprintf("may read %s (%d keys)", what, resp.Count))
		return true
	}
	p.step("access", false, err.Error())
	if errors.Is(rpctypes.Error(err), rpctypes.ErrPermissionDenied) {
		p.fail(p.explainDenied(ctx, what))
		return false
	}
	p.fail(p.rpcFinding(err, "access"))
	return false
}

// rpcFinding classifies an error from the etcd client by its typed etcd
// error first, then by gRPC code, and only then by text.
func (p *prober) rpcFinding(err error, stage string) Finding {
	etcdErr := rpctypes.Error(err)
	ev := []string{err.Error()}
	switch {
	case errors.Is(etcdErr, rpctypes.ErrAuthFailed):
		return Finding{ID: "auth-bad-credentials", Severity: Error, Cause: fmt.Sprintf("etcd refused the user name or password of %q", p.in.Settings.Username),
			Fix:      "check both (as root: etcdctl user get " + p.in.Settings.Username + "); reset with etcdctl user passwd " + p.in.Settings.Username + "; then " + p.in.setFlag("user", p.in.Settings.Username) + " --password-stdin",
			Evidence: ev}
	case errors.Is(etcdErr, rpctypes.ErrInvalidAuthToken), errors.Is(etcdErr, rpctypes.ErrAuthOldRevision):
		return Finding{ID: "auth-token-invalid", Severity: Error, Cause: "etcd rejected the token: it expired, was signed for another cluster or key, or predates an auth change (stale auth revision)",
			Fix: "mint a fresh one (etcd-certwiz jwt-token --user USER --context ADMIN) and store it: etcd-ctx set NAME --token-stdin", Evidence: ev}
	case errors.Is(etcdErr, rpctypes.ErrUserEmpty), errors.Is(etcdErr, rpctypes.ErrUserNotFound) && p.in.Settings.Username == "":
		f := Finding{ID: "auth-credentials-missing", Severity: Error, Cause: "authentication is enabled and etcd saw no user: no password, no token, and no client certificate CN it uses",
			Fix: "give credentials: " + p.in.setFlag("user", "USER") + " --password-stdin, a token, or a client certificate whose CN is an etcd user (with --client-cert-auth on the server)", Evidence: ev}
		if p.st.clientCert != nil {
			f.Evidence = append(f.Evidence, p.unusedCertEvidence())
		}
		return f
	case errors.Is(etcdErr, rpctypes.ErrUserNotFound):
		return p.userNotFound(p.userName(), err)
	case errors.Is(etcdErr, rpctypes.ErrNoLeader):
		return noLeader(p.ep.URL)
	case errors.Is(etcdErr, rpctypes.ErrPermissionDenied):
		return Finding{ID: "permission-denied", Severity: Error, Cause: "etcd refused the " + stage + " call to " + p.identity(),
			Fix: "as root: etcdctl user get " + pick(p.userName() != "", p.userName(), "USER") + " shows its roles; admin calls need the root role (etcd-diag --admin tells), key reads a role covering the key (etcd-diag --key-path KEY tells)", Evidence: ev}
	case isTimeout(err) || status.Code(err) == codes.DeadlineExceeded || status.Code(err) == codes.Unavailable:
		f := p.timeoutFinding("TLS and HTTP/2 worked, but the etcd " + stage + " call got no answer in time")
		f.Evidence = append(f.Evidence, err.Error())
		return f
	}
	return Finding{ID: "etcd-error", Severity: Error, Cause: "etcd answered " + stage + " with an error: " + etcdErr.Error(),
		Fix: "see the member's log (journalctl -u etcd) around this time", Evidence: ev}
}

// unusedCertEvidence says why etcd saw no user although a client
// certificate was given. Under --client-cert-auth etcd takes the CN of a
// verified certificate as the user, and a CN that is no etcd user (or is
// empty) is refused as "permission denied", never as "user name is empty"
// (etcd 3.4, 3.5, 3.7): so the empty user means the CN never reached it.
func (p *prober) unusedCertEvidence() string {
	cn := "a client certificate (CN=" + p.st.clientCert.Subject.CommonName + ")"
	switch info := p.ep.TLS; {
	case info != nil && !info.ClientCertRequested:
		return cn + " was given, but this server does not ask for one (its --client-cert-auth is off), so it was not sent and etcd uses no CN as the user"
	case info != nil && info.ClientCertSent:
		return cn + " was sent and the server asked for it, yet etcd saw no user: with --client-cert-auth on it would take the CN (an unknown CN is \"permission denied\"), so something between (a TLS-terminating proxy, etcd's gRPC gateway) drops it"
	}
	return cn + " was given, but etcd took no user from it: its --client-cert-auth is off, or a proxy in between terminates TLS"
}

func remaining(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		if d := time.Until(dl); d > 0 {
			return d
		}
		return time.Millisecond
	}
	return 5 * time.Second
}

func id(v uint64) string { return fmt.Sprintf("%x", v) }

func bytesize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
