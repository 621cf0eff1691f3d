package pki

import (
	"encoding/hex"
	"math/big"
	"strings"
)

// FormatSerial is a certificate's serial number as `openssl x509 -noout
// -serial` prints it (after "serial="): upper-case hex, two digits per
// byte, so an even number of digits ("0ABC", "00" for zero), a minus sign
// before a negative one. Every output of the suite that shows a serial
// uses it, so operators can compare it with openssl's and with each other.
func FormatSerial(n *big.Int) string {
	if n == nil {
		return ""
	}
	b := n.Bytes() // the magnitude, big-endian, no leading zero byte
	if len(b) == 0 {
		b = []byte{0}
	}
	s := strings.ToUpper(hex.EncodeToString(b))
	if n.Sign() < 0 {
		s = "-" + s
	}
	return s
}
