package clix

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// reorderApp has a command of each kind reorder tells apart; its help
// texts mention CMD and a|b lists on purpose: they must not matter.
func reorderApp() *cli.App {
	app := &cli.App{
		Name:  "prog",
		Flags: []cli.Flag{&cli.StringFlag{Name: "config"}, &cli.BoolFlag{Name: "verbose"}},
		Commands: []*cli.Command{
			{Name: "add", ArgsUsage: "NAME (not a CMD)", Flags: []cli.Flag{&cli.StringFlag{Name: "endpoints"}, &cli.BoolFlag{Name: "use"}}},
			{Name: "exec", ArgsUsage: "COMMAND LINE", Flags: []cli.Flag{&cli.StringFlag{Name: "context"}}},
			{Name: "raw", SkipFlagParsing: true},
			{Name: "rbac", Subcommands: []*cli.Command{
				{Name: "run", Aliases: []string{"r"}, Flags: []cli.Flag{&cli.StringFlag{Name: "file"}}},
			}},
		},
	}
	SetMeta(app, "exec", CommandMeta{PassThrough: true})
	SetMeta(app, "rbac run", CommandMeta{PassThrough: true})
	return app
}

func TestReorder(t *testing.T) {
	for _, tc := range []struct{ in, want, path string }{
		{"add n --endpoints u", "add --endpoints u -- n", "add"},
		{"--config c add n --use", "--config c add --use -- n", "add"},
		{"add --endpoints=u n", "add --endpoints=u -- n", "add"},
		{"add n -- --not-a-flag", "add n -- --not-a-flag", "add"},
		{"add - --use", "add --use -- -", "add"}, // "-" is a value
		{"exec --context p etcdctl get --prefix /", "exec --context p -- etcdctl get --prefix /", "exec"},
		{"exec etcdctl --context x", "exec -- etcdctl --context x", "exec"}, // etcdctl's flag, not ours
		{"exec -- etcdctl", "exec -- etcdctl", "exec"},
		{"raw --x y", "raw --x y", "raw"},
		{"rbac r ls --file f", "rbac r -- ls --file f", "rbac run"},
		{"rbac", "rbac", "rbac"},
		{"--verbose", "--verbose", ""},
		{"nope --config c", "--config c -- nope", ""}, // an unknown command is a positional argument
	} {
		args := append([]string{"prog"}, strings.Fields(tc.in)...)
		out, path := reorder(reorderApp(), args)
		if got := strings.Join(out[1:], " "); got != tc.want || path != tc.path {
			t.Errorf("%s: got %q (command %q), want %q (command %q)", tc.in, got, path, tc.want, tc.path)
		}
	}
}

func TestMetaIsExplicit(t *testing.T) {
	app := reorderApp()
	if !Meta(app, "exec").PassThrough || Meta(app, "add").PassThrough || Meta(app, "").PassThrough {
		t.Error("Meta")
	}
	if (Meta(&cli.App{}, "exec") != CommandMeta{}) {
		t.Error("an app without metadata")
	}
}

func TestChoose(t *testing.T) {
	app := &cli.App{
		Name:  "prog",
		Flags: []cli.Flag{Choice("store", "where", "keyring", "path")},
		Commands: []*cli.Command{{
			Name:  "show",
			Flags: []cli.Flag{OutputFlag("text", "json")},
			Action: func(c *cli.Context) error {
				if _, err := Format(c); err != nil {
					return err
				}
				_, err := Choose(c, "store")
				return err
			},
		}},
	}
	for args, want := range map[string]string{
		"show":                 "",
		"--store path show":    "",
		"--store disk show":    `--store: unknown value "disk"`,
		"show -o yaml":         `unknown output format "yaml"`,
		"show --output json":   "",
		"--store keyring show": "",
	} {
		err := app.Run(append([]string{"prog"}, strings.Fields(args)...))
		var e *Error
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", args, err)
		case want != "" && (!errors.As(err, &e) || e.Code != ExitUsage || e.Msg != want || e.Hint == ""):
			t.Errorf("%s: %v, want a usage error %q with a hint", args, err, want)
		}
	}
}

func TestSharedHelpers(t *testing.T) {
	for a, want := range map[string]bool{"-o": true, "--x=1": true, "--": false, "-": false, "x": false, "": false} {
		if IsFlag(a) != want {
			t.Errorf("IsFlag(%q) != %v", a, want)
		}
	}
	flags := []cli.Flag{&cli.StringFlag{Name: "output", Aliases: []string{"o"}, TakesFile: true}, &cli.BoolFlag{Name: "all"}}
	if f := FindFlag(flags, "o"); f == nil || !TakesValue(f) || !TakesFile(f) {
		t.Error("-o")
	}
	if f := FindFlag(flags, "all"); f == nil || TakesValue(f) || TakesFile(f) {
		t.Error("--all")
	}
	cmds := []*cli.Command{{Name: "delete", Aliases: []string{"rm"}}}
	if FindCommand(cmds, "rm") != cmds[0] || FindCommand(cmds, "del") != nil {
		t.Error("FindCommand")
	}
	if got := []string{Dashed("o"), Dashed("output")}; !slices.Equal(got, []string{"-o", "--output"}) {
		t.Error(got)
	}
}

type hinted struct{ error }

func (hinted) Hint() string { return "domain hint" }

func TestWrapKeepsTheInnerErrorAndTheChain(t *testing.T) {
	inner := Usage("inner hint", "bad flag")
	outer := Wrap(inner, "outer hint")
	if inner.Hint != "inner hint" || inner.Msg != "bad flag" || inner.Code != ExitUsage {
		t.Fatalf("Wrap changed the inner error: %+v", inner)
	}
	if outer == inner || outer.Code != ExitUsage || !errors.Is(outer, inner) || HintOf(outer) != "outer hint" {
		t.Errorf("outer %+v", outer)
	}
	if HintOf(Wrap(inner, "")) != "inner hint" {
		t.Error("an empty hint must fall back to the inner one")
	}
	if e := WithCode(inner, ExitFailure, ""); e.Code != ExitFailure || inner.Code != ExitUsage {
		t.Error("WithCode")
	}
	cause := &fs.PathError{Op: "open", Path: "/x", Err: fs.ErrNotExist}
	e := Fail("check the path", "reading the key: %w", cause)
	if !errors.Is(e, fs.ErrNotExist) || e.Msg != "reading the key: open /x: file does not exist" {
		t.Errorf("Fail lost its cause: %+v", e)
	}
	if Fail("", "plain %d", 1).Err != nil {
		t.Error("a message without a cause has none")
	}
	domain := fmt.Errorf("context: %w", hinted{errors.New("x")})
	if HintOf(Wrap(domain, "")) != "domain hint" || HintOf(errors.Join(errors.New("a"), domain)) != "domain hint" {
		t.Error("the domain's hint")
	}
	var buf strings.Builder
	if code := Report(&buf, "prog", Wrap(domain, "")); code != ExitFailure || buf.String() != "prog: error: context: x\nhint: domain hint\n" {
		t.Errorf("Report: %d %q", code, buf.String())
	}
}
