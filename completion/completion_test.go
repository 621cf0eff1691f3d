package completion

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// testApp is a small tree with each kind of thing the engine completes.
func testApp() *cli.App {
	return &cli.App{
		Name:      "prog",
		ArgsUsage: "[NAME]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", TakesFile: true},
			&cli.StringFlag{Name: "context"},
		},
		Commands: []*cli.Command{
			{Name: "list", Aliases: []string{"ls"}, Usage: "list them", Flags: []cli.Flag{
				&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "output format: text|json"},
				&cli.BoolFlag{Name: "all"},
			}},
			{Name: "use", ArgsUsage: "NAME"},
			{Name: "completion", ArgsUsage: "bash|zsh"},
			{Name: "exec", ArgsUsage: "-- CMD", Flags: []cli.Flag{&cli.StringFlag{Name: "context"}}},
			{Name: "raw", SkipFlagParsing: true},
			{Name: "secret", Hidden: true},
		},
	}
}

func testHints() Hints {
	names := Source{Words: func(st State) []string {
		if st.Flags["config"] == "other.yaml" {
			return []string{"other"}
		}
		return []string{"prod", "staging"}
	}}
	return Hints{
		Flags: map[string]Source{"context": names},
		Args:  map[string]Source{"": names.Upto(1), "use": names.Upto(1)},
	}
}

func words(r Result) []string {
	var out []string
	for _, c := range r.Candidates {
		out = append(out, c.Word)
	}
	return out
}

func TestCompletionEngine(t *testing.T) {
	for _, tc := range []struct {
		words     []string
		want      []string
		directive int
	}{
		{[]string{""}, []string{"list", "ls", "use", "completion", "exec", "raw", "prod", "staging"}, 0},
		{[]string{"l"}, []string{"list", "ls"}, 0},
		{[]string{"prod", ""}, nil, 0}, // NAME is one argument
		{[]string{"use", "st"}, []string{"staging"}, 0},
		{[]string{"ls", ""}, nil, 0},
		{[]string{"list", "-"}, []string{"--output", "-o", "--all", "--help"}, 0},
		{[]string{"-"}, []string{"--config", "--context", "--help", "--version"}, 0},
		{[]string{"list", "-o", ""}, []string{"text", "json"}, 0},
		{[]string{"list", "--output=j"}, []string{"--output=json"}, 0},
		{[]string{"list", "--all", "-o", "t"}, []string{"text"}, 0},
		{[]string{"--context", ""}, []string{"prod", "staging"}, 0},
		{[]string{"exec", "--context", ""}, []string{"prod", "staging"}, 0},
		{[]string{"--config", "other.yaml", "use", ""}, []string{"other"}, 0},
		{[]string{"use", "--config=other.yaml", ""}, []string{"other"}, 0},
		{[]string{"--config", ""}, nil, DirectiveFiles},
		{[]string{"exec", "--", ""}, nil, DirectiveFiles},
		{[]string{"raw", "--context", ""}, nil, DirectiveFiles}, // not our flags
		{[]string{"completion", ""}, []string{"bash", "zsh"}, 0},
		{[]string{"completion", "bash", ""}, nil, 0},
		{[]string{"completion", `""`}, []string{"bash", "zsh"}, 0}, // old PowerShell's empty word
		{nil, []string{"list", "ls", "use", "completion", "exec", "raw", "prod", "staging"}, 0},
	} {
		r := Complete(testApp(), testHints(), tc.words)
		if got := words(r); !slices.Equal(got, tc.want) || r.Directive != tc.directive {
			t.Errorf("%q: got %q :%d, want %q :%d", tc.words, got, r.Directive, tc.want, tc.directive)
		}
	}
}

func TestCompletionProtocol(t *testing.T) {
	var b bytes.Buffer
	r := Result{Candidates: []Candidate{{"list", "list\nthem"}, {"prod", ""}}, Directive: DirectiveFiles}
	if err := r.Write(&b); err != nil {
		t.Fatal(err)
	}
	if want := "list\tlist them\nprod\n:1\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestCompletionEnum(t *testing.T) {
	for usage, want := range map[string][]string{
		"output format: text|json":    {"text", "json"},
		"ecdsa-p256|rsa-2048|ed25519": {"ecdsa-p256", "rsa-2048", "ed25519"},
		"bash|zsh|fish|powershell":    {"bash", "zsh", "fish", "powershell"},
		"NAME | -":                    nil,
		"FILE|https://HOST:PORT...":   nil,
		"keyring (copied) or path":    nil,
		"a list: x|y (default)":       nil,
	} {
		if got := enum(usage); !slices.Equal(got, want) {
			t.Errorf("enum(%q) = %q, want %q", usage, got, want)
		}
	}
}

func TestCompletionContextsReadConfigOnly(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("contexts:\n- name: a\n  context: {cluster: x}\n- name: b:c\n  context: {cluster: x}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ETCD_CTX_CONFIG", cfg)
	if got := contextNames(State{}); !slices.Equal(got, []string{"a", "b:c"}) {
		t.Errorf("from $ETCD_CTX_CONFIG: %q", got)
	}
	t.Setenv("ETCD_CTX_CONFIG", filepath.Join(dir, "missing.yaml"))
	if got := contextNames(State{Flags: map[string]string{"config": cfg}}); len(got) != 2 {
		t.Errorf("--config must win over $ETCD_CTX_CONFIG: %q", got)
	}
	t.Setenv("HOME", dir)
	if got := contextNames(State{Flags: map[string]string{"config": "~/c.yaml"}}); len(got) != 2 {
		t.Errorf("--config ~/c.yaml: %q", got)
	}
	t.Setenv("ETCD_CTX_CONFIG", "")
	t.Setenv("XDG_CONFIG_HOME", dir)
	if err := os.MkdirAll(filepath.Join(dir, "etcd-ctx"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "etcd-ctx", "config.yaml"), []byte("contexts: [oops"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := contextNames(State{}); got != nil {
		t.Errorf("a broken config must give nothing (quietly): %q", got)
	}
}

func TestCompletionScripts(t *testing.T) {
	for _, sh := range Shells {
		s, err := Script(sh, "etcd-ctx")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(s, "__complete") || strings.Contains(s, "{{") {
			t.Errorf("%s script not rendered:\n%s", sh, s)
		}
	}
	if _, err := Script("tcsh", "etcd-ctx"); err == nil {
		t.Error("tcsh: want an error")
	}
	for _, sh := range InitShells {
		plain, err := ShellInit(sh, false)
		if err != nil {
			t.Fatal(err)
		}
		wrapped, _ := ShellInit(sh, true)
		for _, want := range []string{"etcd_ctx_prompt", "ectx", "ectl", "etcd-certwiz", "etcd-diag"} {
			if !strings.Contains(plain, want) {
				t.Errorf("shell-init %s lacks %q", sh, want)
			}
		}
		if strings.Contains(plain, "exec -- etcdctl") || !strings.Contains(wrapped, "exec -- etcdctl") {
			t.Errorf("shell-init %s: the etcdctl function must be opt-in", sh)
		}
	}
}

func TestManEscaping(t *testing.T) {
	app := testApp()
	app.Usage = "does things"
	app.Description = ".starts with a dot, has a back\\slash and an ellipsis…\n\n   indented example\n   --flag value"
	var b bytes.Buffer
	info := ManInfo{Env: []ManEntry{{Name: "X_Y", Text: "'quoted at line start"}}, Exit: []ManEntry{{Name: "0", Text: "ok"}}}
	if err := Man(&b, app, info, "1.0", "2025-01-31"); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		`.TH "PROG" 1 "2025\-01\-31" "prog 1.0" "User Commands"`,
		`\&.starts with a dot, has a back\eslash and an ellipsis\[u2026]`,
		".nf\nindented example\n\\-\\-flag value\n.fi",
		"\\&'quoted at line start",
		`.SS "prog list"`, "(alias: ls)", `\fB\-\-output\fR, \fB\-o\fR \fIvalue\fR`,
		".SH \"ENVIRONMENT\"", ".SH \"EXIT STATUS\"",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "secret") || strings.Contains(page, "__complete") {
		t.Errorf("hidden commands must not be documented:\n%s", page)
	}
}
