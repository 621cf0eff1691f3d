package completion

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/etcd-ctx/etcd-ctx/contexts"
)

// Contexts completes etcd-ctx context names. It runs on every <TAB>, so it
// reads the names from the config's index (the config itself after it changed) (--config as typed, else $ETCD_CTX_CONFIG, else
// the XDG default): never the keyring, never the network.
var Contexts = Source{Words: contextNames}

func contextNames(st State) []string {
	path := expandHome(st.Flags["config"])
	if path == "" {
		var err error
		if path, err = contexts.DefaultPath(); err != nil {
			return nil
		}
	}
	names, err := contexts.File{Path: path}.Names()
	if err != nil {
		return nil // a broken config is reported by real commands, not by <TAB>
	}
	return names
}

// expandHome expands a leading ~/ : the shell hands over words as typed.
func expandHome(p string) string {
	rest, ok := strings.CutPrefix(p, "~/")
	if !ok {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return p
	}
	return filepath.Join(home, rest)
}
