package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
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
	// maxBytes is the largest record the producer takes (its
	// MaxMessageBytes, from the topic's max.message.bytes when the
	// brokers tell it); larger ones are refused before they join a batch.
	maxBytes int
	alone    int // records in flight on their own (see errored); 0 or 1
	// relay brings the producer's successes (see relay). One goroutine
	// at a time reads them, which owns spare, the slice its last take
	// returned, and reported, succeeded's batch (a Reporter keeps no
	// msgs).
	relay    *relay
	spare    []*sarama.ProducerMessage
	reported []sink.Message[T]
}

func (c *conn[T]) empty() bool { return c.inflight.next == &c.inflight }

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
		c := s.awaitConn(ctx, reconnect, func() bool { return pending == nil && s.buf.len() == 0 && len(s.retry) == 0 })
		if c == nil {
			err := errNoAnswer
			if p := s.connErr.Load(); p != nil {
				err = fmt.Errorf("kafka: not connected to the brokers: %w", *p)
			}
			s.giveUp(pending, nil, true, err)
			return
		}
		s.relaySuccesses(c)
		if s.pump(c, &pending, false, nil) == pumpClosing {
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
	// between retries, and its partition producers sleep a produce
	// retry's backoff after each record they fail for want of a leader,
	// one record at a time. Once Close has started they must not sleep,
	// or they outlive it: when Close breaks the connections of a producer
	// it gives up on, the records in sarama's hands fail that way, some
	// 640 in TestHungBrokerWindsDownAtClose, which took 4.3s at the
	// tests' 10ms backoff (40s at the default 100ms).
	closing := s.closing
	backoff := func(d time.Duration) func(int, int) time.Duration {
		return func(int, int) time.Duration {
			select {
			case <-closing:
				return 0
			default:
				return d
			}
		}
	}
	sc.Metadata.Retry.BackoffFunc = backoff(timings.metadataBackoff)
	sc.Producer.Retry.BackoffFunc = backoff(timings.retryBackoff)
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
	limit := 0
	if err == nil {
		limit = s.topicLimit(client, &sc)
	}
	if !stop() {
		return nil, ctx.Err()
	}
	if err != nil && isUnreachable(err) {
		client.Close()
		return nil, err
	}
	// sarama cuts record batches below MaxMessageBytes, counting each
	// record at most, and refuses a record over it: set to what the
	// topic takes, a batch is never over the broker's limit.
	if limit > 0 && limit-recordBatchOverhead < sc.Producer.MaxMessageBytes {
		sc.Producer.MaxMessageBytes = max(limit-recordBatchOverhead, 1)
	}
	producer, err := sarama.NewAsyncProducerFromClient(client)
	if err != nil {
		client.Close()
		return nil, err
	}
	c := &conn[T]{client: client, producer: producer, conns: conns, maxBytes: sc.Producer.MaxMessageBytes}
	c.inflight.next, c.inflight.prev = &c.inflight, &c.inflight
	return c, nil
}

// recordBatchOverhead is the size of a record batch's header, which a
// broker counts against max.message.bytes and sarama's MaxMessageBytes
// does not.
const recordBatchOverhead = 61

// topicLimit asks a broker for the topic's max.message.bytes (the
// broker's message.max.bytes unless the topic overrides it), or returns 0
// when it cannot tell: a producer may lack the DescribeConfigs permission,
// and then a batch the broker refuses as too large is sent again one
// record at a time (see errored).
func (s *Sink[T]) topicLimit(client sarama.Client, sc *sarama.Config) int {
	b, err := client.Leader(s.cfg.Topic, 0)
	if err != nil {
		return 0
	}
	req := &sarama.DescribeConfigsRequest{Resources: []*sarama.ConfigResource{{
		Type: sarama.TopicResource, Name: s.cfg.Topic, ConfigNames: []string{"max.message.bytes"},
	}}}
	switch {
	case sc.Version.IsAtLeast(sarama.V2_8_0_0):
		req.Version = 4
	case sc.Version.IsAtLeast(sarama.V2_6_0_0):
		req.Version = 3
	case sc.Version.IsAtLeast(sarama.V2_0_0_0):
		req.Version = 2
	case sc.Version.IsAtLeast(sarama.V1_1_0_0):
		req.Version = 1
	}
	resp, err := b.DescribeConfigs(req)
	if err != nil {
		s.env.Logger.Debug("kafka output cannot read the topic's max.message.bytes", "output", s.name, "err", err)
		return 0
	}
	for _, res := range resp.Resources {
		if res.ErrorCode != 0 {
			s.env.Logger.Debug("kafka output cannot read the topic's max.message.bytes", "output", s.name, "err", sarama.KError(res.ErrorCode))
			continue
		}
		for _, e := range res.Configs {
			if n, err := strconv.Atoi(e.Value); e.Name == "max.message.bytes" && err == nil && n > 0 {
				return n
			}
		}
	}
	return 0
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

// pumpEnd is why pump returned.
type pumpEnd int

const (
	pumpClosing  pumpEnd = iota // Close has started
	pumpOutage                  // the producer has lost the cluster
	pumpDrained                 // draining: nothing is left to produce
	pumpDeadline                // draining: Close's deadline passed
)

// pump moves messages into c's producer and reports its results. Until
// Close starts it returns when the producer loses the cluster. Draining
// (Close has started, so Deliver adds nothing) it ignores outages, which
// fail what is in flight quickly anyway, and returns once nothing is
// left and every record is answered, or at the deadline.
//
// Records the broker refused for the size of the batch they were in wait
// in s.retry and go to the producer one at a time, each only once the
// producer holds nothing else of ours, so that each is a batch of its own
// and the broker's answer is about it alone.
func (s *Sink[T]) pump(c *conn[T], pending **record[T], draining bool, deadline <-chan time.Time) pumpEnd {
	p := c.producer
	closing := s.closing
	if draining {
		closing = nil
	}
	for {
		// At most one of next and src is live: take a message only once
		// the previous one is in the producer's hands.
		var next *record[T]
		var src <-chan struct{}
		switch {
		case c.alone > 0:
			// A record is on its own in flight: nothing may join it.
		case len(s.retry) > 0:
			if c.empty() {
				next = s.retry[0]
			}
		case *pending != nil:
			// The producer's input was full. The select below then
			// parks about once per message, woken by each slot sarama
			// frees. Waiting for answers alone instead, and retrying
			// the input after each, starves sarama into sending every
			// record in a produce request of its own (20001 requests
			// for 20001 records): 6x the CPU per event in
			// BenchmarkKafkaThroughput (64 µs against 10 µs).
			next = *pending
		default:
			if m, ok := s.buf.pop(); ok {
				if *pending = s.admit(c, m); *pending != nil {
					s.handOver(c, pending)
				}
				// Until the producer stops taking records, results wait
				// in its channels; then *pending holds one and the select
				// below reads them.
				continue
			}
			if !draining {
				src = s.buf.ready
			} else if c.empty() {
				return pumpDrained
			}
		}
		var in chan<- *sarama.ProducerMessage
		var out *sarama.ProducerMessage
		if next != nil {
			in, out = p.Input(), &next.pm
		}
		select {
		case <-src:
			// Deliver added messages: the switch above takes them.
		case in <- out:
			c.link(next)
			if next.alone {
				c.alone++
				s.retry[0] = nil
				s.retry = s.retry[1:]
			} else {
				*pending = nil
			}
		case <-c.relay.ready:
			s.succeeded(c, true)
		case e := <-p.Errors():
			if s.errored(c, e, &s.retry) && !draining {
				return pumpOutage
			}
		case <-closing:
			return pumpClosing
		case <-deadline:
			return pumpDeadline
		}
	}
}

// handOverMax bounds handOver so that results keep being read.
const handOverMax = 64

// handOver is pump's fast path while the producer keeps up: it passes
// *pending and the messages queued behind it with non-blocking sends,
// saving a trip through pump's select per message.
func (s *Sink[T]) handOver(c *conn[T], pending **record[T]) {
	in := c.producer.Input()
	for range handOverMax {
		if *pending == nil {
			return
		}
		select {
		case in <- &(*pending).pm:
			c.link(*pending)
			*pending = nil
		default:
			return
		}
		m, ok := s.buf.pop()
		if !ok {
			return
		}
		*pending = s.admit(c, m)
	}
}

// flush hands the producer what is left locally (Deliver can no longer
// add any) and waits for its answers, then retires it. At the deadline it
// gives up on everything.
func (s *Sink[T]) flush(c *conn[T], pending *record[T]) {
	t := time.NewTimer(time.Until(s.deadline))
	defer t.Stop()
	if s.pump(c, &pending, true, t.C) == pumpDeadline {
		s.giveUp(pending, c, true, errCloseTimeout)
		s.abandon(c)
		return
	}
	s.retire(c)
}

// retire closes c's producer and reports what it still returns, giving
// up at Close's deadline.
func (s *Sink[T]) retire(c *conn[T]) {
	c.asyncClose()
	succ, errs := c.relay.ready, c.producer.Errors()
	closing := s.closing
	var deadline <-chan time.Time
	for succ != nil || errs != nil {
		select {
		case <-succ:
			if s.succeeded(c, false) {
				succ = nil
			}
		case e, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			s.errored(c, e, nil)
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
// local buffer and the records waiting to be sent again. Only run owns
// those: a retiring producer's goroutine leaves them alone.
func (s *Sink[T]) giveUp(pending *record[T], c *conn[T], takeBuffer bool, err error) {
	var failed []sink.Message[T]
	if pending != nil {
		failed = append(failed, pending.msg)
	}
	if takeBuffer {
		for _, r := range s.retry {
			failed = append(failed, r.msg)
		}
		s.retry = nil
	}
	if takeBuffer {
		failed = s.buf.drain(failed)
	}
	// What c holds is in its producer, which may still read it: only
	// what never reached it goes back.
	held := len(failed)
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
		s.env.GiveBack(failed[:held])
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
		succ, errs := c.relay.ready, c.producer.Errors()
		for succ != nil || errs != nil {
			select {
			case <-succ:
				var closed bool
				if c.spare, closed = c.relay.take(c.spare); closed {
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

// maxReportBatch bounds how many successes go into one report.
const maxReportBatch = 256

// succeeded reports the successes the relay holds, in batches:
// Delivered, or with acks: none Unacknowledged, because sarama then
// returns a message as a success once it is written to the connection,
// and the broker never says whether it stored it. It returns whether the
// producer has closed its successes, so that no more will come. owner
// says whether the caller is run, which owns s.free (see recycle).
func (s *Sink[T]) succeeded(c *conn[T], owner bool) (closed bool) {
	var run []*sarama.ProducerMessage
	run, closed = c.relay.take(c.spare)
	batch := c.reported[:0]
	for i, m := range run {
		r := m.Metadata.(*record[T])
		c.answered(r)
		batch = append(batch, r.msg)
		// sarama is done with a message once it returns it: nothing of
		// its own refers to it after, and the record's message is in
		// batch now.
		s.recycle(r, owner)
		if len(batch) == maxReportBatch || i == len(run)-1 {
			s.env.Reporter.Report(batch, s.sent, nil)
			s.env.GiveBack(batch)
			clear(batch) // holds no event past its report
			batch = batch[:0]
		}
	}
	c.spare, c.reported = run, batch
	return closed
}

// answered takes r, which the producer has answered for, off c's list.
func (c *conn[T]) answered(r *record[T]) {
	unlink(r)
	if r.alone {
		c.alone--
	}
}

// errored reports e's message Failed and counts the error. It returns
// whether the error means the producer has lost the cluster.
//
// A broker refuses a whole record batch when it is over the topic's
// max.message.bytes, failing every record in it for what may be one
// record's size. Given retry (by run, which owns the list), such a record
// is not failed but put on retry to be sent again on its own, once: alone
// it is either delivered or, failing again, too large itself. Records are
// then sent in a different order from the one they were given in.
func (s *Sink[T]) errored(c *conn[T], e *sarama.ProducerError, retry *[]*record[T]) (outage bool) {
	if e == nil {
		return false
	}
	r := e.Msg.Metadata.(*record[T])
	c.answered(r)
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
	if typ == ErrorMessageTooLarge && retry != nil && !r.alone {
		if len(*retry) == 0 {
			s.env.Logger.Debug("kafka broker refused a record batch as too large; sending its records again one at a time",
				"output", s.name, "producer_limit", c.maxBytes)
		}
		r.alone = true
		*retry = append(*retry, r)
		return false
	}
	s.counter[typ].Inc()
	err = fmt.Errorf("kafka: produce to %s (%s error): %w", s.cfg.Topic, typ, err)
	msgs := []sink.Message[T]{r.msg}
	s.env.Reporter.Report(msgs, sink.Failed, err)
	s.failures.Add(1, err)
	s.env.GiveBack(msgs)
	// The whole cluster is gone when there is no broker left to ask, or
	// when the breaker opened over failures to reach one: it would go on
	// failing every message for ten seconds after the cluster is back,
	// while a new producer starts with a closed breaker.
	return errors.Is(cause, sarama.ErrOutOfBrokers) || (breakerOpen && (cause == e.Err || typ == ErrorNetwork || typ == ErrorTimeout))
}
