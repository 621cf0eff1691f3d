package diag

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// How the auth rung learnt whether authentication is on (AuthInfo.DecidedBy).
const (
	byAuthStatus   = "AuthStatus"
	byRefusal      = "AuthStatus refused: etcd 3.5 and 3.6 answer it for the root role only, and refuse only when auth is on"
	byAuthenticate = "Authenticate (etcd 3.4 has no AuthStatus)"
)

// authenticate decides whether authentication is on and who etcd takes us
// for, from what this server answers, the same way on etcd 3.4 to 3.7:
//
//   - AuthStatus where the server answers it (any identity on 3.7, the root
//     role only on 3.5 and 3.6, whose refusal itself says auth is on);
//   - on 3.4, which lacks AuthStatus, an Authenticate call with the given
//     user and password, or with an empty user name when none was given:
//     "authentication is not enabled" when off, a refusal when on (the
//     member logs one "invalid authentication was requested" warning);
//   - then, auth being on, a count-only read of a probe key with our
//     credentials ("user name is empty" means no identity reached etcd) and
//     UserGet of our own user, which every user may ask about itself ("user
//     name not found" means the identity is not an etcd user).
func (p *prober) authenticate(ctx context.Context) bool {
	enabled, ok := p.authEnabled(ctx)
	if !ok {
		return false
	}
	if !enabled {
		p.authDisabled()
		return true
	}
	p.ep.Auth.Identity = p.identity()
	_, err := p.client.Get(ctx, p.probeKey(), clientv3.WithCountOnly())
	if p.in.Settings.Token != "" {
		if v := tokenVerdict(err); v != "" {
			p.token, p.tokenErr = v, err
		}
		if p.token == tokenRefused || p.token == tokenStale {
			// Judged with every member's answer once the cluster view is in.
			p.step("auth", false, "enabled; the token was "+p.token+": "+err.Error())
			return false
		}
	}
	if e := rpctypes.Error(err); (errors.Is(e, rpctypes.ErrPermissionDenied) || errors.Is(e, rpctypes.ErrUserEmpty)) &&
		p.in.Settings.Token == "" && p.in.Settings.Username == "" && p.st.clientCert != nil && p.st.clientCert.Subject.CommonName == "" {
		// etcd takes the user from the CN: none here, so it sees nobody and
		// refuses every key request ("permission denied" on 3.7, as etcdctl
		// shows in diag_empty_cn; "user name is empty" is taken the same).
		p.step("auth", false, "enabled, but the client certificate has no CN, so etcd sees no user")
		p.fail(Finding{ID: "auth-credentials-missing", Severity: Error,
			Cause:    fmt.Sprintf("authentication is enabled and the client certificate %s has no CN (common name): etcd takes the user from the CN under --client-cert-auth, so it sees no user and refuses every key request", p.st.clientCert.Subject),
			Fix:      "reissue the client certificate with CN = the etcd user (etcd-certwiz client USER --ca-dir DIR; openssl: -subj /CN=USER), or give " + p.in.setFlag("user", "USER") + " --password-stdin",
			Evidence: []string{"subject: " + p.st.clientCert.Subject.String(), "a count-only read of " + p.probeKey() + ": " + err.Error()}})
		return false
	}
	if err != nil && !errors.Is(rpctypes.Error(err), rpctypes.ErrPermissionDenied) {
		p.step("auth", false, err.Error())
		p.fail(p.rpcFinding(err, "auth"))
		return false
	}
	detail := "enabled (" + p.ep.Auth.DecidedBy + "), authenticated as " + p.ep.Auth.Identity
	if user := p.userName(); user != "" {
		u, err := p.client.UserGet(ctx, user)
		switch {
		case err == nil:
			p.ep.Auth.User, p.ep.Auth.Roles = user, u.Roles
			detail += "; roles: " + list(u.Roles)
		case errors.Is(rpctypes.Error(err), rpctypes.ErrUserNotFound):
			p.step("auth", false, fmt.Sprintf("enabled, but %q is not an etcd user", user))
			p.fail(p.userNotFound(user, err))
			return false
		}
	}
	p.step("auth", true, detail)
	return p.adminCheck()
}

// authEnabled answers "is auth on?" and fills p.ep.Auth.
func (p *prober) authEnabled(ctx context.Context) (enabled, ok bool) {
	as, err := p.client.AuthStatus(ctx)
	e := rpctypes.Error(err)
	switch {
	case err == nil:
		p.ep.Auth = &AuthInfo{Enabled: as.Enabled, Revision: as.AuthRevision, DecidedBy: byAuthStatus}
		p.authRev = as.AuthRevision
		return as.Enabled, true
	case status.Code(err) == codes.Unimplemented:
		return p.authenticateProbe(ctx)
	case errors.Is(e, rpctypes.ErrPermissionDenied), errors.Is(e, rpctypes.ErrUserNotFound), errors.Is(e, rpctypes.ErrUserEmpty),
		errors.Is(e, rpctypes.ErrInvalidAuthToken), errors.Is(e, rpctypes.ErrAuthOldRevision):
		// IsAdminPermitted answers nil whenever auth is off.
		p.ep.Auth = &AuthInfo{Enabled: true, DecidedBy: byRefusal}
		return true, true
	}
	p.step("auth", false, err.Error())
	p.fail(p.rpcFinding(err, "auth"))
	return false, false
}

// authenticateProbe is etcd 3.4's answer: Authenticate needs no identity and
// says "authentication is not enabled" when it is off.
func (p *prober) authenticateProbe(ctx context.Context) (enabled, ok bool) {
	s := p.in.Settings
	_, err := p.client.Authenticate(ctx, s.Username, s.Password)
	e := rpctypes.Error(err)
	switch {
	case errors.Is(e, rpctypes.ErrAuthNotEnabled):
		p.ep.Auth = &AuthInfo{Enabled: false, DecidedBy: byAuthenticate}
		return false, true
	case err == nil, errors.Is(e, rpctypes.ErrAuthFailed):
		p.ep.Auth = &AuthInfo{Enabled: true, DecidedBy: byAuthenticate}
		if err != nil && s.Username != "" {
			p.step("auth", false, err.Error())
			p.fail(p.rpcFinding(err, "auth"))
			return true, false
		}
		return true, true
	}
	p.step("auth", false, err.Error())
	p.fail(p.rpcFinding(err, "auth"))
	return false, false
}

// authDisabled reports auth off: a warning when credentials were given (they
// are unused), information otherwise.
func (p *prober) authDisabled() {
	s := p.in.Settings
	fix := "enable RBAC as shown by etcd-certwiz user, or: etcdctl user add root; etcdctl role add root; etcdctl user grant-role root root; etcdctl auth enable"
	switch {
	case s.Username != "" || s.Token != "":
		what := "the user name and password given are"
		if s.Token != "" {
			what = "the token given is"
		}
		drop := "drop them"
		if p.in.Context != "" {
			drop = "drop them from the context: " + p.in.setFlag("user", "''")
		}
		p.step("auth", true, "disabled: "+what+" not used")
		p.fail(Finding{ID: "auth-disabled", Severity: Warning,
			Cause:    fmt.Sprintf("authentication is off on this member, so %s not used: anyone who reaches the port may read and write every key", what),
			Fix:      fix + "; or, if the cluster is meant to be open, " + drop,
			Evidence: []string{"decided by " + p.ep.Auth.DecidedBy}})
	case p.st.clientCert != nil:
		p.step("auth", true, "disabled (the client certificate only opens TLS)")
		p.fail(Finding{ID: "auth-disabled", Severity: Info,
			Cause: "authentication is off: any client with a certificate from the server's client CA may read and write every key (the certificate's CN " + p.st.clientCert.Subject.CommonName + " is not used as a user)",
			Fix:   fix + " (or keep relying on --client-cert-auth with a private client CA)"})
	default:
		p.step("auth", true, "disabled")
		p.fail(Finding{ID: "auth-disabled", Severity: Info, Cause: "authentication is off: any client that reaches the port may read and write every key",
			Fix: fix + " (or rely on --client-cert-auth with a private client CA)"})
	}
}

// userNotFound: the identity reached etcd but names no etcd user, so every
// request is denied. The fix creates the user (no password for a
// certificate CN) before granting it a role.
func (p *prober) userNotFound(user string, err error) Finding {
	s := p.in.Settings
	what, add := fmt.Sprintf("user %q", user), "etcdctl user add "+user
	switch {
	case s.Token != "":
		what = fmt.Sprintf("user %q named in the token", user)
	case s.Username == "" && p.st.clientCert != nil:
		what = fmt.Sprintf("the client certificate's CN %s", user)
		add += " --no-password"
	}
	return Finding{ID: "auth-user-not-found", Severity: Error,
		Cause:    what + " is not an etcd user, so every request is denied",
		Fix:      fmt.Sprintf("as root, create it and give it a role: %s; etcdctl user grant-role %s ROLE (etcdctl role add ROLE; etcdctl role grant-permission ROLE read KEY --prefix)", add, user),
		Evidence: []string{"UserGet " + user + ": " + err.Error()}}
}

// adminCheck, with Input.Admin, says whether the identity may make the calls
// etcd reserves for the root role.
func (p *prober) adminCheck() bool {
	if !p.in.Admin || p.member {
		return true
	}
	a := p.ep.Auth
	switch {
	case a == nil || !a.Enabled:
		p.step("admin", true, "auth is off: every client may make admin calls")
		return true
	case slices.Contains(a.Roles, "root"):
		p.step("admin", true, a.User+" has the root role")
		return true
	}
	user := pick(a.User != "", a.User, "USER")
	p.step("admin", false, user+" lacks the root role")
	p.fail(Finding{ID: "root-role-required", Severity: Error,
		Cause:    fmt.Sprintf("%s lacks the root role: etcd refuses admin calls (defrag, snapshot save, member add/remove/update/promote, move-leader, alarm disarm, hashkv; auth status on 3.5 and 3.6) to every other user with \"permission denied\", whatever keys its roles grant", p.ep.Auth.Identity),
		Fix:      fmt.Sprintf("run admin commands as root (a context with the root user or certificate), or, as root, make this user an administrator: etcdctl user grant-role %s root; a key-range grant (role grant-permission) does not help", user),
		Evidence: []string{"roles: " + list(a.Roles), "etcd checks the role named root (auth/store.go hasRootRole), not permissions"}})
	return false
}

func (p *prober) probeKey() string {
	if p.in.KeyPath != "" {
		return p.in.KeyPath
	}
	return "etcd-diag-probe"
}

// identity says who etcd takes us for: a token beats a password, which beats
// the certificate's CN (used only under --client-cert-auth).
func (p *prober) identity() string {
	s := p.in.Settings
	switch {
	case s.Token != "":
		if u := decodeToken(s.Token).User; u != "" {
			return "user " + u + " (token)"
		}
		return "a token"
	case s.Username != "":
		return "user " + s.Username + " (password)"
	case p.st.clientCert != nil:
		return "user " + p.st.clientCert.Subject.CommonName + " (client certificate CN)"
	}
	return "nobody"
}

// userName is the etcd user behind the identity, for RBAC lookups.
func (p *prober) userName() string {
	s := p.in.Settings
	switch {
	case s.Token != "":
		return decodeToken(s.Token).User
	case s.Username != "":
		return s.Username
	case p.st.clientCert != nil:
		return p.st.clientCert.Subject.CommonName
	}
	return ""
}
