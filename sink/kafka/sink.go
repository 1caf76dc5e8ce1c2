package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
	commoncfg "github.com/prometheus/common/config"

	"github.com/eventrecorder/eventrecorder/sink"
)

// Kind is the table row for Kafka outputs (kafka_outputs).
func Kind[T any]() sink.Kind[T] {
	return sink.KindOf[T, Config]{
		Name: "kafka",
		New: func(cfg Config, env sink.Env[T]) (sink.Sink[T], error) {
			return New(cfg, env)
		},
		Equal:  Equal,
		Format: FormatOf,
	}.Kind()
}

// Record header names. Consumers can route or decode on them without
// parsing the value.
const (
	HeaderEventType   = "event_type"
	HeaderContentType = "content_type"
)

// ProduceErrorsMetric counts produce errors by output and error_type
// (network, timeout, broker or unknown).
const ProduceErrorsMetric = "event_kafka_produce_errors_total"

// Error types of ProduceErrorsMetric.
const (
	ErrorNetwork = "network"
	ErrorTimeout = "timeout"
	ErrorBroker  = "broker"
	ErrorUnknown = "unknown"
)

// timings are variables so that tests can shorten them; production uses
// these values.
var timings = struct {
	connectMin, connectMax time.Duration // backoff between connection attempts
	retryBackoff           time.Duration // between produce retries of one batch
	metadataBackoff        time.Duration // between metadata retries
	dialTimeout            time.Duration
}{
	connectMin:      250 * time.Millisecond,
	connectMax:      30 * time.Second,
	retryBackoff:    100 * time.Millisecond,
	metadataBackoff: 250 * time.Millisecond,
	dialTimeout:     10 * time.Second,
}

var (
	errClosed       = errors.New("kafka: output is closed")
	errCloseTimeout = errors.New("kafka: close timeout reached before the brokers acknowledged")
)

// Sink produces messages to a Kafka topic through a sarama AsyncProducer.
//
// Deliver only ever puts messages in a bounded channel (the local buffer);
// one goroutine feeds the producer from it and turns the producer's
// Successes and Errors into reports. The producer is built in the
// background, because sarama refuses to build one while no broker answers
// and an output must start even when Kafka is down.
type Sink[T any] struct {
	cfg     Config
	env     sink.Env[T]
	name    string
	sc      *sarama.Config
	counter map[string]prometheus.Counter // produce errors by error type

	contentType []byte
	key         sarama.Encoder // the record key when it is the same for all

	mu     sync.RWMutex // Deliver holds it shared, Close exclusive
	closed bool
	buf    chan sink.Message[T]

	closing  chan struct{} // closed when Close starts
	deadline time.Time     // when Close gives up; written before closing is closed
	drained  chan struct{} // every message has been reported
	stopped  chan struct{} // every goroutine of this sink has ended
	once     sync.Once
	closeErr error

	connErr atomic.Pointer[error] // the last failed connection attempt

	// Owned by the run goroutine.
	inflight    record[T] // sentinel of the list of records the producer holds
	nInflight   int
	typeHeaders map[string][]byte
	typeKeys    map[string]sarama.Encoder
	lastErrLog  time.Time
	errsUnseen  int
}

// record is a message on its way through the producer. It embeds the
// ProducerMessage and the value encoder so that each message costs one
// allocation, and links into the in-flight list so that Close can fail
// what the producer still holds when time runs out.
type record[T any] struct {
	pm         sarama.ProducerMessage
	value      sarama.ByteEncoder
	headers    [2]sarama.RecordHeader
	msg        sink.Message[T]
	prev, next *record[T]
}

type conn struct {
	client   sarama.Client
	producer sarama.AsyncProducer
}

// New builds a Kafka output. It fails only on configuration that cannot
// work (invalid values, an unreadable CA or password file); unreachable
// brokers are retried in the background while messages wait in the buffer.
func New[T any](cfg Config, env sink.Env[T]) (*Sink[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	env = env.WithDefaults()
	sc, err := saramaConfig(&cfg)
	if err != nil {
		return nil, err
	}
	s := &Sink[T]{
		cfg:         cfg,
		env:         env,
		name:        cfg.name(),
		sc:          sc,
		counter:     map[string]prometheus.Counter{},
		contentType: []byte(FormatOf(cfg).ContentType()),
		buf:         make(chan sink.Message[T], cfg.BufferSize),
		closing:     make(chan struct{}),
		drained:     make(chan struct{}),
		stopped:     make(chan struct{}),
		typeHeaders: map[string][]byte{},
		typeKeys:    map[string]sarama.Encoder{},
	}
	s.inflight.next, s.inflight.prev = &s.inflight, &s.inflight
	vec := env.Metrics.CounterVec(ProduceErrorsMetric, "Records that a Kafka output failed to produce, by error type.", "output", "error_type")
	for _, t := range []string{ErrorNetwork, ErrorTimeout, ErrorBroker, ErrorUnknown} {
		s.counter[t] = vec.WithLabelValues(s.name, t)
	}
	if cfg.Key == KeyInstance && env.Instance != "" {
		s.key = sarama.ByteEncoder(env.Instance)
	}
	if cfg.SASL != nil && cfg.SASL.Mechanism == SASLPlain && cfg.TLSConfig == nil {
		env.Logger.Warn("kafka output sends its SASL PLAIN password without TLS", "output", s.name)
	}
	env.Logger.Info("kafka output starting", "output", s.name, "acks", string(cfg.Acks),
		"compression", string(cfg.Compression), "format", string(cfg.Format), "buffer_size", cfg.BufferSize)

	ctx, cancel := context.WithCancel(context.Background())
	connCh := make(chan conn) // unbuffered: a connection nobody takes is closed by its maker
	connDone := make(chan struct{})
	go func() {
		defer close(connDone)
		s.connect(ctx, connCh)
	}()
	go func() {
		defer close(s.stopped)
		s.run(connCh, cancel)
		<-connDone
	}()
	return s, nil
}

// saramaConfig translates cfg; cfg has been validated.
func saramaConfig(cfg *Config) (*sarama.Config, error) {
	sc := sarama.NewConfig()
	sc.ClientID = cfg.ClientID
	// sarama's default go-metrics registry starts a goroutine per process
	// that never ends; nothing reads those metrics.
	sc.MetricRegistry = nilRegistry{}
	sc.Net.DialTimeout = timings.dialTimeout
	sc.Metadata.Full = false // only our topic, not the whole cluster
	sc.Metadata.Retry.Backoff = timings.metadataBackoff
	sc.Producer.Return.Successes = true
	sc.Producer.Return.Errors = true
	sc.Producer.Retry.Backoff = timings.retryBackoff
	// The Java client's partitioner, so that a key lands on the same
	// partition whichever client produced it.
	sc.Producer.Partitioner = sarama.NewMurmur2Partitioner
	switch cfg.Acks {
	case AcksNone:
		sc.Producer.RequiredAcks = sarama.NoResponse
	case AcksLeader:
		sc.Producer.RequiredAcks = sarama.WaitForLocal
	case AcksAll:
		sc.Producer.RequiredAcks = sarama.WaitForAll
		sc.Producer.Idempotent = true
		sc.Net.MaxOpenRequests = 1 // sarama's requirement for idempotence
	}
	switch cfg.Compression {
	case CompressionNone:
		sc.Producer.Compression = sarama.CompressionNone
	case CompressionGzip:
		sc.Producer.Compression = sarama.CompressionGZIP
	case CompressionSnappy:
		sc.Producer.Compression = sarama.CompressionSnappy
	case CompressionLZ4:
		sc.Producer.Compression = sarama.CompressionLZ4
	case CompressionZstd:
		sc.Producer.Compression = sarama.CompressionZSTD
	}
	if cfg.TLSConfig != nil {
		tc, err := commoncfg.NewTLSConfig(cfg.TLSConfig)
		if err != nil {
			return nil, sink.Errorf("tls_config", "%v", err)
		}
		sc.Net.TLS.Enable = true
		sc.Net.TLS.Config = tc
	}
	if s := cfg.SASL; s != nil {
		password := string(s.Password)
		if s.PasswordFile != "" {
			b, err := os.ReadFile(s.PasswordFile)
			if err != nil {
				return nil, sink.Errorf("sasl.password_file", "cannot read %q: %v", s.PasswordFile, unwrapPathError(err))
			}
			password = strings.TrimRight(string(b), "\r\n")
		}
		sc.Net.SASL.Enable = true
		sc.Net.SASL.Handshake = true
		sc.Net.SASL.User = s.Username
		sc.Net.SASL.Password = password
		switch s.Mechanism {
		case SASLPlain:
			sc.Net.SASL.Mechanism = sarama.SASLTypePlaintext
		case SASLScramSHA256:
			sc.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA256
			sc.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return newSCRAMClient(false) }
		case SASLScramSHA512:
			sc.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA512
			sc.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return newSCRAMClient(true) }
		}
	}
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("kafka: producer configuration: %w", err)
	}
	return sc, nil
}

// unwrapPathError drops the path from err: the caller already quotes it.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Name is kafka:<sorted, comma-joined brokers>/<topic>.
func (s *Sink[T]) Name() string { return s.name }

// Deliver queues the batch in the local buffer and reports what does not
// fit as Dropped. It never waits for Kafka.
func (s *Sink[T]) Deliver(batch []sink.Message[T]) {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		s.env.Reporter.Report(append([]sink.Message[T](nil), batch...), sink.Failed, errClosed)
		return
	}
	var dropped []sink.Message[T]
	for i := range batch {
		select {
		case s.buf <- batch[i]:
		default:
			dropped = append(dropped, batch[i])
		}
	}
	s.mu.RUnlock()
	if len(dropped) > 0 {
		s.env.Reporter.Report(dropped, sink.Dropped, nil)
	}
}

// Close flushes the buffer and waits for the brokers' acknowledgements
// until Env.CloseTimeout has passed, then reports whatever is left as
// Failed. It returns an error saying how many messages it gave up on.
func (s *Sink[T]) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.deadline = time.Now().Add(s.env.CloseTimeout)
		s.mu.Unlock()
		close(s.closing)
		<-s.drained
	})
	<-s.drained
	return s.closeErr
}

// connect builds the client and producer, retrying with capped
// exponential backoff, and hands them to run.
func (s *Sink[T]) connect(ctx context.Context, out chan<- conn) {
	backoff := timings.connectMin
	closing := s.closing
	for attempt := 1; ; attempt++ {
		c, err := s.dial()
		if err == nil {
			if attempt > 1 {
				s.env.Logger.Info("kafka output connected", "output", s.name, "attempts", attempt)
			}
			select {
			case out <- c:
			case <-ctx.Done():
				c.close()
			}
			return
		}
		s.connErr.Store(&err)
		level := slog.LevelDebug
		if attempt == 1 || backoff < timings.connectMax {
			level = slog.LevelWarn
		}
		wait := backoff/2 + rand.N(backoff/2+1) // jitter, so that outputs do not retry in lockstep
		s.env.Logger.Log(ctx, level, "kafka output cannot connect; retrying", "output", s.name, "attempt", attempt, "retry_in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-closing:
			// Close has started: try once more now, so that a broker that
			// has come back can still take the buffer.
			t.Stop()
			closing = nil
		case <-ctx.Done():
			t.Stop()
			return
		}
		backoff = min(2*backoff, timings.connectMax)
	}
}

func (s *Sink[T]) dial() (conn, error) {
	client, err := sarama.NewClient(s.cfg.Brokers, s.sc)
	if err != nil {
		return conn{}, err
	}
	producer, err := sarama.NewAsyncProducerFromClient(client)
	if err != nil {
		client.Close()
		return conn{}, err
	}
	return conn{client: client, producer: producer}, nil
}

func (c conn) close() {
	c.producer.Close()
	c.client.Close()
}

// run is the sink's only consumer of the buffer and of the producer's
// result channels, so the bookkeeping it owns needs no lock.
func (s *Sink[T]) run(connCh <-chan conn, stopConnecting context.CancelFunc) {
	defer stopConnecting()
	var c conn
	select {
	case c = <-connCh:
	case <-s.closing:
		t := time.NewTimer(time.Until(s.deadline))
		select {
		case c = <-connCh:
			t.Stop()
		case <-t.C:
			stopConnecting()
			err := errCloseTimeout
			if p := s.connErr.Load(); p != nil {
				err = fmt.Errorf("kafka: never connected to the brokers: %w", *p)
			}
			s.finish(s.giveUp(nil, err))
			return
		}
	}
	p := c.producer
	var pending *record[T]
	for open := true; open; {
		var in chan<- *sarama.ProducerMessage
		var src <-chan sink.Message[T]
		if pending != nil {
			in = p.Input()
		} else {
			src = s.buf
		}
		select {
		case m := <-src:
			pending = s.newRecord(m)
		case in <- &pending.pm:
			s.link(pending)
			pending = nil
		case m := <-p.Successes():
			s.succeeded(m, p.Successes())
		case e := <-p.Errors():
			s.errored(e)
		case <-s.closing:
			open = false
		}
	}

	// Closing: no Deliver can add to the buffer any more. Hand the
	// producer everything, then let it flush.
	timer := time.NewTimer(time.Until(s.deadline))
	defer timer.Stop()
	succ, errs := p.Successes(), p.Errors()
	for pending != nil || len(s.buf) > 0 {
		if pending == nil {
			pending = s.newRecord(<-s.buf)
		}
		select {
		case p.Input() <- &pending.pm:
			s.link(pending)
			pending = nil
		case m := <-succ:
			s.succeeded(m, succ)
		case e := <-errs:
			s.errored(e)
		case <-timer.C:
			s.abandon(c, s.giveUp(pending, errCloseTimeout))
			return
		}
	}
	p.AsyncClose()
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
			s.errored(e)
		case <-timer.C:
			s.abandon(c, s.giveUp(nil, errCloseTimeout))
			return
		}
	}
	s.finish(0)
	c.client.Close()
}

// giveUp reports pending, the buffer and everything in flight as Failed
// and returns how many messages that was.
func (s *Sink[T]) giveUp(pending *record[T], err error) int {
	var failed []sink.Message[T]
	if pending != nil {
		failed = append(failed, pending.msg)
	}
	for n := len(s.buf); n > 0; n-- {
		failed = append(failed, <-s.buf)
	}
	for r := s.inflight.next; r != &s.inflight; r = r.next {
		failed = append(failed, r.msg)
	}
	s.inflight.next, s.inflight.prev = &s.inflight, &s.inflight
	s.nInflight = 0
	if len(failed) > 0 {
		s.env.Reporter.Report(failed, sink.Failed, err)
		s.env.Logger.Warn("kafka output gave up on messages at close", "output", s.name, "messages", len(failed), "err", err)
	}
	return len(failed)
}

// abandon lets Close return, then makes the producer finish quickly:
// closing the client breaks the connections its requests wait on. The
// results that still come are for messages already reported Failed.
func (s *Sink[T]) abandon(c conn, gaveUp int) {
	s.finish(gaveUp)
	c.producer.AsyncClose()
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
}

func (s *Sink[T]) finish(gaveUp int) {
	if gaveUp > 0 {
		s.closeErr = fmt.Errorf("kafka: %s: gave up on %d messages at close", s.name, gaveUp)
	}
	close(s.drained)
}

func (s *Sink[T]) newRecord(m sink.Message[T]) *record[T] {
	r := &record[T]{msg: m, value: m.Value}
	r.pm.Topic = s.cfg.Topic
	r.pm.Value = &r.value
	r.pm.Metadata = r
	r.headers[0] = sarama.RecordHeader{Key: []byte(HeaderEventType), Value: s.typeHeader(m.Type)}
	r.headers[1] = sarama.RecordHeader{Key: []byte(HeaderContentType), Value: s.contentType}
	r.pm.Headers = r.headers[:]
	switch s.cfg.Key {
	case KeyInstance:
		if s.key != nil {
			r.pm.Key = s.key
		} else if len(m.Key) > 0 {
			r.pm.Key = sarama.ByteEncoder(m.Key)
		}
	case KeyEventType:
		r.pm.Key = s.typeKey(m.Type)
	}
	return r
}

// maxCachedTypes bounds the per-type caches; event types come from a
// schema, so the bound is only a guard against a caller inventing types.
const maxCachedTypes = 1024

func (s *Sink[T]) typeHeader(t string) []byte {
	if b, ok := s.typeHeaders[t]; ok {
		return b
	}
	b := []byte(t)
	if len(s.typeHeaders) < maxCachedTypes {
		s.typeHeaders[t] = b
	}
	return b
}

func (s *Sink[T]) typeKey(t string) sarama.Encoder {
	if k, ok := s.typeKeys[t]; ok {
		return k
	}
	k := sarama.ByteEncoder(s.typeHeader(t))
	if len(s.typeKeys) < maxCachedTypes {
		s.typeKeys[t] = k
	}
	return k
}

func (s *Sink[T]) link(r *record[T]) {
	r.prev, r.next = s.inflight.prev, &s.inflight
	s.inflight.prev.next = r
	s.inflight.prev = r
	s.nInflight++
}

func (s *Sink[T]) unlink(r *record[T]) {
	r.prev.next, r.next.prev = r.next, r.prev
	r.prev, r.next = nil, nil
	s.nInflight--
}

// maxReportBatch bounds how many successes are gathered into one report.
const maxReportBatch = 256

// succeeded reports m and whatever other successes are already waiting,
// as one batch.
func (s *Sink[T]) succeeded(m *sarama.ProducerMessage, more <-chan *sarama.ProducerMessage) {
	if m == nil {
		return
	}
	r := m.Metadata.(*record[T])
	s.unlink(r)
	batch := []sink.Message[T]{r.msg}
gather:
	for len(batch) < maxReportBatch {
		select {
		case m, ok := <-more:
			if !ok || m == nil {
				break gather
			}
			r := m.Metadata.(*record[T])
			s.unlink(r)
			batch = append(batch, r.msg)
		default:
			break gather
		}
	}
	s.env.Reporter.Report(batch, sink.Delivered, nil)
}

func (s *Sink[T]) errored(e *sarama.ProducerError) {
	if e == nil {
		return
	}
	r := e.Msg.Metadata.(*record[T])
	s.unlink(r)
	typ := classify(e.Err)
	s.counter[typ].Inc()
	err := fmt.Errorf("kafka: produce to %s (%s error): %w", s.cfg.Topic, typ, e.Err)
	s.env.Reporter.Report([]sink.Message[T]{r.msg}, sink.Failed, err)
	// A broker outage fails every message in flight; one line per 10s
	// says so without flooding the log.
	s.errsUnseen++
	if now := time.Now(); now.Sub(s.lastErrLog) >= 10*time.Second {
		s.env.Logger.Warn("kafka output failed to produce", "output", s.name, "error_type", typ, "failures", s.errsUnseen, "err", e.Err)
		s.lastErrLog, s.errsUnseen = now, 0
	}
}

// classify maps a produce error to an error_type label.
func classify(err error) string {
	var kerr sarama.KError
	switch {
	case errors.Is(err, sarama.ErrRequestTimedOut), errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return ErrorTimeout
	case errors.Is(err, sarama.ErrOutOfBrokers), errors.Is(err, sarama.ErrNotConnected),
		errors.Is(err, sarama.ErrClosedClient), isNetwork(err):
		return ErrorNetwork
	case errors.As(err, &kerr):
		return ErrorBroker
	}
	return ErrorUnknown
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func isNetwork(err error) bool {
	// net.Error and syscall.Errno (connection refused or reset) both
	// have Timeout; reaching here means it returned false.
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}
