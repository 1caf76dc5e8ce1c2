//go:build unix

package file

import (
	"errors"
	"os"
	"syscall"
)

// openFlags opens the path non-blocking, which matters for a FIFO only:
// without a reader the open fails (ENXIO) instead of waiting for one, and
// with one its writes go through the runtime's poller, so that closing
// the file ends a write that is stuck. Regular files ignore the flag.
const openFlags = syscall.O_NONBLOCK

func isNoReader(err error) bool { return errors.Is(err, syscall.ENXIO) }

// linked reports whether the file still has a name somewhere (it was
// renamed, not removed).
func linked(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Nlink > 0
}
