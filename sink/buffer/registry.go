package buffer

import (
	"sync"

	"github.com/eventrecorder/eventrecorder/sink"
)

// dirs is the process's open disk buffer directories and the output that
// holds each. The disk store's flock keeps other processes out; a flock
// does not conflict with one the same process holds through another file
// descriptor on every platform, and a clear error naming the other
// output beats a lock error, so outputs of one process check here first.
var dirs = struct {
	sync.Mutex
	owner map[string]string
}{owner: map[string]string{}}

// claimDir records that output name holds dir, or returns an error at
// buffer.path naming the output that already does.
func claimDir(dir, written, name string) error {
	dirs.Lock()
	defer dirs.Unlock()
	if other, ok := dirs.owner[dir]; ok {
		return sink.Errorf("buffer.path", "%q is the buffer directory of output %s, which is still open; two outputs cannot share one", written, other)
	}
	dirs.owner[dir] = name
	return nil
}

func releaseDir(dir string) {
	dirs.Lock()
	defer dirs.Unlock()
	delete(dirs.owner, dir)
}
