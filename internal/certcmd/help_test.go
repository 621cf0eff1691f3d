package certcmd

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestHelpDefaults: --help states each flag's default once, the way
// urfave/cli prints it, "(default: …)": a default said in the usage text
// as well is doubled ("(default: the old certificate's lifetime)
// (default: 0)"), and a numeric flag whose zero means "not given" must say
// what happens then instead of "(default: 0)". The context flags shared by
// the three binaries (internal/ctxflags) are left to that package.
func TestHelpDefaults(t *testing.T) {
	shared := map[string]bool{"context": true, "config": true}
	var walk func(path string, cmds []*cli.Command)
	walk = func(path string, cmds []*cli.Command) {
		for _, c := range cmds {
			name := strings.TrimSpace(path + " " + c.Name)
			for _, f := range c.Flags {
				if shared[f.Names()[0]] {
					continue
				}
				line := f.String()
				if u := f.(cli.DocGenerationFlag).GetUsage(); strings.Contains(u, "default") {
					t.Errorf("%s: %s: the usage states a default; give it as DefaultText", name, line)
				}
				if strings.Count(line, "(default") > 1 {
					t.Errorf("%s: %s: the default twice", name, line)
				}
				for _, zero := range []string{"(default: 0)", "(default: 0s)"} {
					if strings.HasSuffix(line, zero) {
						t.Errorf("%s: %s: say what an unset flag means (DefaultText)", name, line)
					}
				}
			}
			walk(name, c.Subcommands)
		}
	}
	walk("", NewApp().Commands)
}
