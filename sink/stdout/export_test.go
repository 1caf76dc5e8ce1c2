package stdout

import "time"

// SetStall changes how long s's Deliver waits for a write.
func SetStall[T any](s *Sink[T], d time.Duration) { s.lw.Stall = d }
