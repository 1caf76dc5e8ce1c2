package buffer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventrecorder/eventrecorder/sink"
)

// Metric names (under the recorder's namespace), labelled by output.
const (
	EventsMetric   = "event_output_buffer_events"
	BytesMetric    = "event_output_buffer_bytes"
	ReplayedMetric = "event_output_buffer_replayed_records_total"
	CorruptMetric  = "event_output_buffer_corrupt_records_total"
)

// ErrClosed is the cause of events failed because the buffer closed:
// handed to Deliver after Close, or held by a memory buffer at Close.
var ErrClosed = errors.New("output buffer closed")

// MaxInFlightBytes bounds the bytes of the records handed to the inner
// sink and not yet reported, whatever Options.InFlight allows.
const MaxInFlightBytes = 16 << 20

// DefaultInFlight is Options.InFlight when unset.
const DefaultInFlight = 256

// Retry backoff for events the inner sink failed for a reason that may
// pass (a destination down) or dropped (its own queue full).
const (
	minRetryBackoff = 100 * time.Millisecond
	maxRetryBackoff = 5 * time.Second
)

// Options describe the inner sink to Wrap.
type Options struct {
	// InFlight bounds the records handed to the inner sink and not yet
	// reported (default DefaultInFlight). Set it at most to the inner
	// sink's own queue, so that the inner sink never has to drop; it is
	// also the most records a crash can deliver twice.
	InFlight int
	// Permanent reports whether the error of a Failed outcome is final,
	// a destination that refused the event rather than one that could
	// not be reached: the record then leaves the buffer, reported
	// Failed. Any other failure, and a Dropped from the inner sink, is
	// retried (with backoff) until the output closes, since outliving an
	// outage is what the buffer is for. Nil means no failure is
	// permanent.
	Permanent func(err error) bool
}

// Wrap builds the output build makes, behind the buffer cfg configures.
// With a zero (or memory-only) cfg it is build(env): the output as it was
// without buffers. build is given an Env whose Reporter is the buffer and
// whose CloseTimeout is the part of env's the buffer leaves it.
//
// cfg must have been validated (Validate fills its defaults).
func Wrap[T any](cfg Config, env sink.Env[T], opts Options, build func(sink.Env[T]) (sink.Sink[T], error)) (sink.Sink[T], error) {
	if !cfg.Enabled() {
		return build(env)
	}
	if err := cfg.Validate(); err != nil {
		return nil, sink.AtPath("buffer", err)
	}
	env = env.WithDefaults()
	if opts.InFlight <= 0 {
		opts.InFlight = DefaultInFlight
	}
	s := &Sink[T]{
		cfg:       cfg,
		env:       env,
		opts:      opts,
		flight:    map[*byte]*entry[T]{},
		wake:      make(chan struct{}),
		pumpDone:  make(chan struct{}),
		ackCh:     make(chan struct{}, 1),
		ackerDone: make(chan struct{}),
		backoff:   minRetryBackoff,
		permanent: opts.Permanent,
	}
	if s.permanent == nil {
		s.permanent = func(error) bool { return false }
	}
	s.pushCtx, s.stopPush = context.WithCancelCause(context.Background())
	s.ctx, s.cancel = context.WithCancel(context.Background())
	innerEnv := env
	innerEnv.Reporter = innerReporter[T]{s}
	// The buffer keeps values after the inner sink is done with them
	// (retries, the disk), so the inner sink must not give them back.
	innerEnv.Release = nil
	innerEnv.CloseTimeout = max(env.CloseTimeout*2/5, 1)
	inner, err := build(innerEnv)
	if err != nil {
		return nil, err
	}
	s.inner = inner
	s.name = inner.Name()
	fail := func(err error) (sink.Sink[T], error) {
		_ = inner.Close()
		return nil, err
	}
	switch cfg.Type {
	case TypeDisk:
		s.dir = CanonicalDir(cfg.Path)
		if err := claimDir(s.dir, cfg.Path, s.name); err != nil {
			return fail(err)
		}
		st, err := openDisk[T](s.dir, cfg, env.Logger.With("output", s.name))
		if err != nil {
			releaseDir(s.dir)
			return fail(sink.Errorf("buffer.path", "%q: %v", cfg.Path, err))
		}
		s.st = st
		s.durable = true
	default:
		s.st = newMemStore[T](int64(cfg.MaxBytes))
	}
	s.events = env.Metrics.GaugeVec(EventsMetric, "Events an output's buffer holds: accepted, not yet reported.", "output").WithLabelValues(s.name)
	s.bytes = env.Metrics.GaugeVec(BytesMetric, "Bytes of the records an output's buffer holds.", "output").WithLabelValues(s.name)
	s.replayedC = env.Metrics.CounterVec(ReplayedMetric, "Records an output's durable buffer held when it started, left by an earlier process.", "output").WithLabelValues(s.name)
	s.corruptC = env.Metrics.CounterVec(CorruptMetric, "Records of an output's durable buffer found damaged and skipped.", "output").WithLabelValues(s.name)
	s.drops = sink.NewFailureLog(env.Logger, "output buffer full, events dropped", "dropped", "output", s.name, "max_bytes", cfg.MaxBytes.String())
	s.retries = sink.NewFailureLog(env.Logger, "output buffer: delivery failed, retrying", "events", "output", s.name)
	replayed, corrupt := s.st.stats()
	s.replayedC.Add(float64(replayed))
	s.updateStats()
	if replayed > 0 || corrupt > 0 {
		env.Logger.Info("output buffer holds records from an earlier run; delivering them first", "output", s.name,
			"records", replayed, "corrupt_skipped", corrupt)
	}
	go s.pump()
	go s.acker()
	return s, nil
}

// Sink is an output behind a buffer. It is a sink.Sink and sink.Buffered.
type Sink[T any] struct {
	name      string
	cfg       Config
	env       sink.Env[T] // the outer one: the recorder's Reporter
	opts      Options
	inner     sink.Sink[T]
	st        store[T]
	durable   bool
	dir       string
	permanent func(error) bool

	// pushCtx ends pushes waiting for room (when_full: block) once Close
	// begins; closeMu keeps Deliver and Close apart.
	pushCtx  context.Context
	stopPush context.CancelCauseFunc
	closeMu  sync.RWMutex
	closed   bool
	encMu    sync.Mutex // guards the encoding buffers Deliver reuses
	enc      []byte
	ends     []int
	recs     [][]byte
	evs      []T

	ctx      context.Context // the pump's
	cancel   context.CancelFunc
	pumpDone chan struct{}

	mu         sync.Mutex
	ring       []*entry[T]         // popped and not yet acknowledged, in order
	ringBytes  int                 // of the records in ring
	flight     map[*byte]*entry[T] // handed to the inner sink, by Value's data pointer
	retry      []*entry[T]         // to hand to the inner sink again at retryAt
	retryAt    time.Time
	backoff    time.Duration
	popCancel  context.CancelFunc // interrupts the pump's pop for due work
	wake       chan struct{}      // closed and replaced on every change
	seq        uint64             // of the next popped record
	closing    bool               // the inner sink is closing: what it gives up stays held
	doneInRing int                // entries of ring reported (or skipped), not yet acknowledged
	doneBytes  int                // their record bytes
	ackCh      chan struct{}      // the ring starts with reported entries: acknowledge them
	ackerDone  chan struct{}
	corrupt    uint64 // records the decorator could not decode

	events, bytes       prometheus.Gauge
	replayedC, corruptC prometheus.Counter
	lastCorrupt         uint64
	drops, retries      *sink.FailureLog

	closeOnce sync.Once
	closeErr  error
}

type entryState uint8

const (
	stSent  entryState = iota + 1 // with the inner sink
	stDone                        // reported to the recorder
	stRetry                       // waiting to be handed over again
	stHeld                        // given up by the closing inner sink
)

type entry[T any] struct {
	seq   uint64
	pos   any
	size  int
	msg   sink.Message[T]
	state entryState
}

// key identifies a message the inner sink reports by its Value's data
// pointer: every record is decoded into a Value of its own (with
// capacity for a byte even when empty), sinks report the Messages they
// were given, and T is the caller's type, which cannot carry a sequence
// number of ours.
func key(v []byte) *byte { return unsafe.SliceData(v[:cap(v)]) }

// Name is the inner sink's.
func (s *Sink[T]) Name() string { return s.name }

// Inner is the sink behind the buffer.
func (s *Sink[T]) Inner() sink.Sink[T] { return s.inner }

// Deliver stores the batch. It returns at once, except with when_full:
// block, where it waits for room (until Close begins). Messages that do
// not fit are reported Dropped; a message larger than the whole buffer is
// Failed.
func (s *Sink[T]) Deliver(batch []sink.Message[T]) {
	if len(batch) == 0 {
		return
	}
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		s.env.Reporter.Report(append([]sink.Message[T](nil), batch...), sink.Failed, fmt.Errorf("%s: %w", s.name, ErrClosed))
		return
	}
	var dropped, failed []sink.Message[T]
	var ferr error
	s.encMu.Lock()
	s.enc, s.ends = s.enc[:0], s.ends[:0]
	for i := range batch {
		m := &batch[i]
		s.enc = appendRecord(s.enc, m.ID, m.Type, m.Key, m.Value, m.Time)
		s.ends = append(s.ends, len(s.enc))
	}
	s.recs, s.evs = s.recs[:0], s.evs[:0]
	start := 0
	for i, end := range s.ends {
		s.recs = append(s.recs, s.enc[start:end:end])
		s.evs = append(s.evs, batch[i].Event)
		start = end
	}
	// One push for the batch (one write, and one fsync under fsync:
	// batch); what did not fit is retried one by one only to wait for
	// room (block) or to skip a record too large for the buffer.
push:
	for i := 0; i < len(batch); {
		n, err := s.st.pushBatch(s.recs[i:], s.evs[i:])
		i += n
		switch {
		case err == nil:
			break push
		case errors.Is(err, errFull) && s.cfg.WhenFull == Block:
			if err := s.st.pushWait(s.pushCtx, s.recs[i], s.evs[i]); err != nil {
				// Close ended the wait for room that never came: the
				// rest is shed like events that found none.
				dropped = append(dropped, batch[i:]...)
				break push
			}
			i++
		case errors.Is(err, errFull):
			dropped = append(dropped, batch[i:]...)
			break push
		case errors.Is(err, errTooLarge):
			failed = append(failed, batch[i])
			ferr = fmt.Errorf("%s: buffer: %w", s.name, err)
			i++
		default:
			failed = append(failed, batch[i:]...)
			ferr = fmt.Errorf("%s: buffer: %w", s.name, err)
			break push
		}
	}
	clear(s.recs)
	clear(s.evs)
	if cap(s.enc) > MaxInFlightBytes {
		s.enc = nil // a batch of huge events: do not keep its arena
	}
	s.encMu.Unlock()
	s.updateStats()
	if len(dropped) > 0 {
		s.env.Reporter.Report(dropped, sink.Dropped, nil)
		s.drops.Add(len(dropped), nil)
	}
	if len(failed) > 0 {
		s.env.Reporter.Report(failed, sink.Failed, ferr)
	}
}

// BufferStats implements sink.Buffered.
//
// Events and Bytes leave out records already reported and waiting to be
// acknowledged (see ackPrefix), so that an event is never both counted
// as held and reported: read beside the recorder's counts, held plus
// reported never exceeds what the output was given.
func (s *Sink[T]) BufferStats() sink.BufferStats {
	s.mu.Lock()
	ev, b := s.st.held()
	ev -= int64(s.doneInRing)
	b -= int64(s.doneBytes)
	corrupt := s.corrupt
	s.mu.Unlock()
	replayed, storeCorrupt := s.st.stats()
	return sink.BufferStats{Events: ev, Bytes: b, Replayed: replayed, Corrupt: corrupt + storeCorrupt}
}

func (s *Sink[T]) updateStats() {
	st := s.BufferStats()
	s.events.Set(float64(st.Events))
	s.bytes.Set(float64(st.Bytes))
	s.mu.Lock()
	delta := st.Corrupt - s.lastCorrupt
	s.lastCorrupt = st.Corrupt
	s.mu.Unlock()
	if delta > 0 {
		s.corruptC.Add(float64(delta))
	}
}

// signalLocked wakes whoever waits for a change (the pump, Close).
func (s *Sink[T]) signalLocked() {
	close(s.wake)
	s.wake = make(chan struct{})
}

// pump hands records to the inner sink, at most InFlight (and
// MaxInFlightBytes) of them unreported at once, in the store's order;
// retries go before new records once their backoff has passed.
func (s *Sink[T]) pump() {
	defer close(s.pumpDone)
	var recs []stored[T]
	var batch []sink.Message[T]
	for {
		s.mu.Lock()
		for {
			if s.ctx.Err() != nil {
				s.mu.Unlock()
				return
			}
			due := len(s.retry) > 0 && !time.Now().Before(s.retryAt)
			if due {
				break
			}
			if len(s.ring) < s.opts.InFlight && s.ringBytes < MaxInFlightBytes {
				break
			}
			wait := s.wake
			var t *time.Timer
			var timer <-chan time.Time
			if len(s.retry) > 0 {
				t = time.NewTimer(time.Until(s.retryAt))
				timer = t.C
			}
			s.mu.Unlock()
			select {
			case <-wait:
			case <-timer:
			case <-s.ctx.Done():
			}
			if t != nil {
				t.Stop()
			}
			s.mu.Lock()
		}
		if len(s.retry) > 0 && !time.Now().Before(s.retryAt) {
			batch = batch[:0]
			for _, e := range s.retry {
				e.state = stSent
				s.flight[key(e.msg.Value)] = e
				batch = append(batch, e.msg)
			}
			clear(s.retry)
			s.retry = s.retry[:0]
			s.mu.Unlock()
			s.inner.Deliver(batch)
			clear(batch)
			continue
		}
		room := s.opts.InFlight - len(s.ring)
		roomBytes := MaxInFlightBytes - s.ringBytes
		ctx, cancel := context.WithCancel(s.ctx)
		if len(s.retry) > 0 {
			ctx, cancel = context.WithDeadline(s.ctx, s.retryAt)
		}
		s.popCancel = cancel
		s.mu.Unlock()
		var err error
		recs, err = s.st.pop(ctx, recs[:0], room, roomBytes)
		cancel()
		if err != nil && len(recs) == 0 {
			if errors.Is(err, errClosed) || s.ctx.Err() != nil {
				return
			}
			continue
		}
		batch = batch[:0]
		s.mu.Lock()
		s.popCancel = nil
		bad := 0
		for i := range recs {
			r := &recs[i]
			e := &entry[T]{seq: s.seq, pos: r.pos, size: len(r.data), state: stSent}
			s.seq++
			d, err := decodeRecord(r.data)
			if err != nil {
				// Past the queue's checksum: a record of a format this
				// release does not know. It is skipped, like a record
				// the queue finds damaged.
				e.state = stDone
				s.doneInRing++
				s.doneBytes += e.size
				s.corrupt++
				bad++
			} else {
				e.msg = sink.Message[T]{Event: r.event, Type: d.typ, Key: d.key, Value: d.value, Time: d.time, ID: d.id}
				s.flight[key(d.value)] = e
				batch = append(batch, e.msg)
			}
			s.ring = append(s.ring, e)
			s.ringBytes += e.size
		}
		clear(recs)
		s.kickAckerLocked()
		s.mu.Unlock()
		if bad > 0 {
			s.env.Logger.Warn("output buffer: skipped records it cannot decode", "output", s.name, "records", bad)
		}
		if len(batch) > 0 {
			s.inner.Deliver(batch)
			clear(batch)
		}
		s.updateStats()
	}
}

// ackInterval spaces acknowledgements: each is a write (and, under
// fsync: batch or always, an fsync) of the disk queue's ack log, so one
// per report (one per event for an unbatched webhook) would bound
// delivery by the disk's fsync rate. Records reported meanwhile stay in
// the ring, which InFlight bounds: they are what a crash can deliver
// twice.
const ackInterval = 10 * time.Millisecond

// kickAckerLocked wakes the acker when the ring starts with reported
// entries.
func (s *Sink[T]) kickAckerLocked() {
	if len(s.ring) > 0 && s.ring[0].state == stDone {
		select {
		case s.ackCh <- struct{}{}:
		default:
		}
	}
}

// acker acknowledges the reported prefix of the ring, at most once per
// ackInterval.
func (s *Sink[T]) acker() {
	defer close(s.ackerDone)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-s.ackCh:
		case <-s.ctx.Done():
			return
		}
		s.ackPrefix()
		t.Reset(ackInterval)
		select {
		case <-t.C:
		case <-s.ctx.Done():
			return
		}
	}
}

// ackPrefix drops the reported prefix of the ring and acknowledges the
// store up to its last record, in one critical section with the counts
// BufferStats reads.
func (s *Sink[T]) ackPrefix() {
	s.mu.Lock()
	n := 0
	var pos any
	for n < len(s.ring) && s.ring[n].state == stDone {
		pos = s.ring[n].pos
		s.ringBytes -= s.ring[n].size
		s.doneBytes -= s.ring[n].size
		n++
	}
	if n == 0 {
		s.mu.Unlock()
		return
	}
	s.doneInRing -= n
	clear(s.ring[:n])
	s.ring = s.ring[n:]
	if len(s.ring) == 0 {
		s.ring = nil
	}
	err := s.st.ack(pos)
	s.signalLocked()
	s.mu.Unlock()
	if err != nil {
		s.env.Logger.Warn("output buffer: acknowledging delivered records", "output", s.name, "err", err)
	}
	s.updateStats()
}

type innerReporter[T any] struct{ s *Sink[T] }

// Report receives the inner sink's outcomes: delivered (and
// unacknowledged) events and permanent failures go to the recorder and
// leave the buffer once every earlier record has; other failures and
// drops are retried; what the inner sink gives up while closing stays
// held.
func (r innerReporter[T]) Report(msgs []sink.Message[T], outcome sink.Outcome, err error) {
	s := r.s
	var fwd, stray []sink.Message[T]
	retried := 0
	s.mu.Lock()
	for i := range msgs {
		k := key(msgs[i].Value)
		e := s.flight[k]
		if e == nil {
			// Not a message of ours (an inner sink that reports a copy
			// with a new Value): pass it on rather than lose it.
			stray = append(stray, msgs[i])
			continue
		}
		delete(s.flight, k)
		switch {
		case outcome == sink.Delivered || outcome == sink.Unacknowledged || outcome == sink.Persisted:
			e.state = stDone
			s.doneInRing++
			s.doneBytes += e.size
			fwd = append(fwd, e.msg)
		case s.closing:
			e.state = stHeld
		case outcome == sink.Failed && s.permanent(err):
			e.state = stDone
			s.doneInRing++
			s.doneBytes += e.size
			fwd = append(fwd, e.msg)
		default:
			if len(s.retry) == 0 {
				s.retryAt = time.Now().Add(s.backoff)
				s.backoff = min(2*s.backoff, maxRetryBackoff)
			}
			e.state = stRetry
			s.retry = append(s.retry, e)
			retried++
		}
	}
	if outcome == sink.Delivered || outcome == sink.Unacknowledged {
		s.backoff = minRetryBackoff
	}
	s.kickAckerLocked()
	if retried > 0 {
		if s.popCancel != nil {
			s.popCancel()
		}
		s.signalLocked()
	}
	s.mu.Unlock()
	if retried > 0 && outcome == sink.Failed {
		s.retries.Add(retried, err)
	}
	if len(fwd) > 0 {
		s.env.Reporter.Report(fwd, outcome, err)
	}
	if len(stray) > 0 {
		s.env.Reporter.Report(stray, outcome, err)
	}
	s.updateStats()
}

// Close stops accepting events, gives the pump part of the budget to
// deliver what the buffer holds, closes the inner sink, and reports what
// is left: Persisted for a disk buffer (the records stay on disk for the
// next start), Failed (ErrClosed) for a memory buffer.
func (s *Sink[T]) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Sink[T]) close() error {
	start := time.Now()
	budget := s.env.CloseTimeout
	s.stopPush(ErrClosed)
	s.closeMu.Lock()
	s.closed = true
	s.closeMu.Unlock()

	// Flush: wait until everything is reported or the flush share of the
	// budget is spent.
	flush := time.NewTimer(budget * 2 / 5)
	defer flush.Stop()
	for waiting := true; waiting; {
		s.mu.Lock()
		wait := s.wake
		s.mu.Unlock()
		if ev, _ := s.st.held(); ev == 0 {
			break
		}
		select {
		case <-wait:
		case <-flush.C:
			waiting = false
		}
	}
	s.mu.Lock()
	s.closing = true
	if s.popCancel != nil {
		s.popCancel()
	}
	s.mu.Unlock()
	s.cancel()
	<-s.pumpDone // the pump waits on nothing but its context and Deliver, which returns promptly
	<-s.ackerDone
	errInner := s.inner.Close()
	s.ackPrefix()

	// What is left: records popped and not reported (held by the closing
	// inner sink, waiting for a retry, or reported but behind one that
	// was not), then the records never popped.
	s.mu.Lock()
	var left []sink.Message[T]
	for _, e := range s.ring {
		if e.state != stDone {
			e.state = stDone
			left = append(left, e.msg)
		}
	}
	s.ring, s.retry = nil, nil
	clear(s.flight)
	s.mu.Unlock()
	outcome, cause := sink.Persisted, error(nil)
	if !s.durable {
		outcome, cause = sink.Failed, fmt.Errorf("%s: %w", s.name, ErrClosed)
	}
	if len(left) > 0 {
		s.env.Reporter.Report(left, outcome, cause)
	}
	var recs []stored[T]
	total := len(left)
	for {
		recs = s.st.tryPop(recs[:0], 1024, MaxInFlightBytes)
		if len(recs) == 0 {
			break
		}
		msgs := make([]sink.Message[T], 0, len(recs))
		for i := range recs {
			d, err := decodeRecord(recs[i].data)
			if err != nil {
				s.mu.Lock()
				s.corrupt++
				s.mu.Unlock()
				continue
			}
			msgs = append(msgs, sink.Message[T]{Event: recs[i].event, Type: d.typ, Key: d.key, Value: d.value, Time: d.time, ID: d.id})
		}
		clear(recs)
		s.env.Reporter.Report(msgs, outcome, cause)
		total += len(msgs)
	}
	s.updateStats()
	if errInner != nil && s.durable {
		// The inner sink gave up on what it held at its Close; the
		// buffer still holds it (reported Persisted above), so closing
		// loses nothing and is no error of the output's.
		s.env.Logger.Info("output buffer: the output gave up at close; its events stay in the buffer", "output", s.name, "err", errInner)
		errInner = nil
	}
	errStore := s.st.close()
	if s.dir != "" {
		releaseDir(s.dir)
	}
	s.drops.Flush()
	s.retries.Flush()
	if total > 0 {
		if s.durable {
			s.env.Logger.Info("output buffer closed with events on disk; the next start delivers them", "output", s.name,
				"events", total, "path", s.cfg.Path, "took", time.Since(start))
		} else {
			errInner = errors.Join(errInner, fmt.Errorf("%s: %d events still in the memory buffer at close were failed", s.name, total))
		}
	}
	return errors.Join(errInner, errStore)
}
