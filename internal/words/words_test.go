package words

import "testing"

func TestList(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{{nil, "(none)"}, {[]string{}, "(none)"}, {[]string{"a"}, "a"}, {[]string{"a", "b"}, "a, b"}} {
		if got := List(tc.in); got != tc.want {
			t.Errorf("List(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if Or("") != "(none)" || Or("x") != "x" {
		t.Error("Or")
	}
}
