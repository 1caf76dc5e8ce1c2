package sink

import "sync/atomic"

// Lines is a batch's values already laid out the way a line sink writes
// them: a newline, then every value followed by a newline. The recorder
// encodes a batch that way once per encoding, and every line output that
// takes the whole batch writes those bytes instead of copying each value
// into a buffer of its own: with ten file outputs the copies were a third
// of the consumer's CPU.
//
// The bytes are read-only. A sink that still needs them after its Deliver
// returns (a write that has not returned yet, which it stopped waiting
// for) holds them with Hold and gives them back with Release once it is
// done; the recorder encodes the next batch into them only when nothing
// holds them, so a write stuck in the kernel never sees them change and
// pins this one buffer, as its own buffer would be pinned.
type Lines struct {
	b    []byte
	held atomic.Int32
}

// NewLines wraps b, which must hold a newline, then each value of the
// batch followed by a newline.
func NewLines(b []byte) *Lines { return &Lines{b: b} }

// Bytes returns the buffer.
func (l *Lines) Bytes() []byte { return l.b }

// Hold marks the bytes as in use until the matching Release.
func (l *Lines) Hold() { l.held.Add(1) }

// Release ends one Hold.
func (l *Lines) Release() { l.held.Add(-1) }

// Held reports whether some sink still uses the bytes.
func (l *Lines) Held() bool { return l.held.Load() != 0 }

// LinesDeliverer is implemented by sinks that write a batch as lines
// (file, stdout): DeliverLines is Deliver for a batch whose values, in
// order, are exactly what lines holds (see Lines).
type LinesDeliverer[T any] interface {
	DeliverLines(batch []Message[T], lines *Lines)
}
