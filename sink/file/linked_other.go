//go:build !unix

package file

import "os"

// linked cannot tell a renamed file from a removed one here, so it says
// removed: the output then creates the new file at once, which may race a
// rotation tool but does not write into a file nobody can read.
func linked(os.FileInfo) bool { return false }
