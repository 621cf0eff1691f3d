package diag

import (
	"fmt"
	"strings"
)

// etcd's own checks of a certificate that verified against its CA: the
// allowed-CN and allowed-hostname lists (client/pkg/transport/listener.go,
// "client certificate authentication failed", also when a member dials a
// peer or its gRPC gateway dials the member) and the CRL files
// (listener_tls.go, "transport: certificate serial … revoked", checked after
// the handshake); and Go's refusal of a chain whose CA certificate is not
// marked as one.

// credentialFinding maps the kinds of these checks to a finding.
func credentialFinding(r role, kind tlsKind) (string, Side, bool) {
	switch kind {
	case tlsNotAllowed:
		switch r {
		case roleListenerPeer, roleDiallerPeer:
			return "peer-san-mismatch", SidePeer, true
		case roleDiallerSelf:
			return "server-san-mismatch", SideSelf, true
		case roleClient:
			return "tls-handshake-failed", SideServer, true
		}
		return "tls-handshake-failed", SideClient, true
	case tlsRevoked:
		if r == roleListenerPeer || r == roleDiallerPeer {
			return "tls-handshake-failed", SidePeer, true
		}
		return "tls-handshake-failed", SideClient, true
	case tlsNotCA:
		switch r {
		case roleListenerPeer, roleDiallerPeer:
			return "ca-invalid", SidePeer, true
		case roleClient, roleDiallerSelf:
			return "ca-invalid", SideServer, true
		}
		return "ca-invalid", SideClient, true
	}
	return "", "", false
}

var (
	// The SANs of the refused certificate, as etcd 3.5+ (zap) and 3.4
	// (capnslog) print them; neither prints its CN.
	refusedSANs = quick(`"ip-addresses":\[([^\]]*)\],"dns-names":\[([^\]]*)\]|IPAddresses \[([^\]]*)\], DNSNames \[([^\]]*)\]`)
	// The member's allowed-CN/hostname flags, as etcd 3.5+ log its
	// arguments ("Running: ") or as pasted from a unit file or manifest.
	allowedFlag   = quick(`--((?:peer|client)-cert-allowed-(?:cn|hostname))(?:=|\\?"?,\\?"|\s+)([^"\\\s,\]]+(?:,[^"\\\s,\]]+)*)`)
	revokedSerial = quick(`certificate serial ([0-9a-f]+) revoked`)
	// OpenSSL's X509_V_ERR_INVALID_CA: the client's own CA or an
	// intermediate the server sent, it does not say which.
	opensslInvalidCA = quick(`invalid CA certificate`)
)

// credentialTexts gives the cause and fix of these checks, with what the
// line and the paste tell: the refused certificate's SANs, the flag's value,
// the revoked serial. Empty when kind is none of them.
func credentialTexts(r role, kind tlsKind, line string, c *pasteContext) (string, string) {
	switch kind {
	case tlsNotAllowed:
		return allowedTexts(r, line, c)
	case tlsRevoked:
		serial := ""
		if m := revokedSerial.FindStringSubmatch(line); m != nil {
			serial = " " + m[1]
		}
		if r == roleListenerPeer || r == roleDiallerPeer {
			return "the peer's certificate (or an intermediate CA it sent) has serial" + serial + ", which this member's --peer-crl-file lists as revoked: etcd checks that list after the TLS handshake and closes the connection, so that peer's log shows only EOF",
				"give that member a new peer certificate (a new serial: etcd-certwiz peer NAME --ca-dir DIR) and stop using the revoked one (openssl x509 -in peer.crt -noout -serial tells which file it is); if it was revoked by mistake, issue a CRL without it: etcd reads the CRL file on every connection, no restart"
		}
		return "the client certificate (or an intermediate CA sent with it) has serial" + serial + ", which the member's --client-crl-file lists as revoked: etcd checks that list after the TLS handshake and closes the connection, so the client sees only \"error reading server preface: EOF\", a broken pipe or a deadline",
			"issue the client a new certificate (a new serial: etcd-certwiz client USER --ca-dir DIR) and stop using the revoked one (openssl x509 -in client.crt -noout -serial tells which file it is); if it was revoked by mistake, issue a CRL without it: etcd reads the CRL file on every connection, no restart"
	case tlsNotCA:
		if r == roleClient && opensslInvalidCA.MatchString(line) {
			return "a CA certificate on the chain the client checked may not sign certificates (OpenSSL's \"invalid CA certificate\"): the CA in the client's --cacert bundle, or an intermediate the member sends after its certificate, lacks basicConstraints CA:TRUE or the keyCertSign key usage",
				"find which: openssl x509 -in FILE -noout -ext basicConstraints,keyUsage on the --cacert file and on each certificate the member sends (openssl s_client -connect HOST:2379 -showcerts prints them), or run etcd-diag with the same files; reissue that CA from its own key with basicConstraints=critical,CA:TRUE and keyUsage=critical,keyCertSign,cRLSign (what it signed stays valid) and replace it where it is kept"
		}
		whose, file := "the chain the client presents", "the client's --cert file, after its certificate"
		switch r {
		case roleClient, roleDiallerSelf:
			whose, file = "the chain the member presents", "the member's --cert-file, after its certificate (etcd reads it on the next handshake, no restart)"
		case roleListenerPeer, roleDiallerPeer:
			whose, file = "the chain a member presents with its peer certificate", "that member's --peer-cert-file, after its certificate (read on the next handshake, no restart)"
		}
		return "a CA certificate in " + whose + " is not marked as a CA: it lacks basicConstraints CA:TRUE (a version 1 certificate, as openssl x509 -req makes without -extfile), so Go refuses it as the issuer of the certificate below it",
			"reissue that intermediate from its own key and serial with basicConstraints=critical,CA:TRUE and keyUsage=critical,keyCertSign,cRLSign in an -extfile (openssl x509 -req -in inter.csr -CA ca.crt -CAkey ca.key -set_serial 0xSERIAL -extfile inter.ext -out inter.crt; openssl x509 -in inter.crt -noout -serial gives SERIAL): the certificates it signed stay valid (Go needs the same key, openssl also the serial when their authority key identifier names it); replace it in " + file + "; check with openssl x509 -in inter.crt -noout -text | grep -A1 'Basic Constraints'"
	}
	return "", ""
}

func allowedTexts(r role, line string, c *pasteContext) (string, string) {
	sans := ""
	if m := refusedSANs.FindStringSubmatch(line); m != nil {
		ips, dns := m[1]+m[3], m[2]+m[4]
		sans = fmt.Sprintf("; the refused certificate holds IP SANs [%s] and DNS SANs [%s] (etcd does not log its CN)", ips, dns)
	}
	set := func(flags ...string) string {
		var out []string
		for _, f := range flags {
			if v := c.allowed[f]; v != "" {
				out = append(out, "--"+f+" "+v)
			}
		}
		if len(out) == 0 {
			return ""
		}
		return "; the paste shows " + strings.Join(out, " and ")
	}
	switch r {
	case roleListenerPeer, roleDiallerPeer:
		what := "this member refused a peer's certificate"
		if r == roleDiallerPeer {
			what = "this member dialled a peer and refused that peer's certificate (etcd checks the members it dials too, with the same words)"
		}
		return what + ": it is from the trusted CA, but --peer-cert-allowed-cn (its Common Name must be one of those listed) or --peer-cert-allowed-hostname (one of its SANs must match a listed name) is set and it does not qualify" + set("peer-cert-allowed-cn", "peer-cert-allowed-hostname") + sans,
			"compare that member's peer certificate with the flag (openssl x509 -in peer.crt -noout -subject -ext subjectAltName) and reissue it from the peer CA with the allowed CN (openssl req -new -key peer.key -subj /CN=NAME) or the allowed name as a SAN (etcd-certwiz renew peer.crt --add-san NAME): etcd reads it on the next handshake, no restart. Or list its CN in the flag (comma-separated from etcd 3.5.15 and 3.6) on every member and restart them: every member checks every other, both ways"
	case roleDiallerSelf:
		return "etcd's gRPC gateway dialled the member's own client URL and refused the member's server certificate: it dials with the client TLS settings, which carry --client-cert-allowed-hostname (or allowed-cn under client-transport-security in a --config-file), and the server certificate lacks the allowed name" + set("client-cert-allowed-hostname"),
			"add the allowed name to the server certificate's SANs (etcd-certwiz renew server.crt --add-san NAME; openssl x509 -in server.crt -noout -ext subjectAltName shows them): etcd reads it on the next handshake, no restart"
	case roleClient:
		return "the client refused the server's certificate with etcd's allowed-CN/hostname check (a program built on etcd's transport package with AllowedCN or AllowedHostname): the server certificate lacks the allowed CN or name",
			"reissue the server certificate with the name the client requires (etcd-certwiz renew server.crt --add-san NAME), or change the client's allowed list"
	}
	return "the member refused a client certificate from its trusted CA: --client-cert-allowed-hostname (or allowed-cn under client-transport-security in a --config-file) requires a SAN (or CN) the certificate lacks" + set("client-cert-allowed-hostname") + sans,
		"reissue the client certificate with the allowed name as a SAN (etcd-certwiz renew client.crt --add-san NAME; openssl x509 -in client.crt -noout -ext subjectAltName shows them), or change the flag and restart the member. The member's own server certificate needs the name too: etcd's gRPC gateway dials the member with it and checks it against the same list"
}
