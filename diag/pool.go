package diag

import "crypto/x509"

// caPool is the CA bundle in use, or nil for the system roots.
func caPool(st *localState) *x509.CertPool {
	if len(st.caCerts) == 0 {
		return nil
	}
	pool := x509.NewCertPool()
	for _, c := range st.caCerts {
		pool.AddCert(c)
	}
	return pool
}
