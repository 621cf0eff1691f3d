package certwiz

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	// The library etcd's own jwt token provider verifies with
	// (server/auth/jwt.go), so minted tokens match what etcd expects byte for byte.
	"github.com/golang-jwt/jwt/v5"
)

// JWT key files written by jwt-keys, relative to the output directory.
const (
	JWTKeyFile = "jwt.key"
	JWTPubFile = "jwt.pub"
)

// JWTSignMethod is the etcd sign-method for a key: ES256/ES384 for ECDSA,
// RS256 for RSA, EdDSA for Ed25519.
func JWTSignMethod(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return "ES256", nil
		case elliptic.P384():
			return "ES384", nil
		}
	case *rsa.PublicKey:
		return "RS256", nil
	case ed25519.PublicKey:
		return "EdDSA", nil
	}
	return "", fmt.Errorf("no JWT sign method for a %T key", pub)
}

// JWTKeys is a token-signing key pair.
type JWTKeys struct {
	Key     crypto.Signer
	KeyPEM  []byte
	PubPEM  []byte
	Method  string
	KeyType KeyType
}

// NewJWTKeys generates a key pair for etcd's jwt token provider.
func NewJWTKeys(kt KeyType) (*JWTKeys, error) {
	key, err := GenerateKey(kt)
	if err != nil {
		return nil, err
	}
	method, err := JWTSignMethod(key.Public())
	if err != nil {
		return nil, err
	}
	keyPEM, err := EncodeKey(key)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, err
	}
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	return &JWTKeys{Key: key, KeyPEM: keyPEM, PubPEM: pub, Method: method, KeyType: kt}, nil
}

// Files are the key (0600) and public key files in dir.
func (k *JWTKeys) Files(dir string) []PendingFile {
	return []PendingFile{
		{Path: filepath.Join(dir, JWTKeyFile), Data: k.KeyPEM, Mode: KeyMode},
		{Path: filepath.Join(dir, JWTPubFile), Data: k.PubPEM, Mode: CertMode},
	}
}

// AuthTokenFlag is etcd's --auth-token value for the key files. Every member
// needs both files: each one signs the tokens it hands out on Authenticate.
func AuthTokenFlag(pubPath, keyPath, method string, ttl time.Duration) string {
	parts := []string{"jwt", "pub-key=" + pubPath, "priv-key=" + keyPath, "sign-method=" + method}
	if ttl > 0 {
		parts = append(parts, "ttl="+ttl.String())
	}
	return strings.Join(parts, ",")
}

// Token describes a token to mint with MintToken.
type Token struct {
	User     string
	Revision uint64 // etcd's auth revision; a token older than the store's is refused
	Expires  time.Time
}

// MintToken signs a token with exactly the claims etcd's jwt provider reads:
// username, revision and exp.
func MintToken(key crypto.Signer, t Token) (string, error) {
	if t.User == "" {
		return "", errors.New("a token needs a user name")
	}
	if t.Revision == 0 {
		return "", errors.New("the auth revision must be at least 1 (etcd's auth revisions start at 1)")
	}
	name, err := JWTSignMethod(key.Public())
	if err != nil {
		return "", err
	}
	claims := jwt.MapClaims{"username": t.User, "revision": t.Revision, "exp": t.Expires.Unix()}
	var signKey any = key
	if ed, ok := key.(ed25519.PrivateKey); ok {
		signKey = ed
	}
	return jwt.NewWithClaims(jwt.GetSigningMethod(name), claims).SignedString(signKey)
}

// TokenRevision reads the auth revision etcd put in a token it issued on
// Authenticate (its jwt provider's "revision" claim). The signature is not
// checked: the token comes from the server itself.
func TokenRevision(token string) (uint64, error) {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		return 0, err
	}
	rev, ok := claims["revision"].(float64)
	if !ok || rev < 0 {
		return 0, errors.New(`no "revision" claim`)
	}
	return uint64(rev), nil
}

// ParseToken verifies a token with pub and returns its user and revision,
// as etcd does.
func ParseToken(pub crypto.PublicKey, token string) (string, uint64, error) {
	method, err := JWTSignMethod(pub)
	if err != nil {
		return "", 0, err
	}
	parsed, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return pub, nil }, jwt.WithValidMethods([]string{method}))
	if err != nil {
		return "", 0, err
	}
	claims := parsed.Claims.(jwt.MapClaims)
	user, _ := claims["username"].(string)
	rev, _ := claims["revision"].(float64)
	return user, uint64(rev), nil
}
