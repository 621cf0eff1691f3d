package completion

import (
	"embed"
	"fmt"
	"strings"
	"sync"
	"text/template"
)

//go:embed scripts
var scriptFS embed.FS

// scripts are parsed on first use, not at start-up: every run of the
// binaries (etcd-ctx current on each prompt) would pay for it.
var scripts = sync.OnceValue(func() *template.Template {
	return template.Must(template.ParseFS(scriptFS, "scripts/*"))
})

// Shells are the shells `completion` writes scripts for.
var Shells = []string{"bash", "zsh", "fish", "powershell"}

// InitShells are the shells `etcd-ctx shell-init` supports.
var InitShells = []string{"bash", "zsh", "fish"}

// Programs are the suite's binaries, all completed by shell-init.
var Programs = []string{"etcd-ctx", "etcd-certwiz", "etcd-diag"}

var scriptFile = map[string]string{"bash": "bash.bash", "zsh": "zsh.zsh", "fish": "fish.fish", "powershell": "powershell.ps1"}

// Script returns the completion script of prog for shell. The script only
// knows the program's name: the program completes itself (__complete).
func Script(shell, prog string) (string, error) {
	file, ok := scriptFile[shell]
	if !ok {
		return "", fmt.Errorf("unknown shell %q (want %s)", shell, strings.Join(Shells, ", "))
	}
	return render(file, map[string]string{
		"Prog":     prog,
		"Ident":    strings.NewReplacer("-", "_", ".", "_").Replace(prog),
		"Complete": CompleteCommandName,
	})
}

// ShellInit returns what `eval "$(etcd-ctx shell-init SHELL)"` runs:
// completion for the three binaries, the ectx/ectl aliases, etcd_ctx_prompt
// and, when wrapEtcdctl is set, an etcdctl function that uses the current
// context.
func ShellInit(shell string, wrapEtcdctl bool) (string, error) {
	file := "init.sh"
	switch shell {
	case "bash", "zsh":
	case "fish":
		file = "init.fish"
	default:
		return "", fmt.Errorf("unknown shell %q (want %s)", shell, strings.Join(InitShells, ", "))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# etcd-ctx shell-init %s: completion, aliases and the prompt helper.\n", shell)
	for _, prog := range Programs {
		s, err := Script(shell, prog)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	s, err := render(file, map[string]any{"Shell": shell, "WrapEtcdctl": wrapEtcdctl})
	if err != nil {
		return "", err
	}
	b.WriteString(s)
	return b.String(), nil
}

func render(name string, data any) (string, error) {
	var b strings.Builder
	if err := scripts().ExecuteTemplate(&b, name, data); err != nil {
		return "", err
	}
	return b.String(), nil
}
