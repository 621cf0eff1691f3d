package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/etcd-ctx/etcd-ctx/internal/ctxcmd"
)

// TestManAndCompletionFiles checks the layout packaging relies on
// (goreleaser.yaml names these files) and that output is reproducible.
func TestManAndCompletionFiles(t *testing.T) {
	pages := []page{{ctxcmd.NewApp(), ctxcmd.ManInfo()}}
	var runs [2][]byte
	for i := range runs {
		dir := t.TempDir()
		if err := generate(dir, "1.2.3", "2025-01-31", pages); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"etcd-ctx.bash", "etcd-ctx.zsh", "etcd-ctx.fish", "etcd-ctx.ps1"} {
			if _, err := os.Stat(filepath.Join(dir, "completions", f)); err != nil {
				t.Error(err)
			}
		}
		gz, err := os.ReadFile(filepath.Join(dir, "manpages", "etcd-ctx.1.gz"))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		page, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(page), `.TH "ETCD\-CTX" 1 "2025\-01\-31" "etcd\-ctx 1.2.3"`) {
			t.Errorf("man page header:\n%.300s", page)
		}
		runs[i] = gz
	}
	if !bytes.Equal(runs[0], runs[1]) {
		t.Error("two runs gave different man page bytes")
	}
}

func TestManDate(t *testing.T) {
	for in, want := range map[string]string{
		"2025-03-04T10:00:00Z": "2025-03-04",
		"2025-03-04":           "2025-03-04",
	} {
		if got := manDate(in); got != want {
			t.Errorf("manDate(%q) = %q, want %q", in, got, want)
		}
	}
	for _, zero := range []string{"", "0001-01-01T00:00:00Z"} {
		if got := manDate(zero); len(got) != 10 || strings.HasPrefix(got, "0001") {
			t.Errorf("manDate(%q) = %q, want today", zero, got)
		}
	}
}

// TestMainWritesEveryBinary runs the generator as `make gen` and goreleaser
// do and checks the files goreleaser.yaml names exist for all three binaries.
func TestMainWritesEveryBinary(t *testing.T) {
	dir := t.TempDir()
	saved := os.Args
	t.Cleanup(func() { os.Args = saved })
	os.Args = []string{"gen", "-out", dir, "-date", "2025-01-31T00:00:00Z"}
	main()
	for _, bin := range []string{"etcd-ctx", "etcd-certwiz", "etcd-diag"} {
		for _, f := range []string{"completions/" + bin + ".bash", "completions/" + bin + ".zsh", "completions/" + bin + ".fish", "completions/" + bin + ".ps1", "manpages/" + bin + ".1.gz"} {
			if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
				t.Errorf("%s: %v", f, err)
			}
		}
	}
}
