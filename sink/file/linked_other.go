//go:build !unix

package file

import "os"

// openFlags: elsewhere there are no FIFOs to open non-blocking.
const openFlags = 0

func isNoReader(error) bool { return false }

// linked cannot tell a renamed file from a removed one here, so it says
// removed: the output then creates the new file at once, which may race a
// rotation tool but does not write into a file nobody can read.
func linked(os.FileInfo) bool { return false }
