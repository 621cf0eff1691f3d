// Package nodac lets tests meet a file the way an operator's account meets
// etcd's keys: unreadable. Root reads any file whatever its mode, through
// the capabilities CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH; setpriv(1)
// (util-linux) drops them from the bounding set, so a root process it
// starts gets "permission denied" on a 0000 file as anyone would. Tests
// only; it knows nothing of the suite.
package nodac

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// setpriv is the prefix that starts a command without the two capabilities.
var setpriv = []string{"setpriv", "--bounding-set=-dac_override,-dac_read_search"}

// envChild marks the child process Run starts.
const envChild = "ETCD_CTX_NODAC_CHILD"

// Command returns argv to run so that file modes hold: argv itself when
// the process is not root, else argv behind setpriv.
func Command(argv ...string) []string {
	if os.Geteuid() != 0 {
		return argv
	}
	return append(append([]string(nil), setpriv...), argv...)
}

// Run reports whether the caller is to run its test body here. Not root,
// or in the child it starts: yes. As root, it runs the test again in a
// child process through setpriv, fails t with the child's output if the
// child failed or did not run the test, and returns false. Without
// setpriv the test fails under CI (the CI variable) and is skipped
// elsewhere.
func Run(t *testing.T) bool {
	t.Helper()
	if os.Geteuid() != 0 || os.Getenv(envChild) != "" {
		return true
	}
	if _, err := exec.LookPath(setpriv[0]); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("root reads any file and %s is missing to drop that: %v", setpriv[0], err)
		}
		t.Skipf("root reads any file and %s is missing to drop that", setpriv[0])
	}
	argv := Command(os.Args[0], "-test.run=^"+regexp.QuoteMeta(t.Name())+"$", "-test.count=1", "-test.v")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), envChild+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("as root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH: %v\n%s", err, out)
	}
	return false
}
