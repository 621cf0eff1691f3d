// Command gen writes the completion scripts and man pages that the release
// archives and packages ship, from the binaries' own command definitions:
//
//	go run ./packaging/gen -out build/gen -version 1.2.3 -date 2025-01-31
//
// It is a Go program rather than a shell script because goreleaser runs
// hooks without a shell, and so that it works the same on every OS.
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/completion"
	"github.com/etcd-ctx/etcd-ctx/internal/certcmd"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxcmd"
	"github.com/etcd-ctx/etcd-ctx/internal/diagcmd"
	"github.com/etcd-ctx/etcd-ctx/internal/manpage"
)

// Extensions of the completion files; packaging renames them to each
// shell's convention (bash: NAME, zsh: _NAME, fish: NAME.fish).
var extensions = map[string]string{"bash": ".bash", "zsh": ".zsh", "fish": ".fish", "powershell": ".ps1"}

type page struct {
	app  *cli.App
	info manpage.Info
}

func main() {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	out := fs.String("out", "build/gen", "output directory (completions/ and manpages/ are created in it)")
	version := fs.String("version", clix.Version, "version printed in the man pages")
	date := fs.String("date", "", "date printed in the man pages: YYYY-MM-DD or RFC 3339 (goreleaser's .CommitDate); default today")
	_ = fs.Parse(os.Args[1:]) // ExitOnError: exits 2 on a bad flag
	pages := []page{
		{ctxcmd.NewApp(), ctxcmd.ManInfo()},
		{certcmd.NewApp(), certcmd.ManInfo()},
		{diagcmd.NewApp(), diagcmd.ManInfo()},
	}
	if err := generate(*out, *version, manDate(*date), pages); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func generate(out, version, date string, pages []page) error {
	for _, d := range []string{"completions", "manpages"} {
		if err := os.MkdirAll(filepath.Join(out, d), 0o755); err != nil {
			return err
		}
	}
	for _, p := range pages {
		name := p.app.Name
		for _, sh := range completion.Shells {
			s, err := completion.Script(sh, name)
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(out, "completions", name+extensions[sh]), []byte(s), 0o644); err != nil {
				return err
			}
		}
		var man bytes.Buffer
		if err := manpage.Write(&man, p.app, p.info, version, date); err != nil {
			return err
		}
		if err := writeGzip(filepath.Join(out, "manpages", name+".1.gz"), man.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// manDate returns the YYYY-MM-DD of s, or today's when s is empty or the
// zero time (goreleaser's snapshot of a clone without a remote has no commit
// date).
func manDate(s string) string {
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil && t.Year() > 1970 {
			return t.Format(time.DateOnly)
		}
	}
	return time.Now().UTC().Format(time.DateOnly)
}

// writeGzip compresses data with no name or time in the header, so the same
// input gives the same bytes (reproducible archives and packages).
func writeGzip(path string, data []byte) error {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
