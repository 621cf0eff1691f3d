package fileio

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// watchSyncs records what Sync was called on (a temporary file's name with
// its random part cut, or a directory), failing on call fail (0: never).
func watchSyncs(t *testing.T, fail int) *[]string {
	t.Helper()
	var (
		mu  sync.Mutex
		got []string
	)
	orig := Sync
	t.Cleanup(func() { Sync = orig })
	Sync = func(f *os.File) error {
		name := f.Name()
		if i := strings.Index(name, ".tmp-"); i >= 0 {
			name = name[:i] + ".tmp"
		}
		mu.Lock()
		got = append(got, name)
		n := len(got)
		mu.Unlock()
		if n == fail {
			return errors.New("disk on fire")
		}
		return orig(f)
	}
	return &got
}

func TestWriteIsAtomicDurablePrivate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "ca.key")
	syncs := watchSyncs(t, 0)
	if err := Write(path, []byte("KEY"), 0o600); err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "sub", ".ca.key") + ".tmp", filepath.Join(dir, "sub")}
	if !slices.Equal(*syncs, want) {
		t.Errorf("syncs %q, want the data before the rename, then the directory: %q", *syncs, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != DirMode {
		t.Errorf("directory mode %v, want %v", di.Mode().Perm(), DirMode)
	}
	if got, _ := os.ReadFile(path); string(got) != "KEY" {
		t.Errorf("content %q", got)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestWriteFailingSyncKeepsTheOldContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	watchSyncs(t, 1)
	if err := Write(path, []byte("new"), 0o600); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err = %v, want the sync's", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("content %q after a failed write, want the old one", got)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

// TestWriteAll: every file's data is synced before any is renamed, each
// directory is synced once after the renames; a failed sync of one file's
// data leaves every path as it was and no temporary file; a failed rename
// leaves the files renamed before it, and no temporary file.
func TestWriteAll(t *testing.T) {
	dir := t.TempDir()
	var files []File
	for _, p := range []string{"ca.crt", "ca.key", "m0/server.crt", "m0/server.key", "m1/server.crt"} {
		files = append(files, File{Path: filepath.Join(dir, p), Data: []byte(p), Mode: 0o600})
	}
	syncs := watchSyncs(t, 0)
	if err := WriteAll(files); err != nil {
		t.Fatal(err)
	}
	got := *syncs
	if len(got) != len(files)+3 {
		t.Fatalf("syncs %q: want one per file, then one per directory", got)
	}
	for _, s := range got[:len(files)] {
		if !strings.HasSuffix(s, ".tmp") {
			t.Errorf("syncs %q: a directory synced before every file's data was", got)
		}
	}
	if dirs := got[len(files):]; !slices.Contains(dirs, dir) || !slices.Contains(dirs, filepath.Join(dir, "m0")) || !slices.Contains(dirs, filepath.Join(dir, "m1")) {
		t.Errorf("directories synced %q", dirs)
	}
	for _, f := range files {
		if data, _ := os.ReadFile(f.Path); string(data) != string(f.Data) {
			t.Errorf("%s holds %q", f.Path, data)
		}
	}

	for i := range files {
		files[i].Data = []byte("new")
	}
	watchSyncs(t, 3)
	if err := WriteAll(files); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err = %v, want the sync's", err)
	}
	for _, f := range files {
		if data, _ := os.ReadFile(f.Path); string(data) == "new" {
			t.Errorf("%s replaced by a write whose sync failed", f.Path)
		}
	}

	renames := 0
	orig := Rename
	t.Cleanup(func() { Rename = orig })
	Rename = func(from, to string) error {
		if renames++; renames == 3 {
			return errors.New("power cut")
		}
		return orig(from, to)
	}
	watchSyncs(t, 0)
	if err := WriteAll(files); err == nil || !strings.Contains(err.Error(), "power cut") {
		t.Fatalf("err = %v, want the rename's", err)
	}
	for i, f := range files {
		if data, _ := os.ReadFile(f.Path); (string(data) == "new") != (i < 2) {
			t.Errorf("%s holds %q after the 3rd rename failed", f.Path, data)
		}
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			t.Errorf("left behind: %s", p)
		}
		return nil
	})
}

func TestReadRefusesEmptyFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"empty": "", "blank": " \n\t\r\n"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Read(p)
		var empty *EmptyError
		if !errors.As(err, &empty) || empty.Path != p || err.Error() != p+" is empty" {
			t.Errorf("%s: err = %v, want an EmptyError naming it", name, err)
		}
	}
	p := filepath.Join(dir, "pem")
	if err := os.WriteFile(p, []byte("-----BEGIN X-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if data, err := Read(p); err != nil || string(data) != "-----BEGIN X-----\n" {
		t.Errorf("Read = %q, %v", data, err)
	}
	missing := filepath.Join(dir, "missing")
	_, err := Read(missing)
	var re *ReadError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &re) || err.Error() != missing+": no such file or directory" || re.Hint() == "" {
		t.Errorf("missing: err = %v", err)
	}
	if !IsRegular(p) || IsRegular(dir) || IsRegular(filepath.Join(dir, "missing")) {
		t.Error("IsRegular")
	}
}

// A config kept in a dotfiles repository and linked into place must stay a
// link: the write lands on the file the link leads to, through relative
// links, chains of links and a link whose file does not exist yet.
func TestWriteFollowsSymlinks(t *testing.T) {
	dir := t.TempDir()
	repo := filepath.Join(dir, "dotfiles")
	if err := os.Mkdir(repo, 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(repo, "etcd-ctx.yaml")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "config.yaml")
	if err := os.Symlink("dotfiles/etcd-ctx.yaml", link); err != nil {
		t.Fatal(err)
	}
	chain := filepath.Join(dir, "chain.yaml")
	if err := os.Symlink(link, chain); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "new.yaml")
	if err := os.Symlink(filepath.Join(repo, "new.yaml"), dangling); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, lands string }{
		{link, target}, {chain, target}, {dangling, filepath.Join(repo, "new.yaml")},
	} {
		if err := Write(c.path, []byte("new "+c.path), 0o600); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(c.path); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("%s: no longer a link (%v, %v)", c.path, fi.Mode(), err)
		}
		if got, _ := os.ReadFile(c.lands); string(got) != "new "+c.path {
			t.Errorf("%s: the file it leads to holds %q", c.path, got)
		}
	}
	if entries, _ := os.ReadDir(repo); len(entries) != 2 {
		t.Errorf("left behind in the repository: %v", entries)
	}
	loop := filepath.Join(dir, "loop")
	if err := os.Symlink("loop", loop); err != nil {
		t.Fatal(err)
	}
	if err := Write(loop, []byte("x"), 0o600); err == nil || !strings.Contains(err.Error(), "too many levels") {
		t.Errorf("a loop of links: %v", err)
	}
}
