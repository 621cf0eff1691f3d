package rbac

import (
	"fmt"
	"slices"
	"strings"
)

// RootRole is the role whose holders may do anything; RootUser is the user
// etcd requires (with RootRole) before it enables auth.
const (
	RootRole = "root"
	RootUser = "root"
)

// Request is a key-value operation as etcd checks it: Op is Read (Range) or
// Write (Put, DeleteRange) on a single key or a range.
type Request struct {
	Op Type
	Range
}

// String is e.g. `read prefix "/a/"`.
func (q Request) String() string { return string(q.Op) + " " + q.Range.String() }

// Verdict is etcd's answer to a request for one user, with its reasons.
type Verdict struct {
	Allowed bool
	// Root: allowed because the user holds the root role.
	Root bool
	// Grants are the permissions that allow the request: for a single key each
	// one covers it; for a range, their union covers it. On a denied range
	// request they are the permissions that cover part of it.
	Grants []Grant
	// Missing are the parts of the request no permission of the right type
	// covers (empty when allowed).
	Missing []Range
	// Rule is etcd's rule that decided, in words.
	Rule string
}

// Roles are the roles of v.Grants, sorted and without repeats.
func (v Verdict) Roles() []string {
	var roles []string
	for _, g := range v.Grants {
		roles = append(roles, g.Role)
	}
	slices.Sort(roles)
	return slices.Compact(roles)
}

// Rule texts.
const (
	RuleRoot = "holders of the root role may do anything"
	RuleKey  = "a single key needs one permission covering it"
)

// RuleRange is the rule for a range request of type op.
func RuleRange(op Type) string {
	return fmt.Sprintf("a range %s needs its whole range covered by the union of the user's %s permissions", op, op)
}

// Check applies etcd's rules (server/auth/range_perm_cache.go, identical in
// 3.4 to 3.7) to a user holding roles with the permissions grants:
//   - a holder of the root role may do anything;
//   - a single key is allowed when one permission of the right type contains
//     it (a single-key permission contains only its own key);
//   - a range [key, end) is allowed when the union of the permissions of the
//     right type covers it entirely; etcd merges them across roles and
//     adjacent ranges join up. A single-key permission is the range
//     [key, key+"\x00"), so it never covers a prefix or a longer range.
//
// Read permissions are read and readwrite; write permissions are write and
// readwrite. Permissions etcd 3.4 stores but 3.5+ refuses (an empty key, an
// end before the key) cover nothing.
func Check(roles []string, grants []Grant, q Request) Verdict {
	if slices.Contains(roles, RootRole) {
		return Verdict{Allowed: true, Root: true, Rule: RuleRoot}
	}
	var ivs []interval
	for _, g := range grants {
		if !g.Type.Allows(q.Op) {
			continue
		}
		if iv := toInterval(g.Range); iv.valid() {
			iv.grant = g
			ivs = append(ivs, iv)
		}
	}
	if q.IsKey() {
		v := Verdict{Rule: RuleKey}
		for _, iv := range ivs {
			if iv.containsKey(q.Key) {
				v.Grants = append(v.Grants, iv.grant)
			}
		}
		v.Allowed = len(v.Grants) > 0
		if !v.Allowed {
			v.Missing = []Range{q.Range}
		}
		return v
	}
	v := Verdict{Rule: RuleRange(q.Op)}
	want := toInterval(q.Range)
	slices.SortStableFunc(ivs, func(a, b interval) int { return cmpBound(a.begin, b.begin) })
	reached := want.begin // everything in [want.begin, reached) is covered
	for _, iv := range ivs {
		if !iv.overlaps(want) {
			continue
		}
		v.Grants = append(v.Grants, iv.grant)
		if cmpBound(iv.begin, reached) > 0 {
			v.Missing = append(v.Missing, fromBounds(reached, iv.begin))
		}
		if cmpBound(iv.end, reached) > 0 {
			reached = iv.end
		}
	}
	if cmpBound(reached, want.end) < 0 {
		v.Missing = append(v.Missing, fromBounds(reached, want.end))
	}
	v.Allowed = len(v.Missing) == 0
	return v
}

// interval is a range as etcd's interval tree holds it
// (adt.BytesAffineComparable): an empty bound is greater than every key.
type interval struct {
	begin, end string
	grant      Grant
}

func toInterval(r Range) interval {
	switch r.End {
	case "":
		return interval{begin: r.Key, end: r.Key + "\x00"}
	case NoEnd:
		return interval{begin: r.Key, end: ""}
	}
	return interval{begin: r.Key, end: r.End}
}

// cmpBound compares bounds with "" as infinity.
func cmpBound(a, b string) int {
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	return strings.Compare(a, b)
}

func (iv interval) valid() bool { return iv.begin != "" && cmpBound(iv.begin, iv.end) < 0 }

func (iv interval) containsKey(k string) bool {
	return cmpBound(iv.begin, k) <= 0 && cmpBound(k, iv.end) < 0
}

func (iv interval) overlaps(o interval) bool {
	return cmpBound(iv.begin, o.end) < 0 && cmpBound(o.begin, iv.end) < 0
}

// fromBounds turns [begin, end) back into a Range ("" end is NoEnd; an end
// just after begin is the single key).
func fromBounds(begin, end string) Range {
	switch end {
	case "":
		return Range{Key: begin, End: NoEnd}
	case begin + "\x00":
		return Range{Key: begin}
	}
	return Range{Key: begin, End: end}
}
