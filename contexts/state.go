package contexts

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"time"
)

// The current and previous context live in a small state file beside the
// config (config.yaml.state), as kubie and kubeswitch keep theirs apart from
// the kubeconfig: switching rewrites a few bytes instead of the whole
// config, and `etcd-ctx current`, which a prompt runs every time, reads those
// bytes and one stat(2) instead of decoding every context. The config itself
// stays a hand-editable kubeconfig-style file, and it stays the truth:
//
//   - The state records the version of the config it was last reconciled
//     with (a stamp: device, inode, size, modification and change times).
//     Any write, rename over or in-place edit changes the stamp, and a state
//     whose stamp differs from the file's is checked against the file again.
//   - A config written by an older etcd-ctx keeps its current-context and
//     previous-context fields. They are read as before; the first write by
//     this version moves them into the state and drops them from the file.
//   - current-context written into the config by hand wins over the state:
//     the state remembers what the file said at its stamp, so a change is
//     a person's edit (or a restored old file), not a stale copy.
//   - $ETCD_CTX and --context override both, as before.
//   - Writers hold the config's lock (config.yaml.lock) and replace both
//     files by atomic renames, the config first.
//
// A second file, config.yaml.index, caches what the frequent commands need
// from the config (its names, and each context with its cluster and user on
// one line) for the same stamp, so that listing names, completing them,
// switching and exec decode neither the YAML nor the other contexts. It is
// derived data: deleting it costs one slow run, which writes it again.

// stamp identifies one version of the config file.
type stamp struct {
	Dev   uint64 `json:"dev"`
	Ino   uint64 `json:"ino"`
	Size  int64  `json:"size"`
	Mtime int64  `json:"mtime"` // ns
	Ctime int64  `json:"ctime"` // ns; 0 where the OS has none
}

// noFile is the stamp of a config file that does not exist.
var noFile = stamp{Size: -1}

// racyWindow: a config written this recently may still be being written in
// place, and a second write within the file system's timestamp granularity
// would leave the stamp as it is. Versions that young are read but not
// cached (Git's "racily clean" rule, on the modification time, which every
// write sets); etcd-ctx's own writes, made by rename under the lock, are
// cached at once.
const racyWindow = 2 * time.Second

func (s stamp) racy(now time.Time) bool {
	return s != noFile && now.Sub(time.Unix(0, s.Mtime)) < racyWindow
}

// state is the content of config.yaml.state.
type state struct {
	Note     string `json:"note"`
	Current  string `json:"current,omitempty"`
	Previous string `json:"previous,omitempty"`
	// Config is the config version this state was reconciled with, and
	// Known whether Current names one of its contexts (or is empty).
	Config stamp `json:"config"`
	Known  bool  `json:"current-known"`
	// InFile* are the config's own current-context and previous-context
	// fields at that version: a later change to them is a hand edit.
	InFileCurrent  string `json:"config-current-context,omitempty"`
	InFilePrevious string `json:"config-previous-context,omitempty"`
}

const stateNote = "etcd-ctx's current and previous context; switch with etcd-ctx use NAME, or set current-context in the config, which wins"

func statePath(config string) string { return config + ".state" }

// readState returns the state file, or nil when there is none or it cannot be
// read as one (a torn or foreign file counts as none: the config's fields,
// when it has them, are the fallback, and the next write replaces it).
func readState(config string) *state {
	data, err := os.ReadFile(statePath(config))
	if err != nil {
		return nil
	}
	st := &state{}
	if json.Unmarshal(data, st) != nil || st.Note == "" {
		return nil
	}
	return st
}

func writeState(config string, st *state) error {
	st.Note = stateNote
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(statePath(config), append(data, '\n'))
}

// selection resolves the current and previous context of a config whose own
// fields are inFile (current, previous), given the state (nil when there is
// none): the state's choice, unless the file's fields changed since the state
// last saw them.
func selection(inFileCurrent, inFilePrevious string, st *state) (current, previous string) {
	if st == nil {
		return inFileCurrent, inFilePrevious
	}
	current, previous = st.Current, st.Previous
	if inFileCurrent != st.InFileCurrent {
		if inFileCurrent != current {
			previous = current
		}
		current = inFileCurrent
	}
	if inFilePrevious != st.InFilePrevious {
		previous = inFilePrevious
	}
	return current, previous
}

// applySelection sets cfg's current and previous context from the file's
// own fields (as parsed into cfg) and the state (see selection). A previous
// context the config no longer has is dropped: "-" has nothing to go back to.
func (c *Config) applySelection(st *state) {
	c.CurrentContext, c.PreviousContext = selection(c.CurrentContext, c.PreviousContext, st)
	if _, ok := c.Context(c.PreviousContext); !ok {
		c.PreviousContext = ""
	}
}

// newState is the state of a config version: cfg holds the resolved current
// and previous context, inFile* what the file itself says.
func newState(cfg *Config, s stamp, inFileCurrent, inFilePrevious string) *state {
	_, known := cfg.Context(cfg.CurrentContext)
	previous := cfg.PreviousContext
	if _, ok := cfg.Context(previous); !ok {
		previous = "" // as applySelection would read it
	}
	return &state{
		Current: cfg.CurrentContext, Previous: previous,
		Config: s, Known: known || cfg.CurrentContext == "",
		InFileCurrent: inFileCurrent, InFilePrevious: inFilePrevious,
	}
}

// index is the content of config.yaml.index: a header line with the config
// version, the context names in file order and where each context's line
// starts after the header, then one JSON line per context.
type index struct {
	Config  stamp    `json:"config"`
	Names   []string `json:"names"`
	Offsets []int64  `json:"offsets"`
	path    string
	body    int64 // where the lines after the header start
}

// indexEntry is one context with its cluster and user, as the config holds
// them (nil when the config has no entry of that name).
type indexEntry struct {
	Name    string   `json:"name"`
	Context Context  `json:"context"`
	Cluster *Cluster `json:"cluster,omitempty"`
	User    *User    `json:"user,omitempty"`
}

func indexPath(config string) string { return config + ".index" }

// readIndex returns the index's header when it describes version s of the
// config, else nil.
func readIndex(config string, s stamp) *index {
	f, err := os.Open(indexPath(config))
	if err != nil {
		return nil
	}
	defer f.Close()
	head, err := bufio.NewReaderSize(f, 64<<10).ReadBytes('\n')
	if err != nil {
		return nil
	}
	idx := &index{path: indexPath(config), body: int64(len(head))}
	if json.Unmarshal(head, idx) != nil || idx.Config != s || len(idx.Offsets) != len(idx.Names) {
		return nil
	}
	return idx
}

// entry reads the named context's line (false when the config has none).
func (idx *index) entry(name string) (indexEntry, bool) {
	i := slices.Index(idx.Names, name)
	if i < 0 {
		return indexEntry{}, false
	}
	f, err := os.Open(idx.path)
	if err != nil {
		return indexEntry{}, false
	}
	defer f.Close()
	if _, err := f.Seek(idx.body+idx.Offsets[i], io.SeekStart); err != nil {
		return indexEntry{}, false
	}
	line, err := bufio.NewReader(f).ReadBytes('\n')
	var e indexEntry
	if err != nil || json.Unmarshal(line, &e) != nil || e.Name != name {
		return indexEntry{}, false
	}
	return e, true
}

// has reports whether the config has a context of that name.
func (idx *index) has(name string) bool { return slices.Contains(idx.Names, name) }

// config is a Config holding only the named context with its cluster and user.
func (e indexEntry) config() *Config {
	cfg := &Config{Contexts: []NamedContext{{Name: e.Name, Context: e.Context}}}
	if e.Cluster != nil {
		cfg.Clusters = []NamedCluster{{Name: e.Context.Cluster, Cluster: *e.Cluster}}
	}
	if e.User != nil {
		cfg.Users = []NamedUser{{Name: e.Context.User, User: *e.User}}
	}
	return cfg
}

func writeIndex(config string, cfg *Config, s stamp) error {
	var body bytes.Buffer
	enc := json.NewEncoder(&body) // one value per line
	offsets := make([]int64, len(cfg.Contexts))
	for i, nc := range cfg.Contexts {
		offsets[i] = int64(body.Len())
		e := indexEntry{Name: nc.Name, Context: nc.Context}
		if cl, ok := cfg.Cluster(nc.Context.Cluster); ok {
			e.Cluster = cl
		}
		if nc.Context.User != "" {
			if u, ok := cfg.User(nc.Context.User); ok {
				e.User = u
			}
		}
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	head, err := json.Marshal(index{Config: s, Names: cfg.Names(), Offsets: offsets})
	if err != nil {
		return err
	}
	return writeAtomic(indexPath(config), append(append(head, '\n'), body.Bytes()...))
}

// removeIfExists removes a derived file; a missing one is fine.
func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
