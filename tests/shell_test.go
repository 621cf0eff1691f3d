package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/etcd-ctx/etcd-ctx/tests/harness"
)

// The shell companion, run in the real shells: completion scripts sourced
// the way users do (eval "$(etcd-ctx shell-init SHELL)"), completion asked of
// each shell's own machinery, and the aliases and prompt helper used.

// shellConfig has three contexts, one with the characters bash and zsh treat
// specially in completion words (":" and "@"). No secrets: nothing here may
// need the keyring, and the tests have none.
const shellConfig = `current-context: prod
clusters:
- name: prod
  cluster:
    endpoints: [http://127.0.0.1:12379]
- name: staging
  cluster:
    endpoints: [http://127.0.0.1:22379]
users: []
contexts:
- name: prod
  context: {cluster: prod}
- name: staging
  context: {cluster: staging}
- name: team:a@b
  context: {cluster: staging}
`

var shellContexts = []string{"prod", "staging", "team:a@b"}

// newShellUser is a user with shellConfig and a fake etcdctl first on PATH
// that prints what it was given, to show which context a wrapper used.
func newShellUser(t *testing.T) *user {
	t.Helper()
	u := newUser(t, false)
	if err := os.MkdirAll(filepath.Dir(u.configPath()), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(u.configPath(), []byte(shellConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	fake := filepath.Join(u.dir, "fake")
	if err := os.MkdirAll(fake, 0o700); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\necho \"fake-etcdctl ctx=$ETCD_CTX endpoints=$ETCDCTL_ENDPOINTS args=$*\"\n"
	if err := os.WriteFile(filepath.Join(fake, "etcdctl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, kv := range u.env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			u.setenv("PATH", fake+string(os.PathListSeparator)+p)
		}
	}
	return u
}

// shell runs a shell with a script and returns its stdout; a failure or
// anything on stderr fails the test (the scripts must load silently).
func (u *user) shell(args ...string) string {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env, cmd.Dir = u.env, u.dir
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil || errb.Len() > 0 {
		u.t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", args[0], err, out.String(), errb.String())
	}
	return out.String()
}

// bashComplete is a bash function that completes a line the way readline
// would call the completion function registered for its command: words split
// at blanks and at COMP_WORDBREAKS' = and :, cursor at the end. It prints the
// candidates on one line.
const bashComplete = `
complete_line() {
    local line=$1
    COMP_LINE=$line COMP_POINT=${#line}
    read -ra COMP_WORDS <<<"${line//[=:]/ & }"
    [[ $line == *' ' ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    local spec fn
    spec=$(complete -p "${COMP_WORDS[0]}") || { echo "no completion for ${COMP_WORDS[0]}"; return; }
    fn=${spec#*-F }
    fn=${fn%% *}
    COMPREPLY=()
    "$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    echo "$1=> ${COMPREPLY[*]}"
}
`

// completionCases: a line typed before <TAB> and what must (and must not) be offered.
var completionCases = []struct {
	line      string
	want, not []string
}{
	{"etcd-ctx ", append([]string{"use", "exec", "shell-init"}, shellContexts...), []string{"__complete"}},
	{"etcd-ctx exec --context ", shellContexts, []string{"exec"}},
	{"etcd-ctx use st", []string{"staging"}, []string{"prod"}},
	{"etcd-ctx rename prod ", nil, shellContexts}, // NEW is a new name
	{"etcd-diag --context ", shellContexts, nil},
	{"etcd-certwiz ca --key-type ", []string{"ecdsa-p256", "rsa-2048", "ed25519"}, nil},
	{"etcd-ctx list -o ", []string{"json", "yaml", "name"}, nil},
	{"etcd-ctx completion ", []string{"bash", "zsh", "fish", "powershell"}, nil},
	{"ectx ", shellContexts, nil}, // the alias completes as etcd-ctx
}

func checkOffered(t *testing.T, shell, line string, got, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s: %q<TAB> does not offer %q; offered %q", shell, line, w, got)
		}
	}
	for _, n := range not {
		if slices.Contains(got, n) {
			t.Errorf("%s: %q<TAB> offers %q; offered %q", shell, line, n, got)
		}
	}
}

func TestShellBash(t *testing.T) {
	bashCompletion := "/usr/share/bash-completion/bash_completion"
	harness.Need(t, harness.HasCommand("bash") && fileExists(bashCompletion), "bash and bash-completion")
	u := newShellUser(t)
	var script strings.Builder
	script.WriteString("source " + bashCompletion + "\n" + `eval "$(etcd-ctx shell-init bash --wrap-etcdctl)"` + "\n" + bashComplete)
	for _, c := range completionCases {
		script.WriteString("complete_line '" + c.line + "'\n")
	}
	script.WriteString(`complete_line 'etcd-ctx use team:'
complete_line 'etcd-ctx list --output=ya'
echo "prompt=[$(etcd_ctx_prompt)]"
echo "override=[$(ETCD_CTX=staging etcd_ctx_prompt)]"
ectx current
ectl get /k
etcdctl put /k v
`)
	out := u.shell("bash", "--norc", "--noprofile", "-O", "expand_aliases", "-c", script.String())
	lines := strings.Split(out, "\n")
	offered := func(line string) []string {
		for _, l := range lines {
			if rest, ok := strings.CutPrefix(l, line+"=> "); ok {
				return strings.Fields(rest)
			}
		}
		t.Fatalf("bash: no result for %q:\n%s", line, out)
		return nil
	}
	for _, c := range completionCases {
		checkOffered(t, "bash", c.line, offered(c.line), c.want, c.not)
	}
	// readline replaces only what follows the last : or = of the word.
	checkOffered(t, "bash", "etcd-ctx use team:", offered("etcd-ctx use team:"), []string{"a@b"}, nil)
	checkOffered(t, "bash", "etcd-ctx list --output=ya", offered("etcd-ctx list --output=ya"), []string{"yaml"}, nil)
	checkShellHelpers(t, "bash", out)
}

// TestShellBashInstalledFile loads `etcd-ctx completion bash` the way a
// package installs it: a file bash-completion finds on the first <TAB>.
func TestShellBashInstalledFile(t *testing.T) {
	bashCompletion := "/usr/share/bash-completion/bash_completion"
	harness.Need(t, harness.HasCommand("bash") && fileExists(bashCompletion), "bash and bash-completion")
	u := newShellUser(t)
	dir := filepath.Join(u.dir, "data", "bash-completion", "completions")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, prog := range harness.Binaries {
		if err := os.WriteFile(filepath.Join(dir, prog), []byte(u.ok("", prog, "completion", "bash")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	u.setenv("XDG_DATA_HOME", filepath.Join(u.dir, "data"))
	script := "source " + bashCompletion + "\n" + bashComplete + `
_completion_loader etcd-ctx
_completion_loader etcd-diag
complete_line 'etcd-ctx '
complete_line 'etcd-diag --context '
`
	out := u.shell("bash", "--norc", "--noprofile", "-c", script)
	for _, line := range []string{"etcd-ctx ", "etcd-diag --context "} {
		if !strings.Contains(out, line+"=> ") {
			t.Fatalf("no result for %q:\n%s", line, out)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		_, rest, _ := strings.Cut(l, "=> ")
		checkOffered(t, "bash", l, strings.Fields(rest), shellContexts, nil)
	}
}

func TestShellZsh(t *testing.T) {
	harness.Need(t, harness.HasCommand("zsh"), "zsh")
	u := newShellUser(t)
	capture, err := filepath.Abs("testdata/shell/zsh-complete.zsh")
	if err != nil {
		t.Fatal(err)
	}
	setup := `eval "$(etcd-ctx shell-init zsh --wrap-etcdctl)"`
	for _, c := range completionCases {
		out := u.shell("zsh", "-f", capture, setup, c.line)
		checkOffered(t, "zsh", c.line, strings.Fields(out), c.want, c.not)
	}
	out := u.shell("zsh", "-f", "-c", setup+`
setopt aliases
echo "prompt=[$(etcd_ctx_prompt)]"
echo "override=[$(ETCD_CTX=staging etcd_ctx_prompt)]"
eval 'ectx current'
eval 'ectl get /k'
etcdctl put /k v
`)
	checkShellHelpers(t, "zsh", out)
}

func TestShellFish(t *testing.T) {
	harness.Need(t, harness.HasCommand("fish"), "fish")
	u := newShellUser(t)
	var script strings.Builder
	script.WriteString("etcd-ctx shell-init fish --wrap-etcdctl | source\n")
	for _, c := range completionCases {
		// Candidates come back as "word<TAB>description"; "$r" joins the list
		// (and stays one word when it is empty).
		script.WriteString(`set r (complete -C "` + c.line + `" | string replace -r '\t.*' ''); echo "` + c.line + `=> $r"` + "\n")
	}
	script.WriteString(`echo "prompt=["(etcd_ctx_prompt)"]"
echo "override=["(ETCD_CTX=staging etcd_ctx_prompt)"]"
ectx current
ectl get /k
etcdctl put /k v
`)
	out := u.shell("fish", "--no-config", "-c", script.String())
	for _, c := range completionCases {
		_, rest, ok := strings.Cut(out, c.line+"=> ")
		if !ok {
			t.Fatalf("fish: no result for %q:\n%s", c.line, out)
		}
		rest, _, _ = strings.Cut(rest, "\n")
		checkOffered(t, "fish", c.line, strings.Fields(rest), c.want, c.not)
	}
	checkShellHelpers(t, "fish", out)
}

// checkShellHelpers checks the output of the helper part of a shell script:
// the prompt helper without and with an ETCD_CTX override, `ectx current`,
// `ectl get /k` and the opt-in etcdctl function (both reach the fake
// etcdctl through etcd-ctx exec, with the context's endpoints).
func checkShellHelpers(t *testing.T, shell, out string) {
	t.Helper()
	for _, want := range []string{
		"prompt=[prod]\n",
		"override=[staging*]\n",
		"\nprod\n",
		"fake-etcdctl ctx=prod endpoints=http://127.0.0.1:12379 args=get /k\n",
		"fake-etcdctl ctx=prod endpoints=http://127.0.0.1:12379 args=put /k v\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("%s: output lacks %q:\n%s", shell, want, out)
		}
	}
}

// TestShellCompletionScripts checks that every binary prints a script for
// every shell, that the shells parse them, and that the hidden __complete
// is cheap (no keyring: the user has none, and it still works).
func TestShellCompletionScripts(t *testing.T) {
	u := newShellUser(t)
	check := map[string][]string{"bash": {"bash", "-n"}, "zsh": {"zsh", "-n"}, "fish": {"fish", "--no-execute"}}
	for _, prog := range harness.Binaries {
		for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
			script := u.ok("", prog, "completion", sh)
			if !strings.Contains(script, prog+" __complete") && !strings.Contains(script, "'"+prog+"' '__complete'") {
				t.Errorf("%s completion %s does not call __complete:\n%s", prog, sh, script)
			}
			argv, ok := check[sh]
			if !ok || !harness.HasCommand(argv[0]) {
				continue
			}
			file := filepath.Join(u.dir, prog+"."+sh)
			if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			u.shell(append(argv, file)...)
		}
	}
	if _, errs, code := u.run("", "etcd-ctx", "completion", "tcsh"); code != 2 || !strings.Contains(errs, "unknown shell") {
		t.Errorf("completion tcsh: exit %d, stderr %q; want a usage error", code, errs)
	}
	if _, errs, code := u.run("", "etcd-ctx", "shell-init", "powershell"); code != 2 || !strings.Contains(errs, "unknown shell") {
		t.Errorf("shell-init powershell: exit %d, stderr %q; want a usage error", code, errs)
	}
}
