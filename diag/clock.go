package diag

import (
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/etcd-ctx/etcd-ctx/pki"
)

// A certificate that is not valid yet is a clock problem, not an expiry:
// the host that issued it runs ahead of the one that checks it (or that one
// is behind). Renewing it from the same host repeats it; the clocks must
// agree. etcd and Go report both as "certificate has expired or is not yet
// valid"; the dates tell them apart.

// notYetValid reports a certificate whose validity starts after now.
func notYetValid(c *x509.Certificate, now time.Time) bool {
	return c != nil && now.Before(c.NotBefore)
}

// clockFix is what to do about a certificate that is not valid yet.
const clockFix = "compare the clocks (date -u here, on the host that issued it and on the members; timedatectl; chronyc tracking) and turn on NTP where it is off, or wait until its start; renewing it on a host whose clock runs ahead repeats it (issue it with a start a few minutes in the past)"

// notYetValidCause says whose certificate it is, when it starts and how
// far ahead that is by the clock that checked it ("this machine's clock").
func notYetValidCause(what string, c *x509.Certificate, now time.Time, clock string) string {
	return fmt.Sprintf("%s is not valid yet: it starts at %s, %s from now by %s (it has not expired): the host that issued it runs ahead of %s, or that clock is behind",
		what, c.NotBefore.UTC().Format(time.RFC3339), pki.Left(c.NotBefore.Sub(now)), clock, clock)
}

// validityTimes is Go's wording of a validity failure, with the checking
// clock and the bound it crossed (crypto/x509's CertificateInvalidError).
var validityTimes = quick(`current time (\d{4}-\d\d-\d\dT[\d:.]+Z) is (before|after) (\d{4}-\d\d-\d\dT[\d:.]+Z)`)

// explainNotYetValid rewrites a validity failure's texts when the line says
// the certificate has not started yet (not expired): the clocks disagree.
// The id names whose certificate it is, the side who checked it.
func explainNotYetValid(line, id string, side Side) (cause, fix string, ok bool) {
	m := validityTimes.FindStringSubmatch(line)
	if m == nil || m[2] != "before" {
		return "", "", false
	}
	now, err1 := time.Parse(time.RFC3339Nano, m[1])
	start, err2 := time.Parse(time.RFC3339Nano, m[3])
	if err1 != nil || err2 != nil {
		return "", "", false
	}
	whose, clock := "the certificate", "the party that checked it"
	switch {
	case strings.HasPrefix(id, "client-"):
		whose, clock = "the client certificate", "the member that refused it"
	case id == "server-cert-expired" && side == SideSelf:
		whose, clock = "the member's own server certificate", "the member (which checked it when it dialled itself)"
	case id == "server-cert-expired":
		whose, clock = "the member's server certificate", "the client that checked it"
	case strings.HasPrefix(id, "peer-"):
		whose, clock = "a member's peer certificate", "the member that checked it"
	}
	cause = fmt.Sprintf("%s is not valid yet: it starts at %s and %s read %s, %s earlier (it has not expired): the host that issued it runs ahead of that clock, or that clock is behind",
		whose, start.UTC().Format(time.RFC3339), clock, now.UTC().Format(time.RFC3339), pki.Left(start.Sub(now)))
	return cause, clockFix, true
}
