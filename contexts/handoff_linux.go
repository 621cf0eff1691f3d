package contexts

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// memfds puts each material in an anonymous memory file without
// close-on-exec, sealed against changes, and points its path at /dev/fd/N.
// It returns false when memfd is not available, to fall back to a directory.
func (h *Handoff) memfds(mem []pending) (bool, error) {
	for _, m := range mem {
		fd, err := unix.MemfdCreate("etcd-ctx", unix.MFD_ALLOW_SEALING)
		if err != nil {
			h.Close()
			h.files = nil
			return false, nil
		}
		f := os.NewFile(uintptr(fd), "memfd")
		h.files = append(h.files, f)
		if _, err := f.Write(m.mat.PEM); err != nil {
			h.Close()
			return true, fmt.Errorf("memfd: %w", err)
		}
		seals := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE | unix.F_SEAL_SEAL
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
			h.Close()
			return true, fmt.Errorf("memfd seal: %w", err)
		}
		*m.path = fmt.Sprintf("/dev/fd/%d", fd)
	}
	h.InPlace = true
	return true, nil
}
