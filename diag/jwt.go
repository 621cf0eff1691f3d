package diag

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"

	"github.com/etcd-ctx/etcd-ctx/pki"
)

// tokenClaims are the claims etcd's JWT provider reads (username, revision,
// exp), decoded without verifying the signature: only the servers can do
// that, and their answers are compared with these claims.
type tokenClaims struct {
	JWT      bool      // the token parses as a JWT
	User     string    // "username"
	Revision uint64    // "revision": the auth revision the token was minted at
	Expires  time.Time // "exp"; zero when absent
	Method   string    // the header's alg, e.g. ES256
}

// decodeToken reads a token's claims without trusting them. A token that is
// not a JWT (etcd's simple tokens look like "RTYutyTRDFsFxZyW.9") gives
// JWT false.
func decodeToken(tok string) tokenClaims {
	claims := jwt.MapClaims{}
	t, _, err := jwt.NewParser().ParseUnverified(tok, claims)
	if err != nil {
		return tokenClaims{}
	}
	c := tokenClaims{JWT: true, Method: t.Method.Alg()}
	c.User, _ = claims["username"].(string)
	if rev, ok := claims["revision"].(float64); ok && rev > 0 {
		c.Revision = uint64(rev)
	}
	if exp, err := claims.GetExpirationTime(); err == nil && exp != nil {
		c.Expires = exp.Time
	}
	return c
}

// simpleToken is the shape of etcd's simple tokens: 16 letters, a dot, an index.
var simpleToken = regexp.MustCompile(`^[a-zA-Z]{16}\.\d+$`)

// Token verdicts: what one member answered to a request carrying the token.
const (
	tokenAccepted = "accepted" // verified and current
	tokenStale    = "stale"    // verified, but minted before the member's current auth revision
	tokenRefused  = "refused"  // not verified: expired, another key, or not a token this member issued
)

// tokenVerdict classifies an answer to a request made with the token, or ""
// when the answer says nothing about the token.
func tokenVerdict(err error) string {
	switch e := rpctypes.Error(err); {
	case err == nil, errors.Is(e, rpctypes.ErrPermissionDenied), errors.Is(e, rpctypes.ErrUserNotFound):
		return tokenAccepted
	case errors.Is(e, rpctypes.ErrAuthOldRevision):
		return tokenStale
	case errors.Is(e, rpctypes.ErrInvalidAuthToken):
		return tokenRefused
	}
	return ""
}

// tokenAnswer is one member's verdict on the token.
type tokenAnswer struct {
	endpoint string // the URL asked
	where    string // "member m1 (https://…)", or the endpoint
	verdict  string
	err      error
	authRev  uint64 // the member's auth revision, when AuthStatus told it
}

// judgeToken names why the token was refused, from its claims and every
// member's answer: expired (with the time), minted before an auth change,
// refused by some members and accepted by others (their keys differ, so a
// new token cannot help), or refused everywhere although current (another
// key or cluster). It returns no finding when every member accepted it.
func judgeToken(in *Input, answers []tokenAnswer) []Finding {
	if in.Settings.Token == "" || len(answers) == 0 {
		return nil
	}
	claims := decodeToken(in.Settings.Token)
	var accepted, stale, refused []string
	var serverRev uint64
	var ev []string
	for _, a := range answers {
		switch a.verdict {
		case tokenAccepted:
			accepted = append(accepted, a.where)
		case tokenStale:
			stale = append(stale, a.where)
		case tokenRefused:
			refused = append(refused, a.where)
		default:
			continue
		}
		line := a.where + ": " + a.verdict
		if a.err != nil {
			line += " (" + a.err.Error() + ")"
		}
		ev = append(ev, line)
		serverRev = max(serverRev, a.authRev)
	}
	if len(stale) == 0 && len(refused) == 0 {
		return nil
	}
	sort.Strings(ev)
	ev = append([]string{claimsLine(claims)}, ev...)
	mint := "mint a new one (etcd-certwiz jwt-token --user " + pick(claims.User != "", claims.User, "USER") + " --context ADMIN, which reads the current auth revision) and store it: " + in.setFlag("token-stdin", "")
	mint = strings.TrimSuffix(mint, " ")
	f := Finding{ID: "auth-token-invalid", Severity: Error, Evidence: ev}
	switch {
	case !claims.JWT && simpleToken.MatchString(in.Settings.Token):
		f.Cause = "etcd refused the token, a simple token (etcd's default --auth-token simple): those are valid only on the member that issued them, and only for --auth-token-ttl (5 minutes by default)"
		f.Fix = "use a user and password (" + in.setFlag("user", "USER") + " --password-stdin), which get a fresh token on every connection; or switch the cluster to JWT tokens (etcd-certwiz jwt-keys) and mint one"
	case !claims.JWT:
		f.Cause = "etcd refused the token, which is neither a JWT nor an etcd simple token"
		f.Fix = "give a token etcd issued or accepts: " + mint + "; or use a user and password (" + in.setFlag("user", "USER") + " --password-stdin)"
	case !claims.Expires.IsZero() && !in.Now.Before(claims.Expires):
		f.Cause = fmt.Sprintf("the token expired at %s (%s ago)", claims.Expires.UTC().Format(time.RFC3339), pki.Left(in.Now.Sub(claims.Expires)))
		f.Fix = mint + " (with a --ttl long enough for its use)"
	case len(refused) > 0 && len(accepted)+len(stale) > 0:
		f.ID = "jwt-keys-differ"
		f.Cause = fmt.Sprintf("the members verify tokens with different keys: %s accept the token's signature, %s refuse it", strings.Join(append(accepted, stale...), ", "), strings.Join(refused, ", "))
		f.Fix = "give every member the same key pair and restart the odd ones: --auth-token jwt,pub-key=jwt.pub,priv-key=jwt.key,sign-method=" + pick(claims.Method != "", claims.Method, "ES256") +
			" on each (etcd-certwiz jwt-keys makes a pair); a new token will not help: each member accepts only tokens signed with its own key"
	case len(stale) > 0:
		f.Cause = fmt.Sprintf("the token was minted at auth revision %d, before a later user, role or permission change: etcd refuses tokens older than its current auth revision", claims.Revision)
		if serverRev > 0 {
			f.Cause += fmt.Sprintf(" (%d now)", serverRev)
		}
		f.Fix = mint
	case serverRev > 0 && claims.Revision > 0 && claims.Revision < serverRev:
		f.Cause = fmt.Sprintf("the token was minted at auth revision %d and the cluster is at %d, and no member verifies its signature: it comes from another key or cluster", claims.Revision, serverRev)
		f.Fix = "mint it with the key these members use (the priv-key of their --auth-token) against this cluster: " + mint
	default:
		f.Cause = "every member refuses the token although it has not expired: it was signed with another key, or for another cluster"
		f.Fix = "mint it with the key these members use (the priv-key file of their --auth-token flag): " + mint
	}
	if len(answers) == 1 {
		f.Endpoint = answers[0].endpoint
	}
	return []Finding{f}
}

func claimsLine(c tokenClaims) string {
	if !c.JWT {
		return "token: not a JWT"
	}
	s := fmt.Sprintf("token claims (not verified): user %q, auth revision %d", c.User, c.Revision)
	if !c.Expires.IsZero() {
		s += ", expires " + c.Expires.UTC().Format(time.RFC3339)
	}
	return s + ", signed " + c.Method
}
