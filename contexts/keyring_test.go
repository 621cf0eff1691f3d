package contexts

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// mapStore is the plain get/set/del the chunking helpers work on.
type mapStore struct {
	m    map[string]string
	sets []string
}

func newMapStore() *mapStore { return &mapStore{m: map[string]string{}} }

func (s *mapStore) get(item string) (string, error) {
	v, ok := s.m[item]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

func (s *mapStore) set(item, value string) error {
	s.sets = append(s.sets, item)
	s.m[item] = value
	return nil
}

func (s *mapStore) keys() []string { return slices.Sorted(maps.Keys(s.m)) }

// pattern returns n bytes that differ from chunk to chunk, so that a
// misordered or misplaced chunk changes the reassembled value.
func pattern(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%06d,", i)
	}
	return b.String()[:n]
}

func TestSetChunkedSmallValueIsOneItem(t *testing.T) {
	for _, size := range []int{0, 1, 100, ChunkSize} {
		s := newMapStore()
		v := pattern(size)
		n, err := setChunked(s.set, "user/a", v)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("size %d: setChunked returned %d chunks, want 0", size, n)
		}
		if !slices.Equal(s.keys(), []string{"user/a"}) || s.m["user/a"] != v {
			t.Errorf("size %d: stored %v, want the value as the single item", size, s.keys())
		}
		got, err := getChunked(s.get, "user/a")
		if err != nil || got != v {
			t.Errorf("size %d: getChunked = %d bytes, %v", size, len(got), err)
		}
		if c, err := chunkCount(s.get, "user/a"); c != 0 || err != nil {
			t.Errorf("size %d: chunkCount = %d, %v", size, c, err)
		}
	}
}

func TestSetChunkedSplitsAndReassembles(t *testing.T) {
	cases := []struct {
		size  int
		parts []int
	}{
		{ChunkSize + 1, []int{ChunkSize, 1}},
		{5000, []int{2000, 2000, 1000}},
		{3 * ChunkSize, []int{2000, 2000, 2000}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.size), func(t *testing.T) {
			s := newMapStore()
			v := pattern(tc.size)
			n, err := setChunked(s.set, "user/big", v)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(tc.parts) {
				t.Fatalf("setChunked returned %d chunks, want %d", n, len(tc.parts))
			}
			want := []string{"user/big"}
			for i := range tc.parts {
				want = append(want, chunkName("user/big", i+1))
			}
			slices.Sort(want)
			if got := s.keys(); !slices.Equal(got, want) {
				t.Fatalf("items %v, want %v", got, want)
			}
			off := 0
			for i, size := range tc.parts {
				part := s.m[chunkName("user/big", i+1)]
				if part != v[off:off+size] {
					t.Fatalf("chunk %d is %d bytes, want bytes %d..%d of the value", i+1, len(part), off, off+size)
				}
				off += size
			}
			header := s.m["user/big"]
			if !strings.HasPrefix(header, chunkHeader+fmt.Sprint(n)+":") || len(header) > 200 {
				t.Fatalf("header item is %q", header)
			}
			// The header is written last, so readers see the old value until all chunks are in.
			if last := s.sets[len(s.sets)-1]; last != "user/big" {
				t.Fatalf("last write was %q, want the header", last)
			}
			got, err := getChunked(s.get, "user/big")
			if err != nil {
				t.Fatal(err)
			}
			if got != v {
				t.Fatalf("reassembled %d bytes differ from the %d written", len(got), len(v))
			}
			if c, err := chunkCount(s.get, "user/big"); c != n || err != nil {
				t.Fatalf("chunkCount = %d, %v; want %d", c, err, n)
			}
		})
	}
}

func TestSetChunkedValueLookingLikeAHeader(t *testing.T) {
	// A secret that happens to start with the header must not be mistaken for
	// one on read: it is stored chunked, whatever its size.
	for _, v := range []string{
		chunkHeader,
		chunkHeader + "1:0000",
		chunkHeader + "2:" + strings.Repeat("ab", 32),
		chunkHeader + pattern(4100),
	} {
		s := newMapStore()
		n, err := setChunked(s.set, "item", v)
		if err != nil {
			t.Fatal(err)
		}
		if n < 1 {
			t.Errorf("%.30q… stored unchunked", v)
		}
		if s.m["item"] == v {
			t.Errorf("%.30q… stored as is in the header item", v)
		}
		got, err := getChunked(s.get, "item")
		if err != nil || got != v {
			t.Errorf("%.30q… read back as %.30q…, %v", v, got, err)
		}
	}
}

func TestGetChunkedDetectsDamage(t *testing.T) {
	v := pattern(5000)
	setup := func(t *testing.T) *mapStore {
		s := newMapStore()
		if _, err := setChunked(s.set, "user/x", v); err != nil {
			t.Fatal(err)
		}
		return s
	}

	t.Run("corrupted chunk", func(t *testing.T) {
		s := setup(t)
		c := s.m["user/x#2"]
		s.m["user/x#2"] = "X" + c[1:]
		_, err := getChunked(s.get, "user/x")
		if err == nil || !strings.Contains(err.Error(), "checksum") || !strings.Contains(err.Error(), "user/x") {
			t.Fatalf("got %v, want a checksum error naming the item", err)
		}
	})
	t.Run("chunk from another write", func(t *testing.T) {
		s := setup(t)
		s.m["user/x#3"] = s.m["user/x#3"][:999]
		if _, err := getChunked(s.get, "user/x"); err == nil || !strings.Contains(err.Error(), "checksum") {
			t.Fatalf("got %v, want a checksum error", err)
		}
	})
	t.Run("missing chunk", func(t *testing.T) {
		s := setup(t)
		delete(s.m, "user/x#2")
		_, err := getChunked(s.get, "user/x")
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "part 2") || !strings.Contains(err.Error(), "split in 3 parts") {
			t.Fatalf("got %v, want an error about part 2 of 3 wrapping ErrNotFound", err)
		}
	})
	t.Run("missing item", func(t *testing.T) {
		s := newMapStore()
		if _, err := getChunked(s.get, "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("got %v, want ErrNotFound", err)
		}
		if _, err := chunkCount(s.get, "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("chunkCount: got %v, want ErrNotFound", err)
		}
	})
}

func TestSetChunkedStopsOnError(t *testing.T) {
	s := newMapStore()
	s.m["user/x"] = "old value"
	boom := errors.New("boom")
	set := func(item, value string) error {
		if item == "user/x#2" {
			return boom
		}
		return s.set(item, value)
	}
	n, err := setChunked(set, "user/x", pattern(5000))
	if !errors.Is(err, boom) || n != 0 {
		t.Fatalf("got %d, %v; want 0 and the set error", n, err)
	}
	// The header was not written: readers still see the old value.
	if got, err := getChunked(s.get, "user/x"); err != nil || got != "old value" {
		t.Fatalf("after a failed write the item reads %q, %v", got, err)
	}
}

func TestParseHeader(t *testing.T) {
	cases := []struct {
		in  string
		n   int
		sum string
		ok  bool
	}{
		{chunkHeader + "3:abc", 3, "abc", true},
		{chunkHeader + "1000:s", 1000, "s", true},
		{chunkHeader + "1:", 1, "", true},
		{chunkHeader + "0:abc", 0, "", false},
		{chunkHeader + "1001:abc", 0, "", false},
		{chunkHeader + "-1:abc", 0, "", false},
		{chunkHeader + "x:abc", 0, "", false},
		{chunkHeader + "3", 0, "", false},
		{chunkHeader, 0, "", false},
		{"etcd-ctx-chunked:v2:3:abc", 0, "", false},
		{"plain value", 0, "", false},
		{"", 0, "", false},
	}
	for _, tc := range cases {
		n, sum, ok := parseHeader(tc.in)
		if n != tc.n || sum != tc.sum || ok != tc.ok {
			t.Errorf("parseHeader(%q) = %d, %q, %v; want %d, %q, %v", tc.in, n, sum, ok, tc.n, tc.sum, tc.ok)
		}
	}
}

func TestClassify(t *testing.T) {
	if err := classify(nil); err != nil {
		t.Fatalf("classify(nil) = %v", err)
	}
	for _, in := range []error{keyring.ErrNotFound, fmt.Errorf("lookup: %w", keyring.ErrNotFound)} {
		if err := classify(in); err != ErrNotFound { // the sentinel itself, not a wrapper
			t.Errorf("classify(%v) = %v, want ErrNotFound", in, err)
		}
	}
	if err := classify(keyring.ErrSetDataTooBig); !errors.Is(err, keyring.ErrSetDataTooBig) {
		t.Errorf("classify(ErrSetDataTooBig) = %v, want it unchanged", err)
	}

	err := classify(errors.New("The name org.freedesktop.secrets was not provided by any .service files\nsecond line\nthird"))
	var ke *KeyringError
	if !errors.As(err, &ke) {
		t.Fatalf("got %T %v, want a *KeyringError", err, err)
	}
	if ke.Err.Error() != "The name org.freedesktop.secrets was not provided by any .service files" {
		t.Errorf("KeyringError keeps %q, want only the first line", ke.Err)
	}
	if want := "OS keyring unavailable: The name org.freedesktop.secrets was not provided by any .service files"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
	if errors.Is(err, ErrNotFound) {
		t.Error("an unusable keyring classified as a missing item")
	}
	if got := classify(errors.New("single")).Error(); got != "OS keyring unavailable: single" {
		t.Errorf("got %q", got)
	}
}

// osKeyring is an OSKeyring on go-keyring's in-memory mock (installed by
// TestMain), with a service of its own.
func osKeyring(t *testing.T) *OSKeyring {
	return &OSKeyring{Service: "etcd-ctx-test-" + t.Name(), Timeout: 10 * time.Second}
}

func rawGet(t *testing.T, k *OSKeyring, item string) (string, bool) {
	t.Helper()
	v, err := keyring.Get(k.Service, item)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	return v, true
}

func TestOSKeyringSetRemovesStaleChunks(t *testing.T) {
	cases := []struct {
		name          string
		first, second int
	}{
		{"chunked then small", 5000, 10},
		{"many chunks then fewer", 7500, 3000},
		{"chunked then empty", 4001, 0},
		{"small then chunked", 10, 5000},
		{"same size", 5000, 5000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := osKeyring(t)
			first, second := pattern(tc.first), strings.Repeat("z", tc.second)
			if err := k.Set("user/a", first); err != nil {
				t.Fatal(err)
			}
			if got, err := k.Get("user/a"); err != nil || got != first {
				t.Fatalf("first Get: %d bytes, %v", len(got), err)
			}
			if err := k.Set("user/a", second); err != nil {
				t.Fatal(err)
			}
			got, err := k.Get("user/a")
			if err != nil || got != second {
				t.Fatalf("second Get: %d bytes, %v; want %d bytes", len(got), err, len(second))
			}
			wantChunks := 0
			if tc.second > ChunkSize {
				wantChunks = (tc.second + ChunkSize - 1) / ChunkSize
			}
			for i := 1; i <= 5; i++ {
				_, exists := rawGet(t, k, chunkName("user/a", i))
				if want := i <= wantChunks; exists != want {
					t.Errorf("chunk %d exists=%v, want %v", i, exists, want)
				}
			}
		})
	}
}

func TestOSKeyringGetDelete(t *testing.T) {
	k := osKeyring(t)
	if _, err := k.Get("nope"); err != ErrNotFound { // the sentinel itself, not a wrapper
		t.Fatalf("Get of a missing item: %v, want ErrNotFound", err)
	}
	if err := k.Delete("nope"); err != nil {
		t.Fatalf("Delete of a missing item: %v", err)
	}
	big := pattern(4500)
	if err := k.Set("cluster/a", big); err != nil {
		t.Fatal(err)
	}
	if err := k.Set("cluster/b", "small"); err != nil {
		t.Fatal(err)
	}
	if err := k.Delete("cluster/a"); err != nil {
		t.Fatal(err)
	}
	for _, item := range []string{"cluster/a", "cluster/a#1", "cluster/a#2", "cluster/a#3"} {
		if _, exists := rawGet(t, k, item); exists {
			t.Errorf("%s left behind by Delete", item)
		}
	}
	if v, err := k.Get("cluster/b"); err != nil || v != "small" {
		t.Fatalf("unrelated item: %q, %v", v, err)
	}
	// The items live under the configured service only.
	if _, err := keyring.Get(Service, "cluster/b"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("item written outside the keyring's service: %v", err)
	}
}

func TestOSKeyringUnavailable(t *testing.T) {
	t.Cleanup(keyring.MockInit)
	keyring.MockInitWithError(errors.New("dbus: no session bus\n\tat something"))
	k := osKeyring(t)
	check := func(op string, err error) {
		t.Helper()
		var ke *KeyringError
		if !errors.As(err, &ke) || ke.Err.Error() != "dbus: no session bus" {
			t.Errorf("%s: got %v, want a *KeyringError with the first line", op, err)
		}
	}
	_, err := k.Get("x")
	check("Get", err)
	check("Set", k.Set("x", "v"))
	check("Delete", k.Delete("x"))
}

func TestOSKeyringTimeout(t *testing.T) {
	k := &OSKeyring{Service: "etcd-ctx-test", Timeout: 20 * time.Millisecond}
	release := make(chan struct{})
	defer close(release)
	err := k.call(func() error { <-release; return nil })
	var ke *KeyringError
	if !errors.As(err, &ke) || !strings.Contains(err.Error(), "no answer within 20ms") {
		t.Fatalf("got %v, want a *KeyringError about the timeout", err)
	}
	// A prompt answer goes through classify.
	if err := k.call(func() error { return keyring.ErrNotFound }); err != ErrNotFound { // the sentinel itself
		t.Fatalf("got %v, want ErrNotFound", err)
	}
}

func TestNewOSKeyring(t *testing.T) {
	k := NewOSKeyring()
	if k.Service != "etcd-ctx" || k.Timeout <= 0 {
		t.Fatalf("NewOSKeyring() = %+v", k)
	}
}

// fetchMany is a batch read over a mapStore that records its batches.
func (s *mapStore) fetchMany(batches *[][]string) func([]string) (map[string]string, error) {
	return func(items []string) (map[string]string, error) {
		*batches = append(*batches, slices.Clone(items))
		got := map[string]string{}
		for _, item := range items {
			if v, ok := s.m[item]; ok {
				got[item] = v
			}
		}
		return got, nil
	}
}

// TestGetManyChunked: several items, some split in chunks, come back whole
// in two batches (the items, then every part of those split), whatever
// their number; missing items are absent, not errors; a missing part or a
// checksum that does not match fails like getChunked.
func TestGetManyChunked(t *testing.T) {
	s := newMapStore()
	small, big, bigger := pattern(100), pattern(2*ChunkSize+5), pattern(5*ChunkSize)
	for item, v := range map[string]string{"cluster/a": small, "user/a": big, "user/b": bigger} {
		if _, err := setChunked(s.set, item, v); err != nil {
			t.Fatal(err)
		}
	}
	var batches [][]string
	got, err := getManyChunked(s.fetchMany(&batches), []string{"cluster/a", "user/a", "user/b", "user/gone"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got["cluster/a"] != small || got["user/a"] != big || got["user/b"] != bigger {
		t.Fatalf("got %d items, wrong values or extra ones: %v", len(got), slices.Sorted(maps.Keys(got)))
	}
	if len(batches) != 2 || len(batches[1]) != 3+5 {
		t.Fatalf("batches %v, want the items then the 8 parts", batches)
	}

	batches = nil
	if _, err := getManyChunked(s.fetchMany(&batches), []string{"cluster/a"}); err != nil || len(batches) != 1 {
		t.Fatalf("an unsplit item took %d batches (%v)", len(batches), err)
	}

	delete(s.m, chunkName("user/b", 4))
	if _, err := getManyChunked(s.fetchMany(&batches), []string{"user/b"}); err == nil || !strings.Contains(err.Error(), "split in 5 parts and part 4 is unreadable") {
		t.Fatalf("missing part: %v", err)
	}
	s.m[chunkName("user/b", 4)] = strings.Repeat("x", ChunkSize)
	if _, err := getManyChunked(s.fetchMany(&batches), []string{"user/b"}); err == nil || !strings.Contains(err.Error(), "do not match their checksum") {
		t.Fatalf("corrupt part: %v", err)
	}
	down := func([]string) (map[string]string, error) { return nil, &KeyringError{Err: errKeyringDown} }
	if _, err := getManyChunked(down, []string{"user/a"}); !errors.Is(err, errKeyringDown) {
		t.Fatalf("keyring down: %v", err)
	}
}

// batchKeyring is a memKeyring that also reads in batches, as OSKeyring does.
type batchKeyring struct {
	*memKeyring
	batches [][]string
}

func (k *batchKeyring) GetMany(items ...string) (map[string]string, error) {
	k.batches = append(k.batches, slices.Clone(items))
	got := map[string]string{}
	for _, item := range items {
		if v, err := k.Get(item); err == nil {
			got[item] = v
		}
	}
	return got, nil
}

// TestSpecReadsTheContextsItemsInOneBatch: Spec asks a batch-reading keyring
// for the cluster's and the user's items at once, and gives the same spec as
// item by item.
func TestSpecReadsTheContextsItemsInOneBatch(t *testing.T) {
	store, kr := newStore(t)
	spec := fullSpec(t, "a")
	if err := store.Save(spec, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg := loadCfg(t, store)
	want, err := store.Resolve(cfg, "a")
	if err != nil {
		t.Fatal(err)
	}
	bk := &batchKeyring{memKeyring: kr}
	got, err := (&Store{File: store.File, Keyring: bk}).Resolve(cfg, "a")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Fatalf("batched spec %+v, item by item %+v", got, want)
	}
	if len(bk.batches) != 1 || !slices.Equal(slices.Sorted(slices.Values(bk.batches[0])), []string{"cluster/a", "user/a"}) {
		t.Fatalf("batches %v, want one with cluster/a and user/a", bk.batches)
	}
}
