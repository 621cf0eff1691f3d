package contexts

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestSelect: the one resolution path picks the context named, else
// $ETCD_CTX, else the current one, and loads its material; the refusals
// carry their hints.
func TestSelect(t *testing.T) {
	store, _ := newStore(t)
	t.Setenv(EnvContext, "")
	var noCurrent *selectError
	if _, err := store.Select(""); !errors.Is(err, ErrNoCurrent) || !errors.As(err, &noCurrent) || !strings.Contains(noCurrent.Hint(), "etcd-ctx use NAME") {
		t.Fatalf("empty config: %v, want ErrNoCurrent with a hint", err)
	}
	a, b := fullSpec(t, "a"), fullSpec(t, "b")
	for _, s := range []Spec{a, b} {
		if err := store.Save(s, SaveOptions{Use: s.Name == "a"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, env string
		want      Spec
	}{
		{"", "", a},
		{"", "b", b},
		{"a", "b", a},
		{"b", "", b},
	} {
		t.Setenv(EnvContext, tc.env)
		got, err := store.Select(tc.name)
		if err != nil {
			t.Fatalf("Select(%q) with ETCD_CTX=%q: %v", tc.name, tc.env, err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Select(%q) with ETCD_CTX=%q: got %q, want %q", tc.name, tc.env, got.Name, tc.want.Name)
		}
	}
	t.Setenv(EnvContext, "")
	var nf *NotFoundError
	if _, err := store.Select("c"); !errors.As(err, &nf) || nf.Hint() != "known contexts: a, b" {
		t.Fatalf("unknown name: %v", err)
	}
}
