package rbac

import (
	"fmt"
	"strings"
)

// Type is what a permission allows: read, write or readwrite (etcd's
// authpb.Permission_Type, lower-cased as etcdctl prints it).
type Type string

// Permission types. A request is either Read or Write.
const (
	Read      Type = "read"
	Write     Type = "write"
	ReadWrite Type = "readwrite"
)

// ParseType accepts read, write and readwrite (any case, as etcdctl does).
func ParseType(s string) (Type, error) {
	switch t := Type(strings.ToLower(s)); t {
	case Read, Write, ReadWrite:
		return t, nil
	}
	return "", fmt.Errorf("unknown permission type %q: use read, write or readwrite", s)
}

// Allows reports whether a permission of type t allows a request of type op
// (Read or Write).
func (t Type) Allows(op Type) bool { return t == ReadWrite || t == op }

// Union is the type that allows what t and u allow.
func (t Type) Union(u Type) Type {
	switch {
	case t == "" || t == u:
		return u
	case u == "":
		return t
	}
	return ReadWrite
}

// Range is a key range with etcd's conventions: [Key, End) where End "" means
// the single key Key and End "\x00" means every key from Key on. A prefix p is
// the range [p, PrefixEnd(p)); etcdctl's `--prefix ""` (every key) is
// ["\x00", "\x00"). Keys are raw bytes held in strings.
type Range struct {
	Key string `json:"key"`
	End string `json:"rangeEnd,omitempty"`
}

// NoEnd is the range end meaning "every key from Key on" (etcdctl --from-key).
const NoEnd = "\x00"

// SingleKey is the range of one key.
func SingleKey(key string) Range { return Range{Key: key} }

// Prefix is the range of every key starting with p; Prefix("") is every key.
func Prefix(p string) Range {
	if p == "" {
		return Range{Key: NoEnd, End: NoEnd}
	}
	return Range{Key: p, End: PrefixEnd(p)}
}

// FromKey is every key from key on; FromKey("") is every key.
func FromKey(key string) Range {
	if key == "" {
		key = NoEnd
	}
	return Range{Key: key, End: NoEnd}
}

// Between is [key, end), as etcdctl's `get KEY END` or `grant-permission ROLE
// TYPE KEY END`.
func Between(key, end string) Range { return Range{Key: key, End: end} }

// PrefixEnd is the first key after every key starting with p, as
// clientv3.GetPrefixRangeEnd computes it: p with its last byte below 0xff
// incremented and the rest dropped; NoEnd when p is all 0xff bytes.
func PrefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return NoEnd
}

// IsKey reports whether r is a single key.
func (r Range) IsKey() bool { return r.End == "" }

// Valid reports why r is not a range etcd 3.5+ accepts for a permission or
// a request ("" when it is): a key is needed and the end must sort after it.
// etcd 3.4 stores such permissions anyway; they cover nothing.
func (r Range) Valid() error {
	switch {
	case r.Key == "":
		return fmt.Errorf("the key is empty (use prefix \"\" for every key)")
	case r.End == "" || r.End == NoEnd:
		return nil
	case r.End <= r.Key:
		return fmt.Errorf("range end %q does not sort after key %q: the range is empty", r.End, r.Key)
	}
	return nil
}

// Form is how a human writes r: "key", "prefix", "from-key" or "range", with
// the key (the prefix, for "prefix") and, for "range", the end. Every range
// has exactly one form, so printing then parsing gives r back.
func (r Range) Form() (form, key, end string) {
	switch {
	case r.End == "":
		return "key", r.Key, ""
	case r.Key == NoEnd && r.End == NoEnd:
		return "prefix", "", ""
	case r.End == NoEnd:
		return "from-key", r.Key, ""
	case r.Key != "" && r.End == PrefixEnd(r.Key):
		return "prefix", r.Key, ""
	}
	return "range", r.Key, r.End
}

// String prints r the way a human writes it, keys quoted:
// key "/a", prefix "/a/", range ["/a", "/m"), every key from "/z", every key.
func (r Range) String() string {
	form, key, end := r.Form()
	switch form {
	case "prefix":
		if key == "" {
			return "every key"
		}
		return fmt.Sprintf("prefix %q", key)
	case "from-key":
		return fmt.Sprintf("every key from %q", key)
	case "range":
		return fmt.Sprintf("range [%q, %q)", key, end)
	}
	return fmt.Sprintf("key %q", key)
}

// Perm is one permission of a role: Type on Range.
type Perm struct {
	Type Type
	Range
}

// String is e.g. `readwrite prefix "/app/"`.
func (p Perm) String() string { return string(p.Type) + " " + p.Range.String() }

// Grant is a permission as one of a user's roles holds it.
type Grant struct {
	Role string
	Perm
}

// String is e.g. `app: readwrite prefix "/app/"`.
func (g Grant) String() string { return g.Role + ": " + g.Perm.String() }
