package diag

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// rpctypesList is one pinned etcd version's rpctypes errors, as
// internal/rpctypesgen extracted them into testdata/rpctypes.
type rpctypesList struct {
	version  string
	source   string
	messages []rpctypesError
}

type rpctypesError struct{ name, code, msg string }

var versionLine = regexp.MustCompile(`^# etcd (3\.\d+\.\d+): (.+)$`)

func rpctypesLists(tb testing.TB) []rpctypesList {
	files, err := filepath.Glob("testdata/rpctypes/etcd-*.txt")
	if err != nil {
		tb.Fatal(err)
	}
	var out []rpctypesList
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			tb.Fatal(err)
		}
		l := rpctypesList{}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			line := sc.Text()
			if m := versionLine.FindStringSubmatch(line); m != nil {
				l.version, l.source = m[1], m[2]
			}
			if strings.HasPrefix(line, "#") || line == "" {
				continue
			}
			parts := strings.SplitN(line, "\t", 3)
			if len(parts) != 3 {
				tb.Fatalf("%s: bad line %q", f, line)
			}
			l.messages = append(l.messages, rpctypesError{parts[0], parts[1], parts[2]})
		}
		fh.Close()
		if l.version == "" {
			tb.Fatalf("%s: no \"# etcd VERSION: SOURCE\" header", f)
		}
		out = append(out, l)
	}
	return out
}

// TestExplainKnowsEveryRPCTypesError walks the rpctypes error strings of
// the pinned etcd 3.4, 3.5, 3.6 and 3.7 and fails on any that explain does
// not classify with a specific id (the generic etcd-error does not count),
// in the three forms a user pastes: etcdctl's "Error: …", the gRPC status
// of a client log, and the bare string.
func TestExplainKnowsEveryRPCTypesError(t *testing.T) {
	lists := rpctypesLists(t)
	minors := map[string]bool{}
	for _, l := range lists {
		minors[l.version[:3]] = true
	}
	for _, v := range []string{"3.4", "3.5", "3.6", "3.7"} {
		if !minors[v] {
			t.Errorf("no pinned rpctypes list of etcd %s in testdata/rpctypes (go generate ./diag)", v)
		}
	}
	for _, l := range lists {
		classified := 0
		for _, m := range l.messages {
			forms := []string{
				"Error: " + m.msg,
				`{"level":"warn","msg":"retrying of unary invoker failed","error":"rpc error: code = ` + m.code + ` desc = ` + m.msg + `"}`,
				m.msg,
			}
			var first Explanation
			ok := true
			for i, text := range forms {
				e, found := Explain(text)
				switch {
				case !found || e.ID == "etcd-error":
					t.Errorf("etcd %s %s %q (%s): no specific id (got %q)", l.version, m.name, m.msg, formName(i), e.ID)
					ok = false
				case i == 0:
					first = e
				case e.ID != first.ID || e.Side != first.Side:
					t.Errorf("etcd %s %q: %s gives %s on %s, etcdctl's form %s on %s", l.version, m.msg, formName(i), e.ID, e.Side, first.ID, first.Side)
					ok = false
				}
			}
			if ok {
				classified++
			}
		}
		t.Logf("etcd %s (%s): %d/%d rpctypes errors classified with a specific id", l.version, l.source, classified, len(l.messages))
	}
}

func formName(i int) string {
	return []string{"etcdctl's form", "the gRPC status form", "the bare string"}[i]
}
