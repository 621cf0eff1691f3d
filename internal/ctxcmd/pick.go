package ctxcmd

import (
	"errors"
	"os"
	"slices"
	"strings"

	"github.com/manifoldco/promptui"
	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
)

// pick shows an interactive, searchable list of contexts and switches to the
// chosen one. Only called with a terminal on stdin and stdout.
func pick(c *cli.Context) error {
	store, err := ctxflags.Store(c)
	if err != nil {
		return err
	}
	names, err := store.File.Names()
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return clix.Fail("add one with 'etcd-ctx add NAME --endpoints https://HOST:2379 …'", "no contexts yet")
	}
	current, _ := store.File.Selected("")
	sel := promptui.Select{
		Label:             "etcd context (type to search)",
		Items:             names,
		Size:              min(len(names), 12),
		CursorPos:         max(slices.Index(names, current), 0),
		Searcher:          func(input string, i int) bool { return fuzzy(names[i], input) },
		StartInSearchMode: true, // as the label says: typing filters at once ("/" leaves the search)
		Stdout:            clix.NoBell{},
		Templates: &promptui.SelectTemplates{
			Active:   "▸ {{ . | bold }}",
			Inactive: "  {{ . }}",
			Selected: "✓ {{ . }}",
		},
	}
	if !clix.Color(os.Stderr) {
		sel.Templates = &promptui.SelectTemplates{Active: "> {{ . }}", Inactive: "  {{ . }}", Selected: "{{ . }}"}
	}
	_, choice, err := sel.Run()
	if errors.Is(err, promptui.ErrInterrupt) || errors.Is(err, promptui.ErrEOF) {
		return &clix.ExitError{Code: clix.ExitFailure}
	}
	if err != nil {
		return err
	}
	return switchTo(c, choice)
}

// fuzzy matches when the letters of input appear in name in order.
func fuzzy(name, input string) bool {
	name, input = strings.ToLower(name), strings.ToLower(strings.TrimSpace(input))
	for _, r := range input {
		i := strings.IndexRune(name, r)
		if i < 0 {
			return false
		}
		name = name[i+len(string(r)):]
	}
	return true
}
