//go:build !((dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd)

package contexts

// getMany has no batch read on this OS (macOS's security tool and Windows'
// Credential Manager read one item per call): GetMany reads each item.
func (k *OSKeyring) getMany([]string) (map[string]string, error) {
	return map[string]string{}, nil
}
