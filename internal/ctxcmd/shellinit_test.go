package ctxcmd

import (
	"strings"
	"testing"
)

func TestShellInit(t *testing.T) {
	for _, sh := range initShells {
		plain, err := shellInit(sh, false)
		if err != nil {
			t.Fatal(err)
		}
		wrapped, _ := shellInit(sh, true)
		for _, want := range []string{"etcd_ctx_prompt", "ectx", "ectl", "etcd-certwiz", "etcd-diag"} {
			if !strings.Contains(plain, want) {
				t.Errorf("shell-init %s lacks %q", sh, want)
			}
		}
		if strings.Contains(plain, "exec -- etcdctl") || !strings.Contains(wrapped, "exec -- etcdctl") {
			t.Errorf("shell-init %s: the etcdctl function must be opt-in", sh)
		}
		if strings.Contains(plain, "{{") {
			t.Errorf("shell-init %s not rendered", sh)
		}
	}
	if _, err := shellInit("tcsh", false); err == nil {
		t.Error("tcsh: want an error")
	}
}
