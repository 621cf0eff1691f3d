package pki

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
)

// negativeSerialPEM is a certificate whose serial is -6, as openssl's
// -set_serial -6 writes it: Go will not create one, so a serial of 0x7a is
// patched to 0xfa in the DER (the signature no longer matches; parsing does
// not look at it).
func negativeSerialPEM(t *testing.T) []byte {
	t.Helper()
	key := ecKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(0x7a), Subject: pkix.Name{CommonName: "m0"}, NotBefore: testNow, NotAfter: testNow.AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(der, []byte{0x02, 0x01, 0x7a})
	if i < 0 {
		t.Fatal("serial not found in the DER")
	}
	der[i+2] = 0xfa
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestNegativeSerialIsNamed(t *testing.T) {
	_, err := ParseCerts(negativeSerialPEM(t))
	var rc *RefusedCertError
	if !errors.As(err, &rc) {
		t.Fatalf("ParseCerts: %v, want a *RefusedCertError", err)
	}
	for _, want := range []string{"certificate 1 (CN=m0): its serial number is negative (-06), which Go refuses since 1.23", "(x509: negative serial number)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if !strings.Contains(rc.Fix, "-set_serial 0x$(openssl rand -hex 16)") || !strings.Contains(rc.Fix, "x509negativeserial=1") {
		t.Errorf("fix %q", rc.Fix)
	}
}

func TestRefusalReadsOtherProcessesErrors(t *testing.T) {
	for _, msg := range []string{
		"tls: failed to parse certificate from server: x509: negative serial number",
		`"error":"tls: failed to parse client certificate: x509: certificate contains duplicate extensions"`,
	} {
		if reason, fix, ok := Refusal(msg); !ok || reason == "" || fix == "" {
			t.Errorf("Refusal(%q) = %q, %q, %v", msg, reason, fix, ok)
		}
	}
	if _, _, ok := Refusal("x509: malformed certificate"); ok {
		t.Error("an unknown parse error has no refusal")
	}
}
