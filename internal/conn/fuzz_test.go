package conn_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/conn"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

// fuzzPKI is real material to seed the PEM fuzzers with, made once per
// process: a CA, client pairs of every key type etcd-certwiz issues (and the
// legacy PKCS#1 and SEC 1 encodings of their keys), a server pair, and an
// expired client pair.
type fuzzPKI struct {
	ca, expired, server *certwiz.Issued
	clients             []*certwiz.Issued
	legacyKeys          [][]byte
	// A three-level chain: an intermediate under ca, a client under it,
	// and a CA that expired, for bundles.
	intermediate, chained, staleCA *certwiz.Issued
}

var (
	fuzzOnce sync.Once
	fuzzVal  fuzzPKI
)

func seedPKI(tb testing.TB) fuzzPKI {
	tb.Helper()
	fuzzOnce.Do(func() {
		p := &fuzzVal
		var err error
		must := func(i *certwiz.Issued, e error) *certwiz.Issued {
			if e != nil && err == nil {
				err = e
			}
			return i
		}
		p.ca = must(certwiz.NewCA("fuzz CA", certwiz.ECDSAP256, 0))
		for _, kt := range []certwiz.KeyType{certwiz.ECDSAP256, certwiz.ECDSAP384, certwiz.RSA2048, certwiz.Ed25519} {
			p.clients = append(p.clients, must(certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleClient, CommonName: "alice-" + string(kt)}, kt, p.ca)))
		}
		p.server = must(certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleServer, CommonName: "etcd-0", DNS: []string{"localhost"}}, certwiz.ECDSAP256, p.ca))
		p.expired = must(certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleClient, CommonName: "old", Days: 1, NotBefore: time.Now().AddDate(0, 0, -10)}, certwiz.ECDSAP256, p.ca))
		if k, kerr := certwiz.GenerateKey(certwiz.ECDSAP256); kerr == nil {
			p.intermediate = must(certwiz.Issue(certwiz.Request{Role: certwiz.RoleCA, CommonName: "fuzz intermediate"}, k, p.ca.Cert, p.ca.Key))
		} else {
			err = kerr
		}
		if p.intermediate != nil {
			p.chained = must(certwiz.NewLeaf(certwiz.Request{Role: certwiz.RoleClient, CommonName: "carol"}, certwiz.ECDSAP256, p.intermediate))
		}
		if k, kerr := certwiz.GenerateKey(certwiz.ECDSAP256); kerr == nil {
			p.staleCA = must(certwiz.Issue(certwiz.Request{Role: certwiz.RoleCA, CommonName: "stale CA", Days: 1, NotBefore: time.Now().AddDate(0, 0, -10)}, k, nil, nil))
		}
		if err != nil {
			tb.Fatal(err)
		}
		for _, c := range p.clients {
			switch k := c.Key.(type) {
			case *ecdsa.PrivateKey:
				der, _ := x509.MarshalECPrivateKey(k)
				p.legacyKeys = append(p.legacyKeys, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
			case *rsa.PrivateKey:
				p.legacyKeys = append(p.legacyKeys, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
			}
		}
	})
	if fuzzVal.ca == nil {
		tb.Fatal("seed PKI generation failed earlier")
	}
	return fuzzVal
}

func legacyEncrypted(tb testing.TB) []byte {
	//lint:ignore SA1019 an encrypted legacy PEM is exactly the input to refuse
	b, err := x509.EncryptPEMBlock(strings.NewReader(strings.Repeat("x", 64)), "EC PRIVATE KEY", []byte("0123456789abcdef0123456789abcdef"), []byte("pw"), x509.PEMCipherAES256)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(b)
}

// leaksKey reports whether msg repeats any part of the key material in
// input: a base64 line of a PEM body (24 characters or more), or 16 bytes of
// a block's DER holding a non-text byte (the fuzzer can make a block whose
// "DER" is the text of an error message). Error texts reach stderr, JSON
// reports and CI logs; they name the problem, never the secret.
func leaksKey(msg string, input []byte) bool {
	rest := input
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return false
		}
		for _, line := range strings.Split(string(pem.EncodeToMemory(&pem.Block{Type: "X", Bytes: block.Bytes})), "\n") {
			if len(line) >= 24 && !strings.HasPrefix(line, "-----") && strings.Contains(msg, line) {
				return true
			}
		}
		for i := 0; i+16 <= len(block.Bytes); i += 8 {
			w := block.Bytes[i : i+16]
			binary := bytes.ContainsFunc(w, func(r rune) bool { return r < 0x20 || r > 0x7e })
			if binary && strings.Contains(msg, string(w)) {
				return true
			}
		}
	}
}

// inputError asserts err is a *conn.InputError naming one of the inputs.
func inputError(t *testing.T, err error, inputs ...conn.Input) *conn.InputError {
	t.Helper()
	var ie *conn.InputError
	if !errors.As(err, &ie) || ie.Err == nil || ie.Input == "" {
		t.Fatalf("error %#v is not an *conn.InputError naming its input", err)
	}
	if len(inputs) > 0 && !slices.Contains(inputs, ie.Input) {
		t.Fatalf("error names input %q, want one of %q", ie.Input, inputs)
	}
	return ie
}

// FuzzParseCerts: a CA bundle or certificate chain, one certificate or many,
// parses into at least one certificate or fails with a message; the
// certificates are exactly the bundle's CERTIFICATE blocks, in order, and
// pki.ParseFile records the same ones (and every other block) without
// failing; CheckCA and CertPool agree with it and name the "CA bundle"
// input, CheckCA refusing a parsed bundle only when none of its
// certificates is valid; the chain the file carries (leaf, intermediates,
// last one as anchor) verifies in pki exactly when crypto/x509 says so, and
// a refusal names a certificate of the file and says why. der=true feeds
// data as one block's DER, so that the fuzzer reaches the x509 parser
// instead of base64 errors.
func FuzzParseCerts(f *testing.F) {
	p := seedPKI(f)
	f.Add(p.ca.CertPEM, false)
	f.Add(append(append([]byte{}, p.clients[0].CertPEM...), p.ca.CertPEM...), false)
	f.Add(append([]byte("subject=CN = alice\nissuer=CN = fuzz CA\n"), p.clients[2].CertPEM...), false)
	f.Add(append(append([]byte{}, p.clients[0].KeyPEM...), p.server.CertPEM...), false)
	f.Add(p.clients[0].KeyPEM, false)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), false)
	f.Add([]byte("hello\n"), false)
	f.Add([]byte(" \n\t"), false)
	f.Add(p.expired.Cert.Raw, true)
	f.Add(p.clients[3].Cert.Raw, true)
	f.Add(bytes.Join([][]byte{p.chained.CertPEM, p.intermediate.CertPEM, p.ca.CertPEM}, nil), false)
	f.Add(bytes.Join([][]byte{p.chained.CertPEM, p.ca.CertPEM}, nil), false)
	f.Add(bytes.Join([][]byte{p.ca.CertPEM, p.staleCA.CertPEM}, nil), false)
	f.Add(bytes.Join([][]byte{p.staleCA.CertPEM, p.expired.CertPEM}, nil), false)
	f.Add(bytes.Join([][]byte{p.chained.CertPEM, p.chained.KeyPEM, []byte("garbage\n"), p.intermediate.CertPEM, []byte("-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n")}, nil), false)
	now := time.Now()
	f.Fuzz(func(t *testing.T, data []byte, der bool) {
		if der {
			data = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: data})
		}
		certs, err := pki.ParseCerts(data)
		if (err == nil) == (len(certs) == 0) {
			t.Fatalf("ParseCerts gave %d certificates and error %v", len(certs), err)
		}
		var blocks [][]byte
		for rest := data; ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				break
			}
			if b.Type == "CERTIFICATE" {
				blocks = append(blocks, b.Bytes)
			}
		}
		if err == nil {
			if len(certs) != len(blocks) {
				t.Fatalf("%d certificates from %d CERTIFICATE blocks", len(certs), len(blocks))
			}
			for i, c := range certs {
				if !bytes.Equal(c.Raw, blocks[i]) {
					t.Fatalf("certificate %d is not block %d", i+1, i+1)
				}
			}
		} else if err.Error() == "" {
			t.Fatal("empty error")
		}

		file := pki.ParseFile(data)
		if len(file.Certs)+len(file.BadCerts()) != file.Count(pki.HoldsCertificate) {
			t.Fatalf("ParseFile: %d certificates and %d bad ones of %d certificate blocks", len(file.Certs), len(file.BadCerts()), file.Count(pki.HoldsCertificate))
		}
		if err == nil && !slices.EqualFunc(file.Certs, certs, func(a, b *x509.Certificate) bool { return a.Equal(b) }) {
			t.Fatal("ParseFile and ParseCerts disagree on the certificates")
		}

		cas, caErr := conn.CheckCA(data, now)
		if caErr != nil {
			inputError(t, caErr, conn.InputCA)
			if err == nil && len(pki.JudgeBundle(certs, now).Valid) > 0 {
				t.Fatalf("CheckCA refused a bundle holding a valid certificate: %v", caErr)
			}
		} else if err != nil || len(cas) != len(certs) {
			t.Fatalf("CheckCA accepted what ParseCerts refused (%v)", err)
		}
		if err == nil {
			checkFileChain(t, certs, now)
		}
		pool, poolErr := conn.CertPool(data)
		if (poolErr == nil) != (err == nil) || (poolErr == nil && pool == nil) {
			t.Fatalf("CertPool (%v) disagrees with ParseCerts (%v)", poolErr, err)
		}
		if poolErr != nil {
			inputError(t, poolErr, conn.InputCA)
		}
	})
}

// checkFileChain: the chain a file carries verifies in pki exactly when
// crypto/x509 verifies it, and a refusal names a certificate of the file.
func checkFileChain(t *testing.T, certs []*x509.Certificate, now time.Time) {
	t.Helper()
	located := pki.Locate(certs, "fuzz.crt")
	last := len(located) - 1
	in := pki.ChainInput{Leaf: located[0], Presented: located[1:max(last, 1)], Roots: located[last:], Role: pki.RoleClient, Now: now}
	if last == 0 {
		in.Presented = nil
	}
	path, brk := pki.Verify(in)
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(certs[last])
	for _, c := range in.Presented {
		inter.AddCert(c.Cert)
	}
	_, xerr := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if (brk == nil) != (xerr == nil) {
		t.Fatalf("pki.Verify (%v) disagrees with crypto/x509 (%v)", brk, xerr)
	}
	if brk == nil {
		if len(path) == 0 || !path[0].Cert.Equal(certs[0]) {
			t.Fatal("a verified chain does not start at the leaf")
		}
		return
	}
	if brk.Cause == "" || brk.Fix == "" || brk.Kind == "" || brk.Cert.Cert == nil {
		t.Fatalf("a break without kind, certificate, cause or fix: %+v", brk)
	}
	if !slices.ContainsFunc(certs, brk.Cert.Cert.Equal) {
		t.Fatalf("the break names a certificate not in the file: %s", brk.Cert.Cert.Subject)
	}
	_ = conn.PresentedChainBreak(pemOf(certs), "fuzz.crt", pki.RoleClient, now)
}

func pemOf(certs []*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

var keyBlockTypes = []string{"", "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "CERTIFICATE"}

// FuzzParseKey: a private key parses into a signer that really signs (what
// the TLS handshake will ask of it) and round-trips through PKCS#8, or fails
// with ErrEncryptedKey for encrypted keys or a message that never repeats
// the key material. typ>0 wraps data as the DER of one block of that type.
func FuzzParseKey(f *testing.F) {
	p := seedPKI(f)
	for _, c := range p.clients {
		f.Add(c.KeyPEM, uint8(0))
	}
	for _, k := range p.legacyKeys {
		f.Add(k, uint8(0))
	}
	f.Add(append(append([]byte{}, p.clients[0].CertPEM...), p.clients[1].KeyPEM...), uint8(0))
	f.Add(legacyEncrypted(f), uint8(0))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1, 2, 3}}), uint8(0))
	f.Add(p.ca.CertPEM, uint8(0))
	f.Add([]byte("not a key\n"), uint8(0))
	f.Add([]byte{}, uint8(0))
	for i, c := range p.clients {
		block, _ := pem.Decode(c.KeyPEM)
		f.Add(block.Bytes, uint8(1+i%3))
	}
	f.Fuzz(func(t *testing.T, data []byte, typ uint8) {
		if kind := keyBlockTypes[int(typ)%len(keyBlockTypes)]; kind != "" {
			data = pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: data})
		}
		key, err := pki.ParseKey(data)
		if firstKeyEncrypted(data) && !errors.Is(err, pki.ErrEncryptedKey) {
			t.Fatalf("an encrypted key gave %v, want ErrEncryptedKey", err)
		}
		if err != nil {
			if key != nil {
				t.Fatal("ParseKey returned a key with its error")
			}
			if leaksKey(err.Error(), data) {
				t.Fatalf("error repeats key material: %v", err)
			}
			return
		}
		if firstKeyEncrypted(data) {
			t.Fatal("ParseKey accepted an encrypted key")
		}
		if key == nil || key.Public() == nil {
			t.Fatal("ParseKey returned neither a key nor an error")
		}
		if pki.KeyType(key.Public()) == "" {
			t.Fatal("KeyType names no type")
		}
		checkSigns(t, key)
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatalf("a parsed key does not marshal: %v", err)
		}
		again, err := pki.ParseKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		if err != nil {
			t.Fatalf("PKCS#8 form of a parsed key does not parse: %v", err)
		}
		if pub, ok := again.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(key.Public()) {
			t.Fatal("PKCS#8 round trip changed the key")
		}
	})
}

// firstKeyEncrypted reports whether the first private key block of data is
// passphrase-protected (PKCS#8 or legacy Proc-Type).
func firstKeyEncrypted(data []byte) bool {
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return false
		}
		switch b.Type {
		case "ENCRYPTED PRIVATE KEY":
			return true
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			return b.Headers["Proc-Type"] == "4,ENCRYPTED"
		}
	}
}

// checkSigns signs a digest with key and verifies it with its public half, as
// a TLS client's CertificateVerify does.
func checkSigns(t *testing.T, key crypto.Signer) {
	t.Helper()
	msg := []byte("etcd-ctx fuzz")
	digest := sha256.Sum256(msg)
	var (
		sig []byte
		err error
		ok  bool
	)
	switch pub := key.Public().(type) {
	case ed25519.PublicKey:
		sig, err = key.Sign(rand.Reader, msg, crypto.Hash(0))
		ok = err == nil && ed25519.Verify(pub, msg, sig)
	case *ecdsa.PublicKey:
		sig, err = key.Sign(rand.Reader, digest[:], crypto.SHA256)
		ok = err == nil && ecdsa.VerifyASN1(pub, digest[:], sig)
	case *rsa.PublicKey:
		sig, err = key.Sign(rand.Reader, digest[:], crypto.SHA256)
		ok = err == nil && rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil
	default:
		t.Fatalf("ParseKey accepted a %T key", pub)
	}
	if !ok {
		t.Fatalf("ParseKey accepted a %s key that cannot sign: %v", pki.KeyType(key.Public()), err)
	}
}

// FuzzKeyPair: a client certificate and key are joined only when the key is
// the certificate's; every refusal is an *conn.InputError naming the
// certificate or the key and never repeats the key; CheckClientPair accepts
// a subset (clientAuth, valid now) and Settings.Prepare agrees with KeyPair.
func FuzzKeyPair(f *testing.F) {
	p := seedPKI(f)
	for _, c := range p.clients {
		f.Add(c.CertPEM, c.KeyPEM)
	}
	f.Add(append(append([]byte{}, p.clients[0].CertPEM...), p.ca.CertPEM...), p.clients[0].KeyPEM)
	f.Add(p.clients[1].CertPEM, p.legacyKeys[1])
	f.Add(p.clients[0].CertPEM, p.clients[1].KeyPEM)
	f.Add(p.server.CertPEM, p.server.KeyPEM)
	f.Add(p.ca.CertPEM, p.ca.KeyPEM)
	f.Add(p.expired.CertPEM, p.expired.KeyPEM)
	f.Add(p.clients[0].CertPEM, legacyEncrypted(f))
	f.Add(p.clients[0].KeyPEM, p.clients[0].CertPEM)
	f.Add(p.clients[0].CertPEM, []byte{})
	f.Add([]byte{}, p.clients[0].KeyPEM)
	f.Add(append(append([]byte{}, p.clients[2].KeyPEM...), p.clients[2].CertPEM...), append(append([]byte{}, p.clients[2].CertPEM...), p.clients[2].KeyPEM...))
	now := time.Now()
	f.Fuzz(func(t *testing.T, certPEM, keyPEM []byte) {
		pair, err := conn.KeyPair(certPEM, keyPEM)
		leaf, checkErr := conn.CheckClientPair(certPEM, keyPEM, now)
		prep, prepErr := conn.Settings{Endpoints: []string{"https://127.0.0.1:2379"}, Cert: certPEM, Key: keyPEM}.Prepare()
		if len(certPEM) == 0 && len(keyPEM) == 0 {
			// No pair at all: KeyPair has nothing to join, and settings
			// without one simply present no client certificate.
			if err == nil || checkErr == nil {
				t.Fatal("KeyPair or CheckClientPair accepted an empty pair")
			}
			if prepErr != nil || len(prep.TLS.Certificates) != 0 {
				t.Fatalf("settings without a client pair: %v, %d certificates", prepErr, len(prep.TLS.Certificates))
			}
			return
		}
		if err != nil {
			inputError(t, err, conn.InputCert, conn.InputKey)
			if leaksKey(err.Error(), keyPEM) {
				t.Fatalf("error repeats the key: %v", err)
			}
			if checkErr == nil || checkErr.Error() != err.Error() {
				t.Fatalf("CheckClientPair (%v) disagrees with KeyPair (%v)", checkErr, err)
			}
			if prepErr == nil || prepErr.Error() != err.Error() {
				t.Fatalf("Prepare (%v) disagrees with KeyPair (%v)", prepErr, err)
			}
			return
		}
		if pair.Leaf == nil || len(pair.Certificate) == 0 || !bytes.Equal(pair.Certificate[0], pair.Leaf.Raw) {
			t.Fatal("pair's leaf is not its first certificate")
		}
		signer, ok := pair.PrivateKey.(crypto.Signer)
		if !ok || !pki.KeyMatches(pair.Leaf, signer) {
			t.Fatal("KeyPair joined a key that does not match the certificate")
		}
		if prepErr != nil || prep.TLS == nil || len(prep.TLS.Certificates) != 1 {
			t.Fatalf("Prepare refused a pair KeyPair accepts: %v", prepErr)
		}
		if checkErr != nil {
			inputError(t, checkErr, conn.InputCert)
			if leaksKey(checkErr.Error(), keyPEM) {
				t.Fatalf("error repeats the key: %v", checkErr)
			}
			return
		}
		if leaf == nil || !bytes.Equal(leaf.Raw, pair.Leaf.Raw) {
			t.Fatal("CheckClientPair returned another certificate")
		}
		if !pki.HasEKU(leaf, x509.ExtKeyUsageClientAuth) || pki.CheckValidity(leaf, now) != nil {
			t.Fatal("CheckClientPair accepted a certificate without clientAuth or outside its validity")
		}
	})
}

// FuzzNormalizeEndpoint: an endpoint is refused with an *conn.InputError
// naming it, or normalized to scheme://host:port that parses as a URL, keeps
// its scheme (or gets https exactly when secure) and normalizes to itself:
// what etcd-ctx stores must be accepted again by set, exec and etcd-diag.
func FuzzNormalizeEndpoint(f *testing.F) {
	for _, s := range []string{
		"https://10.0.0.1:2379", "http://127.0.0.1:2379", "127.0.0.1:2379", "localhost:2379", " etcd-0.example.internal:2379 ",
		"https://[::1]:2379", "[fe80::1]:2379", "HTTPS://Etcd.Example:2379/", "unix:///run/etcd.sock", "unixs://etcd:0",
		"ftp://h:2379", "https://h", "https://h:2379/v3/kv", "https://u:p@h:2379", "https://h:2379?x=1", "https://h:2379#frag",
		"https://:2379", "", "   ", "h:port", "https://h:99999", "http://%41:1", "://h:1",
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, raw string, secure bool) {
		ep, err := conn.NormalizeEndpoint(raw, secure)
		eps, errs := conn.NormalizeEndpoints([]string{raw, raw}, secure)
		if err != nil {
			ie := inputError(t, err)
			if ie.Input != conn.InputEndpoint {
				t.Fatalf("error names input %q, want the endpoint", ie.Input)
			}
			if errs == nil || errs.Error() != err.Error() || eps != nil {
				t.Fatalf("NormalizeEndpoints (%v) disagrees with NormalizeEndpoint (%v)", errs, err)
			}
			return
		}
		if errs != nil || !slices.Equal(eps, []string{ep, ep}) {
			t.Fatalf("NormalizeEndpoints gave %q, %v for %q", eps, errs, ep)
		}
		u, perr := url.Parse(ep)
		if perr != nil {
			t.Fatalf("%q normalized to %q, which is not a URL: %v", raw, ep, perr)
		}
		switch u.Scheme {
		case "http", "https":
			if u.Hostname() == "" || u.Port() == "" || u.Opaque != "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
				t.Fatalf("%q normalized to %q, not scheme://host:port", raw, ep)
			}
		case "unix", "unixs":
		default:
			t.Fatalf("%q normalized to scheme %q", raw, u.Scheme)
		}
		if !strings.Contains(strings.TrimSpace(raw), "://") && (u.Scheme == "https") != secure {
			t.Fatalf("%q (secure=%v) got scheme %s", raw, secure, u.Scheme)
		}
		for _, s := range []bool{secure, !secure} {
			if again, err := conn.NormalizeEndpoint(ep, s); err != nil || again != ep {
				t.Fatalf("%q normalized to %q, which normalizes to %q, %v", raw, ep, again, err)
			}
		}
	})
}
