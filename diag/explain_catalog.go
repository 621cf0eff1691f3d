package diag

//go:generate go run ./internal/rpctypesgen

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"

	"github.com/etcd-ctx/etcd-ctx/pki"
)

// message is one recognised message of etcd, etcdctl, Go or gRPC: a
// pattern, the finding it stands for and whose side it is on. Cause, fix and
// why override the id's generic texts when this message says more.
type message struct {
	id      string
	pattern string
	side    Side
	sev     Severity
	cause   string
	fix     string
	note    string
	why     string
	origin  origin // where the line must come from; anywhere when zero
}

// origin narrows a message to lines from a member's log or from a client.
type origin int

const (
	anywhere origin = iota
	memberLine
	clientLine
)

// Sides concluded from a message alone.
const (
	whyRequest = "etcd's answer to the request: what the client asked for, or who it is, must change"
	whyServer  = "the member's state or configuration: the request itself is fine"
	whyClient  = "the client's own settings or files, before any connection"
	whyMember  = "a member's log line about the member's own files or settings"
)

// Prefixes under which etcd reports one error: rpctypes ("etcdserver: …",
// what clients see) and the server's packages ("auth: …", "mvcc: …", what
// the member's log shows).
const (
	pEtcd = `etcdserver: `
	pAuth = `(?:etcdserver|auth): `
)

// localMessages come first: a client's own flags and files stop it before it
// connects, so nothing else in the paste can be the cause.
var localMessages = []message{
	// etcdctl's own messages and flags.
	{id: "etcdctl-env-conflict", pattern: `conflicting environment variable (?:"?\\?"?ETCDCTL_\w+\\?"?"? )?is shadowed by corresponding command-line flag`, side: SideClient, why: whyClient,
		cause: "the same etcdctl setting is given both as an ETCDCTL_* environment variable and as a flag; etcdctl refuses to choose", fix: "unset the variable (unset ETCDCTL_ENDPOINTS, say; etcd-ctx exec sets them for you) or drop the flag"},
	{id: "endpoint-invalid", pattern: `too many colons in address|missing port in address|address [^ "\\]+: missing port`, side: SideClient, why: whyClient,
		cause: "an endpoint is not host:port: an IPv6 address needs brackets, and a port is required", fix: "write IPv6 endpoints as https://[2001:db8::1]:2379 and give the port"},

	// The member's own data directory, before the certificate files (its
	// paths say open …: permission denied too): a member that cannot open it
	// stops at start.
	{id: "data-dir-access-denied", pattern: `(?:open|mkdir|stat|remove|rename|create) [^:"\\]*/member(?:/[^:"\\]*)?: permission denied|failed to list data directory|error listing data dir|cannot access data directory`, side: SideSelf, why: whyMember},

	// Go's parsing of the client's or member's certificate and key files.
	{id: "client-cert-invalid", pattern: `tls: found a certificate rather than a key in the PEM for the private key`, side: SideClient, why: whyClient, origin: clientLine,
		cause: "--key points at a certificate file, not at the private key", fix: "give the private key file as --key (the file with BEGIN … PRIVATE KEY); check with openssl pkey -in FILE -noout"},
	{id: "client-cert-invalid", pattern: `tls: found a private key rather than a certificate|tls: found a key rather than a certificate`, side: SideClient, why: whyClient, origin: clientLine,
		cause: "--cert points at a private key file, not at the certificate", fix: "give the certificate as --cert and the key as --key; check with openssl x509 -in FILE -noout -subject"},
	{id: "client-cert-invalid", pattern: `tls: failed to find any PEM data in (?:key|certificate) input|tls: failed to find (?:"?\\?"?CERTIFICATE\\?"?"?|certificate) PEM data in certificate input`, side: SideClient, why: whyClient, origin: clientLine,
		cause: "--cert or --key holds no PEM block: the file is empty, DER-encoded, or the wrong file", fix: "point --cert/--key at PEM files (openssl x509 -inform der -in FILE -out FILE.pem converts DER); check with etcd-certwiz inspect FILE"},
	{id: "client-cert-invalid", pattern: `tls: private key does not match public key`, side: SideClient, why: whyClient, origin: clientLine,
		cause: "--key is not the private key of the --cert certificate", fix: "pair each certificate with its own key; compare openssl x509 -in CERT -noout -pubkey with openssl pkey -in KEY -pubout"},
	{id: "client-cert-invalid", pattern: `tls: failed to parse private key|x509: failed to parse private key|x509: unsupported elliptic curve|x509: decryption password incorrect|tls: private key type does not match public key type`, side: SideClient, why: whyClient, origin: clientLine,
		cause: "--key cannot be parsed: an encrypted key, an unsupported curve (only P-256, P-384, P-521 and Ed25519), or not a key at all", fix: "use an unencrypted PKCS#8, PKCS#1 or SEC1 key on a supported curve: openssl pkey -in KEY -out KEY.pem; reissue the pair if the curve is unsupported"},
	{id: "client-cert-invalid", pattern: `open [^:"\\]+: permission denied`, side: SideClient, why: whyClient, origin: clientLine,
		cause: "a certificate, key or CA file cannot be read by this user", fix: "check the owner and mode of the file (ls -l FILE); keys 0600 owned by the user running the client"},
	{id: "client-cert-invalid", pattern: `open [^:"\\]+: no such file or directory`, side: SideClient, why: whyClient, origin: clientLine,
		cause: "a certificate, key or CA file named in the flags does not exist", fix: "check the paths given as --cacert, --cert and --key (relative paths are from the current directory)"},
	// The same, in curl's and Python's (OpenSSL's) words.
	{id: "client-cert-invalid", pattern: `unable to set private key file|KEY_VALUES_MISMATCH|key values mismatch`, side: SideClient, why: whyClient, origin: clientLine,
		cause: "the client's key cannot be used with its certificate: it is not that certificate's key, or it is encrypted or unreadable", fix: "pair each certificate with its own key; compare openssl x509 -in CERT -noout -pubkey with openssl pkey -in KEY -pubout, and check the key opens without a pass phrase: openssl pkey -in KEY -noout"},
	{id: "client-cert-invalid", pattern: `could not load PEM client certificate`, side: SideClient, why: whyClient, origin: clientLine,
		cause: "the client certificate file is not a PEM certificate (the key given as --cert, a DER file, or the wrong file)", fix: "give the certificate as --cert and the key as --key; check with openssl x509 -in FILE -noout -subject (openssl x509 -inform der -in FILE -out FILE.pem converts DER)"},
	{id: "ca-invalid", pattern: `error setting certificate (?:file|verify locations)`, side: SideClient, why: whyClient, origin: clientLine,
		cause: "the client's CA bundle (--cacert) cannot be read or holds no PEM certificate", fix: "point --cacert at the PEM file of the CA that signed the server certificate; check with openssl x509 -in FILE -noout -subject"},
	{id: "server-cert-invalid", pattern: `tls: found a certificate rather than a key|tls: failed to find any PEM data|tls: private key does not match public key|tls: failed to parse private key|x509: unsupported elliptic curve|open [^:"\\]+: (?:permission denied|no such file or directory)`, side: SideSelf, origin: memberLine,
		why: whyMember, cause: "the member cannot load its own certificate or key (--cert-file/--key-file or --peer-cert-file/--peer-key-file): the wrong file, an unreadable file, or a key that does not match"},
}

// catalogue is etcd's error catalogue, tried after the TLS analysis
// (explain_tls.go): every rpctypes error of etcd 3.4–3.7 (testdata/rpctypes
// lists them), the server's own wording of them in its log, and the log
// lines of a member about its peers.
var catalogue = append(refusalMessages(), []message{
	// Auth administration.
	{id: "auth-root-user-missing", pattern: pAuth + `root user does not exist`, side: SideServer, why: whyServer},
	{id: "auth-root-role-missing", pattern: pAuth + `root user does not have root role`, side: SideServer, why: whyServer},
	{id: "auth-user-not-found", pattern: pAuth + `user (?:name )?not found`, side: SideClient, why: whyRequest},
	{id: "auth-user-not-found", pattern: `cannot find a user for permission check`, side: SideClient, origin: memberLine,
		why:   "a member's log line about a request whose user (a certificate CN or a token's user) it does not know",
		cause: "a request came with a user name etcd does not know (a client certificate's CN, or the user of a token): etcd answered permission denied", note: "the client sees only \"permission denied\""},
	{id: "auth-user-exists", pattern: pAuth + `user (?:name )?already exists`, side: SideClient, why: whyRequest},
	{id: "auth-role-not-found", pattern: pAuth + `role (?:name )?not found`, side: SideClient, why: whyRequest},
	{id: "auth-role-exists", pattern: pAuth + `role (?:name )?already exists`, side: SideClient, why: whyRequest},
	{id: "auth-role-empty", pattern: pAuth + `role name is empty`, side: SideClient, why: whyRequest},
	{id: "auth-role-not-granted", pattern: pAuth + `role is not granted to the user`, side: SideClient, why: whyRequest},
	{id: "auth-permission-not-granted", pattern: pAuth + `permission is not granted to the role`, side: SideClient, why: whyRequest},
	{id: "auth-permission-not-given", pattern: pAuth + `permission not given`, side: SideClient, why: whyRequest},
	{id: "auth-disabled", pattern: pAuth + `authentication is not enabled`, side: SideServer, why: whyServer,
		cause: "the client authenticated (a user and password, or a token) but authentication is off on this member", fix: "drop --user/--password (and the token), or turn auth on: etcdctl user add root; etcdctl user grant-role root root; etcdctl auth enable"},
	{id: "auth-mgmt-invalid", pattern: pAuth + `invalid auth management`, side: SideClient, why: whyRequest},
	{id: "auth-credentials-missing", pattern: pAuth + `user name is empty`, side: SideClient, why: whyRequest},
	{id: "auth-bad-credentials", pattern: pAuth + `authentication failed, (?:invalid user ID or password|password was given for no password user)`, side: SideClient, why: whyRequest},
	{id: "auth-token-invalid", pattern: pAuth + `revision (?:of auth store|in header) is old|request auth revision is less than current node auth revision`, side: SideClient, why: whyRequest,
		cause: "the request was authorised under an older auth revision: users, roles or permissions changed meanwhile", fix: "retry (clients re-authenticate on their own); if it persists, authenticate again or mint a new token"},
	{id: "auth-token-invalid", pattern: `(?:failed to parse (?:a )?jwt token|invalid jwt token)[^"]*?(?:verification error|signature is invalid)|crypto/(?:rsa|ecdsa|ed25519): verification error|token signature is invalid`, side: SideClient,
		why:   "a member's log line about a token a client sent",
		cause: "the JWT was not signed by this cluster's key: minted with another key (another cluster, or keys rotated since)", fix: "mint a token with this cluster's --auth-token private key (etcd-certwiz jwt-token --user USER), or log in with user and password for a fresh one"},
	{id: "auth-token-invalid", pattern: `(?:failed to parse (?:a )?jwt token|invalid jwt token)[^"]*?token is expired|token has invalid claims: token is expired|token is expired`, side: SideClient,
		why:   "a member's log line about a token a client sent",
		cause: "the JWT expired (its exp claim; --auth-token …,ttl= sets the lifetime of the tokens etcd mints)", fix: "mint a fresh token (etcd-certwiz jwt-token --user USER) or authenticate again"},
	{id: "auth-token-invalid", pattern: pAuth + `invalid auth token|failed to parse (?:a )?jwt token|invalid jwt token|auth: invalid jwt`, side: SideClient, why: whyRequest},
	{id: "permission-denied", pattern: pAuth + `permission denied|code = PermissionDenied`, side: SideClient, why: whyRequest},

	// Request limits.
	{id: "request-too-large", pattern: pEtcd + `request is too large`, side: SideClient, why: whyRequest},
	{id: "txn-too-many-ops", pattern: pEtcd + `too many operations in txn request`, side: SideClient, why: whyRequest},
	{id: "txn-duplicate-key", pattern: pEtcd + `duplicate key given in txn request`, side: SideClient, why: whyRequest},
	{id: "too-many-requests", pattern: pEtcd + `too many requests`, side: SideServer, why: whyServer},
	{id: "lease-ttl-too-large", pattern: pEtcd + `too large lease TTL`, side: SideClient, why: whyRequest},

	// Requests etcd refuses as malformed.
	{id: "request-key-empty", pattern: pEtcd + `key is not provided`, side: SideClient, why: whyRequest},
	{id: "request-key-not-found", pattern: pEtcd + `key not found`, side: SideClient, why: whyRequest},
	{id: "request-value-provided", pattern: pEtcd + `value is provided`, side: SideClient, why: whyRequest},
	{id: "request-lease-provided", pattern: pEtcd + `lease is provided`, side: SideClient, why: whyRequest},
	{id: "request-sort-invalid", pattern: pEtcd + `invalid sort option`, side: SideClient, why: whyRequest},
	{id: "client-api-version-invalid", pattern: pEtcd + `invalid client api version`, side: SideClient, why: whyRequest},
	{id: "lease-not-found", pattern: `(?:etcdserver: requested|lease:) lease not found`, side: SideClient, why: whyRequest},
	{id: "lease-exists", pattern: `(?:etcdserver|lease): lease already exists`, side: SideClient, why: whyRequest},

	// MVCC.
	{id: "revision-compacted", pattern: `(?:etcdserver: )?mvcc: required revision has been compacted`, side: SideClient, why: whyRequest},
	{id: "revision-future", pattern: `(?:etcdserver: )?mvcc: required revision is a future revision`, side: SideClient, why: whyRequest},
	{id: "alarm-active", pattern: `(?:etcdserver: )?mvcc: database space exceeded|etcdserver: no space|alarm:NOSPACE|NOSPACE`, side: SideServer, why: whyServer,
		cause: "the NOSPACE alarm is raised: the database reached its quota (--quota-backend-bytes, 2 GiB by default) and the cluster takes only reads and deletes", fix: "etcdctl compact $(etcdctl endpoint status -w json | jq '.[0].Status.header.revision'); etcdctl defrag --cluster; then etcdctl alarm disarm (raise --quota-backend-bytes if the data really needs it)"},
	{id: "alarm-active", pattern: `etcdserver: corrupt cluster|alarm:CORRUPT|CORRUPT`, side: SideServer, why: whyServer,
		cause: "the CORRUPT alarm is raised: members' data disagree (hash check failed), and the cluster refuses requests", fix: "find the member whose hash differs (etcdctl endpoint hashkv --cluster), remove it (etcdctl member remove ID) and add it back empty; do not disarm the alarm blindly"},

	// TLS settings a member cannot start with.
	{id: "tls-negotiation-failed", pattern: `TLSConfig.CipherSuites is missing an HTTP/2-required \w+ cipher`, side: SideSelf, why: whyMember,
		cause: "the member cannot serve its client URLs: its --cipher-suites (which also govern its peer URLs) lack the suite HTTP/2 requires, so it exits at start (etcd 3.6 logs \"Configure https server failed\") and clients see connection refused",
		fix:   "add TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (an EC key) or TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (an RSA key) to --cipher-suites, matching the key of --cert-file, or drop --cipher-suites"},
	{id: "tls-negotiation-failed", pattern: `unexpected TLS cipher suite`, side: SideSelf, why: whyMember,
		cause: "the member does not start: its --cipher-suites names a suite etcd does not know, most often one kept in quotes (a manifest's --cipher-suites=\"A\",\"B\": no shell strips them), an OpenSSL name (ECDHE-RSA-AES128-GCM-SHA256) or a typo",
		fix:   "write Go's suite names comma-separated, without quotes or spaces: --cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (suites for the key type of --cert-file), then restart the member"},

	// A member that cannot start: its flags disagree with each other or
	// with the cluster, or its data directory is not the cluster's.
	{id: "listen-address-unavailable", pattern: `listen tcp6? [^ "\\]+: bind: cannot assign requested address`, side: SideSelf, why: whyMember},
	{id: "listen-address-in-use", pattern: `listen tcp6? [^ "\\]+: bind: address already in use`, side: SideSelf, why: whyMember},
	{id: "initial-cluster-invalid", pattern: `--initial-cluster has \S+ but missing from --initial-advertise-peer-urls`, side: SideSelf, why: whyMember,
		cause: "the member's own entry in --initial-cluster (NAME=URL, NAME its --name) does not hold the URLs of its --initial-advertise-peer-urls: the two must name the same peer URLs",
		fix:   "make this member's entry in --initial-cluster and its --initial-advertise-peer-urls the same URLs (scheme, host and port; the line shows both), and check --name picks the right entry; then start it again"},
	{id: "initial-cluster-invalid", pattern: `couldn't find local name \\?"?[^ ]*? in the initial cluster configuration`, side: SideSelf, why: whyMember,
		cause: "the member's --name is not one of the names in --initial-cluster (NAME=URL,…): a typo, or a --name changed without the list",
		fix:   "set --name to this member's name in --initial-cluster, or give the list this member as NAME=its --initial-advertise-peer-urls; joining a running cluster, take both from etcdctl member add NAME --peer-urls=URL, which prints ETCD_NAME and ETCD_INITIAL_CLUSTER"},
	{id: "initial-cluster-mismatch", pattern: `member count is unequal`, side: SideSelf, why: whyMember,
		cause: "the member joined with --initial-cluster-state existing, but its --initial-cluster does not list the same members as the running cluster: it was not added first (etcdctl member add), or the list lacks a member or names one the cluster has not",
		fix:   "on a running member, etcdctl member list; if this member is missing, etcdctl member add NAME --peer-urls=URL and start it with the ETCD_INITIAL_CLUSTER that prints; otherwise make --initial-cluster list exactly the members of etcdctl member list (NAME=peer URL, itself included); start with an empty data directory and --initial-cluster-state existing"},
	{id: "initial-cluster-mismatch", pattern: `PeerURLs: no match found for existing member`, side: SideSelf, why: whyMember,
		cause: "the member joined with --initial-cluster-state existing, and its --initial-cluster gives a member other peer URLs than the cluster has for it (the line names the member's ID, the URLs the cluster has, and the URL given): a typo, another port or scheme, or a name resolving to another IP",
		fix:   "copy the peer URLs of etcdctl member list into --initial-cluster (NAME=URL for every member, as etcdctl member add prints them), then start again with an empty data directory and --initial-cluster-state existing"},
	{id: "member-data-lost", pattern: `member \w+ has already been bootstrapped`, side: SideSelf, why: whyMember,
		cause: "the member started with an empty data directory and --initial-cluster-state new, but the cluster already knows it as a started member: its data directory was wiped, lost, or --data-dir points elsewhere",
		fix:   "if the old data directory still exists, point --data-dir at it and restart; otherwise, on a healthy member: etcdctl member remove ID, then etcdctl member add NAME --peer-urls=URL, and start this member with an empty data directory and --initial-cluster-state existing (with the ETCD_INITIAL_CLUSTER member add prints); switching to existing without the remove and add panics (tocommit out of range); never copy another member's data directory"},
	{id: "member-data-lost", pattern: `tocommit\(\d+\) is out of range \[lastIndex\(\d+\)\]`, side: SideSelf, why: whyMember,
		cause: "the leader holds entries this member acknowledged before, but its raft log ends earlier (lastIndex in the line; 0 is empty): it was restarted under its old member ID with an empty, older (restored) or truncated data directory, so etcd panics",
		fix:   "do not retry with the same data directory: on a healthy member, etcdctl member remove ID; etcdctl member add NAME --peer-urls=URL; move this member's data directory away and start it empty with --initial-cluster-state existing (with the ETCD_INITIAL_CLUSTER member add prints); never copy another member's data directory; if lastIndex is not 0 and nobody touched the directory, suspect the disk (and --unsafe-no-fsync)"},
	{id: "member-removed", pattern: `the member has been permanently removed from the cluster`, side: SideSelf, why: whyMember,
		cause: "this member was removed from the cluster (etcdctl member remove) and its peers refuse it: it still runs with its old data directory and member ID",
		fix:   "if it should be gone, stop it and disable its service; to bring it back, move its data directory away, run etcdctl member add NAME --peer-urls=URL on a healthy member, and start it with an empty data directory and --initial-cluster-state existing"},
	{id: "member-removed", pattern: `rejected (?:the )?stream from (?:remote )?peer \w* ?(?:because|since) it was removed`, side: SidePeer,
		why:   "a member's log line about a peer that was removed but still runs",
		cause: "a removed member (remote-peer-id-from in the line) still runs with its old data directory and dials this member, which refuses it",
		fix:   "stop etcd on the removed member's host; to bring it back, move its data directory away, etcdctl member add NAME --peer-urls=URL, and start it empty with --initial-cluster-state existing"},
	{id: "data-dir-locked", pattern: `failed to lock db file \([^)]*\), readonly: \w+, error: timeout|failed to open database"?[,\s]*\{?[^}]*"error":\s?"timeout"`, side: SideClient,
		why:   "a tool's line (etcdutl defrag, hashkv or migrate, which wait --timeout for the lock): etcd itself waits for the lock without end",
		cause: "the database (DATA_DIR/member/snap/db) is locked by a running etcd, so the offline tool gave up after its --timeout (10s by default): etcdutl works only on a stopped member's data directory",
		fix:   "stop that member first (systemctl stop etcd), run etcdutl, start it again; or leave it running and use etcdctl instead (etcdctl defrag --endpoints URL, etcdctl endpoint hashkv); fuser -v DATA_DIR/member/snap/db names the holder"},
	{id: "data-dir-locked", pattern: `db file is flocked by another process|another etcd process is using \S+ and holds the file lock`, side: SideSelf, why: whyMember},

	// A member's disk too slow for it.
	{id: "disk-slow", pattern: `"msg":"slow fdatasync"|sync duration of \S+, expected less than`, side: SideSelf, sev: Warning, why: whyMember},
	{id: "disk-slow", pattern: `(?:leader )?failed to send out heartbeat on time`, side: SideSelf, sev: Warning, why: whyMember,
		cause: "the leader's raft loop stalled past twice --heartbeat-interval, so its heartbeats went out late and followers may start elections: mostly a slow disk (a WAL fsync blocks the loop), else a starved CPU",
		fix:   "measure the disk: etcd_disk_wal_fsync_duration_seconds (p99 under 10ms) and etcd_disk_backend_commit_duration_seconds (p99 under 25ms) in the member's /metrics, or fio --rw=write --ioengine=sync --fdatasync=1 --directory=DATA_DIR --size=22m --bs=2300 --name=etcd-fsync; give --data-dir (at least --wal-dir) a dedicated SSD; check the CPU (steal, cgroup throttling); raise --heartbeat-interval and --election-timeout only for a slow network, not to hide a slow disk"},

	// Cluster and membership.
	{id: "no-leader", pattern: pEtcd + `no leader|lost leader|no leader`, side: SideServer, why: whyServer},
	{id: "not-leader", pattern: pEtcd + `not leader`, side: SideClient, why: whyRequest},
	{id: "leader-changed", pattern: pEtcd + `leader changed`, side: SideServer, sev: Warning, why: whyServer},
	{id: "request-timeout", pattern: pEtcd + `request timed out, possibly due to previous leader failure`, side: SideServer, why: whyServer,
		cause: "the request was not committed in time because the leader failed and an election followed", fix: "retry; if elections repeat, check the members' disks (fsync latency) and network (etcdctl endpoint status --cluster; the members' logs)"},
	{id: "request-timeout", pattern: pEtcd + `request timed out, possibly due to connection lost`, side: SideServer, why: whyServer,
		cause: "the request was not committed in time because the member lost its connection to the leader", fix: "check the peer network between the members (the peer port, 2380 by default) and the members' logs for lost streams"},
	{id: "request-timeout", pattern: pEtcd + `request timed out, waiting for the applied index took too long`, side: SideServer, why: whyServer,
		cause: "the member applies committed entries too slowly to serve the request (a slow disk or an overloaded member)", fix: "check the member's disk (fsync and backend commit latency in its metrics) and load; defragment if the database is fragmented"},
	{id: "request-timeout", pattern: pEtcd + `request timed out, leader transfer took too long`, side: SideServer, why: whyServer,
		cause: "a leader transfer (move-leader) did not finish in time", fix: "check that the transferee is healthy and caught up (etcdctl endpoint status --cluster), then retry"},
	{id: "request-timeout", pattern: pEtcd + `request timed out`, side: SideServer, why: whyServer},
	{id: "cluster-unhealthy", pattern: pEtcd + `unhealthy cluster`, side: SideServer, why: whyServer},
	{id: "member-not-enough-started", pattern: pEtcd + `re-configuration failed due to not enough started members`, side: SideServer, why: whyServer},
	{id: "member-not-found", pattern: pEtcd + `member not found|membership: member not found`, side: SideClient, why: whyRequest},
	{id: "member-exists", pattern: pEtcd + `member ID already exist|membership: ID exists`, side: SideClient, why: whyRequest},
	{id: "member-peer-url-exists", pattern: pEtcd + `Peer URLs already exists|membership: peerURL exists`, side: SideClient, why: whyRequest},
	{id: "member-urls-invalid", pattern: pEtcd + `given member URLs are invalid`, side: SideClient, why: whyRequest},
	{id: "learner-not-ready", pattern: pEtcd + `can only promote a learner member which is in sync with leader`, side: SideServer, why: whyServer},
	{id: "member-not-learner", pattern: pEtcd + `can only promote a learner member`, side: SideClient, why: whyRequest},
	{id: "learner-too-many", pattern: pEtcd + `too many learner members in cluster`, side: SideServer, why: whyServer},
	{id: "learner-rpc-unsupported", pattern: pEtcd + `rpc not supported for learner`, side: SideClient, why: whyRequest},
	{id: "leader-transferee-bad", pattern: pEtcd + `bad leader transferee`, side: SideClient, why: whyRequest},
	{id: "cluster-id-mismatch", pattern: pEtcd + `cluster ID mismatch`, side: SideClient, why: whyRequest},
	{id: "cluster-id-mismatch", pattern: `request cluster ID mismatch|rafthttp[:/].*cluster ID mismatch|"msg":"[^"]*cluster ID mismatch`, side: SidePeer,
		why:   "a member's log line about a peer whose messages carry another cluster ID",
		cause: "a peer belongs to another cluster: it kept an old data directory, or its --initial-cluster-token differs", fix: "on that member: stop etcd, move its data directory away, and add it again (etcdctl member remove ID; etcdctl member add …; start with --initial-cluster-state existing)"},
	{id: "not-capable", pattern: pEtcd + `not capable`, side: SideServer, why: whyServer},
	{id: "api-unsupported", pattern: `code = Unimplemented desc = unknown (?:method \w+ for service|service) [\w.]+`, side: SideServer,
		why: "the member answered that it has no such API: its etcd version is older than the client's"},
	{id: "server-stopped", pattern: pEtcd + `server stopped`, side: SideServer, why: whyServer},

	// Downgrades.
	{id: "downgrade-target-invalid", pattern: pEtcd + `wrong downgrade target version format`, side: SideClient, why: whyRequest,
		cause: "the downgrade target is not a major.minor version", fix: "give it as major.minor, e.g. etcdctl downgrade enable 3.6"},
	{id: "downgrade-target-invalid", pattern: pEtcd + `invalid downgrade target version`, side: SideClient, why: whyRequest},
	{id: "downgrade-cluster-version-unknown", pattern: pEtcd + `cluster version not found during downgrade`, side: SideServer, why: whyServer},
	{id: "downgrade-in-progress", pattern: pEtcd + `cluster has a downgrade job in progress`, side: SideServer, why: whyServer},
	{id: "downgrade-not-in-progress", pattern: pEtcd + `no inflight downgrade job`, side: SideClient, why: whyRequest},

	// Canceled on the client's side.
	{id: "request-canceled", pattern: pEtcd + `request cancell?ed|code = Canceled desc = context canceled`, side: SideClient, sev: Warning, why: whyRequest},
	{id: "watch-canceled", pattern: pEtcd + `watch canceled|watch is canceled by the server`, side: SideClient, sev: Warning, why: whyRequest},
	{id: "timeout", pattern: pEtcd + `context deadline exceeded`, side: SideClient, why: whyRequest,
		cause: "the request's deadline (the client's --command-timeout) passed before the member answered", fix: "raise the client's timeout for long requests (--command-timeout 30s), or find why the member is slow (etcd-diag; its disk and load)"},

	// A member's view of its peers, besides TLS.
	{id: "peer-unreachable", pattern: `(?:health check for peer \w+ could not connect|prober detected unhealthy status|failed to dial \w+ on stream|lost (?:the )?TCP streaming connection with (?:remote )?peer|failed to (?:dial|connect to) remote peer)[^"]*?(?:connection refused|i/o timeout|no route to host|network is unreachable|no such host)|"error":"[^"]*(?:connection refused|i/o timeout|no route to host)[^"]*"[^}]*"remote-peer-id"|"remote-peer-id"[^}]*"error":"[^"]*(?:connection refused|i/o timeout|no route to host)`, side: SidePeer,
		why: "a member's log line about a peer it cannot reach"},
	{id: "peer-unreachable", pattern: `failed to reach the peer URL|failed to publish local member to cluster`, side: SidePeer, sev: Warning,
		why:   "a member's log line about the peers it needs",
		cause: "the member cannot reach enough peers (their peer URLs) to join or publish itself", fix: "start the other members and check the peer port between them; the lines around this one name the peers and the errors"},

	{id: "peer-unreachable", pattern: `dropped internal [Rr]aft message (?:to \w+ )?since (?:\w+'s )?sending buffer is full`, side: SidePeer, sev: Warning,
		why:   "a member's log line about a peer it cannot deliver raft messages to",
		cause: "the member drops raft messages to a peer because they pile up unsent: the peer is down, hung or unreachable (remote-peer-active false in the line), or the network between them is too slow for the load",
		fix:   "check the peer named by remote-peer-id: is etcd running and answering on its peer URL (etcdctl endpoint health --cluster; curl PEER_URL/version), and the network between the members (latency, packet loss, firewall dropping rather than refusing)"},
	{id: "peer-unknown", pattern: `failed to find remote peer in cluster|rafthttp: failed to find member \w+ in cluster|failed to find local node \w+`, side: SidePeer, sev: Warning,
		why: "a member's log line about a peer that is not in its member list"},

	// etcdctl's view of the endpoints.
	{id: "endpoint-unhealthy", pattern: `^Error: unhealthy cluster|is unhealthy: failed to commit proposal[^"]*|"health":false`, side: SideServer, why: "etcdctl endpoint health's verdict: the lines above it name the endpoints and the errors"},
	{id: "member-unreachable", pattern: `failed to fetch endpoints from etcd cluster member list`, side: SideClient, why: whyClient,
		cause: "--cluster asked the first endpoint for the member list and that failed", fix: "check the first endpoint on its own (etcd-diag --endpoints URL); then run without --cluster, listing the endpoints yourself"},

	// Slow requests: weak evidence, after everything else.
	{id: "request-slow", pattern: `"msg":"apply request took too long"|request "[^\n]*" with result "[^\n]*" took too long \([^)]*\) to execute`, side: SideServer, sev: Warning, why: whyServer},
	{id: "request-slow", pattern: `waiting for ReadIndex response took too long`, side: SideServer, sev: Warning, why: whyServer,
		cause: "a linearizable read waited over its retry timeout for the leader to confirm it still leads (a heartbeat round to a quorum): the leader is overloaded (slow disk, CPU), the network between members is slow, or an election is under way",
		fix:   "check the leader's disk (etcd_disk_wal_fsync_duration_seconds, p99 under 10ms) and CPU, and the round trip between members (etcd_network_peer_round_trip_time_seconds); etcdctl endpoint status --cluster -w table shows the leader and raft term (a rising term means elections)"},
}...)

// After the catalogue: connection failures, then the vague lines.
var connectionMessages = []message{
	{id: "server-requires-tls", pattern: `(?:latest|last) connection error: connection closed|connection closed before server preface received|error reading server preface: EOF|error reading server preface: (?:read [^"\\]*)?connection reset|http2: frame too large|error reading server preface: http2`, side: SideClient, origin: clientLine,
		why:  "a client's connection error: the server closed the plaintext connection",
		note: "over https:// the same words mean the member closed the connection after the TLS handshake: a client certificate revoked in its --client-crl-file (its log says \"certificate serial … revoked\")"},
	{id: "dns-unresolvable", pattern: `no such host|server misbehaving|Temporary failure in name resolution`, side: SideClient, why: "a client's connection error about the endpoint's name"},
	{id: "connection-refused", pattern: `connection refused`, side: SideServer, why: "nothing accepts connections at the address the client dialled: the member is down or listens elsewhere"},
	{id: "connection-failed", pattern: `no route to host|network is unreachable`, side: SideClient, why: "the client's network path to the member"},
	{id: "timeout", pattern: `all SubConns are in TransientFailure`, side: SideServer,
		why:   "the client could connect to none of the endpoints; this line does not say why",
		cause: "the client connected to none of the endpoints: each attempt failed (refused, a TLS error, or no answer) and this line does not keep the reason", note: "etcdctl 3.4 drops the reason: run etcd-diag with the same endpoints and files (or etcdctl 3.5+ with the same flags) to see it"},
	{id: "timeout", pattern: `i/o timeout|context deadline exceeded|DeadlineExceeded|deadline exceeded`, side: SideServer,
		why:  "no answer in time: the line does not say whose fault",
		note: "etcdctl and the Go client report most TLS and connection failures as \"context deadline exceeded\": run etcd-diag --context NAME (or with the same flags) to see the real cause"},
	// The generic fallback: an etcd error this catalogue does not know.
	{id: "etcd-error", pattern: `(?:etcdserver|auth|mvcc|membership): [a-zA-Z][^"\\]*`, side: SideServer, why: "an etcd error this catalogue does not know"},
}

// messageRule is a compiled message, with the literals one of which a line
// must contain to match (a cheap test before the regular expression).
type messageRule struct {
	message
	re    *regexp.Regexp
	needs []string
}

func compileMessages(ms []message) []messageRule {
	out := make([]messageRule, len(ms))
	for i, m := range ms {
		out[i] = messageRule{m, regexp.MustCompile(m.pattern), needsOf(m.pattern)}
	}
	return out
}

func needsOf(pattern string) []string {
	if re, err := syntax.Parse(pattern, syntax.Perl); err == nil {
		return requiredLiterals(re.Simplify())
	}
	return nil
}

// quickRE is a regular expression that first checks, cheaply, for a literal
// every match contains. It is compiled on first use: etcd-diag holds about
// a hundred of them for explain, and compiling them all when the process
// starts cost every command 2 ms.
type quickRE struct {
	pattern string
	once    sync.Once
	re      *regexp.Regexp
	needs   []string
}

func quick(pattern string) *quickRE { return &quickRE{pattern: pattern} }

// may compiles q on first use and reports whether s holds one of the
// literals every match contains.
func (q *quickRE) may(s string) bool {
	q.once.Do(func() { q.re, q.needs = regexp.MustCompile(q.pattern), needsOf(q.pattern) })
	return q.needs == nil || containsAny(s, q.needs)
}

func (q *quickRE) MatchString(s string) bool { return q.may(s) && q.re.MatchString(s) }

func (q *quickRE) FindStringIndex(s string) []int {
	if !q.may(s) {
		return nil
	}
	return q.re.FindStringIndex(s)
}

func (q *quickRE) FindStringSubmatch(s string) []string {
	if !q.may(s) {
		return nil
	}
	return q.re.FindStringSubmatch(s)
}

func (q *quickRE) FindAllStringSubmatch(s string, n int) [][]string {
	if !q.may(s) {
		return nil
	}
	return q.re.FindAllStringSubmatch(s, n)
}

func (q *quickRE) String() string { return q.pattern }

// requiredLiterals returns strings one of which every match contains, or
// nil when it cannot tell.
func requiredLiterals(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase == 0 {
			return []string{string(re.Rune)}
		}
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiterals(re.Sub[0])
		}
	case syntax.OpConcat:
		var best []string
		for _, sub := range re.Sub {
			if lits := requiredLiterals(sub); lits != nil && (best == nil || shortest(lits) > shortest(best)) {
				best = lits
			}
		}
		return best
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			lits := requiredLiterals(sub)
			if lits == nil {
				return nil
			}
			all = append(all, lits...)
		}
		return all
	}
	return nil
}

func shortest(ss []string) int {
	n := -1
	for _, s := range ss {
		if n < 0 || len(s) < n {
			n = len(s)
		}
	}
	return n
}

func (m messageRule) match(line string, c *pasteContext) (hit, bool) {
	if m.needs != nil && !containsAny(line, m.needs) {
		return hit{}, false
	}
	if m.origin == memberLine && !c.isMember(line) || m.origin == clientLine && c.isMember(line) {
		return hit{}, false
	}
	loc := m.re.FindStringIndex(line)
	if loc == nil {
		return hit{}, false
	}
	why := m.why
	if why == "" {
		why = whyRequest
		if m.side == SideServer {
			why = whyServer
		}
	}
	return hit{id: m.id, side: m.side, why: why, sev: m.sev, cause: m.cause, fix: m.fix, note: m.note, start: loc[0], end: loc[1]}, true
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// refusalMessages: a certificate Go refuses to parse (pki.Refusal: a
// negative serial, an extension written twice), named by whose it is: the
// server's when a client could not parse it, a client's when a member could
// not, the member's own when it exits at start ("listener failed": one of
// its --cert-file, --trusted-ca-file or peer files), etcdctl's own files
// (--cert, --cacert) when etcdctl stops before dialling.
func refusalMessages() []message {
	var out []message
	for _, e := range pki.RefusalErrors {
		reason, fix, _ := pki.Refusal(e)
		q := regexp.QuoteMeta(e)
		out = append(out,
			message{id: "cert-unsupported", pattern: `failed to parse certificate from server: ` + q, side: SideServer,
				why:   "a client could not read the certificate the member sent",
				cause: "a certificate the member sends (its --cert-file: the server certificate, or a CA bundled after it) cannot be read by Go: " + reason, fix: fix},
			message{id: "cert-unsupported", pattern: `failed to parse client certificate: ` + q, side: SideClient, origin: memberLine,
				why:   "a member's log line: the client's certificate could not be read",
				cause: "the certificate a client presented cannot be read by Go, so the member refuses it: " + reason, fix: fix},
			message{id: "cert-unsupported", pattern: q, side: SideSelf, origin: memberLine,
				why:   "a member's log line about its own files: it cannot read one of them and stops",
				cause: "the member cannot read one of its own certificate files (--cert-file, --trusted-ca-file, --peer-cert-file, --peer-trusted-ca-file), so it exits at start: " + reason,
				fix:   fix + "; openssl x509 -in FILE -noout -serial -subject on each file shows which"},
			message{id: "cert-unsupported", pattern: q, side: SideClient, origin: clientLine,
				why:   "a client's error before it dialled: one of its own files (--cert, --cacert)",
				cause: "a certificate the client loads (--cert, or a CA in --cacert) cannot be read by Go: " + reason,
				fix:   fix + "; openssl x509 -in FILE -noout -serial -subject on each file shows which"},
		)
	}
	return out
}
