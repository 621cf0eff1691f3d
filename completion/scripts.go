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

func render(name string, data any) (string, error) {
	var b strings.Builder
	if err := scripts().ExecuteTemplate(&b, name, data); err != nil {
		return "", err
	}
	return b.String(), nil
}
