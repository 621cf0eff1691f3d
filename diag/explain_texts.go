package diag

// texts gives each id's generic cause and fix, for explain (a live diagnosis
// fills in names, addresses and files instead). A message or TLS rule may
// say more for its own case.
var texts = map[string][2]string{
	// Reaching the endpoint.
	"endpoint-invalid":   {"an endpoint is not a valid URL (scheme://host:port)", "write endpoints as https://HOST:2379; IPv6 hosts in brackets: https://[2001:db8::1]:2379"},
	"dns-unresolvable":   {"the endpoint's host name does not resolve", "check the name (getent hosts HOST) and /etc/resolv.conf, or use the member's IP in --endpoints"},
	"connection-refused": {"nothing listens on that address and port", "start etcd there (systemctl status etcd) or fix the port: --listen-client-urls must include it"},
	"connection-failed":  {"the TCP connection cannot be opened (no route)", "check routing and firewalls between here and the member"},
	"cert-unsupported":   {"a certificate or key is one Go (and so etcd) refuses: a curve or key type it lacks, a SHA-1 or MD5 signature, a negative serial number", "reissue it with P-256 or RSA, SHA-256 and a positive serial (openssl … -sha256 -set_serial 0x$(openssl rand -hex 16), or etcd-certwiz)"},
	"proxy-in-path":      {"the client went through an HTTP proxy (HTTPS_PROXY) to reach etcd, and the proxy is down or refuses to tunnel", "exempt the members from the proxy: NO_PROXY=\"$NO_PROXY,10.0.0.5\" (every member's address, a subnet like 10.0.0.0/24, or a domain suffix), or run the client with env -u HTTPS_PROXY -u https_proxy; etcdctl 3.4 ignores the proxy, so it working proves nothing"},
	"timeout":            {"no answer in time: a firewall drops packets, a member hangs, or a TLS failure was hidden behind a deadline", "run etcd-diag with the same settings to name the rung that fails; check the port with ss -ltnp on the host"},

	// TLS between a client and a member.
	"server-not-tls":            {"the client speaks TLS (https:// or a CA given) but the server speaks plaintext", "use http:// for this endpoint, or enable TLS on etcd (--cert-file, --key-file, https:// in --listen-client-urls)"},
	"server-requires-tls":       {"the client speaks plaintext (http://) but the server speaks TLS", "use https:// and --cacert with the CA that signed the server certificate"},
	"server-ca-untrusted":       {"the server certificate is not signed by a CA in the client's bundle", "use the CA that signed the server certificate: --cacert ca.crt (etcd-ctx set NAME --cacert ca.crt)"},
	"server-san-mismatch":       {"the name or IP dialled is not in the server certificate's SANs (Go ignores the CN, checks an address only against IP SANs, and a wildcard covers one label)", "reissue the server certificate with it, an address as IP:10.0.0.5 and a name as DNS:etcd-0 (openssl: subjectAltName in the -extfile; DNS:10.0.0.5 does not count; etcd-certwiz renew server.crt --add-san HOST), or dial a name it has"},
	"server-cert-expired":       {"the server certificate is expired or not yet valid (or a clock is wrong)", "renew it on the member (etcd-certwiz renew server.crt): etcd reads certificate files on each handshake, no restart; check clocks with timedatectl"},
	"server-cert-no-serverauth": {"the server certificate lacks the serverAuth extended key usage, so clients refuse it", "reissue the member's server certificate with serverAuth (and clientAuth: etcd dials itself with it): etcd-certwiz server NAME --ca-dir DIR; check with openssl x509 -in server.crt -noout -ext extendedKeyUsage"},
	"server-cert-no-clientauth": {"the member's own server certificate lacks the clientAuth extended key usage: etcd dials its own client URL with it (the gRPC gateway), and with --client-cert-auth its own listener refuses it", "reissue server.crt with both serverAuth and clientAuth (etcd-certwiz server NAME --ca-dir DIR, or extendedKeyUsage=serverAuth,clientAuth in openssl): etcd reads certificate files on each handshake, no restart; check with openssl x509 -in server.crt -noout -ext extendedKeyUsage"},
	"server-cert-invalid":       {"the member cannot load its own certificate or key", "check --cert-file/--key-file and --peer-cert-file/--peer-key-file: PEM files, each key with its certificate, readable by the etcd user (openssl x509 -in CERT -noout -subject; openssl pkey -in KEY -noout)"},
	"client-cert-required":      {"the server requires a client certificate (--client-cert-auth) and none was sent", "give --cert and --key signed by the server's --trusted-ca-file CA (etcd-certwiz client USER --ca-dir DIR)"},
	"client-ca-untrusted":       {"the client certificate is from a CA the server does not trust for clients", "use a client certificate from the server's --trusted-ca-file CA (etcd-certwiz client USER --ca-dir DIR)"},
	"client-cert-no-clientauth": {"the client certificate lacks the clientAuth extended key usage (or is otherwise unfit)", "reissue it with clientAuth: etcd-certwiz client USER --ca-dir DIR; check with etcd-certwiz inspect client.crt"},
	"client-cert-expired":       {"the client certificate is expired or not yet valid", "renew it: etcd-certwiz renew client.crt; check clocks with timedatectl"},
	"client-cert-invalid":       {"the client certificate or key cannot be used: unreadable, unparsable, encrypted or not a pair", "point --cert and --key at the PEM certificate and its unencrypted key; check with etcd-certwiz inspect FILE"},
	"cert-signature-insecure":   {"a certificate in the chain is signed with an algorithm Go refuses (SHA-1 or MD5)", "reissue the certificate (and its CA, if the CA is the one signed so) with SHA-256: openssl x509 -req … -sha256, or etcd-certwiz"},
	"tls-negotiation-failed":    {"the client and the member share no TLS version or cipher suite: the member's --cipher-suites, --tls-min-version or --tls-max-version exclude what the client offers, or its --cipher-suites list only suites for another key type than its certificate's (TLS_ECDHE_RSA_* with an ECDSA key fails for every client)", "list suites for the key type of the member's --cert-file in --cipher-suites (TLS_ECDHE_ECDSA_* for EC keys, TLS_ECDHE_RSA_* for RSA), or drop the flag, and allow TLS 1.3 (--tls-max-version TLS1.3, or unset), which ignores the list; openssl s_client -connect HOST:2379 -tls1_2 (and -tls1_3) shows what the member accepts"},
	"tls-handshake-failed":      {"the TLS handshake failed for another reason", "compare the TLS versions and key types on both sides; etcd-diag shows the alert"},

	// TLS between members.
	"peer-cert-expired":       {"a member's peer certificate is expired or not yet valid (or a clock is wrong)", "renew that member's peer certificate (etcd-certwiz renew peer.crt): etcd reads certificate files on each handshake, no restart; check clocks with timedatectl"},
	"peer-ca-untrusted":       {"a member's peer certificate is not signed by a CA in the other member's --peer-trusted-ca-file", "sign every peer certificate with the CA all members name in --peer-trusted-ca-file (etcd-certwiz peer NAME --ca-dir DIR); etcd reads that file only at start: restart after changing it"},
	"peer-cert-no-clientauth": {"a member's peer certificate lacks clientAuth: members dial each other with it as a client", "reissue that member's peer certificate with serverAuth and clientAuth (etcd-certwiz peer NAME --ca-dir DIR): etcd reads certificate files on each handshake, no restart"},
	"peer-cert-no-serverauth": {"a member's peer certificate lacks serverAuth: the other members refuse it when they dial that member", "reissue that member's peer certificate with serverAuth and clientAuth (etcd-certwiz peer NAME --ca-dir DIR): etcd reads certificate files on each handshake, no restart"},
	"peer-san-mismatch":       {"a member's peer certificate does not hold the IP or name it is reached at or connects from", "reissue that member's peer certificate with its peer IPs and names as SANs (etcd-certwiz renew peer.crt --add-san IP); etcd 3.4/3.5 also check the address a peer connects from (--peer-skip-client-san-verification turns that off)"},
	"peer-cert-required":      {"a member requires peer certificates (--peer-client-cert-auth) and the other sent none", "give every member --peer-cert-file and --peer-key-file from the peer CA"},
	"peer-cert-rejected":      {"a peer refused this member's peer certificate (untrusted, expired, lacking clientAuth, not holding the IP this member connects from, or its CN or SANs not among the peer's --peer-cert-allowed-cn or --peer-cert-allowed-hostname)", "check this member's peer certificate against the peer's --peer-trusted-ca-file, SAN rules and allowed CN or hostname: etcd-certwiz inspect peer.crt; the peer's own log says why (\"client certificate authentication failed\" for the allowed lists)"},
	"peer-tls-mismatch":       {"members disagree on TLS for peer URLs: one speaks https, the other plaintext", "give every member the same scheme in --initial-cluster, --listen-peer-urls and --initial-advertise-peer-urls, and peer certificates when https"},
	"peer-unreachable":        {"a member cannot reach a peer's peer URL (refused, timed out or no route)", "start that member, or open its peer port (2380 by default) between the members; etcdctl member list shows the peer URLs"},

	// Authentication and RBAC.
	"auth-credentials-missing":    {"auth is enabled and the request carried no user, token or usable certificate CN", "give --user with --password-stdin, a token, or a client certificate whose CN is an etcd user"},
	"auth-bad-credentials":        {"the user name or password is wrong", "as root: etcdctl user get USER; reset with etcdctl user passwd USER"},
	"auth-token-invalid":          {"the token is expired, from another cluster or key, or predates an auth change", "mint a fresh token (etcd-certwiz jwt-token --user USER) or authenticate again"},
	"auth-disabled":               {"auth is off: anyone who reaches the port may read and write everything", "etcdctl user add root; etcdctl user grant-role root root; etcdctl auth enable"},
	"permission-denied":           {"the user's roles do not cover this key or range", "as root: etcdctl role grant-permission ROLE read|write|readwrite KEY [--prefix]; etcdctl user grant-role USER ROLE; etcd-diag --key-path KEY shows the roles and ranges"},
	"auth-root-user-missing":      {"auth enable needs a user named root, and there is none", "etcdctl user add root (with --new-user-password or at the prompt); etcdctl user grant-role root root; then etcdctl auth enable"},
	"auth-root-role-missing":      {"auth enable needs the root user to hold the root role, and it does not", "etcdctl user grant-role root root; then etcdctl auth enable"},
	"auth-user-not-found":         {"the user named in the request, or the one it runs as (a client certificate's CN, a token's user), is not an etcd user", "list users as root: etcdctl user list; create it (etcdctl user add NAME, or etcd-certwiz user NAME), or use a certificate whose CN is an existing user"},
	"auth-user-exists":            {"a user of that name already exists", "use it (etcdctl user get NAME), or pick another name; etcdctl user passwd NAME changes its password"},
	"auth-role-not-found":         {"the role named does not exist", "list roles: etcdctl role list; create it: etcdctl role add ROLE"},
	"auth-role-exists":            {"a role of that name already exists", "use it (etcdctl role get ROLE) or pick another name"},
	"auth-role-empty":             {"the request names no role", "give the role name: etcdctl role add ROLE"},
	"auth-role-not-granted":       {"the user does not hold the role the request revokes", "see the user's roles: etcdctl user get USER"},
	"auth-permission-not-granted": {"the role has no permission on that key or range to revoke", "see the role's permissions: etcdctl role get ROLE; revoke with the same key and --prefix/range end it was granted with"},
	"auth-permission-not-given":   {"the grant request carries no permission", "give the permission type and key: etcdctl role grant-permission ROLE read|write|readwrite KEY [--prefix]"},
	"auth-mgmt-invalid":           {"the request would lock out root: auth is on, and root may not be deleted or lose the root role", "keep root as is; to change it, etcdctl auth disable first (as root), then enable again after"},

	// Request limits and malformed requests.
	"request-too-large":          {"the request exceeds the member's --max-request-bytes (1.5 MiB by default)", "split the value or transaction; or raise --max-request-bytes on every member (and keep it below the gRPC limit, 2 GiB), then restart them"},
	"txn-too-many-ops":           {"the transaction has more operations than the member's --max-txn-ops (128 by default)", "split the transaction, or raise --max-txn-ops on every member and restart them"},
	"txn-duplicate-key":          {"a transaction writes (puts or deletes) the same key twice in one branch", "write each key at most once per branch of the transaction"},
	"too-many-requests":          {"the member is overloaded: its applied index lags the committed index by more than 5000 entries, so it refuses new requests", "slow the clients down and find the bottleneck: the member's disk (fsync and backend commit latency) and CPU; etcdctl endpoint status shows the raft and applied indexes"},
	"lease-ttl-too-large":        {"the lease TTL exceeds etcd's maximum (9,000,000,000 seconds)", "grant a shorter TTL: etcdctl lease grant SECONDS"},
	"request-key-empty":          {"the request names no key", "give a key: etcdctl put KEY VALUE"},
	"request-key-not-found":      {"--ignore-value or --ignore-lease needs the key to exist already (or a transaction carried an empty operation)", "put the key with a value first, or drop --ignore-value/--ignore-lease"},
	"request-value-provided":     {"a put with --ignore-value also gave a value", "give either a value or --ignore-value, not both"},
	"request-lease-provided":     {"a put with --ignore-lease also gave a lease", "give either --lease or --ignore-lease, not both"},
	"request-sort-invalid":       {"the range request's sort order or target is invalid", "use --order ASCEND|DESCEND and --sort-by CREATE|KEY|MODIFY|VALUE|VERSION"},
	"client-api-version-invalid": {"the client sent an API version header that is not valid UTF-8", "use a stock etcd client (etcdctl, clientv3); a proxy or custom client mangles the header"},
	"lease-not-found":            {"the lease does not exist: it expired, was revoked, or the ID is wrong", "list leases: etcdctl lease list; grant a new one: etcdctl lease grant TTL"},
	"lease-exists":               {"a lease with that ID already exists", "let etcd choose the ID (ID 0), or pick an unused one"},

	// MVCC.
	"revision-compacted": {"the revision asked for is older than the last compaction: that history is gone (a watch or get --rev that far back cannot be served)", "read the current state and watch from the revision after it (etcdctl get KEY -w json gives header.revision; watch --rev REV+1); space compactions further apart (--auto-compaction-retention) if watchers fall behind"},
	"revision-future":    {"the revision asked for is newer than the store's current revision", "ask for a revision at most the current one (etcdctl endpoint status -w json shows it), or watch without --rev"},
	"alarm-active":       {"an alarm is raised (NOSPACE: the database hit its quota; CORRUPT: data mismatch)", "NOSPACE: etcdctl compact REV; etcdctl defrag --cluster; etcdctl alarm disarm. CORRUPT: replace the member, do not disarm blindly"},

	// Cluster and membership.
	"no-leader":                         {"the cluster has no leader: quorum is lost or this member is cut off", "make a majority of members healthy and reachable on the peer port; etcdctl endpoint status --cluster -w table"},
	"not-leader":                        {"the request must go to the leader (e.g. move-leader) and this member is a follower", "send it to the leader: etcdctl endpoint status --cluster -w table shows which member is leader"},
	"leader-changed":                    {"the leader changed while the request was in flight", "retry; if leaders change often, check disk latency and the network between members"},
	"request-timeout":                   {"the member could not commit the request in time: quorum is slow or lost", "check that a majority of members is up and reachable on the peer port, and their disks' fsync latency; etcdctl endpoint status --cluster -w table"},
	"cluster-unhealthy":                 {"the member is not connected to a majority of its peers, so a membership change (or leader transfer) now would break the active quorum", "bring the members back first (etcdctl endpoint health --cluster), then retry; --strict-reconfig-check is what refuses it"},
	"member-not-enough-started":         {"adding, removing or promoting this member would leave fewer started members than a quorum needs", "start the members that were added but never started (etcdctl member list shows them unstarted), or remove them first"},
	"member-not-found":                  {"no member has that ID", "list members: etcdctl member list -w table (IDs are hex)"},
	"member-exists":                     {"a member with that ID already exists", "check etcdctl member list; remove the stale entry (etcdctl member remove ID) before adding again"},
	"member-peer-url-exists":            {"another member already uses that peer URL", "check etcdctl member list; remove the stale member first (etcdctl member remove ID), or use the new member's own peer URL"},
	"member-urls-invalid":               {"the peer URLs given are not valid URLs", "give them as http(s)://HOST:PORT, comma-separated: etcdctl member add NAME --peer-urls=https://10.0.0.4:2380"},
	"member-not-learner":                {"only a learner can be promoted, and this member already votes", "check etcdctl member list -w table (the IS LEARNER column)"},
	"learner-not-ready":                 {"the learner has not caught up with the leader yet", "wait for it to catch up (etcdctl endpoint status on the learner shows its raft index) and retry the promotion"},
	"learner-too-many":                  {"the cluster already has as many learners as it allows (one by default; --max-learners)", "promote or remove the learner there is first (etcdctl member promote ID / member remove ID)"},
	"learner-rpc-unsupported":           {"the request reached a learner, which serves only status and serializable reads", "send requests to voting members: leave the learner out of --endpoints"},
	"leader-transferee-bad":             {"move-leader's target is not a voting member this leader can hand over to", "give the ID of a started voting member (etcdctl member list -w table)"},
	"cluster-id-mismatch":               {"the endpoints or members belong to different clusters", "give endpoints of one cluster only; etcdctl endpoint status -w table shows each endpoint's cluster ID"},
	"api-unsupported":                   {"the member lacks this API: it runs an older etcd than the client (e.g. downgrade needs 3.6+, auth status 3.5+)", "check the member's version (etcdctl endpoint status -w table); use an etcdctl of the cluster's version, or upgrade the members"},
	"not-capable":                       {"the cluster version does not enable this API yet (the cluster is mid-upgrade from a version without it)", "finish the upgrade of every member; etcdctl endpoint status shows the versions"},
	"server-stopped":                    {"the member is shutting down (or was stopped) while the request was in flight", "retry against another member; check why it stopped (journalctl -u etcd)"},
	"downgrade-target-invalid":          {"the downgrade target is not the cluster's version minus one minor version", "downgrade one minor version at a time: etcdctl downgrade validate 3.N (N one below the cluster version)"},
	"downgrade-cluster-version-unknown": {"the member does not know the cluster version yet, so it cannot start a downgrade", "wait until the cluster has settled its version (etcdctl endpoint status), then retry"},
	"downgrade-in-progress":             {"a downgrade is already under way", "finish it (replace the binaries one by one) or cancel it: etcdctl downgrade cancel"},
	"downgrade-not-in-progress":         {"there is no downgrade to cancel", "nothing to do; etcdctl downgrade enable VERSION starts one"},

	// A member's start-up, membership and disk.
	"listen-address-unavailable": {"the member cannot listen: an address in its --listen-client-urls or --listen-peer-urls is an IP this host does not have (a typo, another host's IP copied into the config, a floating IP not assigned yet)", "listen on an IP the host has (ip -br addr) or on 0.0.0.0, and advertise the IP clients and peers reach (--advertise-client-urls, --initial-advertise-peer-urls); then start the member again"},
	"listen-address-in-use":      {"the member cannot listen: another process already listens on its client or peer port (an old etcd still running, a second member on this host with the same ports, or another service)", "find it: ss -ltnp 'sport = :PORT' (PORT from the line); stop it, or give this member other ports in --listen-client-urls / --listen-peer-urls and the advertised URLs"},
	"initial-cluster-invalid":    {"the member's --name, --initial-advertise-peer-urls and --initial-cluster disagree with each other", "give --initial-cluster this member as --name=its --initial-advertise-peer-urls; etcdctl member add NAME --peer-urls=URL prints the settings of a member joining a running cluster"},
	"initial-cluster-mismatch":   {"the member joined with --initial-cluster-state existing but its --initial-cluster does not match the cluster's member list (it was not added with etcdctl member add, or the list or its URLs differ)", "etcdctl member add NAME --peer-urls=URL on a running member, then start the new member empty with the ETCD_INITIAL_CLUSTER it prints and --initial-cluster-state existing"},
	"member-data-lost":           {"the member lost its data directory while the cluster still knows its member ID (wiped, restored from an old copy, or --data-dir changed)", "on a healthy member: etcdctl member remove ID; etcdctl member add NAME --peer-urls=URL; start this member with an empty data directory and --initial-cluster-state existing; never copy another member's data directory"},
	"member-removed":             {"the member was removed from the cluster (etcdctl member remove) but still runs with its old data directory", "stop it; to bring it back, move its data directory away, etcdctl member add NAME --peer-urls=URL, and start it empty with --initial-cluster-state existing"},
	"data-dir-locked":            {"another process holds the lock of the member's database (DATA_DIR/member/snap/db), so etcd waits: a second etcd runs on the same --data-dir (an old instance, or two units or containers sharing the directory); rarely, a huge database on a slow disk takes this long to open", "find the holder: fuser -v DATA_DIR/member/snap/db (or lsof); stop the extra etcd; every member needs its own data directory, never shared"},
	"data-dir-access-denied":     {"the user etcd runs as may not read or write its data directory (--data-dir): the files belong to another user (etcd once ran as root, a restored or copied directory) or the mode forbids it", "give the directory to etcd's user: chown -R etcd:etcd DATA_DIR; chmod 700 DATA_DIR (check with ls -lnR DATA_DIR/member | head); with SELinux also restorecon -R DATA_DIR"},

	// Client-side.
	"request-canceled": {"the request was canceled before it finished: the client went away or its context was canceled", "usually the client's own doing (Ctrl-C, a shorter deadline); retry"},
	"watch-canceled":   {"the watch was canceled: the client closed it, or the server ended it", "re-create the watch from the last revision seen (watch --rev REV+1); if the server ended it, the lines around say why (e.g. compacted)"},

	// Live diagnosis only, or shared with it.
	"server-cert-expiring": {"the server certificate expires soon", "renew it (etcd-certwiz renew server.crt): etcd reads certificate files on each handshake, no restart"},
	"client-cert-expiring": {"the client certificate expires soon", "renew it: etcd-certwiz renew client.crt"},
	"ca-invalid":           {"the CA bundle is unreadable, unparsable or expired", "point --cacert at the PEM CA that signed the server certificate"},
	"grpc-unreachable":     {"TLS works but etcd's gRPC service does not answer", "check that the port is etcd's client port (not the peer or metrics port)"},
	"member-unreachable":   {"a member in the member list cannot be reached", "start it or fix its --advertise-client-urls; remove it if gone: etcdctl member remove ID"},
	"version-skew":         {"members run different etcd versions", "finish the rolling upgrade so all members run the same version"},
	"db-size-near-quota":   {"the database is close to its space quota", "etcdctl compact REV; etcdctl defrag --cluster; raise --quota-backend-bytes if needed"},
	"etcdctl-env-conflict": {"an etcdctl setting is given both as an ETCDCTL_* environment variable and as a flag", "unset the variable or drop the flag"},
	"endpoint-unhealthy":   {"etcdctl endpoint health found an endpoint unhealthy: it cannot commit a proposal in time (no quorum, or the member is cut off)", "see the lines above it for each endpoint's error; etcdctl endpoint status --cluster -w table"},
	"etcd-error":           {"etcd answered with an error this catalogue does not know", "see the member's log (journalctl -u etcd) around this time"},
}
