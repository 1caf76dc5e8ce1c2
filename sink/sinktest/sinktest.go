// Package sinktest helps test sink implementations, built-in or a user's
// own: a Reporter that tallies outcomes and lets a test wait for them, and
// message builders.
package sinktest

import (
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/sink"
)

// Reporter tallies every outcome a sink reports. It fails the test when a
// message is reported with an unknown outcome.
type Reporter[T any] struct {
	mu        sync.Mutex
	changed   chan struct{}
	delivered []sink.Message[T]
	unacked   []sink.Message[T]
	dropped   []sink.Message[T]
	failed    []sink.Message[T]
	errs      []error
}

// NewReporter returns an empty Reporter.
func NewReporter[T any]() *Reporter[T] {
	return &Reporter[T]{changed: make(chan struct{})}
}

// Report implements sink.Reporter.
func (r *Reporter[T]) Report(msgs []sink.Message[T], outcome sink.Outcome, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch outcome {
	case sink.Delivered:
		r.delivered = append(r.delivered, msgs...)
	case sink.Unacknowledged:
		r.unacked = append(r.unacked, msgs...)
	case sink.Dropped:
		r.dropped = append(r.dropped, msgs...)
	case sink.Failed:
		r.failed = append(r.failed, msgs...)
		if err != nil {
			r.errs = append(r.errs, err)
		}
	default:
		panic(fmt.Sprintf("sinktest: unknown outcome %d", outcome))
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// Counts returns how many messages were delivered, dropped and failed.
// Messages sent unacknowledged are in none of them (see Unacknowledged).
func (r *Reporter[T]) Counts() (delivered, dropped, failed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.delivered), len(r.dropped), len(r.failed)
}

// Total is how many messages were reported, whatever their outcome:
// delivered + unacknowledged + dropped + failed.
func (r *Reporter[T]) Total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total()
}

func (r *Reporter[T]) total() int {
	return len(r.delivered) + len(r.unacked) + len(r.dropped) + len(r.failed)
}

// Delivered returns a copy of the delivered messages in report order.
func (r *Reporter[T]) Delivered() []sink.Message[T] {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sink.Message[T](nil), r.delivered...)
}

// Unacknowledged returns a copy of the messages reported sent without
// acknowledgement, in report order.
func (r *Reporter[T]) Unacknowledged() []sink.Message[T] {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sink.Message[T](nil), r.unacked...)
}

// Failed returns a copy of the failed messages in report order.
func (r *Reporter[T]) Failed() []sink.Message[T] {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sink.Message[T](nil), r.failed...)
}

// Errors returns the errors reported with failed messages.
func (r *Reporter[T]) Errors() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

// WaitFor waits until cond (called with the lock held, on the current
// counts) is true, failing the test after timeout.
func (r *Reporter[T]) WaitFor(t testing.TB, timeout time.Duration, what string, cond func(delivered, dropped, failed int) bool) {
	t.Helper()
	r.wait(t, timeout, what, func() bool { return cond(len(r.delivered), len(r.dropped), len(r.failed)) })
}

// wait waits until cond, called with the lock held, is true.
func (r *Reporter[T]) wait(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok := cond()
		d, u, dr, f := len(r.delivered), len(r.unacked), len(r.dropped), len(r.failed)
		ch := r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("sinktest: timed out after %v waiting for %s (delivered=%d unacknowledged=%d dropped=%d failed=%d)", timeout, what, d, u, dr, f)
		}
	}
}

// WaitTotal waits until n messages have been reported, whatever their
// outcome.
func (r *Reporter[T]) WaitTotal(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	r.wait(t, timeout, fmt.Sprintf("%d reported messages", n), func() bool { return r.total() >= n })
}

// WaitDelivered waits until n messages have been delivered.
func (r *Reporter[T]) WaitDelivered(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	r.WaitFor(t, timeout, fmt.Sprintf("%d delivered messages", n), func(d, _, _ int) bool { return d >= n })
}

// WaitUnacknowledged waits until n messages have been reported sent
// without acknowledgement.
func (r *Reporter[T]) WaitUnacknowledged(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	r.wait(t, timeout, fmt.Sprintf("%d unacknowledged messages", n), func() bool { return len(r.unacked) >= n })
}

// Env returns an Env that reports to r and logs through t.
func Env[T any](t testing.TB, r *Reporter[T]) sink.Env[T] {
	return sink.Env[T]{
		Logger:   slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Reporter: r,
		Instance: "test-instance",
	}.WithDefaults()
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}

// Messages builds n JSON messages whose Event is their index and whose
// Value is {"seq":i,"type":"test_event"}.
func Messages(first, n int) []sink.Message[int] {
	out := make([]sink.Message[int], n)
	now := time.Now()
	for i := range out {
		seq := first + i
		out[i] = sink.Message[int]{
			Event: seq,
			Type:  "test_event",
			Key:   []byte("test-instance"),
			Value: fmt.Appendf(nil, `{"seq":%d,"type":"test_event"}`, seq),
			Time:  now,
		}
	}
	return out
}

// Releases is an Env.Release for tests: it counts each message's
// releases by Event, then overwrites the value as the recorder's reuse of
// its memory would, so that a read of a value after its release shows as
// corrupt bytes, and under -race as a data race.
type Releases struct {
	mu sync.Mutex
	n  map[int]int
}

// NewReleases returns an empty Releases.
func NewReleases() *Releases { return &Releases{n: map[int]int{}} }

// Release is the Env.Release.
func (r *Releases) Release(msgs []sink.Message[int]) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range msgs {
		r.n[m.Event]++
		for i := range m.Value {
			m.Value[i] = 'X'
		}
	}
}

// Check fails t unless exactly the events first to first+n-1 were
// released, each once.
func (r *Releases) Check(t testing.TB, first, n int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	wrong := 0
	for i := first; i < first+n; i++ {
		if r.n[i] != 1 && wrong < 5 {
			t.Errorf("event %d released %d times, want once", i, r.n[i])
			wrong++
		}
	}
	if len(r.n) != n {
		t.Errorf("%d events released, want %d", len(r.n), n)
	}
}
