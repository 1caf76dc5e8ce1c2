package file

import (
	"os"
	"time"
)

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
