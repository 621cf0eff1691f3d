package ctxcmd

import (
	"fmt"

	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
)

func listCommand() *cli.Command {
	return &cli.Command{
		Name:    "list",
		Aliases: []string{"ls"},
		Usage:   "list contexts (current marked with *)",
		Flags:   []cli.Flag{ctxflags.ConfigFlag(), clix.OutputFlag("text", "name", "json", "yaml")},
		Action:  listAction,
	}
}

// listEntry is one context in -o json|yaml. It never carries secret values.
type listEntry struct {
	Name      string   `json:"name" yaml:"name"`
	Current   bool     `json:"current" yaml:"current"`
	Endpoints []string `json:"endpoints" yaml:"endpoints"`
	Auth      string   `json:"auth" yaml:"auth"`
	User      string   `json:"user,omitempty" yaml:"user,omitempty"`
	Prefix    string   `json:"prefix,omitempty" yaml:"prefix,omitempty"`
	Note      string   `json:"note,omitempty" yaml:"note,omitempty"`
}

func listAction(c *cli.Context) error {
	if err := clix.NoArgs(c); err != nil {
		return err
	}
	format, err := clix.Format(c)
	if err != nil {
		return err
	}
	if format == "text" || format == "name" {
		return listNames(c, format == "name")
	}
	_, cfg, err := ctxflags.Config(c)
	if err != nil {
		return err
	}
	current, _ := contexts.Selected(cfg, ctxflags.Lookup(c, "context"))
	entries := make([]listEntry, 0, len(cfg.Contexts))
	for _, nc := range cfg.Contexts {
		e := listEntry{Name: nc.Name, Current: nc.Name == current, Prefix: nc.Context.Prefix, Note: nc.Context.Note, Auth: "none"}
		if cl, ok := cfg.Cluster(nc.Context.Cluster); ok {
			e.Endpoints = cl.Endpoints
		}
		if u, ok := cfg.User(nc.Context.User); ok {
			e.Auth, e.User = authKind(u), u.Username
		}
		entries = append(entries, e)
	}
	if format == "json" {
		return clix.WriteJSON(c.App.Writer, entries)
	}
	out, err := yaml.Marshal(entries)
	if err != nil {
		return err
	}
	_, err = c.App.Writer.Write(out)
	return err
}

// authKind names how a user authenticates, without touching the keyring.
func authKind(u *contexts.User) string {
	switch {
	case u.Token != nil:
		return "token"
	case u.Password != nil && u.Cert != nil:
		return "password+cert"
	case u.Password != nil:
		return "password"
	case u.Cert != nil:
		return "cert"
	}
	return "none"
}

// listNames prints the names, bare (-o name) or with the current one marked
// with "*" (and coloured on a terminal), like kubectx. It reads the names
// from the index beside the config when it is up to date.
func listNames(c *cli.Context, bare bool) error {
	store, err := ctxflags.Store(c)
	if err != nil {
		return err
	}
	names, err := store.File.Names()
	if err != nil {
		return err
	}
	if bare {
		for _, name := range names {
			clix.Println(c.App.Writer, name)
		}
		return nil
	}
	if len(names) == 0 { // a note for a person; stdout stays empty for scripts
		fmt.Fprintf(c.App.ErrWriter, "%s: no contexts yet in %s; add one with 'etcd-ctx add NAME --endpoints https://HOST:2379 …'\n", c.App.Name, store.File.Path)
		return nil
	}
	current, _ := store.File.Selected(ctxflags.Lookup(c, "context"))
	paint := clix.Painter{On: clix.Color(c.App.Writer)}
	for _, name := range names {
		if name == current {
			fmt.Fprintln(c.App.Writer, paint.Green(paint.Bold("* "+name)))
		} else {
			fmt.Fprintln(c.App.Writer, "  "+name)
		}
	}
	return nil
}
