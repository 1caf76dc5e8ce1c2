// Package webhook is the output kind that POSTs events to an HTTP
// endpoint: one JSON event per request, or JSON arrays of events when
// batching, with retries, an optional gzip body, and the Prometheus
// common HTTP client configuration for authentication, TLS and proxies.
//
// Deliver never blocks: events wait in a bounded queue for a fixed pool
// of workers and are reported Dropped when it is full. A receiver that is
// slow or down therefore costs events, counted, instead of stalling the
// recorder.
//
// The URL is treated as a secret throughout: names, logs and errors show
// it without userinfo, query and fragment. The path is shown, so do not
// put credentials in it.
package webhook

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	commoncfg "github.com/prometheus/common/config"

	"github.com/eventrecorder/eventrecorder/sink"
)

// KindName is the kind's name; its outputs are configured under
// webhook_outputs.
const KindName = "webhook"

// userAgent identifies the recorder to receivers.
const userAgent = "eventrecorder-webhook"

// HeaderEventID is the request header that carries the event's id
// (sink.EventID, the canonical text of a UUIDv7) when the body is one
// event (batch: false): the same on every retry and every output, so a
// receiver that has seen it has seen the event. A batch body has events
// of many ids and no such header; include_id puts each id in its event.
const HeaderEventID = "Event-Id"

// ErrClosed is the cause of every failure reported because the output was
// closing: events still queued or in flight when Close's budget ran out,
// and events handed to Deliver after Close.
var ErrClosed = errors.New("webhook output closed")

// Kind is the webhook row of the output table.
func Kind[T any]() sink.Kind[T] {
	return sink.KindOf[T, Config]{
		Name:       KindName,
		New:        newBuffered[T],
		Equal:      Equal,
		Format:     func(Config) sink.Format { return sink.JSON },
		OutputName: outputName,
	}.Kind()
}

// outputName is the Name an output built from cfg will have. Reading
// url_file is the only I/O; a file that cannot be read is named by path.
func outputName(cfg Config) string {
	u := cfg.URL
	if cfg.URLFile != "" {
		fu, err := readURLFile(cfg.URLFile)
		if err != nil {
			return KindName + ":<url_file " + cfg.URLFile + ">"
		}
		u = fu
	}
	if u == nil {
		return KindName
	}
	return KindName + ":" + u.Redacted()
}

// DeliveryError explains a Failed outcome. It never holds the URL's
// secrets: Output is the output's Name and Err has had URLs removed.
type DeliveryError struct {
	// Output is the output's Name.
	Output string
	// Attempts is how many requests were made (0: none, the output was
	// closing).
	Attempts int
	// StatusCode is the last response's status, 0 when there was none.
	StatusCode int
	// Err is the last transport error or ErrClosed; nil when the last
	// response was a non-2xx status.
	Err error
}

func (e *DeliveryError) Error() string {
	var cause string
	switch {
	case e.StatusCode != 0 && e.Err != nil:
		cause = fmt.Sprintf("HTTP %d %s, then %v", e.StatusCode, http.StatusText(e.StatusCode), e.Err)
	case e.StatusCode != 0:
		cause = fmt.Sprintf("HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	case e.Err != nil:
		cause = e.Err.Error()
	default:
		cause = "unknown error"
	}
	switch e.Attempts {
	case 0:
		return fmt.Sprintf("%s: %s (not attempted)", e.Output, cause)
	case 1:
		return fmt.Sprintf("%s: %s after 1 attempt", e.Output, cause)
	}
	return fmt.Sprintf("%s: %s after %d attempts", e.Output, cause, e.Attempts)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// Sink is a webhook output.
type Sink[T any] struct {
	name        string
	target      string // full URL with secrets: only ever handed to net/http
	cfg         Config
	env         sink.Env[T]
	client      *retryablehttp.Client
	http        *http.Client
	contentType string

	queue   chan sink.Message[T]
	mu      sync.RWMutex // guards closed against sends on a closed queue
	closed  bool
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelCauseFunc
	gaveUp  atomic.Int64 // events failed because of Close
	once    sync.Once
	doneErr error

	// A receiver that is down fails or drops every event: each of these
	// writes a line per interval with a count, not one per event.
	failures, drops *sink.FailureLog
}

// New builds a webhook output and starts its workers. It fails on
// configuration that cannot work (invalid fields, an unreadable url_file
// or CA file), not on a receiver that is down.
func New[T any](cfg Config, env sink.Env[T]) (*Sink[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	env = env.WithDefaults()
	u := cfg.URL
	if cfg.URLFile != "" {
		var err error
		if u, err = readURLFile(cfg.URLFile); err != nil {
			return nil, err
		}
		if err := credentialConflict("url_file", u.u, cfg.HTTPConfig); err != nil {
			return nil, err
		}
	}
	hc := commoncfg.DefaultHTTPClientConfig
	if cfg.HTTPConfig != nil {
		hc = *cfg.HTTPConfig
	}
	httpClient, err := commoncfg.NewClientFromConfig(hc, "webhook")
	if err != nil {
		return nil, sink.AtPath("http_config", err)
	}
	httpClient.Timeout = time.Duration(cfg.Timeout)
	if httpClient.CheckRedirect == nil {
		httpClient.CheckRedirect = keepMethod
	}

	s := &Sink[T]{
		name:        sink.NameOr(cfg, KindName+":"+u.Redacted()),
		target:      u.URL().String(),
		cfg:         cfg,
		env:         env,
		http:        httpClient,
		contentType: sink.JSON.ContentType(),
		queue:       make(chan sink.Message[T], cfg.QueueSize),
	}
	s.failures = sink.NewFailureLog(env.Logger, "webhook delivery failed", "events", "output", s.name)
	s.drops = sink.NewFailureLog(env.Logger, "webhook queue full, events dropped", "dropped", "output", s.name, "queue_size", cfg.QueueSize)
	s.ctx, s.cancel = context.WithCancelCause(context.Background())
	backoffCap := max(MaxRetryBackoff, time.Duration(cfg.RetryBackoff))
	s.client = &retryablehttp.Client{
		HTTPClient:   httpClient,
		Logger:       nil, // its messages carry the URL; we log ourselves
		RetryWaitMin: time.Duration(cfg.RetryBackoff),
		RetryWaitMax: backoffCap,
		RetryMax:     cfg.MaxRetries - 1,
		CheckRetry:   s.checkRetry,
		Backoff:      backoff,
		// Hand back the last response and error untouched: its default
		// wraps the error with the URL.
		ErrorHandler:   func(resp *http.Response, err error, _ int) (*http.Response, error) { return resp, err },
		RequestLogHook: s.beforeAttempt,
	}

	if cfg.Batch {
		batches := make(chan pending[T])
		s.wg.Add(1)
		go s.batcher(batches)
		for range cfg.Workers {
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				for p := range batches {
					s.send(p.msgs, nil, p.size)
				}
			}()
		}
	} else {
		for range cfg.Workers {
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				for m := range s.queue {
					if s.ctx.Err() != nil {
						s.failRest([]sink.Message[T]{m})
						return
					}
					s.send([]sink.Message[T]{m}, m.Value, len(m.Value))
				}
			}()
		}
	}
	env.Logger.Debug("webhook output started", "output", s.name, "workers", cfg.Workers,
		"queue_size", cfg.QueueSize, "batch", cfg.Batch, "compression", cfg.Compression)
	return s, nil
}

// Name is "webhook:" and the URL without userinfo, query and fragment.
func (s *Sink[T]) Name() string { return s.name }

// Deliver queues the messages without waiting; those that do not fit are
// reported Dropped at once.
func (s *Sink[T]) Deliver(batch []sink.Message[T]) {
	if len(batch) == 0 {
		return
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		msgs := append([]sink.Message[T](nil), batch...)
		s.env.Reporter.Report(msgs, sink.Failed, &DeliveryError{Output: s.name, Err: ErrClosed})
		s.env.GiveBack(msgs)
		return
	}
	var dropped []sink.Message[T]
	for _, m := range batch {
		select {
		case s.queue <- m:
		default:
			dropped = append(dropped, m)
		}
	}
	s.mu.RUnlock()
	if len(dropped) > 0 {
		s.env.Reporter.Report(dropped, sink.Dropped, nil)
		s.drops.Add(len(dropped), nil)
		s.env.GiveBack(dropped)
	}
}

// ReleasesValues implements sink.ValueReleaser: every message goes back
// through Env.Release once nothing reads its value any more, reported
// and with every request body that carried it closed.
func (s *Sink[T]) ReleasesValues() bool { return s.env.Release != nil }

// valueHold counts what still reads a request's values: the worker
// sending it, and each request body the transport has not closed (net/http
// may read a body after RoundTrip returns, until it closes it). The last
// to let go gives the values back. A nil hold gives nothing back.
type valueHold[T any] struct {
	n    atomic.Int32
	msgs []sink.Message[T]
	s    *Sink[T]
}

// hold returns the worker's hold on msgs, or nil when values are not
// given back.
func (s *Sink[T]) hold(msgs []sink.Message[T]) *valueHold[T] {
	if s.env.Release == nil {
		return nil
	}
	h := &valueHold[T]{msgs: msgs, s: s}
	h.n.Store(1)
	return h
}

func (h *valueHold[T]) add() {
	if h != nil {
		h.n.Add(1)
	}
}

func (h *valueHold[T]) done() {
	if h != nil && h.n.Add(-1) == 0 {
		h.s.env.Release(h.msgs)
	}
}

var errBodyClosed = errors.New("webhook: request body read after close")

// Close stops accepting events and lets the workers drain the queue
// within Env.CloseTimeout. When the budget runs out it cancels requests in
// flight and retries still waiting, reports everything not delivered as
// Failed (with ErrClosed), and returns an error saying how many events
// that was.
func (s *Sink[T]) Close() error {
	s.once.Do(func() { s.doneErr = s.close() })
	return s.doneErr
}

func (s *Sink[T]) close() error {
	s.mu.Lock()
	s.closed = true
	close(s.queue)
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	budget := s.env.CloseTimeout
	timer := time.NewTimer(budget)
	defer timer.Stop()
	var err error
	select {
	case <-done:
	case <-timer.C:
		s.cancel(fmt.Errorf("%w: close budget of %v ran out", ErrClosed, budget))
		<-done
		err = fmt.Errorf("%s: close budget of %v ran out; %d events reported failed", s.name, budget, s.gaveUp.Load())
		s.env.Logger.Warn("webhook output closed with events undelivered", "output", s.name,
			"close_timeout", budget, "failed", s.gaveUp.Load())
	}
	s.cancel(ErrClosed)
	s.http.CloseIdleConnections()
	s.failures.Flush()
	s.drops.Flush()
	return err
}

// pending is one request's events on its way to a worker: the events
// themselves, or in batch mode a JSON array of them that is never built
// in memory (see arrayBody).
type pending[T any] struct {
	msgs []sink.Message[T]
	size int // the body's length in bytes
}

// batcher groups the queue into batches of at most batch_max_events
// events and batch_max_bytes bytes. A batch's body is the JSON array of
// the already-encoded values, written to the connection straight from
// them (arrayBody), so nothing is re-encoded or copied into a body first:
// concatenating them cost a fresh body of up to batch_max_bytes per
// request, zeroed and then filled, and the garbage collector's time for
// it. Blocking on a busy worker pool is intended: the queue then fills
// and Deliver drops, which is the only place load may be shed.
func (s *Sink[T]) batcher(out chan<- pending[T]) {
	defer s.wg.Done()
	defer close(out)
	maxEvents, maxBytes := s.cfg.BatchMaxEvents, s.cfg.BatchMaxBytes
	interval := time.Duration(s.cfg.BatchFlushInterval)
	timer := time.NewTimer(interval)
	timer.Stop()
	defer timer.Stop()

	var cur pending[T]
	flush := func() {
		if len(cur.msgs) == 0 {
			return
		}
		timer.Stop()
		cur.size++ // ']'
		out <- cur
		cur = pending[T]{}
	}
	add := func(m sink.Message[T]) {
		// '[' or ',' before the value, ']' after the last one.
		if len(cur.msgs) > 0 && cur.size+1+len(m.Value)+1 > maxBytes {
			flush()
		}
		if len(cur.msgs) == 0 {
			cur.msgs = make([]sink.Message[T], 0, maxEvents)
			timer.Reset(interval)
		}
		cur.size += 1 + len(m.Value)
		cur.msgs = append(cur.msgs, m)
		if len(cur.msgs) >= maxEvents || cur.size+1 >= maxBytes {
			flush()
		}
	}
	// take handles one receive from the queue; false means the batcher is
	// done: the queue is closed (what is batched is flushed) or the sink
	// is closing (what is batched fails).
	take := func(m sink.Message[T], ok bool) bool {
		switch {
		case !ok:
			flush()
			return false
		case s.ctx.Err() != nil:
			s.failRest(append(cur.msgs, m))
			return false
		}
		add(m)
		return true
	}
	for {
		var tick <-chan time.Time
		if len(cur.msgs) > 0 {
			tick = timer.C
		}
		select {
		case m, ok := <-s.queue:
			if !take(m, ok) {
				return
			}
			// Take what else is queued without going back to the
			// select: one pass through it per event, with a timer
			// case, costs more than the event's own bookkeeping.
			for more := true; more && len(cur.msgs) > 0; {
				select {
				case m, ok := <-s.queue:
					if !take(m, ok) {
						return
					}
				default:
					more = false
				}
			}
		case <-tick:
			flush()
		}
	}
}

// arrayBody reads as the JSON array of msgs' values, '[' v0 ',' v1 … ']',
// without building it. The transport copies a request body to the
// connection in chunks whatever reader it is given, so reading the values
// in place saves the copy into a body and the body itself.
type arrayBody[T any] struct {
	// mu and closed: once Close has returned, no read of the values is
	// running or will start, so hold may give them back. Close waits for
	// a read in progress (the transport may close a body from another
	// goroutine while its writer reads it).
	mu     sync.Mutex
	closed bool
	hold   *valueHold[T]
	msgs   []sink.Message[T]
	i      int // the element being read; len(msgs) is the closing bracket
	off    int // within element i: 0 is its separator, then its value's bytes
	left   int // bytes not yet read
}

var (
	openBracket  = []byte{'['}
	comma        = []byte{','}
	closeBracket = []byte{']'}
)

// newArrayBody reads as msgs' array; hold, when not nil, is added to
// until the body is closed.
func newArrayBody[T any](msgs []sink.Message[T], size int, hold *valueHold[T]) *arrayBody[T] {
	hold.add()
	return &arrayBody[T]{hold: hold, msgs: msgs, left: size}
}

// Close lets go of the body's hold on its values, once.
func (b *arrayBody[T]) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		b.hold.done()
	}
	return nil
}

// Len is what is left to read, which retryablehttp sends as the
// Content-Length.
func (b *arrayBody[T]) Len() int { return b.left }

// segment is the unread part of the current piece: a separator, a
// value or the closing bracket.
func (b *arrayBody[T]) segment() []byte {
	switch {
	case b.i == len(b.msgs):
		return closeBracket[b.off:]
	case b.off == 0 && b.i == 0:
		return openBracket
	case b.off == 0:
		return comma
	}
	return b.msgs[b.i].Value[b.off-1:]
}

// advance moves past n bytes of the current segment.
func (b *arrayBody[T]) advance(n int, seg []byte) {
	b.left -= n
	if n < len(seg) {
		b.off += n
		return
	}
	if b.off == 0 && b.i < len(b.msgs) {
		b.off = 1 // past the separator, onto the value
		if len(b.msgs[b.i].Value) > 0 {
			return
		}
	}
	b.i, b.off = b.i+1, 0
}

func (b *arrayBody[T]) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, errBodyClosed
	}
	if b.left == 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && b.left > 0 {
		seg := b.segment()
		c := copy(p[n:], seg)
		n += c
		b.advance(c, seg)
	}
	return n, nil
}

// WriteTo writes what is left to w piece by piece (the gzip writer takes
// it so, without a copy buffer in between).
func (b *arrayBody[T]) WriteTo(w io.Writer) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, errBodyClosed
	}
	var total int64
	for b.left > 0 {
		seg := b.segment()
		n, err := w.Write(seg)
		total += int64(n)
		b.advance(n, seg)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// attemptsKey carries a request's attempt counter through the context, the
// only per-request state retryablehttp's hooks can see.
type attemptsKey struct{}

type attempts struct {
	n      atomic.Int64
	events int
}

func attemptsOf(ctx context.Context) *attempts {
	a, _ := ctx.Value(attemptsKey{}).(*attempts)
	if a == nil {
		a = &attempts{}
	}
	return a
}

// send POSTs one request, retrying per the configuration, and reports
// the outcome of msgs. The body is value, or when value is nil the JSON
// array of msgs' values, size bytes long.
func (s *Sink[T]) send(msgs []sink.Message[T], value []byte, size int) {
	h := s.hold(msgs)
	defer h.done() // after the report: the worker's own hold
	if s.ctx.Err() != nil {
		s.fail(msgs, &DeliveryError{Output: s.name, Err: context.Cause(s.ctx)}, true)
		return
	}
	var body any = value
	switch {
	case s.cfg.Compression == CompressionGzip:
		// The values are read here, before the request: the hold needs
		// no body of its own.
		var raw io.Reader = bytes.NewReader(value)
		if value == nil {
			raw = newArrayBody(msgs, size, nil)
		}
		payload, err := gzipBytes(raw, size)
		if err != nil {
			s.fail(msgs, &DeliveryError{Output: s.name, Err: fmt.Errorf("gzip: %w", err)}, false)
			return
		}
		body = payload
	case value == nil:
		// A fresh reader per attempt; its Len is the Content-Length.
		body = retryablehttp.ReaderFunc(func() (io.Reader, error) { return newArrayBody(msgs, size, h), nil })
	case h != nil:
		// The transport reads a copy, so that the value can go back
		// after the report whatever the transport still reads. A body
		// that holds the value until closed, as arrays do, is not one
		// net/http knows to be in memory, and it then writes the
		// headers with a write of their own: 10 % of single-event
		// throughput, against a 1 KiB copy per request.
		body = bytes.Clone(value)
	}
	tries := &attempts{events: len(msgs)}
	ctx := context.WithValue(s.ctx, attemptsKey{}, tries)
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, s.target, body)
	if err != nil {
		s.fail(msgs, &DeliveryError{Output: s.name, Err: stripURLError(err)}, false)
		return
	}
	req.Header.Set("Content-Type", s.contentType)
	req.Header.Set("User-Agent", userAgent)
	if s.cfg.Compression == CompressionGzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if !s.cfg.Batch && len(msgs) == 1 && !msgs[0].ID.IsZero() {
		req.Header.Set(HeaderEventID, msgs[0].ID.String())
	}

	resp, err := s.client.Do(req)
	status := 0
	if resp != nil {
		status = resp.StatusCode
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if status >= 200 && status < 300 {
			s.env.Reporter.Report(msgs, sink.Delivered, nil)
			return
		}
	}
	closing := false
	if err != nil {
		if s.ctx.Err() != nil {
			err = context.Cause(s.ctx)
			closing = true
		} else {
			err = stripURLError(err)
		}
	}
	s.fail(msgs, &DeliveryError{Output: s.name, Attempts: int(tries.n.Load()), StatusCode: status, Err: err}, closing)
}

func (s *Sink[T]) fail(msgs []sink.Message[T], err *DeliveryError, closing bool) {
	if closing {
		s.gaveUp.Add(int64(len(msgs)))
	}
	s.env.Reporter.Report(msgs, sink.Failed, err)
	s.failures.Add(len(msgs), err)
}

// failRest reports msgs and everything left in the queue as given up, in
// one report rather than one per event. Only called once the queue is
// closed, so the range ends.
func (s *Sink[T]) failRest(msgs []sink.Message[T]) {
	for m := range s.queue {
		msgs = append(msgs, m)
	}
	s.fail(msgs, &DeliveryError{Output: s.name, Err: context.Cause(s.ctx)}, true)
	s.env.GiveBack(msgs) // never sent
}

// beforeAttempt counts attempts (retryablehttp only reports the total
// through ErrorHandler, which a cancelled backoff wait skips).
func (s *Sink[T]) beforeAttempt(_ retryablehttp.Logger, req *http.Request, i int) {
	a := attemptsOf(req.Context())
	a.n.Store(int64(i + 1))
	s.env.Logger.Debug("webhook attempt", "output", s.name, "attempt", i+1, "events", a.events,
		"bytes", req.ContentLength)
}

// checkRetry retries connection errors, timeouts, 429 and 5xx except 501
// (retryablehttp's policy, which also gives up at once on TLS verification
// failures and redirect loops), never other statuses, and never once the
// output is closing. A 2xx that raced with cancellation still counts as
// delivered.
func (s *Sink[T]) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if err == nil && resp != nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	retry, _ := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	a := attemptsOf(ctx)
	attrs := []any{"output", s.name, "attempt", a.n.Load(), "events", a.events, "retry", retry && a.n.Load() < int64(s.cfg.MaxRetries)}
	if resp != nil {
		attrs = append(attrs, "status", resp.StatusCode)
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			attrs = append(attrs, "retry_after", ra)
		}
	}
	if err != nil {
		attrs = append(attrs, "err", stripURLError(err).Error())
	}
	s.env.Logger.Debug("webhook attempt failed", attrs...)
	return retry, nil
}

// backoff doubles from retry_backoff, honours Retry-After on 429 and 503,
// and caps both at max so a receiver cannot park a worker indefinitely.
func backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	return capDuration(retryablehttp.DefaultBackoff(min, max, attempt, resp), max)
}

func capDuration(d, max time.Duration) time.Duration {
	if d > max || d < 0 {
		return max
	}
	return d
}

// keepMethod follows only redirects that repeat the POST with its body
// (307, 308). net/http turns a POST into a body-less GET on 301, 302 and
// 303, and a 200 to that GET would report events delivered that the
// receiver never got; stopping returns the 3xx, which fails the events.
func keepMethod(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.Method != via[0].Method {
		return http.ErrUseLastResponse
	}
	return nil
}

// stripURLError removes the URL net/http puts in its errors (it hides the
// password but keeps the query).
func stripURLError(err error) error {
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
	}
	return err
}

var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

func gzipBytes(r io.Reader, size int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(size/4 + 64)
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	if _, err := io.Copy(zw, r); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
