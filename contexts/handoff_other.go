//go:build !linux

package contexts

// memfds is Linux-only; elsewhere the private directory is used.
func (h *Handoff) memfds([]pending) (bool, error) { return false, nil }
