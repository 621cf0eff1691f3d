package pki

import (
	"crypto/x509"
	"fmt"
	"math"
	"time"
)

// ValidityError describes a certificate used outside its validity window.
type ValidityError struct {
	NotBefore, NotAfter, Now time.Time
}

func (e *ValidityError) Error() string {
	if e.Now.Before(e.NotBefore) {
		return fmt.Sprintf("not valid before %s (local clock is %s)", e.NotBefore.UTC().Format(time.RFC3339), e.Now.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("expired on %s (local clock is %s)", e.NotAfter.UTC().Format(time.RFC3339), e.Now.UTC().Format(time.RFC3339))
}

// Hint is the way out: renew an expired certificate; a certificate not yet
// valid points at a clock (this machine's, or the issuer's when it ran
// ahead).
func (e *ValidityError) Hint() string {
	if e.Now.Before(e.NotBefore) {
		return "check this machine's clock and the issuing machine's (timedatectl): a certificate dated ahead was issued by a clock that runs fast"
	}
	return "renew it (etcd-certwiz renew CERT --key KEY, or from your CA); if it should still be valid, check this machine's clock (timedatectl)"
}

// CheckValidity returns a *ValidityError when now is outside the
// certificate's window.
func CheckValidity(cert *x509.Certificate, now time.Time) error {
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return &ValidityError{NotBefore: cert.NotBefore, NotAfter: cert.NotAfter, Now: now}
	}
	return nil
}

// Expiring reports whether a certificate valid at now should be renewed
// soon: the time left is under warn AND under a third of its lifetime. So a
// freshly issued 30-day or 24-hour certificate is not "expiring" under a
// 30-day window, while a one-year certificate is from 30 days before its end
// (cert-manager and step renew at two thirds of the lifetime). A certificate
// outside its validity is not expiring: CheckValidity tells that.
func Expiring(cert *x509.Certificate, warn time.Duration, now time.Time) bool {
	if CheckValidity(cert, now) != nil {
		return false
	}
	left := cert.NotAfter.Sub(now)
	return left < warn && left < cert.NotAfter.Sub(cert.NotBefore)/3
}

// DaysLeft is the number of whole days until cert expires (negative once
// expired).
func DaysLeft(cert *x509.Certificate, now time.Time) int {
	return int(math.Floor(cert.NotAfter.Sub(now).Hours() / 24))
}

// Expiry describes the validity period relative to now: "12 days left (until
// 2026-01-02)", "EXPIRED 3 days ago (2025-12-01)", "not valid before …".
func Expiry(cert *x509.Certificate, now time.Time) string {
	switch {
	case now.Before(cert.NotBefore):
		return "not valid before " + cert.NotBefore.UTC().Format(time.RFC3339)
	case now.After(cert.NotAfter):
		return fmt.Sprintf("EXPIRED %d days ago (%s)", -DaysLeft(cert, now), cert.NotAfter.UTC().Format(time.DateOnly))
	}
	return fmt.Sprintf("%d days left (until %s)", DaysLeft(cert, now), cert.NotAfter.UTC().Format(time.DateOnly))
}

// Left says how long until t, in days above two days and in hours and
// minutes below ("29 days", "23h59m").
func Left(d time.Duration) string {
	if d < 48*time.Hour {
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
