package pki

import (
	"math/big"
	"testing"
)

func TestFormatSerialAsOpenSSL(t *testing.T) {
	big128, _ := new(big.Int).SetString("0abcdef0123456789abcdef012345678", 16)
	for _, tc := range []struct {
		n    *big.Int
		want string
	}{
		{nil, ""},
		{big.NewInt(0), "00"},
		{big.NewInt(1), "01"},
		{big.NewInt(0xabc), "0ABC"},
		{big.NewInt(0x1000), "1000"},
		{big.NewInt(-0xabc), "-0ABC"},
		{big128, "0ABCDEF0123456789ABCDEF012345678"},
	} {
		if got := FormatSerial(tc.n); got != tc.want {
			t.Errorf("FormatSerial(%v) = %q, want %q (openssl x509 -serial)", tc.n, got, tc.want)
		}
	}
}
