//go:build windows

package contexts

import (
	"os"

	"golang.org/x/sys/windows"
)

func processAlive(pid int) bool {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return false
	}
	windows.CloseHandle(h)
	return true
}

// ownedByMe: %TEMP% is already per-user on Windows.
func ownedByMe(os.FileInfo) bool { return true }
