package contexts

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
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
	Dev, Ino     uint64
	Size         int64
	Mtime, Ctime int64 // ns; Ctime 0 where the OS has none
}

func (s stamp) String() string {
	return fmt.Sprintf("%d %d %d %d %d", s.Dev, s.Ino, s.Size, s.Mtime, s.Ctime)
}

func parseStamp(text string) (stamp, bool) {
	var s stamp
	n, err := fmt.Sscan(text, &s.Dev, &s.Ino, &s.Size, &s.Mtime, &s.Ctime)
	return s, err == nil && n == 5
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

// state is the content of config.yaml.state. The file is lines of
// "key value", strings quoted as Go quotes them: `etcd-ctx current` reads it
// on every prompt, and decoding JSON into a struct costs a fresh process
// about 0.2 ms of its 0.5 ms budget (encoding/json's first use of a type).
type state struct {
	Current, Previous string
	// Config is the config version this state was reconciled with, and
	// Known whether Current names one of its contexts (or is empty).
	Config stamp
	Known  bool
	// InFile* are the config's own current-context and previous-context
	// fields at that version: a later change to them is a hand edit.
	InFileCurrent, InFilePrevious string
}

const stateHeader = "# etcd-ctx: the current and previous context of the config beside this file. Switch with\n" +
	"# 'etcd-ctx use NAME'; a current-context written into the config wins over this file.\n"

func statePath(config string) string { return config + ".state" }

// readState returns the state file, or nil when there is none or it cannot be
// read as one (a torn or foreign file counts as none: the config's fields,
// when it has them, are the fallback, and the next write replaces it).
func readState(config string) *state {
	data, err := os.ReadFile(statePath(config))
	if err != nil || !bytes.HasPrefix(data, []byte(stateHeader)) {
		return nil
	}
	st := &state{}
	seen := 0
	for _, line := range strings.Split(string(data[len(stateHeader):]), "\n") {
		key, value, _ := strings.Cut(line, " ")
		var ok bool
		switch key {
		case "":
			continue
		case "current":
			st.Current, ok = unquote(value)
		case "previous":
			st.Previous, ok = unquote(value)
		case "known":
			st.Known, ok = value == "true", value == "true" || value == "false"
		case "config":
			st.Config, ok = parseStamp(value)
		case "config-current-context":
			st.InFileCurrent, ok = unquote(value)
		case "config-previous-context":
			st.InFilePrevious, ok = unquote(value)
		}
		if !ok {
			return nil
		}
		seen++
	}
	if seen != 6 {
		return nil
	}
	return st
}

func unquote(s string) (string, bool) {
	v, err := strconv.Unquote(s)
	return v, err == nil
}

func writeState(config string, st *state) error {
	var b strings.Builder
	b.WriteString(stateHeader)
	fmt.Fprintf(&b, "current %s\nprevious %s\nknown %t\nconfig %s\nconfig-current-context %s\nconfig-previous-context %s\n",
		strconv.Quote(st.Current), strconv.Quote(st.Previous), st.Known, st.Config,
		strconv.Quote(st.InFileCurrent), strconv.Quote(st.InFilePrevious))
	return fileio.Write(statePath(config), []byte(b.String()), 0o600)
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

// index is the content of config.yaml.index, three lines then one JSON line
// per context:
//
//	etcd-ctx-index 1 <stamp of the config version it describes>
//	"name" "name" …          (Go-quoted, in file order)
//	<offset> <offset> …      (where each context's line starts after these three)
//
// The first two lines answer whether a name exists without decoding
// anything (has), which `etcd-ctx current` needs under $ETCD_CTX.
type index struct {
	names   []byte // the second line
	offsets []byte // the third line
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

const indexMagic = "etcd-ctx-index 1 "

func indexPath(config string) string { return config + ".index" }

// readIndex returns the index's header when it describes version s of the
// config, else nil.
func readIndex(config string, s stamp) *index {
	f, err := os.Open(indexPath(config))
	if err != nil {
		return nil
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	var lines [3][]byte
	for i := range lines {
		if lines[i], err = r.ReadBytes('\n'); err != nil {
			return nil
		}
	}
	head := strings.TrimSuffix(string(lines[0]), "\n")
	if rest, ok := strings.CutPrefix(head, indexMagic); !ok {
		return nil
	} else if got, ok := parseStamp(rest); !ok || got != s {
		return nil
	}
	return &index{
		names:   bytes.TrimSuffix(lines[1], []byte("\n")),
		offsets: bytes.TrimSuffix(lines[2], []byte("\n")),
		path:    indexPath(config),
		body:    int64(len(lines[0]) + len(lines[1]) + len(lines[2])),
	}
}

// has reports whether the config has a context of that name: its quoted
// form as a whole token of the names line. (Inside a quoted name every '"'
// is escaped, so a '"' after the line start or a space opens a token.)
func (idx *index) has(name string) bool {
	q := []byte(strconv.Quote(name))
	line := idx.names
	for from := 0; ; {
		i := bytes.Index(line[from:], q)
		if i < 0 {
			return false
		}
		i += from
		start := i == 0 || line[i-1] == ' '
		end := i+len(q) == len(line) || line[i+len(q)] == ' '
		if start && end {
			return true
		}
		from = i + 1
	}
}

// Names decodes the names line (nil if it is not one: names quoted as
// strconv.Quote quotes them, which has looks for, one space apart).
func (idx *index) Names() []string {
	var names []string
	for line := string(idx.names); line != ""; {
		q, err := strconv.QuotedPrefix(line)
		if err != nil {
			return nil
		}
		name, _ := strconv.Unquote(q)
		if strconv.Quote(name) != q {
			return nil // not as writeIndex writes it (a raw invalid byte, an escape spelled otherwise)
		}
		names = append(names, name)
		line = line[len(q):]
		if line != "" {
			var ok bool
			if line, ok = strings.CutPrefix(line, " "); !ok || line == "" {
				return nil
			}
		}
	}
	return names
}

// entry reads the named context's line (false when the index has none, or
// was replaced since its header was read).
func (idx *index) entry(name string) (indexEntry, bool) {
	i := slices.Index(idx.Names(), name)
	offsets := strings.Fields(string(idx.offsets))
	if i < 0 || i >= len(offsets) {
		return indexEntry{}, false
	}
	off, err := strconv.ParseInt(offsets[i], 10, 64)
	if err != nil {
		return indexEntry{}, false
	}
	f, err := os.Open(idx.path)
	if err != nil {
		return indexEntry{}, false
	}
	defer f.Close()
	if _, err := f.Seek(idx.body+off, io.SeekStart); err != nil {
		return indexEntry{}, false
	}
	line, err := bufio.NewReader(f).ReadBytes('\n')
	var e indexEntry
	if err != nil || json.Unmarshal(line, &e) != nil || e.Name != name {
		return indexEntry{}, false
	}
	return e, true
}

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
	names := make([]string, len(cfg.Contexts))
	offsets := make([]string, len(cfg.Contexts))
	for i, nc := range cfg.Contexts {
		names[i], offsets[i] = strconv.Quote(nc.Name), strconv.Itoa(body.Len())
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
	head := indexMagic + s.String() + "\n" + strings.Join(names, " ") + "\n" + strings.Join(offsets, " ") + "\n"
	return fileio.Write(indexPath(config), append([]byte(head), body.Bytes()...), 0o600)
}

// removeIfExists removes a derived file; a missing one is fine.
func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
