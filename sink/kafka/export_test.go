package kafka

import (
	"runtime"
	"testing"
	"time"
)

// UseTestTimings shortens backoffs so that reconnection and retries take
// milliseconds. Call it from TestMain, before any sink is built.
func UseTestTimings() {
	timings.connectMin = 10 * time.Millisecond
	timings.connectMax = 100 * time.Millisecond
	timings.retryBackoff = 10 * time.Millisecond
	timings.metadataBackoff = 10 * time.Millisecond
	timings.dialTimeout = 2 * time.Second
}

// Classify exposes classify.
var Classify = classify

// WaitStopped waits until every goroutine of s (and of its sarama
// producer) has ended, so that a test proves Close leaves nothing behind.
func (s *Sink[T]) WaitStopped(t testing.TB, timeout time.Duration) {
	t.Helper()
	select {
	case <-s.stopped:
	case <-time.After(timeout):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%s: goroutines still running %v after Close:\n%s", s.name, timeout, buf)
	}
}

// NilRegistry is the go-metrics registry the sink gives sarama, for
// benchmarks that drive sarama directly.
var NilRegistry = nilRegistry{}

// Buffered is how many messages wait in s's local buffer.
func (s *Sink[T]) Buffered() int { return s.buf.len() }
