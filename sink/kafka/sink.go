package kafka

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
	commoncfg "github.com/prometheus/common/config"

	"github.com/eventrecorder/eventrecorder/internal/readlimit"
	"github.com/eventrecorder/eventrecorder/sink"
)

// Kind is the table row for Kafka outputs (kafka_outputs).
func Kind[T any]() sink.Kind[T] {
	return sink.KindOf[T, Config]{
		Name:       "kafka",
		New:        newBuffered[T],
		Equal:      Equal,
		Format:     FormatOf,
		OutputName: func(cfg Config) string { return cfg.name() },
	}.Kind()
}

// Record header names. Consumers can route or decode on them without
// parsing the value.
const (
	HeaderEventType   = "event_type"
	HeaderContentType = "content_type"
	// HeaderEventID is the event's id (sink.EventID) as the canonical
	// text of a UUIDv7: the same on every output and every retry, so a
	// consumer that has seen it has seen the event. Absent only on a
	// message without an id.
	HeaderEventID = "event_id"
)

// ProduceErrorsMetric counts the records an output failed to produce, by
// output and error_type (network, timeout, broker, message_too_large or
// unknown).
const ProduceErrorsMetric = "event_kafka_produce_errors_total"

// Error types of ProduceErrorsMetric.
const (
	ErrorNetwork = "network"
	ErrorTimeout = "timeout"
	ErrorBroker  = "broker"
	ErrorUnknown = "unknown"
	// ErrorMessageTooLarge is a record larger than the topic accepts
	// (its max.message.bytes), refused by the output before sending it
	// or by the broker when it went alone.
	ErrorMessageTooLarge = "message_too_large"
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
	errNoAnswer     = errors.New("kafka: not connected to the brokers: no answer before the close timeout")
)

// Sink produces messages to a Kafka topic through a sarama AsyncProducer.
//
// Deliver only ever puts messages in the local buffer, which is bounded.
// One goroutine (run) takes them from there into the current producer
// and reports its results, the successes relayed to it by a goroutine per
// producer (see relaySuccesses). sarama cannot build a producer while no
// broker answers, so producers are built in the background, and while
// there is none the buffer fills and then drops. When the current
// producer finds the cluster unreachable it is retired (closed and
// drained in a goroutine of its own, which reports what it still held)
// and a new one is built, which also resets sarama's circuit breakers
// that would otherwise fail every message for ten seconds after the
// cluster comes back.
type Sink[T any] struct {
	cfg     Config
	env     sink.Env[T]
	name    string
	sc      *sarama.Config
	counter map[string]prometheus.Counter // produce errors by error type

	contentType []byte
	key         sarama.Encoder // the record key when it is the same for all
	keyBytes    []byte         // key's bytes: a message with this key shares key rather than boxing its own
	sent        sink.Outcome   // what a success from sarama means: Delivered or Unacknowledged

	mu     sync.RWMutex // Deliver holds it shared, Close exclusive
	closed bool
	buf    *backlog[T]

	closing  chan struct{} // closed when Close starts
	deadline time.Time     // when Close gives up; written before closing is closed
	drained  chan struct{} // every message has been reported
	stopped  chan struct{} // every goroutine of this sink has ended
	once     sync.Once
	closeErr error

	reporting  sync.WaitGroup // goroutines that may still report
	goroutines sync.WaitGroup // every goroutine
	gaveUp     atomic.Int64   // messages given up at close
	connErr    atomic.Pointer[error]

	// An outage fails every message in flight: a line per interval with
	// a count says so without flooding the log.
	failures *sink.FailureLog

	// Owned by run.
	typeHeaders map[string][]byte
	typeKeys    map[string]sarama.Encoder
	retry       []*record[T] // refused with a batch too large, to go again alone

	// free and records hold records sarama has answered with a success,
	// zeroed, for newRecord to reuse: a record is some 500 bytes, and
	// allocating and collecting one per message was the largest cost of
	// the pump (BenchmarkSink's profile). free, owned by run, takes the
	// first maxFreeRecords; the pool takes the rest, and those a retiring
	// producer's goroutine answers. A slice first because a pool's Put
	// and Get, where the goroutine changes threads between them, were 4 %
	// of the process's CPU in BenchmarkKafkaThroughput. Only successes
	// come back: a failed record may be kept (s.retry) or reported as it
	// is.
	free    []*record[T]
	records sync.Pool
}

// maxFreeRecords bounds Sink.free: 1024 records, about 0.5 MiB, counted
// in README's memory bound with sarama in its fixed part.
const maxFreeRecords = 1024

var _ sink.Sink[int] = (*Sink[int])(nil)

// record is a message on its way through a producer. It embeds the
// ProducerMessage and the value encoder so that each message costs one
// allocation, and links into its producer's in-flight list so that what
// the producer still holds can be failed when Close runs out of time.
type record[T any] struct {
	pm         sarama.ProducerMessage
	value      sarama.ByteEncoder
	headers    [3]sarama.RecordHeader
	id         [36]byte // HeaderEventID's value
	msg        sink.Message[T]
	prev, next *record[T]
	alone      bool // sent (or to be sent) on its own after a batch was too large
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
		name:        sink.NameOr(cfg, cfg.name()),
		sc:          sc,
		counter:     map[string]prometheus.Counter{},
		contentType: []byte(FormatOf(cfg).ContentType()),
		sent:        sink.Delivered,
		buf:         newBacklog[T](cfg.BufferSize),
		closing:     make(chan struct{}),
		drained:     make(chan struct{}),
		stopped:     make(chan struct{}),
		typeHeaders: map[string][]byte{},
		typeKeys:    map[string]sarama.Encoder{},
	}
	s.failures = sink.NewFailureLog(env.Logger, "kafka output failed to produce", "failures", "output", s.name)
	vec := env.Metrics.CounterVec(ProduceErrorsMetric, "Records that a Kafka output failed to produce, by error type.", "output", "error_type")
	for _, t := range []string{ErrorNetwork, ErrorTimeout, ErrorBroker, ErrorMessageTooLarge, ErrorUnknown} {
		s.counter[t] = vec.WithLabelValues(s.name, t)
	}
	if cfg.Acks == AcksNone {
		s.sent = sink.Unacknowledged
	}
	if cfg.Key == KeyInstance && env.Instance != "" {
		s.keyBytes = []byte(env.Instance)
		s.key = sarama.ByteEncoder(s.keyBytes)
	}
	if cfg.SASL != nil && cfg.SASL.Mechanism == SASLPlain && cfg.TLSConfig == nil {
		env.Logger.Warn("kafka output sends its SASL PLAIN password without TLS", "output", s.name)
	}
	env.Logger.Info("kafka output starting", "output", s.name, "acks", string(cfg.Acks),
		"compression", string(cfg.Compression), "format", string(cfg.Format), "buffer_size", cfg.BufferSize)

	s.reporting.Add(1)
	s.goroutines.Add(1)
	go func() {
		defer s.goroutines.Done()
		s.run()
	}()
	go func() {
		s.goroutines.Wait()
		close(s.stopped)
	}()
	return s, nil
}

// ProducerConfig is the sarama configuration an output built from cfg
// starts its producer with (before it lowers MaxMessageBytes to the
// topic's max.message.bytes, which it reads once connected). It is for
// benchmarks and diagnostics that compare the output with a bare sarama
// producer configured identically; the output does not use what it
// returns.
func ProducerConfig(cfg Config) (*sarama.Config, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return saramaConfig(&cfg)
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
			b, err := readlimit.ReadFile(s.PasswordFile, sink.MaxSecretFileBytes, "a password file")
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
		msgs := append([]sink.Message[T](nil), batch...)
		s.env.Reporter.Report(msgs, sink.Failed, errClosed)
		s.env.GiveBack(msgs)
		return
	}
	k := s.buf.add(batch)
	s.mu.RUnlock()
	if k < len(batch) {
		msgs := append([]sink.Message[T](nil), batch[k:]...)
		s.env.Reporter.Report(msgs, sink.Dropped, nil)
		s.env.GiveBack(msgs)
	}
}

// ReleasesValues implements sink.ValueReleaser: every message goes back
// through Env.Release once it is reported and sarama, if it had it, has
// returned it. Messages still in a producer that Close abandons are the
// exception: sarama may read them after Close returns, so they are never
// given back, and the recorder does not reuse their memory.
func (s *Sink[T]) ReleasesValues() bool { return s.env.Release != nil }

// Close flushes the buffer and waits for the brokers' acknowledgements
// until Env.CloseTimeout has passed, then reports whatever is left as
// Failed. It returns an error saying how many messages it gave up on.
// sarama may need a moment longer to wind down its goroutines after the
// connections are closed; nothing is reported after Close returns.
func (s *Sink[T]) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.deadline = time.Now().Add(s.env.CloseTimeout)
		s.mu.Unlock()
		close(s.closing)
		s.reporting.Wait()
		s.failures.Flush()
		if n := s.gaveUp.Load(); n > 0 {
			s.closeErr = fmt.Errorf("kafka: %s: gave up on %d messages at close", s.name, n)
		}
		close(s.drained)
	})
	<-s.drained
	return s.closeErr
}

// The header keys every record carries, shared rather than converted per
// record (sarama only reads them).
var (
	headerEventType   = []byte(HeaderEventType)
	headerContentType = []byte(HeaderContentType)
)

// newRecord makes the record of m, reusing one from s.free or s.records
// when there is one (zeroed by recycle, so only the fields set here are
// set).
func (s *Sink[T]) newRecord(m sink.Message[T]) *record[T] {
	var r *record[T]
	if n := len(s.free); n > 0 {
		r, s.free[n-1] = s.free[n-1], nil
		s.free = s.free[:n-1]
	} else if r, _ = s.records.Get().(*record[T]); r == nil {
		r = new(record[T])
	}
	r.msg, r.value = m, m.Value
	r.pm.Topic = s.cfg.Topic
	r.pm.Value = &r.value
	r.pm.Metadata = r
	r.headers[0] = sarama.RecordHeader{Key: headerEventType, Value: s.typeHeader(m.Type)}
	r.headers[1] = sarama.RecordHeader{Key: headerContentType, Value: s.contentType}
	r.pm.Headers = r.headers[:2]
	if !m.ID.IsZero() {
		id, _ := m.ID.AppendText(r.id[:0])
		r.headers[2] = sarama.RecordHeader{Key: headerEventID, Value: id}
		r.pm.Headers = r.headers[:]
	}
	switch s.cfg.Key {
	case KeyInstance:
		// The message's own key is the instance that recorded it (a
		// replayed event keeps its original one); the output's
		// instance is the fallback.
		if len(m.Key) > 0 && (s.key == nil || !bytes.Equal(m.Key, s.keyBytes)) {
			r.pm.Key = sarama.ByteEncoder(m.Key)
		} else if s.key != nil {
			r.pm.Key = s.key
		}
	case KeyEventType:
		r.pm.Key = s.typeKey(m.Type)
	}
	return r
}

// recycle zeroes r, which the producer has answered and nothing refers
// to any more, so that it holds no event, and keeps it for newRecord:
// in s.free when run calls it (owner), else in the pool.
func (s *Sink[T]) recycle(r *record[T], owner bool) {
	*r = record[T]{}
	if owner && len(s.free) < maxFreeRecords {
		s.free = append(s.free, r)
		return
	}
	s.records.Put(r)
}

// admit makes a record of m for c's producer or, when m is larger than
// the producer may send, reports it Failed and returns nil. Sent, it
// would make the broker refuse the whole record batch it joined, healthy
// events included.
func (s *Sink[T]) admit(c *conn[T], m sink.Message[T]) *record[T] {
	r := s.newRecord(m)
	if size := r.pm.ByteSize(recordVersion); size > c.maxBytes {
		err := fmt.Errorf("kafka: produce to %s (%s error): record of %d bytes is over the %d bytes the producer sends in a record batch",
			s.cfg.Topic, ErrorMessageTooLarge, size, c.maxBytes)
		s.counter[ErrorMessageTooLarge].Inc()
		msgs := []sink.Message[T]{m}
		s.env.Reporter.Report(msgs, sink.Failed, err)
		s.failures.Add(1, err)
		s.env.GiveBack(msgs)
		return nil
	}
	return r
}

// recordVersion is the record format sarama sizes messages for: v2, the
// only one that has headers.
const recordVersion = 2

// headerEventID is HeaderEventID as a header key, shared by every record
// (sarama only reads it).
var headerEventID = []byte(HeaderEventID)

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

// classify maps a produce error to an error_type label.
func classify(err error) string {
	var kerr sarama.KError
	switch {
	case errors.Is(err, sarama.ErrMessageSizeTooLarge), errors.Is(err, sarama.ErrMessageSetSizeTooLarge):
		return ErrorMessageTooLarge
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
