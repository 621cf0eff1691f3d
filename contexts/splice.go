package contexts

import (
	"bytes"
	"slices"

	"gopkg.in/yaml.v3"
)

// spliced is render's first way: the file's own lines, with only the lines
// of the entries that changed replaced. Every other byte stays as written:
// indentation, quoting, flow style, comments, blank lines. Changed and new
// entries are encoded as Marshal writes them, indented as the list's
// entries are, with the comments of the entry they replace; deleted
// entries' lines go, the comments between entries stay.
//
// It handles the shapes people and etcd-ctx write: a block mapping at the
// top, each list a block sequence whose entries start on their dash's line
// ("- name: …"), current-context and previous-context on one line each. For
// anything else it reports false and merged is tried. The result is parsed
// back and must read as cfg, or it reports false too.
func spliced(old []byte, cfg *Config) ([]byte, bool) {
	if len(bytes.TrimSpace(old)) == 0 {
		return nil, false
	}
	var doc yaml.Node
	if yaml.Unmarshal(old, &doc) != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, false
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode || root.Style&yaml.FlowStyle != 0 {
		return nil, false
	}
	var before Config
	if root.Decode(&before) != nil {
		return nil, false
	}
	before.forgetPlainLines()
	f := &lineFile{lines: splitLines(old), root: root}
	if bytes.Contains(old, []byte("\r\n")) {
		f.eol = "\r\n"
	} else {
		f.eol = "\n"
	}
	for _, key := range []string{"current-context", "previous-context"} {
		if !f.dropLine(key) {
			return nil, false
		}
	}
	for _, l := range entryLists(&before, cfg) {
		if !f.spliceList(l.key, l.before, l.after, l.same, l.fresh) {
			return nil, false
		}
	}
	data := f.bytes()
	again, err := Parse(data)
	if err != nil || !sameConfig(again, cfg) {
		return nil, false
	}
	return data, true
}

// lineFile is the file as lines (each with its line break), and the edits
// to make: replace[n] takes the place of lines n..n+drop[n]-1 (0-based).
type lineFile struct {
	lines   [][]byte
	root    *yaml.Node
	eol     string
	edits   []lineEdit
	appends []byte // new top-level keys, at the end
}

type lineEdit struct {
	from, to int // lines [from, to), 0-based
	text     []byte
}

func splitLines(data []byte) [][]byte {
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// dropLine removes a top-level key that sits with its value on one line;
// false when it is written otherwise.
func (f *lineFile) dropLine(key string) bool {
	for i := 0; i+1 < len(f.root.Content); i += 2 {
		k, v := f.root.Content[i], f.root.Content[i+1]
		if k.Value != key {
			continue
		}
		if v.Kind != yaml.ScalarNode || v.Line != k.Line || (i+2 < len(f.root.Content) && f.root.Content[i+2].Line == k.Line) {
			return false
		}
		f.edits = append(f.edits, lineEdit{from: k.Line - 1, to: k.Line})
	}
	return true
}

// listEnd is the 0-based line after the last line of the value of the
// top-level key at index i of the root mapping: the next key's line, or
// the end of the file.
func (f *lineFile) listEnd(i int) int {
	if i+2 < len(f.root.Content) {
		return f.root.Content[i+2].Line - 1
	}
	return len(f.lines)
}

// spliceList edits the list under key from the entries before to those
// after (paired by name as mergeList pairs them).
func (f *lineFile) spliceList(key string, before, after []string, same func(i, j int) bool, fresh func(j int) any) bool {
	ki := -1
	for i := 0; i+1 < len(f.root.Content); i += 2 {
		if f.root.Content[i].Value == key {
			ki = i
		}
	}
	if ki < 0 {
		if len(before) != 0 {
			return false
		}
		if len(after) == 0 {
			return true
		}
		text := []byte(key + ":" + f.eol)
		for j := range after {
			t, ok := f.encodeEntry(fresh(j), nil, 0)
			if !ok {
				return false
			}
			text = append(text, t...)
		}
		f.appends = append(f.appends, text...)
		return true
	}
	seq := f.root.Content[ki+1]
	if len(before) == 0 {
		return f.fillEmpty(ki, after, fresh)
	}
	if seq.Kind != yaml.SequenceNode || seq.Style&yaml.FlowStyle != 0 || len(seq.Content) != len(before) {
		return false
	}
	items := seq.Content
	starts := make([]int, len(items)) // 0-based line of each entry's dash
	dash := -1
	for i, it := range items {
		line, col := it.Line-1, it.Column-1
		if line < 0 || line >= len(f.lines) || col < 2 || col > len(f.lines[line]) ||
			!bytes.HasPrefix(f.lines[line][col-2:], []byte("- ")) || len(bytes.TrimLeft(f.lines[line][:col-2], " ")) > 0 {
			return false // not "- " at the start of the entry's first line
		}
		if dash >= 0 && col-2 != dash {
			return false
		}
		starts[i], dash = line, col-2
	}
	end := f.listEnd(ki)
	// own[i] is the last line of entry i, before the blank lines and the
	// comments at its dash's indentation (which belong to what follows).
	own := make([]int, len(items))
	for i := range items {
		next := end
		if i+1 < len(items) {
			next = starts[i+1]
		}
		last := next - 1
		for last > starts[i] && gapLine(f.lines[last], dash) {
			last--
		}
		own[i] = last + 1
	}
	pair := pairByName(before, after)
	prev := -1
	for j := range after {
		if i := pair[j]; i >= 0 {
			if i < prev {
				return false // reordered: leave it to merged
			}
			prev = i
		}
	}
	placed := make([]bool, len(before))
	for j := range after {
		if pair[j] >= 0 {
			placed[pair[j]] = true
		}
	}
	var added []byte
	for j := range after {
		i := pair[j]
		switch {
		case i >= 0 && same(i, j):
			continue
		case i >= 0:
			t, ok := f.encodeEntry(fresh(j), items[i], dash)
			if !ok {
				return false
			}
			f.edits = append(f.edits, lineEdit{from: starts[i], to: own[i], text: t})
		default:
			t, ok := f.encodeEntry(fresh(j), nil, dash)
			if !ok {
				return false
			}
			added = append(added, t...)
		}
	}
	for i := range before {
		if !placed[i] {
			// A deleted entry takes its head comment along: the comment
			// lines right above it, up to a blank line or the entry
			// before.
			from, floor := starts[i], f.root.Content[ki].Line // the line after the list's key
			if i > 0 {
				floor = own[i-1]
			}
			for from > floor && gapLine(f.lines[from-1], dash) && len(bytes.TrimSpace(f.lines[from-1])) > 0 {
				from--
			}
			f.edits = append(f.edits, lineEdit{from: from, to: own[i]})
		}
	}
	if len(added) > 0 {
		last := len(items) - 1
		f.edits = append(f.edits, lineEdit{from: own[last], to: own[last], text: added})
	}
	return true
}

// fillEmpty writes the entries after into an empty list whose key sits
// with its value on one line ("users: []", "users:", "users: ~ # none"):
// that line becomes "users:" with its comment, and the entries follow it.
func (f *lineFile) fillEmpty(ki int, after []string, fresh func(j int) any) bool {
	k, v := f.root.Content[ki], f.root.Content[ki+1]
	empty := (v.Kind == yaml.SequenceNode && len(v.Content) == 0) || (v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null")
	if !empty || (v.Line != k.Line && v.Kind != yaml.ScalarNode) || k.Column != 1 {
		return false
	}
	if len(after) == 0 {
		return true
	}
	text := []byte(k.Value + ":")
	if c := v.LineComment + k.LineComment; c != "" {
		text = append(append(text, ' '), c...)
	}
	text = append(text, f.eol...)
	for j := range after {
		t, ok := f.encodeEntry(fresh(j), nil, 0)
		if !ok {
			return false
		}
		text = append(text, t...)
	}
	f.edits = append(f.edits, lineEdit{from: k.Line - 1, to: k.Line, text: text})
	return true
}

// gapLine: a blank line, or a comment no deeper than the entries' dashes.
func gapLine(line []byte, dash int) bool {
	t := bytes.TrimLeft(line, " ")
	if len(bytes.TrimSpace(t)) == 0 {
		return true
	}
	return t[0] == '#' && len(line)-len(t) <= dash
}

// encodeEntry writes v as one entry of a block list whose dashes are at
// column dash, in the written form, with the comments of the entry it
// replaces (nil for a new one).
func (f *lineFile) encodeEntry(v any, replaced *yaml.Node, dash int) ([]byte, bool) {
	n, err := faithfulNode(v)
	if err != nil {
		return nil, false
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	shortenRefs(n)
	if replaced != nil {
		carryComments(replaced, n)
		// The entry's own head and foot comments are lines around it,
		// which stay where they are.
		n.HeadComment, n.FootComment = "", ""
	}
	data, err := encodeNode(&yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{n}})
	if err != nil {
		return nil, false
	}
	pad := bytes.Repeat([]byte(" "), dash)
	var out []byte
	for _, line := range splitLines(data) {
		line = bytes.TrimSuffix(line, []byte("\n"))
		if len(line) > 0 {
			out = append(append(out, pad...), line...)
		}
		out = append(out, f.eol...)
	}
	return out, true
}

// bytes applies the edits.
func (f *lineFile) bytes() []byte {
	slices.SortStableFunc(f.edits, func(a, b lineEdit) int { return a.from - b.from })
	var out []byte
	at := 0
	for _, e := range f.edits {
		for ; at < e.from; at++ {
			out = append(out, f.lines[at]...)
		}
		out = append(out, e.text...)
		at = max(at, e.to)
	}
	for ; at < len(f.lines); at++ {
		out = append(out, f.lines[at]...)
	}
	if len(f.appends) > 0 {
		if len(out) > 0 && out[len(out)-1] != '\n' {
			out = append(out, f.eol...)
		}
		out = append(out, f.appends...)
	}
	return out
}
