package file

import (
	"os"
	"time"

	"github.com/eventrecorder/eventrecorder/sink/internal/lines"
)

// StallTimeout is how long Deliver and New wait for the goroutine.
const StallTimeout = lines.StallTimeout

// SetHooks replaces the write and fsync calls of s, wrapping the real ones
// so that tests can count them and inject failures.
func SetHooks[T any](s *Sink[T], write func(f *os.File, b []byte) (int, error), sync func(f *os.File) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if write != nil {
		s.write = write
	}
	if sync != nil {
		s.sync = sync
	}
}

// SetRenameGrace changes how long s appends to a renamed file before
// creating a new one.
func SetRenameGrace[T any](s *Sink[T], d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grace = d
}

// SetStall changes how long s's Deliver waits for a write.
func SetStall[T any](s *Sink[T], d time.Duration) { s.w.Stall = d }

// SetOpenFile replaces the open call of every output until restore is
// called.
func SetOpenFile(open func(name string, flag int, perm os.FileMode) (*os.File, error)) (restore func()) {
	openFile = open
	return func() { openFile = os.OpenFile }
}
