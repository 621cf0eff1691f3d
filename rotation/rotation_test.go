package rotation

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

// tree writes a certwiz PKI for members m0..m2 and clients root and app.
func tree(t *testing.T, separatePeerCA bool) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pki")
	p := &certwiz.Plan{Cluster: "lab", Out: dir, SeparatePeerCA: &separatePeerCA,
		Clients: []certwiz.Client{{Name: "root"}, {Name: "app"}}}
	for _, n := range []string{"m0", "m1", "m2"} {
		p.Members = append(p.Members, certwiz.Member{Name: n, IPs: []string{"127.0.0.1"}})
	}
	if err := p.Complete(); err != nil {
		t.Fatal(err)
	}
	k, err := certwiz.Generate(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Write(false); err != nil {
		t.Fatal(err)
	}
	return dir
}

func certOf(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	c, err := LoadCertFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func certsOf(t *testing.T, path string) []*x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return pki.ParseFile(data).Certs
}

// snapshot reads every file under dir but rotation/ and retired/.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == RotationDirName || d.Name() == RetiredDirName) {
			return filepath.SkipDir
		}
		if !d.IsDir() && !strings.HasPrefix(d.Name(), ".") && d.Name() != StateFileName {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[p] = data
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// carryOut copies every file of the current phase's actions, as the
// operator does (restarts are the cluster's business, not the files').
func carryOut(t *testing.T, s *State) {
	t.Helper()
	plan := s.Actions()
	for _, a := range plan.Members {
		for _, c := range a.Copy {
			copyFile(t, c.From, c.To)
		}
	}
	for _, a := range plan.Clients {
		for _, c := range a.Copy {
			copyFile(t, c.From, c.To)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := fileio.Write(to, data, certwiz.CertMode); err != nil {
		t.Fatal(err)
	}
}

// TestRotationFiles walks a rotation of a certwiz tree with separate CAs
// through every phase, offline, checking what each phase writes and asks:
// distinct new subjects, old+new then new-only bundles, leaves reissued
// with their own keys and identities, and at the end a tree that checks
// clean with the old CAs (and their keys) under retired/.
func TestRotationFiles(t *testing.T) {
	dir := tree(t, true)
	l := certwiz.Layout{Dir: dir}
	oldCA, oldPeerCA := certOf(t, l.CA()), certOf(t, l.PeerCA())
	oldKey, _ := os.ReadFile(certwiz.KeyPath(l.CA()))
	oldServer := certOf(t, l.Server("m1"))
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

	s, err := Start(dir, StartOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if s.Phase != PhaseTrustBoth || !s.Scope.Client || !s.Scope.Peer || s.SharedCA() {
		t.Fatalf("start: phase %s scope %+v", s.Phase, s.Scope)
	}
	if s.ClientCA.New.Subject != "CN=lab etcd CA 2026-05-01" || s.PeerCA.New.Subject != "CN=lab etcd peer CA 2026-05-01" {
		t.Errorf("new subjects %q, %q", s.ClientCA.New.Subject, s.PeerCA.New.Subject)
	}
	newKey := s.Path(certwiz.KeyPath(s.ClientCA.New.Cert))
	if runtime.GOOS != "windows" {
		for path, want := range map[string]os.FileMode{newKey: certwiz.KeyMode, s.Path(RotationDirName): certwiz.DirMode, s.Path("rotation/new"): certwiz.DirMode} {
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
				t.Errorf("%s: mode %v, want %v (%v)", path, fi.Mode().Perm(), want, err)
			}
		}
	}
	bundle := certsOf(t, s.Path(MemberPath(s, "m0", SlotTrustedCA, false)))
	if len(bundle) != 2 || !bundle[0].Equal(oldCA) || bundle[1].Subject.String() != s.ClientCA.New.Subject {
		t.Errorf("m0's trust-both bundle: %v", bundle)
	}
	plan := s.Actions()
	if len(plan.Members) != 3 || len(plan.Clients) != 2 {
		t.Fatalf("trust-both actions: %+v", plan)
	}
	a := plan.Members[0]
	if !a.Restart || len(a.Copy) != 2 || a.Copy[0].To != l.CA() || a.Copy[1].To != l.PeerCA() {
		t.Errorf("m0 trust-both: %+v", a)
	}
	if got := s.ContextCommands("prod", nil); len(got) != 1 || got[0] != "etcd-ctx set prod --cacert "+l.CA() {
		t.Errorf("trust-both context lines: %q", got)
	}
	carryOut(t, s)

	// Phase 2: every leaf from the new CAs, same identity, same key.
	if s, err = Advance(dir, PhaseTrustBoth, AdvanceOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	newCA, newPeerCA := certOf(t, s.Path(s.ClientCA.New.Cert)), certOf(t, s.Path(s.PeerCA.New.Cert))
	server := certOf(t, s.Path(MemberPath(s, "m1", SlotCert, false)))
	peer := certOf(t, s.Path(MemberPath(s, "m1", SlotPeerCert, false)))
	if server.CheckSignatureFrom(newCA) != nil || peer.CheckSignatureFrom(newPeerCA) != nil {
		t.Error("m1's new certificates are not signed by the new CAs")
	}
	if !bytes.Equal(server.RawSubject, oldServer.RawSubject) || !slices.Equal(server.DNSNames, oldServer.DNSNames) ||
		len(server.IPAddresses) != len(oldServer.IPAddresses) || !slices.Equal(server.ExtKeyUsage, oldServer.ExtKeyUsage) ||
		!bytes.Equal(server.RawSubjectPublicKeyInfo, oldServer.RawSubjectPublicKeyInfo) {
		t.Error("m1's new server certificate changed identity or key")
	}
	if s.Member("m1").Serials[SlotCert] != SerialHex(server) {
		t.Errorf("recorded serial %s, issued %s", s.Member("m1").Serials[SlotCert], SerialHex(server))
	}
	plan = s.Actions()
	if a := plan.Members[1]; a.Restart || len(a.Copy) != 2 || a.Copy[0].To != l.Server("m1") || a.Copy[1].To != l.Peer("m1") {
		t.Errorf("m1 serve-new: %+v", a)
	}
	if c := plan.Clients[1]; c.Restart || c.Copy[0].To != l.Client("root") {
		t.Errorf("root serve-new: %+v", c)
	}
	if got := s.ContextCommands("prod", certOf(t, l.Client("root"))); len(got) != 1 ||
		got[0] != "etcd-ctx set prod --cert "+l.Client("root")+" --key "+certwiz.KeyPath(l.Client("root")) {
		t.Errorf("serve-new context lines: %q", got)
	}
	carryOut(t, s)

	// Phase 3: new-only bundles.
	if s, err = Advance(dir, PhaseServeNew, AdvanceOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	if b := certsOf(t, s.Path(MemberPath(s, "m2", SlotPeerTrustedCA, false))); len(b) != 1 || !b[0].Equal(newPeerCA) {
		t.Errorf("m2's trust-new peer bundle: %v", b)
	}
	carryOut(t, s)

	// The end: retired, installed, clean.
	if s, err = Advance(dir, PhaseTrustNew, AdvanceOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	if s.Phase != PhaseDone {
		t.Fatalf("phase %s after trust-new", s.Phase)
	}
	if exists(filepath.Join(dir, StateFileName)) || exists(filepath.Join(dir, RotationDirName)) {
		t.Error("rotation.yaml or rotation/ left in the tree")
	}
	retired := filepath.Join(dir, RetiredDirName, "20260501T100000Z")
	if !certOf(t, filepath.Join(retired, "ca.crt")).Equal(oldCA) || !certOf(t, filepath.Join(retired, "peer-ca.crt")).Equal(oldPeerCA) {
		t.Error("retired/ does not hold the old CAs")
	}
	if k, _ := os.ReadFile(filepath.Join(retired, "ca.key")); !bytes.Equal(k, oldKey) {
		t.Error("retired/ does not hold the old CA key")
	}
	if !certOf(t, l.CA()).Equal(newCA) || !certOf(t, l.PeerCA()).Equal(newPeerCA) {
		t.Error("the tree does not hold the new CAs")
	}
	if _, err := certwiz.LoadCA(l.CA()); err != nil {
		t.Errorf("the new CA and its key in the tree: %v", err)
	}
	if keys, _ := filepath.Glob(filepath.Join(retired, RotationDirName, "new", "*.key")); len(keys) != 0 {
		t.Errorf("the new CA keys are still kept beside the rotation's records: %v", keys)
	}
	if !exists(filepath.Join(retired, StateFileName)) {
		t.Error("the rotation's record is not kept under retired/")
	}
	check, err := certwiz.CheckTree(dir, 30*24*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if certwiz.Failed(check.Results) || len(check.Results) != 10 {
		t.Errorf("check after the rotation: %+v", check.Results)
	}
}

// TestStartRefuses: a rotation in progress, a scope the tree cannot honour,
// a leaf not signed by its CA, a leaf without its key: each refused with
// nothing written.
func TestStartRefuses(t *testing.T) {
	t.Run("in progress", func(t *testing.T) {
		dir := tree(t, true)
		if _, err := Start(dir, StartOptions{}); err != nil {
			t.Fatal(err)
		}
		_, err := Start(dir, StartOptions{})
		var ip *InProgressError
		if !errors.As(err, &ip) || ip.Phase != PhaseTrustBoth {
			t.Fatalf("second start: %v", err)
		}
	})
	t.Run("one CA, client only", func(t *testing.T) {
		dir := tree(t, false)
		_, err := Start(dir, StartOptions{Scope: Scope{Client: true}})
		var se *ScopeError
		if !errors.As(err, &se) {
			t.Fatalf("start --client on a one-CA tree: %v", err)
		}
		if exists(filepath.Join(dir, RotationDirName)) {
			t.Error("a refused start wrote rotation/")
		}
	})
	t.Run("foreign leaf", func(t *testing.T) {
		dir := tree(t, true)
		l := certwiz.Layout{Dir: dir}
		other, _ := certwiz.NewCA("other CA", certwiz.ECDSAP256, 30)
		old, _ := certwiz.LoadPair(l.Server("m2"), "")
		it, _ := certwiz.Reissue(old.Cert, old.Key, other, certwiz.RenewOptions{})
		copyData(t, l.Server("m2"), it.CertPEM)
		_, err := Start(dir, StartOptions{})
		if err == nil || !strings.Contains(err.Error(), "m2/server.crt (CN=m2) is not signed by") {
			t.Fatalf("start with a leaf of another CA: %v", err)
		}
		if exists(filepath.Join(dir, RotationDirName)) || exists(filepath.Join(dir, StateFileName)) {
			t.Error("a refused start left files behind")
		}
	})
	t.Run("no key", func(t *testing.T) {
		dir := tree(t, true)
		os.Remove(filepath.Join(dir, "clients", "app.key"))
		_, err := Start(dir, StartOptions{})
		var nk *pki.NoKeyError
		if !errors.As(err, &nk) {
			t.Fatalf("start without a client key: %v", err)
		}
	})
}

func copyData(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := fileio.Write(path, data, certwiz.CertMode); err != nil {
		t.Fatal(err)
	}
}

// TestPeerOnly: --peer rotates the peer CA alone: only peer bundles and
// peer certificates move; clients and the client CA are untouched.
func TestPeerOnly(t *testing.T) {
	dir := tree(t, true)
	before := snapshot(t, dir)
	s, err := Start(dir, StartOptions{Scope: Scope{Peer: true}})
	if err != nil {
		t.Fatal(err)
	}
	if s.ClientCA != nil || len(s.Clients) != 0 || s.caWords() != "peer CA" {
		t.Fatalf("peer-only start: %+v", s)
	}
	for _, a := range s.Actions().Members {
		if len(a.Copy) != 1 || filepath.Base(a.Copy[0].To) != "peer-ca.crt" {
			t.Errorf("peer-only trust-both: %+v", a)
		}
	}
	carryOut(t, s)
	s, err = Advance(dir, PhaseTrustBoth, AdvanceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range s.Actions().Members {
		if len(a.Copy) != 1 || filepath.Base(a.Copy[0].To) != "peer.crt" {
			t.Errorf("peer-only serve-new: %+v", a)
		}
	}
	if len(s.Actions().Clients) != 0 || s.ContextCommands("x", nil) != nil {
		t.Error("peer-only rotation asks something of clients")
	}
	carryOut(t, s)
	for _, p := range []Phase{PhaseServeNew, PhaseTrustNew} {
		if s, err = Advance(dir, p, AdvanceOptions{}); err != nil {
			t.Fatal(err)
		}
		carryOut(t, s)
	}
	after := snapshot(t, dir)
	for p, data := range before {
		changed := !bytes.Equal(data, after[p])
		// The peer CA (with its key) and the peer certificates are
		// replaced; the members' keys are kept.
		want := strings.HasPrefix(filepath.Base(p), "peer-ca.") || filepath.Base(p) == "peer.crt"
		if changed != want {
			t.Errorf("%s changed %v, want %v", p, changed, want)
		}
	}
}

// TestEndRefusesForeignFiles: at the end, a tree file that is neither the
// original nor the rotation's own is not replaced without force, and
// nothing is written.
func TestEndRefusesForeignFiles(t *testing.T) {
	dir := tree(t, true)
	s, err := Start(dir, StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []Phase{PhaseTrustBoth, PhaseServeNew} {
		carryOut(t, s)
		if s, err = Advance(dir, p, AdvanceOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	carryOut(t, s)
	l := certwiz.Layout{Dir: dir}
	// Someone renewed m2's peer certificate meanwhile.
	r, err := certwiz.Renew(l.Peer("m2"), certwiz.RenewOptions{CADir: filepath.Join(dir, RotationDirName, "new")})
	if err != nil {
		t.Fatal(err)
	}
	copyData(t, l.Peer("m2"), r.CertPEM)
	before := snapshot(t, dir)
	_, err = Advance(dir, PhaseTrustNew, AdvanceOptions{})
	var ee *certwiz.ExistsError
	if !errors.As(err, &ee) || ee.Path != l.Peer("m2") {
		t.Fatalf("end with a foreign m2/peer.crt: %v", err)
	}
	after := snapshot(t, dir)
	for p := range before {
		if !bytes.Equal(before[p], after[p]) {
			t.Errorf("%s was written by a refused end", p)
		}
	}
	if _, err := Advance(dir, PhaseTrustNew, AdvanceOptions{Force: true}); err != nil {
		t.Fatalf("end with --force: %v", err)
	}
}

// TestAbort: from trust-both straight back to the old bundles; from
// serve-new first the original certificates; not from trust-new. At the
// end the tree is as it was and the new CA's key is gone.
func TestAbort(t *testing.T) {
	t.Run("from trust-both", func(t *testing.T) {
		dir := tree(t, true)
		before := snapshot(t, dir)
		s, err := Start(dir, StartOptions{})
		if err != nil {
			t.Fatal(err)
		}
		carryOut(t, s)
		if s, err = Abort(dir, AdvanceOptions{}); err != nil || s.Phase != PhaseAbortTrustOld {
			t.Fatalf("abort: %v, phase %v", err, s)
		}
		if info := s.Info(s.Phase); info.Step != 1 || info.Steps != 1 || !info.Restart {
			t.Errorf("abort-trust-old info: %+v", info)
		}
		carryOut(t, s)
		if s, err = Advance(dir, PhaseAbortTrustOld, AdvanceOptions{}); err != nil || s.Phase != PhaseAborted {
			t.Fatalf("end of abort: %v", err)
		}
		after := snapshot(t, dir)
		for p := range before {
			if !bytes.Equal(before[p], after[p]) {
				t.Errorf("%s differs after the abort", p)
			}
		}
		if keys, _ := filepath.Glob(filepath.Join(dir, RetiredDirName, "*-aborted", RotationDirName, "new", "*.key")); len(keys) != 0 {
			t.Errorf("the new CA's keys were kept: %v", keys)
		}
	})
	t.Run("from serve-new", func(t *testing.T) {
		dir := tree(t, true)
		before := snapshot(t, dir)
		s, _ := Start(dir, StartOptions{})
		carryOut(t, s)
		s, _ = Advance(dir, PhaseTrustBoth, AdvanceOptions{})
		carryOut(t, s)
		s, err := Abort(dir, AdvanceOptions{})
		if err != nil || s.Phase != PhaseAbortServeOld {
			t.Fatalf("abort from serve-new: %v", err)
		}
		for _, a := range s.Actions().Members {
			if a.Restart || len(a.Copy) != 2 || !strings.Contains(a.Copy[0].From, "/original/") {
				t.Errorf("abort-serve-old: %+v", a)
			}
		}
		carryOut(t, s)
		s, _ = Advance(dir, PhaseAbortServeOld, AdvanceOptions{})
		if info := s.Info(s.Phase); info.Step != 2 || info.Steps != 2 {
			t.Errorf("abort-trust-old after serve-new: %+v", info)
		}
		carryOut(t, s)
		if _, err := Advance(dir, PhaseAbortTrustOld, AdvanceOptions{}); err != nil {
			t.Fatal(err)
		}
		after := snapshot(t, dir)
		for p := range before {
			if !bytes.Equal(before[p], after[p]) {
				t.Errorf("%s differs after the abort", p)
			}
		}
	})
	t.Run("not from trust-new", func(t *testing.T) {
		dir := tree(t, true)
		s, _ := Start(dir, StartOptions{})
		for _, p := range []Phase{PhaseTrustBoth, PhaseServeNew} {
			carryOut(t, s)
			s, _ = Advance(dir, p, AdvanceOptions{})
		}
		_, err := Abort(dir, AdvanceOptions{})
		var pe *PhaseError
		if !errors.As(err, &pe) || pe.Phase != PhaseTrustNew {
			t.Fatalf("abort from trust-new: %v", err)
		}
	})
	t.Run("stale phase", func(t *testing.T) {
		dir := tree(t, true)
		Start(dir, StartOptions{})
		_, err := Advance(dir, PhaseServeNew, AdvanceOptions{})
		var pe *PhaseError
		if !errors.As(err, &pe) {
			t.Fatalf("advance from a phase the rotation is not in: %v", err)
		}
	})
}

// TestMemberFiles: where members read their files — the layout's defaults,
// --member-dir for all or one, --member-config in each format operators
// have.
func TestMemberFiles(t *testing.T) {
	dir := tree(t, true)
	tr, err := FindTree(dir, TreeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	files, err := MemberFiles(tr, MemberFileOptions{Dirs: map[string]string{"": "/etc/etcd/pki", "m2": "/srv/pki"}})
	if err != nil {
		t.Fatal(err)
	}
	if files["m0"][SlotTrustedCA] != "/etc/etcd/pki/ca.crt" || files["m0"][SlotCert] != "/etc/etcd/pki/m0/server.crt" ||
		files["m2"][SlotPeerTrustedCA] != "/srv/pki/peer-ca.crt" || files["m2"][SlotPeerKey] != "/srv/pki/m2/peer.key" {
		t.Errorf("member dirs: %v", files)
	}
	confs := map[string]string{
		"etcd.conf.yml": "name: m0\nclient-transport-security:\n  cert-file: /etc/etcd/ssl/server.pem\n  key-file: /etc/etcd/ssl/server-key.pem\n  trusted-ca-file: /etc/etcd/ssl/ca.pem\npeer-transport-security:\n  cert-file: /etc/etcd/ssl/peer.pem\n  trusted-ca-file: /etc/etcd/ssl/peer-ca.pem\n",
		"etcd.yaml":     "spec:\n  containers:\n  - command:\n    - etcd\n    - --cert-file=/etc/etcd/ssl/server.pem\n    - --trusted-ca-file=/etc/etcd/ssl/ca.pem\n    - --peer-cert-file=/etc/etcd/ssl/peer.pem\n    - --peer-trusted-ca-file=/etc/etcd/ssl/peer-ca.pem\n",
		"etcd.service":  "[Service]\nExecStart=/usr/bin/etcd --name m0 \\\n  --cert-file /etc/etcd/ssl/server.pem --trusted-ca-file=/etc/etcd/ssl/ca.pem \\\n  --peer-cert-file=\"/etc/etcd/ssl/peer.pem\" --peer-trusted-ca-file /etc/etcd/ssl/peer-ca.pem\n# --cert-file=/old/ignored.pem\n",
		"etcd.env":      "ETCD_CERT_FILE=/etc/etcd/ssl/server.pem\nETCD_TRUSTED_CA_FILE=\"/etc/etcd/ssl/ca.pem\"\nETCD_PEER_CERT_FILE=/etc/etcd/ssl/peer.pem\nETCD_PEER_TRUSTED_CA_FILE=/etc/etcd/ssl/peer-ca.pem\n",
	}
	for name, text := range confs {
		p := filepath.Join(t.TempDir(), name)
		os.WriteFile(p, []byte(text), 0o644)
		files, err := MemberFiles(tr, MemberFileOptions{Configs: map[string]string{"m0": p}})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f := files["m0"]
		if f[SlotCert] != "/etc/etcd/ssl/server.pem" || f[SlotTrustedCA] != "/etc/etcd/ssl/ca.pem" ||
			f[SlotPeerCert] != "/etc/etcd/ssl/peer.pem" || f[SlotPeerTrustedCA] != "/etc/etcd/ssl/peer-ca.pem" {
			t.Errorf("%s: %v", name, f)
		}
		if files["m1"][SlotCert] != filepath.Join(dir, "m1", "server.crt") {
			t.Errorf("%s changed m1's files: %v", name, files["m1"])
		}
	}
	shared := filepath.Join(t.TempDir(), "one-ca.yml")
	os.WriteFile(shared, []byte("client-transport-security:\n  trusted-ca-file: /x/ca.pem\npeer-transport-security:\n  trusted-ca-file: /x/ca.pem\n"), 0o644)
	if _, err := MemberFiles(tr, MemberFileOptions{Configs: map[string]string{"m1": shared}}); err == nil || !strings.Contains(err.Error(), "one file") {
		t.Errorf("one trust file for two CAs: %v", err)
	}
	if _, err := MemberFiles(tr, MemberFileOptions{Dirs: map[string]string{"m9": "/x"}}); err == nil || !strings.Contains(err.Error(), "no member m9") {
		t.Errorf("unknown member: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, []byte("name: m0\n"), 0o644)
	if _, err := ReadEtcdFlags(empty); err == nil {
		t.Error("a config without TLS files was accepted")
	}
}

// TestNewCASubject: the new CA's CN carries the date (a same-name CA is a
// trap), replaces an earlier rotation's date, and keeps the rest.
func TestNewCASubject(t *testing.T) {
	old, err := certwiz.Issue(certwiz.Request{Role: certwiz.RoleCA, CommonName: "prod etcd CA 2024-01-02", Org: []string{"ops"}, Days: 30},
		mustKey(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC)
	nu, err := NewCA(old.Cert, day)
	if err != nil {
		t.Fatal(err)
	}
	if nu.Cert.Subject.CommonName != "prod etcd CA 2026-05-01" || !slices.Equal(nu.Cert.Subject.Organization, []string{"ops"}) {
		t.Errorf("new subject %s", nu.Cert.Subject)
	}
	if d := nu.Cert.NotAfter.Sub(nu.Cert.NotBefore); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Errorf("lifetime %s, want the old one's", d)
	}
	again, _ := NewCA(nu.Cert, day)
	if again.Cert.Subject.CommonName != "prod etcd CA 2026-05-01T0930Z" {
		t.Errorf("a second rotation the same day: %s", again.Cert.Subject)
	}
}

func mustKey(t *testing.T) crypto.Signer {
	t.Helper()
	k, err := certwiz.GenerateKey(certwiz.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestGateNeeds: what each phase's gate asks of a port, and how a member
// that is not there yet is told, with its fix (the live probes are the
// e2e tests' business; here the views are given).
func TestGateNeeds(t *testing.T) {
	yes, no := ptr(true), ptr(false)
	port := func(newOK, oldOK *bool, served string) PortView {
		return PortView{URL: "https://127.0.0.1:1", reached: true, Serial: "AB", Issuer: "CN=x", AsksClientCert: true,
			AcceptsNewCA: newOK, AcceptsOldCA: oldOK, ServedCA: served}
	}
	cases := []struct {
		shared       bool
		phase        Phase
		client, peer PortView
		want         []string
	}{
		{false, PhaseTrustBoth, port(yes, yes, "old"), port(yes, yes, "old"), nil},
		{false, PhaseTrustBoth, port(no, yes, "old"), port(yes, yes, "old"),
			[]string{"does not accept certificates from the new client CA yet: copy DIR/rotation/m1/ca.crt to DIR/ca.crt and restart it"}},
		{false, PhaseTrustBoth, port(yes, no, "old"), port(yes, yes, "old"),
			[]string{"no longer accepts certificates from the old client CA: its trust bundle must hold the old and the new CA"}},
		{false, PhaseServeNew, port(yes, yes, "new"), port(yes, yes, "old"),
			[]string{"still serves a certificate from the old peer CA on its peer port (serial AB, issuer CN=x; the rotation issued serial", "copy DIR/rotation/m1/peer.crt to DIR/m1/peer.crt (no restart"}},
		{false, PhaseServeNew, port(yes, yes, "other"), port(yes, yes, "new"),
			[]string{"serves a certificate from neither the old nor the new client CA on its client port"}},
		{false, PhaseTrustNew, port(yes, yes, "new"), port(yes, no, "new"),
			[]string{"still accepts certificates from the old client CA: copy DIR/rotation/m1/ca.crt to DIR/ca.crt and restart it"}},
		{false, PhaseTrustNew, port(yes, nil, "new"), port(yes, no, "new"),
			[]string{"client port: could not tell whether it accepts the old client CA"}},
		{false, PhaseAbortTrustOld, port(yes, yes, "old"), port(no, yes, "old"),
			[]string{"still accepts certificates from the new client CA: copy DIR/rotation/original/m1/ca.crt to DIR/ca.crt"}},
		{true, PhaseTrustBoth, port(yes, yes, "old"), port(no, yes, "old"),
			[]string{"does not accept certificates from the new CA yet on its peer port: copy DIR/rotation/m1/ca.crt to DIR/ca.crt"}},
		{false, PhaseTrustBoth, PortView{URL: "https://127.0.0.1:1", Error: "connection refused"}, port(yes, yes, "old"),
			[]string{"client port https://127.0.0.1:1 cannot be reached: connection refused"}},
	}
	for _, c := range cases {
		dir := tree(t, !c.shared)
		s, err := Start(dir, StartOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s.Phase = c.phase
		s.Member("m1").Serials = map[Slot]string{SlotCert: "CD", SlotPeerCert: "EF"}
		r := &Report{Members: []MemberView{{Member: "m1", Client: c.client, Peer: c.peer, Healthy: true, Leader: "1"}}}
		s.judge(r, &probeSet{}, SurveyOptions{Now: time.Now()})
		got := strings.ReplaceAll(strings.Join(r.Members[0].Needs, "\n"), dir, "DIR")
		if len(c.want) == 0 && got != "" {
			t.Errorf("%s %+v: needs %q, want none", c.phase, c, got)
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s (shared CA %v): needs\n%s\nwant %q", c.phase, c.shared, got, w)
			}
		}
		if r.Members[0].OK != (len(c.want) == 0) || r.Holds != (len(c.want) == 0) {
			t.Errorf("%s: ok %v holds %v with needs %q", c.phase, r.Members[0].OK, r.Holds, got)
		}
	}
}

// TestBundleKeepsOtherCAs: a CA file that also holds another CA the
// members trust keeps it through the rotation: only the CA replaced goes,
// and the new CA comes first, where certwiz pairs ca.crt with ca.key.
func TestBundleKeepsOtherCAs(t *testing.T) {
	dir := tree(t, true)
	l := certwiz.Layout{Dir: dir}
	other, _ := certwiz.NewCA("partner CA", certwiz.ECDSAP256, 30)
	orig, _ := os.ReadFile(l.CA())
	copyData(t, l.CA(), append(orig, other.CertPEM...))
	oldCA := certsOf(t, l.CA())[0]
	s, err := Start(dir, StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	names := func(certs []*x509.Certificate) string {
		var n []string
		for _, c := range certs {
			n = append(n, c.Subject.CommonName)
		}
		return strings.Join(n, ", ")
	}
	newCN := strings.TrimPrefix(s.ClientCA.New.Subject, "CN=")
	if got, want := names(certsOf(t, s.Path(MemberPath(s, "m0", SlotTrustedCA, false)))), oldCA.Subject.CommonName+", partner CA, "+newCN; got != want {
		t.Errorf("trust-both bundle: %s, want %s", got, want)
	}
	for _, p := range []Phase{PhaseTrustBoth, PhaseServeNew} {
		carryOut(t, s)
		if s, err = Advance(dir, p, AdvanceOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := names(certsOf(t, s.Path(MemberPath(s, "m0", SlotTrustedCA, false)))), newCN+", partner CA"; got != want {
		t.Errorf("trust-new bundle: %s, want %s", got, want)
	}
	carryOut(t, s)
	if _, err = Advance(dir, PhaseTrustNew, AdvanceOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, want := names(certsOf(t, l.CA())), newCN+", partner CA"; got != want {
		t.Errorf("the tree's ca.crt at the end: %s, want %s", got, want)
	}
	if _, err := certwiz.LoadCA(l.CA()); err != nil {
		t.Errorf("ca.crt and ca.key at the end: %v", err)
	}
}

// kubeadmNode writes one node's kubeadm etcd PKI under root/<node>/pki with
// ca (shared), server and peer for the node, healthcheck-client and
// ../apiserver-etcd-client, and returns the etcd directory.
func kubeadmNode(t *testing.T, root, node string, ca *certwiz.Issued) string {
	t.Helper()
	dir := filepath.Join(root, node, "pki", "etcd")
	leaf := func(path string, role certwiz.Role, cn string) {
		req := certwiz.Request{Role: role, CommonName: cn, Days: 365}
		if role != certwiz.RoleClient {
			req.DNS = []string{node, "localhost"}
		}
		it, err := certwiz.NewLeaf(req, certwiz.ECDSAP256, ca)
		if err != nil {
			t.Fatal(err)
		}
		if err := certwiz.WriteFiles(certwiz.PairFiles(path, it), false); err != nil {
			t.Fatal(err)
		}
	}
	if err := certwiz.WriteFiles(certwiz.PairFiles(filepath.Join(dir, "ca.crt"), ca), false); err != nil {
		t.Fatal(err)
	}
	leaf(filepath.Join(dir, "server.crt"), certwiz.RoleServer, node)
	leaf(filepath.Join(dir, "peer.crt"), certwiz.RolePeer, node)
	leaf(filepath.Join(dir, "healthcheck-client.crt"), certwiz.RoleClient, "kube-etcd-healthcheck-client")
	leaf(filepath.Join(dir, "..", "apiserver-etcd-client.crt"), certwiz.RoleClient, "kube-apiserver-etcd-client")
	return dir
}

// TestKubeadmLayout: a kubeadm tree is found by its names, its members by
// their server certificate's CN; copies go to kubeadm's names at the
// directory's path on every node; at the end the other nodes get the new
// CA and its key (kubeadm keeps them on every control-plane node).
func TestKubeadmLayout(t *testing.T) {
	root := t.TempDir()
	ca, _ := certwiz.NewCA("etcd-ca", certwiz.ECDSAP256, 3650)
	cp1 := kubeadmNode(t, root, "cp1", ca)
	cp2 := kubeadmNode(t, root, "cp2", ca)
	tr, err := FindTree(filepath.Dir(cp1), TreeOptions{Members: map[string]string{"cp2": cp2}})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Layout != LayoutKubeadm || tr.Dir != cp1 || tr.SeparatePeerCA() || len(tr.Members) != 2 || tr.Members[0].Name != "cp1" {
		t.Fatalf("kubeadm tree: %+v", tr)
	}
	s, err := Start(cp1, StartOptions{Tree: TreeOptions{Members: map[string]string{"cp2": cp2}}})
	if err != nil {
		t.Fatal(err)
	}
	if !s.SharedCA() || !s.Member("cp1").Local || s.Member("cp2").Local {
		t.Fatalf("kubeadm state: shared %v, local %v %v", s.SharedCA(), s.Member("cp1").Local, s.Member("cp2").Local)
	}
	for _, a := range s.Actions().Members {
		if len(a.Copy) != 1 || a.Copy[0].To != filepath.Join(cp1, "ca.crt") || !strings.Contains(a.Note, "kube-apiserver") {
			t.Errorf("trust-both on %s: %+v", a.Member, a)
		}
	}
	carryOut(t, s)
	s, _ = Advance(cp1, PhaseTrustBoth, AdvanceOptions{})
	var to []string
	for _, c := range s.Actions().Members[1].Copy {
		to = append(to, strings.TrimPrefix(c.To, filepath.Dir(cp1)+"/"))
	}
	if want := []string{"etcd/server.crt", "etcd/peer.crt", "etcd/healthcheck-client.crt", "apiserver-etcd-client.crt"}; !slices.Equal(to, want) {
		t.Errorf("serve-new on cp2 copies to %v, want %v", to, want)
	}
	if srv := certOf(t, s.Path(MemberPath(s, "cp2", SlotCert, false))); srv.Subject.CommonName != "cp2" {
		t.Errorf("cp2's new server certificate: %s", srv.Subject)
	}
	carryOut(t, s)
	s, _ = Advance(cp1, PhaseServeNew, AdvanceOptions{})
	carryOut(t, s)
	if s, err = Advance(cp1, PhaseTrustNew, AdvanceOptions{}); err != nil {
		t.Fatal(err)
	}
	plan := s.Actions().Members
	if len(plan) != 1 || plan[0].Member != "cp2" || len(plan[0].Copy) != 2 || plan[0].Copy[1].To != filepath.Join(cp1, "ca.key") {
		t.Errorf("done: %+v", plan)
	}
}

func TestLeaderLast(t *testing.T) {
	p := Plan{Members: []MemberAction{{Member: "a", Restart: true}, {Member: "b", Restart: true}, {Member: "c", Restart: true}}}
	var got []string
	for _, a := range p.LeaderLast("a").Members {
		got = append(got, a.Member)
	}
	if !slices.Equal(got, []string{"b", "c", "a"}) {
		t.Errorf("leader a last: %v", got)
	}
	if p.Members[0].Member != "a" {
		t.Error("LeaderLast changed the plan it was given")
	}
	q := Plan{Members: []MemberAction{{Member: "a"}, {Member: "b"}}}
	if q.LeaderLast("a").Members[0].Member != "a" {
		t.Error("a phase without restarts was reordered")
	}
}
