package lines

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventrecorder/eventrecorder/sink"
)

// StallTimeout is how long Deliver waits for one write. A write(2) to a
// FIFO or pipe whose reader stopped reading, to a hung NFS mount or to a
// terminal on hold does not return, and the recorder delivers to every
// output from one goroutine: waiting longer would stall every other
// output. Five seconds is far beyond what a working disk takes for one
// batch, even with fsync.
const StallTimeout = 5 * time.Second

// ErrStalled is the cause reported for lines not written because a write
// did not return in time.
var ErrStalled = errors.New("write blocked")

// Writer runs the writes of a line sink on a goroutine of the sink's own,
// so that a write the kernel does not complete holds up that goroutine
// and not the caller. Deliver joins the batch into a buffer of its own,
// hands it to the goroutine, and waits for the outcome at most
// StallTimeout, or until Stop: it then reports the batch failed and
// returns, and while that write is still stuck later batches fail at
// once rather than wait again. Deliver therefore keeps the Synchronous
// contract: it reports every message before it returns and keeps no
// reference to the values.
//
// The goroutine receives buffers from Jobs, writes them (skipping the
// leading newline unless it ends a fragment, see Lead) and answers each
// with Finish; it ends when Stopping is closed.
type Writer[T any] struct {
	rep    sink.Reporter[T]
	what   string // the destination, for errors: "stdout", "/var/log/events.jsonl"
	closed error  // reported for batches delivered after Stop
	// Stall is StallTimeout; tests shorten it.
	Stall time.Duration

	jobs    chan []byte
	results chan result
	stop    chan struct{}
	once    sync.Once
	// shared is the recorder's buffer the job in flight writes from, if
	// it is one (see DeliverLines): held until Finish, so that a write
	// that outlives Deliver keeps it from being reused.
	shared atomic.Pointer[sink.Lines]

	mu      sync.Mutex // serialises Deliver; guards the fields below
	buf     []byte
	timer   *time.Timer // reused by every Deliver, so that waiting allocates nothing
	pending string      // what the goroutine is busy with, result unread; "" when idle
	since   time.Time   // when it started
}

type result struct {
	n, prefix int
	err       error
}

// NewWriter returns a Writer reporting to rep. what names the destination
// in errors; closed is the error for batches delivered after Stop.
func NewWriter[T any](rep sink.Reporter[T], what string, closed error) *Writer[T] {
	return &Writer[T]{
		rep:     rep,
		what:    what,
		closed:  closed,
		Stall:   StallTimeout,
		jobs:    make(chan []byte, 1),
		results: make(chan result, 1),
		stop:    make(chan struct{}),
	}
}

// Jobs delivers the buffers to write to the sink's goroutine.
func (w *Writer[T]) Jobs() <-chan []byte { return w.jobs }

// Finish answers the last job: n bytes of the buffer Lead returned, with
// that prefix, were written, and err stopped the rest.
func (w *Writer[T]) Finish(n, prefix int, err error) {
	if l := w.shared.Swap(nil); l != nil {
		l.Release()
	}
	w.results <- result{n: n, prefix: prefix, err: err}
}

// Begin marks the goroutine busy with work of its own before its first
// job (what, such as "opening the file"), so that Deliver does not wait
// on it. Finish ends it like a job; its result is only read by WaitBegun
// or discarded.
func (w *Writer[T]) Begin(what string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending, w.since = what, time.Now()
}

// WaitBegun waits at most d for the work Begin announced and returns its
// error; done is false if it is still running.
func (w *Writer[T]) WaitBegun(d time.Duration) (done bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case r := <-w.results:
		w.pending = ""
		return true, r.err
	case <-t.C:
		return false, nil
	}
}

// Stopping is closed by Stop: the goroutine should end.
func (w *Writer[T]) Stopping() <-chan struct{} { return w.stop }

// Stop makes a Deliver that is waiting return, reporting its batch
// failed, and every later Deliver fail at once.
func (w *Writer[T]) Stop() { w.once.Do(func() { close(w.stop) }) }

func (w *Writer[T]) stopped() bool {
	select {
	case <-w.stop:
		return true
	default:
		return false
	}
}

// Deliver writes the batch through the goroutine and reports it: the
// lines that were written whole delivered, the rest failed.
func (w *Writer[T]) Deliver(batch []sink.Message[T]) { w.deliver(batch, nil) }

// DeliverLines is Deliver for a batch the recorder has laid out as lines
// already (see sink.Lines): it writes those bytes rather than joining the
// values into its own buffer.
func (w *Writer[T]) DeliverLines(batch []sink.Message[T], l *sink.Lines) { w.deliver(batch, l) }

func (w *Writer[T]) deliver(batch []sink.Message[T], shared *sink.Lines) {
	if len(batch) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped() {
		w.rep.Report(batch, sink.Failed, w.closed)
		return
	}
	if w.pending != "" {
		select {
		case <-w.results:
			// The stuck call returned; a batch it held was reported
			// when it stalled.
			w.pending = ""
		default:
			w.rep.Report(batch, sink.Failed, fmt.Errorf("write %s: not attempted: %s has been blocked for %v: %w",
				w.what, w.pending, time.Since(w.since).Round(time.Millisecond), ErrStalled))
			return
		}
	}
	var buf []byte
	if shared != nil {
		buf = shared.Bytes()
		shared.Hold()
		w.shared.Store(shared)
	} else {
		buf = join(&w.buf, batch)
	}
	w.jobs <- buf // never blocks: the goroutine has taken every earlier job
	w.pending, w.since = "the previous write", time.Now()
	if w.timer == nil {
		w.timer = time.NewTimer(w.Stall)
	} else {
		w.timer.Reset(w.Stall)
	}
	defer w.timer.Stop()
	select {
	case r := <-w.results:
		w.pending = ""
		Report(w.rep, batch, Whole(batch, r.prefix, r.n), r.err)
	case <-w.timer.C:
		w.rep.Report(batch, sink.Failed, fmt.Errorf("write %s: did not return within %v, and may still land in part: %w", w.what, w.Stall, ErrStalled))
	case <-w.stop:
		w.rep.Report(batch, sink.Failed, fmt.Errorf("write %s: still blocked when the output closed: %w", w.what, ErrStalled))
	}
}

// join is Join with room for a leading newline, which Lead keeps or
// skips once the goroutine knows whether it ends a fragment.
func join[T any](keep *[]byte, batch []sink.Message[T]) []byte {
	out, _ := Join(keep, batch, true)
	return out
}

// Lead returns the bytes of a job to write: with its leading newline when
// that ends a fragment a failed write left, without it otherwise, and the
// length of that prefix.
func Lead(job []byte, endFragment bool) (out []byte, prefix int) {
	if endFragment {
		return job, 1
	}
	return job[1:], 0
}
