//go:build unix

package file

import (
	"os"
	"syscall"
)

// linked reports whether the file still has a name somewhere (it was
// renamed, not removed).
func linked(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Nlink > 0
}
