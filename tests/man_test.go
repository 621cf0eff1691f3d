package tests

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/internal/certcmd"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxcmd"
	"github.com/etcd-ctx/etcd-ctx/internal/diagcmd"
	"github.com/etcd-ctx/etcd-ctx/internal/manpage"
	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// TestManPages renders each binary's man page (as packaging/gen writes it)
// with groff's warnings all on and with man -l, and checks that every
// subcommand and flag of the command tree, the environment variables and the
// exit statuses are in it.
func TestManPages(t *testing.T) {
	harness.Need(t, harness.HasCommand("groff") && harness.HasCommand("man"), "groff and man-db")
	pages := []struct {
		app  *cli.App
		info manpage.Info
		env  []string
	}{
		{ctxcmd.NewApp(), ctxcmd.ManInfo(), []string{"ETCD_CTX", "ETCD_CTX_CONFIG", "NO_COLOR", "ETCDCTL_ENDPOINTS", "ETCDCTL_CACERT", "ETCDCTL_PASSWORD"}},
		{certcmd.NewApp(), certcmd.ManInfo(), []string{"ETCD_CTX", "ETCD_CTX_CONFIG", "NO_COLOR"}},
		{diagcmd.NewApp(), diagcmd.ManInfo(), []string{"ETCD_CTX", "ETCD_CTX_CONFIG", "NO_COLOR"}},
	}
	dir := t.TempDir()
	for _, p := range pages {
		t.Run(p.app.Name, func(t *testing.T) {
			var src bytes.Buffer
			if err := manpage.Write(&src, p.app, p.info, "1.2.3", "2025-01-31"); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, p.app.Name+".1")
			if err := os.WriteFile(file, src.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			render(t, "groff", "-man", "-Tutf8", "-ww", "-z", file)
			// Words only: the layout (line breaks, justification) is man's.
			text := strings.Join(strings.Fields(render(t, "man", "--warnings", "-l", file)), " ")
			for _, want := range manExpectations(p.app, p.env) {
				if !strings.Contains(text, want) {
					t.Errorf("%s(1) lacks %q", p.app.Name, want)
				}
			}
		})
	}
}

// render runs a formatter and returns its output; anything on stderr (a
// warning) fails the test.
func render(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "MANWIDTH=80", "MAN_DISABLE_SECCOMP=1", "LC_ALL=C.UTF-8")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil || errb.Len() > 0 {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// manExpectations lists what a rendered page must contain.
func manExpectations(app *cli.App, env []string) []string {
	want := []string{"NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "ENVIRONMENT", "EXIT STATUS", app.Usage}
	want = append(want, env...)
	want = append(want, flagNames(app.Flags)...)
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			if c.Hidden {
				continue
			}
			want = append(want, prefix+" "+c.Name)
			want = append(want, flagNames(c.Flags)...)
			walk(prefix+" "+c.Name, c.Subcommands)
		}
	}
	walk(app.Name, app.Commands)
	return want
}

func flagNames(flags []cli.Flag) []string {
	var out []string
	for _, f := range flags {
		for _, n := range f.Names() {
			if len(n) > 1 {
				out = append(out, "--"+n)
			}
		}
	}
	return out
}
