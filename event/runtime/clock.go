package runtime

import (
	"sync/atomic"
	"time"
)

// reanchorEvery bounds how long timestamps follow the monotonic clock
// before wallClock reads the wall clock again.
const reanchorEvery = 100 * time.Millisecond

// wallClock timestamps events on the hot path at the cost of one clock
// read instead of time.Now's two (wall and monotonic, each a paravirtual
// clock read on a VM). It reads the monotonic clock and adds the elapsed
// time to a wall-clock anchor taken with time.Now. Linux slews both clocks
// alike, so they part only when the wall clock is stepped (by hand, or by
// NTP correcting a large offset) or the machine resumes from suspend; the
// anchor is renewed every reanchorEvery, so such a jump shows in event
// timestamps within that time. In exchange, timestamps between renewals
// never go backwards.
type wallClock struct {
	anchor atomic.Pointer[clockAnchor]
}

type clockAnchor struct {
	mono time.Time // carries the monotonic reading
	wall int64     // the same instant, Unix nanoseconds
}

// now returns the current wall-clock time in Unix nanoseconds.
func (c *wallClock) now() int64 {
	if a := c.anchor.Load(); a != nil {
		if d := time.Since(a.mono); d >= 0 && d < reanchorEvery {
			return a.wall + int64(d)
		}
	}
	t := time.Now()
	c.anchor.Store(&clockAnchor{mono: t, wall: t.UnixNano()})
	return t.UnixNano()
}
