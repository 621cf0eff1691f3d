package completion

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/internal/clix"
)

// testApp is a small tree with each kind of thing the engine completes.
func testApp() *cli.App {
	app := &cli.App{
		Name:      "prog",
		ArgsUsage: "[NAME]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", TakesFile: true},
			&cli.StringFlag{Name: "context"},
		},
		Commands: []*cli.Command{
			{Name: "list", Aliases: []string{"ls"}, Usage: "list them", Flags: []cli.Flag{
				clix.OutputFlag("text", "json"),
				&cli.BoolFlag{Name: "all"},
				// Values in the help text are only words: nothing is offered.
				&cli.StringFlag{Name: "mode", Usage: "one of fast|slow"},
			}},
			{Name: "use", ArgsUsage: "NAME"},
			{Name: "completion", ArgsUsage: "bash|zsh"},
			{Name: "exec", ArgsUsage: "CMD [ARGS...]", Flags: []cli.Flag{&cli.StringFlag{Name: "context"}}},
			{Name: "raw", SkipFlagParsing: true},
			{Name: "secret", Hidden: true},
		},
	}
	clix.SetMeta(app, "exec", clix.CommandMeta{PassThrough: true})
	return app
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
		{[]string{"list", "-"}, []string{"--output", "-o", "--all", "--mode", "--help"}, 0},
		{[]string{"list", "--mode", ""}, nil, 0},
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
		{[]string{"exec", "etcdctl", "--context", ""}, nil, DirectiveFiles}, // etcdctl's words, not ours
		{[]string{"exec", "etcdctl", "-"}, nil, DirectiveFiles},
		{[]string{"raw", "--context", ""}, nil, DirectiveFiles}, // not our flags
		{[]string{"completion", ""}, nil, 0},                    // ArgsUsage is only words: see TestCompleteCommand
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
}

// TestCompleteCommand: the hidden command answers in the protocol, and
// offers the shells as completion's argument in every binary.
func TestCompleteCommand(t *testing.T) {
	for words, want := range map[string]string{
		"completion|":    "bash\nzsh\nfish\npowershell\n:0\n",
		"completion|z":   "zsh\n:0\n",
		`completion|""`:  "bash\nzsh\nfish\npowershell\n:0\n", // old PowerShell's empty word
		"completion|x|":  ":0\n",
		"list|--output=": "--output=text\n--output=json\n:0\n",
	} {
		app := testApp()
		app.Commands = append(app.Commands, CompleteCommand(testHints()))
		var out bytes.Buffer
		app.Writer = &out
		if err := app.Run(append([]string{"prog", CompleteCommandName}, strings.Split(words, "|")...)); err != nil {
			t.Fatal(err)
		}
		if out.String() != want {
			t.Errorf("%s: got %q, want %q", words, out.String(), want)
		}
	}
}
