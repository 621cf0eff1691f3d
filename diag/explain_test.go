package diag

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExplainCapturedLines replays error lines captured from etcdctl 3.7,
// etcdctl 3.4 and the etcd server log (tests/explain_test.go -update-explain
// writes them): testdata/explain/<id>.<source>.txt must explain as <id>.
func TestExplainCapturedLines(t *testing.T) {
	files, err := filepath.Glob("testdata/explain/*.txt")
	if err != nil || len(files) < 15 {
		t.Fatalf("expected the captured lines in testdata/explain, found %d (%v)", len(files), err)
	}
	for _, f := range files {
		want, _, _ := strings.Cut(filepath.Base(f), ".")
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := Explain(string(data))
		if !ok || got.ID != want {
			t.Errorf("%s: explained as %q, want %q\n%s", f, got.ID, want, data)
		}
		if got.Cause == "" || got.Fix == "" {
			t.Errorf("%s: %s has no cause or fix text", f, want)
		}
	}
}

func TestExplainTable(t *testing.T) {
	cases := []struct{ text, want string }{
		{"Error: context deadline exceeded", "timeout"},
		{`dial tcp: lookup etcd-9.example.internal on 10.0.0.2:53: no such host`, "dns-unresolvable"},
		{`x509: certificate is valid for etcd-0, localhost, not etcd.example.com`, "server-san-mismatch"},
		{`transport: authentication handshake failed: x509: certificate signed by unknown authority`, "server-ca-untrusted"},
		{`{"msg":"rejected connection on client endpoint","error":"tls: failed to verify certificate: x509: certificate signed by unknown authority"}`, "client-ca-untrusted"},
		{`Error: etcdserver: mvcc: database space exceeded`, "alarm-active"},
		{`Error: etcdserver: no leader`, "no-leader"},
		{`{"level":"warn","msg":"rejected connection on client endpoint","error":"remote error: tls: bad certificate"}`, "server-ca-untrusted"},
		{`error reading server preface: EOF`, "server-requires-tls"},
	}
	for _, tc := range cases {
		got, ok := Explain(tc.text)
		if !ok || got.ID != tc.want {
			t.Errorf("Explain(%q) = %q, want %q", tc.text, got.ID, tc.want)
		}
	}
	if _, ok := Explain("everything is fine"); ok {
		t.Error("an unrelated line was explained")
	}
	if e, _ := Explain("Error: context deadline exceeded"); !strings.Contains(e.Note, "etcd-diag") {
		t.Error("a bare deadline does not point at etcd-diag")
	}
}

// TestIDsAreUniqueAndExplained: the ids are a contract; each explainable id
// has catalog texts.
func TestIDsAreUniqueAndExplained(t *testing.T) {
	seen := map[string]bool{}
	for _, id := range IDs {
		if seen[id.ID] {
			t.Errorf("duplicate id %s", id.ID)
		}
		seen[id.ID] = true
	}
	for _, p := range patterns {
		if !seen[p.id] {
			t.Errorf("explain pattern maps to unknown id %s", p.id)
		}
		if c, f := catalog(p.id); c == "" || f == "" {
			t.Errorf("id %s has no catalog text", p.id)
		}
	}
}

// FuzzExplain: any pasted text is explained as a known id with its catalog
// cause and fix, quoting only a piece of the text itself, or not at all.
func FuzzExplain(f *testing.F) {
	files, _ := filepath.Glob("testdata/explain/*.txt")
	for _, p := range files {
		data, _ := os.ReadFile(p)
		f.Add(string(data))
	}
	f.Add("Error: context deadline exceeded")
	f.Add("everything is fine")
	f.Fuzz(func(t *testing.T, text string) {
		e, ok := Explain(text)
		if !ok {
			if e != (Explanation{}) {
				t.Fatalf("nothing recognised, yet explained as %+v", e)
			}
			return
		}
		if e.ID == "" || !seenID(e.ID) {
			t.Fatalf("explained as unknown id %q", e.ID)
		}
		if e.Cause == "" || e.Fix == "" || e.Severity == "" {
			t.Fatalf("%s explained without cause, fix or severity: %+v", e.ID, e)
		}
		if e.Matched == "" || !strings.Contains(text, e.Matched) {
			t.Fatalf("matched %q is not part of the text", e.Matched)
		}
		if again, _ := Explain(text); again != e {
			t.Fatalf("Explain is not deterministic: %+v then %+v", e, again)
		}
	})
}

func seenID(id string) bool {
	for _, x := range IDs {
		if x.ID == id {
			return true
		}
	}
	return false
}
