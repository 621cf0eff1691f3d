// Package words is how the suite writes lists in its messages, the same
// everywhere: in findings, tables and hints.
package words

import "strings"

// None is what an empty list reads as.
const None = "(none)"

// List joins items with ", ", or says None when there are none.
func List(items []string) string {
	if len(items) == 0 {
		return None
	}
	return strings.Join(items, ", ")
}

// Or is s, or None when it is empty.
func Or(s string) string {
	if s == "" {
		return None
	}
	return s
}
