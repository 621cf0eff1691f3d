package manpage

import (
	"bytes"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func testApp() *cli.App {
	return &cli.App{
		Name: "prog",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", TakesFile: true},
		},
		Commands: []*cli.Command{
			{Name: "list", Aliases: []string{"ls"}, Usage: "list them", Flags: []cli.Flag{
				&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "output format: text|json"},
			}},
			{Name: "secret", Hidden: true},
			{Name: "__complete", Hidden: true},
		},
	}
}

func TestManEscaping(t *testing.T) {
	app := testApp()
	app.Usage = "does things"
	app.Description = ".starts with a dot, has a back\\slash and an ellipsis…\n\n   indented example\n   --flag value"
	var b bytes.Buffer
	info := Info{Env: []Entry{{Name: "X_Y", Text: "'quoted at line start"}}, Exit: []Entry{{Name: "0", Text: "ok"}}}
	if err := Write(&b, app, info, "1.0", "2025-01-31"); err != nil {
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
