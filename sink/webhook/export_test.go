package webhook

import "time"

// SetLogInterval changes how often the sink logs failures and drops, so
// that a test knows exactly how many lines a run writes.
func (s *Sink[T]) SetLogInterval(d time.Duration) {
	s.failures.SetInterval(d)
	s.drops.SetInterval(d)
}
