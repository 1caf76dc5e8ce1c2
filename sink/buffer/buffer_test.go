package buffer_test

import (
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/eventrecorder/eventrecorder/internal/testtool"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/buffer"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

// hook is a webhook output configuration for rc that gives up on an
// event fast (one attempt), so that the buffer's own retrying is what
// outlives an outage.
func hook(t *testing.T, rc *receiver, b buffer.Config) webhook.Config {
	t.Helper()
	u, err := webhook.ParseURL(rc.srv.URL + "/hook")
	if err != nil {
		t.Fatal(err)
	}
	return webhook.Config{URL: u, MaxRetries: 1, RetryBackoff: model.Duration(time.Millisecond),
		QueueSize: 16, Workers: 4, Buffer: b}
}

func newOutput(t *testing.T, cfg webhook.Config, r sink.Reporter[int]) sink.Sink[int] {
	t.Helper()
	s, err := webhook.Kind[int]().New(cfg, env(t, r, nil))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func events(msgs []sink.Message[int]) []int {
	out := make([]int, len(msgs))
	for i, m := range msgs {
		out[i] = m.Event
	}
	slices.Sort(out)
	return out
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// An outage far longer than the webhook's retries and far more events
// than its queue: with a memory buffer every event is delivered once the
// receiver is back, none dropped or failed, each reported once with the
// caller's Event.
func TestMemoryBufferOutlivesOutage(t *testing.T) {
	rc := newReceiver(t, true)
	r := newTally()
	s := newOutput(t, hook(t, rc, buffer.Config{Type: buffer.TypeMemory, MaxBytes: 4 << 20}), r)
	defer s.Close()
	const n = 2000
	for i := 0; i < n; i += 100 {
		s.Deliver(messages(i, 100))
	}
	if st := s.(sink.Buffered).BufferStats(); st.Events != n {
		t.Fatalf("buffer holds %d events, want %d", st.Events, n)
	}
	// The webhook fails what it tries while the receiver is down; the
	// buffer keeps and retries it, reporting nothing.
	testtool.WaitFor(t, "the webhook to have tried", waitTimeout, time.Millisecond, func() bool {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		return rc.refused > 100
	})
	if got := r.total(); got != 0 {
		t.Fatalf("%d outcomes reported during the outage, want none", got)
	}
	rc.answer(0)
	r.wait(t, "every event delivered", func() bool { return r.count(sink.Delivered) == n })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := events(r.msgs(sink.Delivered)); !slices.Equal(got, seq(n)) {
		t.Fatalf("delivered events are not 0..%d exactly once (%d reported)", n-1, len(got))
	}
	if r.total() != n {
		t.Fatalf("%d outcomes for %d events", r.total(), n)
	}
	if rc.distinct() != n {
		t.Fatalf("receiver has %d distinct events, want %d", rc.distinct(), n)
	}
	if st := s.(sink.Buffered).BufferStats(); st.Events != 0 || st.Bytes != 0 {
		t.Fatalf("buffer holds %+v after delivering everything", st)
	}
}

// A full buffer with drop_newest drops exactly the events that do not
// fit, reporting each once; the rest fail at Close (a memory buffer
// keeps nothing across Close).
func TestDropNewestCountsExactly(t *testing.T) {
	rc := newReceiver(t, true)
	r := newTally()
	const maxBytes = buffer.MinMaxBytes
	s := newOutput(t, hook(t, rc, buffer.Config{MaxBytes: maxBytes}), r)
	msgs := messages(0, 5000)
	// Records differ in size with the digits of seq: count what fits.
	fit, used := 0, 0
	for i := range msgs {
		if used+buffer.RecordSize(msgs[i]) > maxBytes {
			break
		}
		used += buffer.RecordSize(msgs[i])
		fit++
	}
	for i := 0; i < len(msgs); i += 250 {
		s.Deliver(msgs[i : i+250])
	}
	if got, want := r.count(sink.Dropped), len(msgs)-fit; got != want {
		t.Fatalf("dropped %d, want %d (%d fit in %d bytes)", got, want, fit, maxBytes)
	}
	if got := events(r.msgs(sink.Dropped)); !slices.Equal(got, seq(len(msgs))[fit:]) {
		t.Fatalf("dropped events are not the newest %d", len(msgs)-fit)
	}
	if st := s.(sink.Buffered).BufferStats(); st.Events != int64(fit) || st.Bytes != int64(used) {
		t.Fatalf("buffer stats %+v, want %d events of %d bytes", st, fit, used)
	}
	err := s.Close()
	if err == nil {
		t.Fatal("Close with events still in a memory buffer returned no error")
	}
	if got := events(r.msgs(sink.Failed)); !slices.Equal(got, seq(fit)) {
		t.Fatalf("failed at close %d events, want the %d held", len(got), fit)
	}
	if r.total() != len(msgs) || r.count(sink.Delivered) != 0 {
		t.Fatalf("%d outcomes (%d delivered) for %d events", r.total(), r.count(sink.Delivered), len(msgs))
	}
}

// when_full: block holds Deliver until there is room; Close ends the
// wait, and the event that was waiting is dropped, counted once.
func TestBlockWaitsUntilClose(t *testing.T) {
	rc := newReceiver(t, true)
	r := newTally()
	s := newOutput(t, hook(t, rc, buffer.Config{MaxBytes: buffer.MinMaxBytes, WhenFull: buffer.Block}), r)
	msgs := messages(0, 5000)
	var wg sync.WaitGroup
	wg.Add(1)
	returned := make(chan struct{})
	go func() {
		defer wg.Done()
		defer close(returned)
		s.Deliver(msgs)
	}()
	b := s.(sink.Buffered)
	// Nothing is reported while the buffer fills: poll its stats.
	testtool.WaitFor(t, "the buffer to fill", waitTimeout, time.Millisecond, func() bool {
		return b.BufferStats().Bytes > buffer.MinMaxBytes-int64(buffer.RecordSize(msgs[len(msgs)-1]))
	})
	select {
	case <-returned:
		t.Fatal("Deliver returned with the buffer full and when_full: block")
	default:
	}
	if r.count(sink.Dropped) != 0 {
		t.Fatalf("block dropped %d events before Close", r.count(sink.Dropped))
	}
	_ = s.Close()
	wg.Wait()
	if r.total() != len(msgs) {
		t.Fatalf("%d outcomes for %d events", r.total(), len(msgs))
	}
	if r.count(sink.Failed)+r.count(sink.Dropped) != len(msgs) {
		t.Fatalf("failed %d + dropped %d, want %d", r.count(sink.Failed), r.count(sink.Dropped), len(msgs))
	}
}

// A receiver's refusal (400) is final: the event leaves the buffer as
// Failed after one attempt instead of being retried for ever.
func TestPermanentFailureIsNotRetried(t *testing.T) {
	rc := newReceiver(t, false)
	rc.answer(http.StatusBadRequest)
	r := newTally()
	s := newOutput(t, hook(t, rc, buffer.Config{MaxBytes: 1 << 20}), r)
	defer s.Close()
	s.Deliver(messages(0, 10))
	r.wait(t, "10 failed", func() bool { return r.count(sink.Failed) == 10 })
	var de *webhook.DeliveryError
	r.mu.Lock()
	err := r.errs[0]
	r.mu.Unlock()
	if !errors.As(err, &de) || de.StatusCode != http.StatusBadRequest {
		t.Fatalf("failure %v, want the receiver's 400", err)
	}
	if st := s.(sink.Buffered).BufferStats(); st.Events != 0 {
		t.Fatalf("buffer still holds %d refused events", st.Events)
	}
}

// A zero buffer block is the output as it was: no decorator.
func TestZeroConfigIsNoBuffer(t *testing.T) {
	rc := newReceiver(t, false)
	r := newTally()
	for _, b := range []buffer.Config{{}, {Type: buffer.TypeMemory}} {
		s := newOutput(t, hook(t, rc, b), r)
		if _, ok := s.(*webhook.Sink[int]); !ok {
			t.Errorf("buffer %+v: output is %T, want the webhook sink itself", b, s)
		}
		_ = s.Close()
	}
}
