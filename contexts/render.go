package contexts

import (
	"bytes"
	"reflect"
	"slices"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// render returns the bytes to write for cfg, given the file as it was (old):
// the file's own lines with only the entries that changed replaced
// (spliced); where its shape does not allow that, the file's own document
// with only what changed re-encoded (merged). Either way what a person
// wrote stays as they wrote it: comments, key order, flow style,
// quoting and the path shorthand of every entry etcd-ctx did not change. A
// changed entry is re-encoded in the written form (Marshal's) and keeps the
// comments around it. The current and previous context are left out: they
// live in the state file.
//
// Whatever the merge makes is parsed back and compared with cfg; if it does
// not read as cfg (anchors and aliases across entries can make a document
// that does not), the whole file is written in the written form instead. A
// write never says something other than what was meant.
func render(old []byte, cfg *Config) ([]byte, error) {
	out := *cfg
	out.CurrentContext, out.PreviousContext = "", ""
	if data, ok := spliced(old, &out); ok {
		return data, nil
	}
	if data, ok := merged(old, &out); ok {
		return data, nil
	}
	return out.Marshal()
}

func merged(old []byte, cfg *Config) ([]byte, bool) {
	if len(bytes.TrimSpace(old)) == 0 {
		return nil, false
	}
	var doc yaml.Node
	if yaml.Unmarshal(old, &doc) != nil {
		return nil, false
	}
	if doc.Kind == 0 { // no content: keep comments above the new content
		data, err := cfg.Marshal()
		return append(commentLines(old), data...), err == nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, false
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" { // "---" alone
		*root = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", HeadComment: root.HeadComment, LineComment: root.LineComment, FootComment: root.FootComment}
	}
	if root.Kind != yaml.MappingNode {
		return nil, false
	}
	var before Config
	if root.Decode(&before) != nil {
		return nil, false
	}
	before.forgetPlainLines()
	dropKeys(root, "current-context", "previous-context")
	for _, l := range entryLists(&before, cfg) {
		if !mergeList(root, l.key, l.before, l.after, l.same, l.fresh) {
			return nil, false
		}
	}
	data, err := encodeNode(&doc)
	if err != nil {
		return nil, false
	}
	again, err := Parse(data)
	if err != nil || !sameConfig(again, cfg) {
		return nil, false
	}
	return data, true
}

// mergeList sets the list under key to the entries after (by name), reusing
// the node of every entry that is the same as before and carrying the
// comments of replaced ones. Entries are paired by name, then the unpaired
// ones in order (a rename). It reports false when the document's list does
// not correspond to the decoded one.
func mergeList(root *yaml.Node, key string, before, after []string, same func(i, j int) bool, fresh func(j int) any) bool {
	seq := mapValue(root, key)
	var items []*yaml.Node
	switch {
	case seq == nil && len(before) == 0:
		seq = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, seq)
	case seq == nil:
		return false
	case seq.Kind == yaml.SequenceNode && len(seq.Content) == len(before):
		items = seq.Content
	case seq.Kind == yaml.ScalarNode && seq.ShortTag() == "!!null" && len(before) == 0:
		*seq = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", HeadComment: seq.HeadComment, LineComment: seq.LineComment, FootComment: seq.FootComment}
	default:
		return false
	}
	pair := pairByName(before, after)
	content := make([]*yaml.Node, len(after))
	encoded := false
	for j := range after {
		if i := pair[j]; i >= 0 && same(i, j) {
			content[j] = items[i]
			continue
		}
		n, err := faithfulNode(fresh(j))
		if err != nil {
			return false
		}
		shortenRefs(n)
		if i := pair[j]; i >= 0 {
			carryComments(items[i], n)
		}
		content[j], encoded = n, true
	}
	seq.Content = content
	if encoded {
		seq.Style &^= yaml.FlowStyle // new entries read best in block style
	}
	return true
}

// entryList is one of the config's lists as a write changes it: the names
// of its entries before and after, whether entry i before and j after say
// the same, and entry j after, to encode.
type entryList struct {
	key           string
	before, after []string
	same          func(i, j int) bool
	fresh         func(j int) any
}

func entryLists(before, cfg *Config) []entryList {
	return []entryList{
		{"clusters", names(before.Clusters), names(cfg.Clusters),
			func(i, j int) bool { return sameCluster(before.Clusters[i], cfg.Clusters[j]) },
			func(j int) any { return cfg.Clusters[j] }},
		{"users", names(before.Users), names(cfg.Users),
			func(i, j int) bool { return reflect.DeepEqual(before.Users[i], cfg.Users[j]) },
			func(j int) any { return cfg.Users[j] }},
		{"contexts", names(before.Contexts), names(cfg.Contexts),
			func(i, j int) bool { return before.Contexts[i] == cfg.Contexts[j] },
			func(j int) any { return cfg.Contexts[j] }},
	}
}

// pairByName pairs each entry after with one before (its index, or -1
// for a new one): by name, then the unpaired ones in order (a rename).
func pairByName(before, after []string) []int {
	pair := make([]int, len(after))
	used := make([]bool, len(before))
	for j, name := range after {
		pair[j] = -1
		for i, b := range before {
			if !used[i] && b == name {
				pair[j], used[i] = i, true
				break
			}
		}
	}
	i := 0
	for j := range after {
		if pair[j] >= 0 {
			continue
		}
		for i < len(before) && used[i] {
			i++
		}
		if i < len(before) {
			pair[j], used[i] = i, true
		}
	}
	return pair
}

// carryComments copies the comments of a replaced node to its replacement:
// the node's own, and in a mapping those of every key both have (and of its
// value, recursively), so a note beside a setting survives a change of the
// entry.
func carryComments(from, to *yaml.Node) {
	to.HeadComment, to.LineComment, to.FootComment = from.HeadComment, from.LineComment, from.FootComment
	if from.Kind != yaml.MappingNode || to.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(to.Content); i += 2 {
		for j := 0; j+1 < len(from.Content); j += 2 {
			if from.Content[j].Value == to.Content[i].Value {
				k := from.Content[j]
				to.Content[i].HeadComment, to.Content[i].LineComment, to.Content[i].FootComment = k.HeadComment, k.LineComment, k.FootComment
				carryComments(from.Content[j+1], to.Content[i+1])
				break
			}
		}
	}
}

// dropKeys removes keys from a mapping, moving their comments above to the
// key after them (a file's opening comment is often attached to its first
// key).
func dropKeys(m *yaml.Node, keys ...string) {
	for i := 0; i+1 < len(m.Content); {
		k := m.Content[i]
		if !slices.Contains(keys, k.Value) {
			i += 2
			continue
		}
		if k.HeadComment != "" && i+2 < len(m.Content) {
			next := m.Content[i+2]
			next.HeadComment = joinComments(k.HeadComment, next.HeadComment)
		}
		m.Content = slices.Delete(m.Content, i, i+2)
	}
}

// commentLines returns the comment lines of a file that has no content.
func commentLines(data []byte) []byte {
	if !utf8.Valid(data) {
		return nil
	}
	var out []byte
	for _, line := range bytes.Split(data, []byte("\n")) {
		if line = bytes.TrimSpace(line); bytes.HasPrefix(line, []byte("#")) {
			out = append(append(out, line...), '\n')
		}
	}
	return out
}

func joinComments(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n" + b
}

func names[E NamedCluster | NamedUser | NamedContext](list []E) []string {
	out := make([]string, len(list))
	for i, e := range list {
		switch e := any(e).(type) {
		case NamedCluster:
			out[i] = e.Name
		case NamedUser:
			out[i] = e.Name
		case NamedContext:
			out[i] = e.Name
		}
	}
	return out
}

// sameCluster compares two cluster entries, an empty endpoint list the
// same as none.
func sameCluster(a, b NamedCluster) bool {
	if len(a.Cluster.Endpoints) == 0 && len(b.Cluster.Endpoints) == 0 {
		a.Cluster.Endpoints, b.Cluster.Endpoints = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

// sameConfig compares two configs as files: an empty list the same as none.
func sameConfig(a, b *Config) bool {
	if a.CurrentContext != b.CurrentContext || a.PreviousContext != b.PreviousContext ||
		len(a.Clusters) != len(b.Clusters) || len(a.Users) != len(b.Users) || len(a.Contexts) != len(b.Contexts) {
		return false
	}
	for i := range a.Clusters {
		if !sameCluster(a.Clusters[i], b.Clusters[i]) {
			return false
		}
	}
	for i := range a.Users {
		if !reflect.DeepEqual(a.Users[i], b.Users[i]) {
			return false
		}
	}
	return slices.Equal(a.Contexts, b.Contexts)
}
