package certwiz

import (
	"strings"
	"testing"
	"time"
)

// TestJWTMintAndParse: every key type mints a token its public key verifies
// with etcd's claims; an expired token is refused.
func TestJWTMintAndParse(t *testing.T) {
	for _, kt := range []KeyType{ECDSAP256, ECDSAP384, RSA2048, Ed25519} {
		keys, err := NewJWTKeys(kt)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := MintToken(keys.Key, Token{User: "alice", Revision: 7, Expires: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		user, rev, err := ParseToken(keys.Key.Public(), tok)
		if err != nil || user != "alice" || rev != 7 {
			t.Fatalf("%s: %s %d %v", kt, user, rev, err)
		}
		expired, _ := MintToken(keys.Key, Token{User: "alice", Revision: 7, Expires: time.Now().Add(-time.Minute)})
		if _, _, err := ParseToken(keys.Key.Public(), expired); err == nil || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("%s: expired token: %v", kt, err)
		}
	}
	keys, _ := NewJWTKeys(ECDSAP256)
	if got := AuthTokenFlag("/k/jwt.pub", "/k/jwt.key", keys.Method, 10*time.Minute); got != "jwt,pub-key=/k/jwt.pub,priv-key=/k/jwt.key,sign-method=ES256,ttl=10m0s" {
		t.Fatalf("flag %s", got)
	}
	if _, err := MintToken(keys.Key, Token{User: "a"}); err == nil {
		t.Fatal("revision 0 accepted")
	}
}
