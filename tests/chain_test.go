package tests

import (
	"os"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// cfssl-tools: put CloudFlare's cfssl and cfssljson (built once from the
// module proxy, see harness.CFSSL) on the script's PATH, to follow etcd's
// own certificate recipe with the real tools.
func cmdCFSSLTools(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: cfssl-tools")
	}
	dir, err := harness.CFSSL()
	ts.Check(err)
	ts.Setenv("PATH", dir+string(os.PathListSeparator)+ts.Getenv("PATH"))
}
