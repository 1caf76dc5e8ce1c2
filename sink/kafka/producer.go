package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"time"

	"github.com/IBM/sarama"
	"github.com/eapache/go-resiliency/breaker"

	"github.com/eventrecorder/eventrecorder/sink"
)

// conn is one sarama client and the producer built on it, with the list
// of records handed to that producer and not yet answered. Whoever reads
// the producer's result channels owns the list: run while the producer
// is current, then retire.
type conn[T any] struct {
	client   sarama.Client
	producer sarama.AsyncProducer
	conns    *connSet
	inflight record[T] // list sentinel
	closed   bool      // AsyncClose has been called
	lastErr  error     // the last produce error other than an open breaker
}

func (c *conn[T]) link(r *record[T]) {
	r.prev, r.next = c.inflight.prev, &c.inflight
	c.inflight.prev.next = r
	c.inflight.prev = r
}

func unlink[T any](r *record[T]) {
	r.prev.next, r.next.prev = r.next, r.prev
	r.prev, r.next = nil, nil
}

func (c *conn[T]) asyncClose() {
	if !c.closed {
		c.closed = true
		c.producer.AsyncClose()
	}
}

// run moves messages from the buffer into the current producer, replacing
// the producer when the cluster becomes unreachable, until Close.
func (s *Sink[T]) run() {
	defer s.reporting.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var pending *record[T] // taken from the buffer, not yet accepted by a producer
	for reconnect := false; ; reconnect = true {
		c := s.awaitConn(ctx, reconnect, func() bool { return pending == nil && len(s.buf) == 0 })
		if c == nil {
			err := errNoAnswer
			if p := s.connErr.Load(); p != nil {
				err = fmt.Errorf("kafka: not connected to the brokers: %w", *p)
			}
			s.giveUp(pending, nil, true, err)
			return
		}
		if !s.feed(c, &pending) {
			s.flush(c, pending)
			return
		}
		s.env.Logger.Warn("kafka output lost the cluster; reconnecting", "output", s.name)
		s.reporting.Add(1)
		s.goroutines.Add(1)
		go func() {
			defer s.goroutines.Done()
			defer s.reporting.Done()
			s.retire(c)
		}()
	}
}

// awaitConn connects in the background and returns the connection, or
// nil when Close's deadline passes first, or as soon as Close starts if
// idle says there is nothing to flush: an output that never connected and
// holds nothing has no reason to spend the close budget.
func (s *Sink[T]) awaitConn(ctx context.Context, reconnect bool, idle func() bool) *conn[T] {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // a connection made after we stop waiting is closed by its maker
	out := make(chan *conn[T])
	s.goroutines.Add(1)
	go func() {
		defer s.goroutines.Done()
		s.connect(ctx, out, reconnect)
	}()
	var deadline <-chan time.Time
	closing := s.closing
	for {
		select {
		case c := <-out:
			return c
		case <-closing:
			if idle() {
				return nil
			}
			closing = nil
			t := time.NewTimer(time.Until(s.deadline))
			defer t.Stop()
			deadline = t.C
		case <-deadline:
			return nil
		}
	}
}

// connect builds a client and producer, retrying with capped exponential
// backoff and jitter, and hands them over on out.
func (s *Sink[T]) connect(ctx context.Context, out chan<- *conn[T], reconnect bool) {
	backoff := timings.connectMin
	closing := s.closing
	sleep := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-closing:
			// Close has started: try again now, so that a broker that has
			// come back can still take the buffer.
			closing = nil
		case <-ctx.Done():
			return false
		}
		return true
	}
	jitter := func(d time.Duration) time.Duration { return d/2 + rand.N(d/2+1) }
	// After losing the cluster, pause before the first attempt so that a
	// cluster that answers metadata but not produce requests does not
	// make us spin.
	if reconnect && !sleep(jitter(backoff)) {
		return
	}
	for attempt := 1; ; attempt++ {
		c, err := s.dial(ctx)
		if ctx.Err() != nil {
			if err == nil {
				c.producer.Close()
				c.client.Close()
			}
			return
		}
		if err == nil {
			if attempt > 1 || reconnect {
				s.env.Logger.Info("kafka output connected", "output", s.name, "attempts", attempt)
			}
			select {
			case out <- c:
			case <-ctx.Done():
				c.producer.Close()
				c.client.Close()
			}
			return
		}
		s.connErr.Store(&err)
		wait := jitter(backoff)
		level := slog.LevelDebug
		if attempt == 1 || backoff < timings.connectMax {
			level = slog.LevelWarn // quieter once retrying at the slowest rate
		}
		s.env.Logger.Log(ctx, level, "kafka output cannot connect; retrying", "output", s.name, "attempt", attempt, "retry_in", wait, "err", err)
		if !sleep(wait) {
			return
		}
		backoff = min(2*backoff, timings.connectMax)
	}
}

func (s *Sink[T]) dial(ctx context.Context) (*conn[T], error) {
	conns := &connSet{dialer: net.Dialer{Timeout: s.sc.Net.DialTimeout, KeepAlive: s.sc.Net.KeepAlive}}
	sc := *s.sc
	sc.Net.Proxy.Enable = true
	sc.Net.Proxy.Dialer = conns
	// sarama refreshes metadata in goroutines of its own that sleep
	// between retries; once Close has started they must not sleep, or
	// they outlive it.
	closing := s.closing
	sc.Metadata.Retry.BackoffFunc = func(int, int) time.Duration {
		select {
		case <-closing:
			return 0
		default:
			return timings.metadataBackoff
		}
	}
	client, err := sarama.NewClient(s.cfg.Brokers, &sc)
	if err != nil {
		return nil, err
	}
	// With Metadata.Full off NewClient contacts no broker, and a producer
	// built now would fail the buffer at once. Ask for our topic's
	// metadata instead: when no broker answers, keep buffering and retry.
	// Any other answer (an unknown topic, say) means the brokers are
	// there, and the produce errors will say what is wrong.
	//
	// A broker that accepts connections and never answers would hold
	// RefreshMetadata for its read timeout times its retries, past Close;
	// closing the connections when we stop waiting ends it.
	stop := context.AfterFunc(ctx, func() {
		conns.closeAll()
		client.Close()
	})
	err = client.RefreshMetadata(s.cfg.Topic)
	if !stop() {
		return nil, ctx.Err()
	}
	if err != nil && isUnreachable(err) {
		client.Close()
		return nil, err
	}
	producer, err := sarama.NewAsyncProducerFromClient(client)
	if err != nil {
		client.Close()
		return nil, err
	}
	c := &conn[T]{client: client, producer: producer, conns: conns}
	c.inflight.next, c.inflight.prev = &c.inflight, &c.inflight
	return c, nil
}

// isUnreachable reports whether a metadata error means that no broker
// could be talked to (down, refused, TLS or SASL handshake failed).
func isUnreachable(err error) bool {
	if errors.Is(err, sarama.ErrSASLAuthenticationFailed) {
		return true
	}
	typ := classify(err)
	return typ == ErrorNetwork || typ == ErrorTimeout
}

// feed moves messages into c's producer and reports its results. It
// returns true when c has lost the cluster, false when Close has started.
func (s *Sink[T]) feed(c *conn[T], pending **record[T]) (outage bool) {
	p := c.producer
	for {
		// Exactly one of in and src is live: take a message only once
		// the previous one is in the producer's hands.
		var in chan<- *sarama.ProducerMessage
		var out *sarama.ProducerMessage
		var src <-chan sink.Message[T]
		if *pending != nil {
			in, out = p.Input(), &(*pending).pm
		} else {
			src = s.buf
		}
		select {
		case m := <-src:
			*pending = s.newRecord(m)
			s.handOver(c, pending)
		case in <- out:
			c.link(*pending)
			*pending = nil
		case m := <-p.Successes():
			s.succeeded(m, p.Successes())
		case e := <-p.Errors():
			if s.errored(c, e) {
				return true
			}
		case <-s.closing:
			return false
		}
	}
}

// handOverMax bounds handOver so that results keep being read.
const handOverMax = 64

// handOver is feed's fast path while the producer keeps up: it passes
// *pending and the messages queued behind it with non-blocking sends,
// saving a trip through feed's select per message.
func (s *Sink[T]) handOver(c *conn[T], pending **record[T]) {
	in := c.producer.Input()
	for range handOverMax {
		select {
		case in <- &(*pending).pm:
			c.link(*pending)
			*pending = nil
		default:
			return
		}
		select {
		case m := <-s.buf:
			*pending = s.newRecord(m)
		default:
			return
		}
	}
}

// flush hands the producer what is left locally (Deliver can no longer
// add any), then retires it. At the deadline it gives up on everything.
func (s *Sink[T]) flush(c *conn[T], pending *record[T]) {
	p := c.producer
	t := time.NewTimer(time.Until(s.deadline))
	defer t.Stop()
	for pending != nil || len(s.buf) > 0 {
		if pending == nil {
			pending = s.newRecord(<-s.buf)
		}
		select {
		case p.Input() <- &pending.pm:
			c.link(pending)
			pending = nil
		case m := <-p.Successes():
			s.succeeded(m, p.Successes())
		case e := <-p.Errors():
			s.errored(c, e)
		case <-t.C:
			s.giveUp(pending, c, true, errCloseTimeout)
			s.abandon(c)
			return
		}
	}
	s.retire(c)
}

// retire closes c's producer and reports what it still returns, giving
// up at Close's deadline.
func (s *Sink[T]) retire(c *conn[T]) {
	c.asyncClose()
	succ, errs := c.producer.Successes(), c.producer.Errors()
	closing := s.closing
	var deadline <-chan time.Time
	for succ != nil || errs != nil {
		select {
		case m, ok := <-succ:
			if !ok {
				succ = nil
				continue
			}
			s.succeeded(m, succ)
		case e, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			s.errored(c, e)
		case <-closing:
			closing = nil
			t := time.NewTimer(time.Until(s.deadline))
			defer t.Stop()
			deadline = t.C
		case <-deadline:
			s.giveUp(nil, c, false, errCloseTimeout)
			s.abandon(c)
			return
		}
	}
	c.client.Close()
}

// giveUp reports as Failed pending, what c holds, and with takeBuffer the
// local buffer. Only run takes from the buffer: a retiring producer's
// goroutine leaves it alone.
func (s *Sink[T]) giveUp(pending *record[T], c *conn[T], takeBuffer bool, err error) {
	var failed []sink.Message[T]
	if pending != nil {
		failed = append(failed, pending.msg)
	}
	for takeBuffer && len(s.buf) > 0 {
		failed = append(failed, <-s.buf)
	}
	if c != nil {
		for r := c.inflight.next; r != &c.inflight; r = r.next {
			failed = append(failed, r.msg)
		}
		c.inflight.next, c.inflight.prev = &c.inflight, &c.inflight
	}
	if len(failed) > 0 {
		s.gaveUp.Add(int64(len(failed)))
		s.env.Reporter.Report(failed, sink.Failed, err)
		s.env.Logger.Warn("kafka output gave up on messages at close", "output", s.name, "messages", len(failed), "err", err)
	}
}

// abandon lets the caller return at once while c winds down: closing the
// client breaks the connections its requests wait on, and the results
// that still come are for messages already reported Failed.
func (s *Sink[T]) abandon(c *conn[T]) {
	s.goroutines.Add(1)
	go func() {
		defer s.goroutines.Done()
		c.asyncClose()
		c.conns.closeAll()
		c.client.Close()
		succ, errs := c.producer.Successes(), c.producer.Errors()
		for succ != nil || errs != nil {
			select {
			case _, ok := <-succ:
				if !ok {
					succ = nil
				}
			case _, ok := <-errs:
				if !ok {
					errs = nil
				}
			}
		}
	}()
}

// maxReportBatch bounds how many successes are gathered into one report.
const maxReportBatch = 256

// succeeded reports m and whatever other successes are already waiting
// on more, as one batch: Delivered, or with acks: none Unacknowledged,
// because sarama then returns a message as a success once it is written
// to the connection, and the broker never says whether it stored it.
func (s *Sink[T]) succeeded(m *sarama.ProducerMessage, more <-chan *sarama.ProducerMessage) {
	if m == nil {
		return
	}
	r := m.Metadata.(*record[T])
	unlink(r)
	batch := []sink.Message[T]{r.msg}
gather:
	for len(batch) < maxReportBatch {
		select {
		case m, ok := <-more:
			if !ok || m == nil {
				break gather
			}
			r := m.Metadata.(*record[T])
			unlink(r)
			batch = append(batch, r.msg)
		default:
			break gather
		}
	}
	s.env.Reporter.Report(batch, s.sent, nil)
}

// errored reports e's message Failed and counts the error. It returns
// whether the error means the producer has lost the cluster.
func (s *Sink[T]) errored(c *conn[T], e *sarama.ProducerError) (outage bool) {
	if e == nil {
		return false
	}
	r := e.Msg.Metadata.(*record[T])
	unlink(r)
	err, cause := e.Err, e.Err
	breakerOpen := errors.Is(err, breaker.ErrBreakerOpen)
	if breakerOpen && c.lastErr != nil {
		// sarama opens its breaker after three failed lookups and then
		// fails messages without trying; the failure that opened it is
		// the one that says what is wrong.
		cause = c.lastErr
		err = fmt.Errorf("%w after: %w", err, cause)
	} else if !breakerOpen {
		c.lastErr = err
	}
	typ := classify(cause)
	s.counter[typ].Inc()
	err = fmt.Errorf("kafka: produce to %s (%s error): %w", s.cfg.Topic, typ, err)
	s.env.Reporter.Report([]sink.Message[T]{r.msg}, sink.Failed, err)
	s.failures.Add(1, err)
	// The whole cluster is gone when there is no broker left to ask, or
	// when the breaker opened over failures to reach one: it would go on
	// failing every message for ten seconds after the cluster is back,
	// while a new producer starts with a closed breaker.
	return errors.Is(cause, sarama.ErrOutOfBrokers) || (breakerOpen && (cause == e.Err || typ == ErrorNetwork || typ == ErrorTimeout))
}
