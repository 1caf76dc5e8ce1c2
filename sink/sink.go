// Package sink defines what an output is to the recorder, independent of
// any event type: a named destination that takes batches of already-encoded
// events and reports what became of each one, plus the table of output
// kinds (file, stdout, webhook, kafka, and any a user registers) from which
// outputs are built.
//
// The recorder encodes every event once per wire format and hands the same
// bytes to every output that wants that format, so a sink never serializes
// anything itself. Every message a sink accepts must be reported exactly
// once — delivered, sent unacknowledged, dropped or failed — which is what
// lets the recorder prove that nothing is lost silently.
package sink

import (
	"log/slog"
	"reflect"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Format is the wire format an output wants its events in.
type Format int

const (
	// JSON is protojson-compatible JSON, one object per event.
	JSON Format = iota + 1
	// Protobuf is the binary protobuf encoding of the event envelope.
	Protobuf
)

// String returns the name used in configuration ("json" or "protobuf").
func (f Format) String() string {
	switch f {
	case JSON:
		return "json"
	case Protobuf:
		return "protobuf"
	}
	return "unknown"
}

// ContentType is the MIME type of a single encoded event in this format.
func (f Format) ContentType() string {
	switch f {
	case JSON:
		return "application/json"
	case Protobuf:
		return "application/x-protobuf"
	}
	return "application/octet-stream"
}

// Message is one encoded event on its way to one output.
//
// Value is shared between every output that uses the same format and must
// be treated as read-only; it may be retained after Deliver returns, unless
// the kind is declared Synchronous (see KindOf), until the sink gives it
// back through Env.Release, if it does. The batch slice that
// carries messages is reused by the caller, so a sink that delivers
// asynchronously copies the Message values it keeps.
type Message[T any] struct {
	// Event is the caller's handle on the event. Sinks pass it back through
	// the Reporter and otherwise leave it alone.
	Event T
	// Type is the event-type name, such as "alert_created".
	Type string
	// Key groups events that must stay in order (the Kafka record key).
	Key []byte
	// Value is the event encoded in the output's Format.
	Value []byte
	// Time is when the event was recorded, for end-to-end latency.
	Time time.Time
	// ID identifies the event (see EventID): the same on every output
	// and every retry. Outputs that can carry it beside the body (a
	// Kafka record header, a webhook request header) send it, so that
	// consumers can deduplicate. Zero when the message has none.
	ID EventID
}

// Outcome is what became of a message.
type Outcome int

const (
	// Delivered means the destination acknowledged the message.
	Delivered Outcome = iota + 1
	// Dropped means the output shed the message without trying, because
	// its local buffer was full.
	Dropped
	// Failed means the output tried and gave up: retries exhausted, a
	// permanent error, or Close's budget ran out.
	Failed
	// Unacknowledged means the output sent the message without asking
	// the destination to acknowledge it (Kafka with acks: none): it left
	// the process, but nothing confirms that the destination stored it,
	// so it must not be counted as Delivered.
	Unacknowledged
	// Persisted means the output did not deliver the message before it
	// closed but holds it in a durable buffer (see package sink/buffer),
	// from which the next output started on that buffer delivers it: the
	// message is neither lost nor delivered yet. It is reported only by
	// Close.
	Persisted
)

// String returns the lower-case name of the outcome.
func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case Dropped:
		return "dropped"
	case Failed:
		return "failed"
	case Unacknowledged:
		return "unacknowledged"
	case Persisted:
		return "persisted"
	}
	return "unknown"
}

// Reporter receives the outcome of every message handed to a sink.
//
// A sink reports each message exactly once, from any goroutine, at the
// latest before its Close returns. err explains a Failed outcome (nil
// otherwise). Implementations must be safe for concurrent use and must not
// block for long.
type Reporter[T any] interface {
	Report(msgs []Message[T], outcome Outcome, err error)
}

// BufferStats is what an output's buffer holds and has done since the
// output started.
type BufferStats struct {
	// Events and Bytes are held now: accepted from the recorder, not yet
	// reported.
	Events, Bytes int64
	// Replayed counts the records a durable buffer held when the output
	// started (left by an earlier process); the output reports each of
	// them once like any other message, with the zero value as its Event.
	Replayed uint64
	// Corrupt counts the records found damaged (a torn tail after a crash,
	// a bad checksum) and skipped: they were never delivered, and cannot
	// be reported per event because nothing of them can be trusted.
	Corrupt uint64
}

// Buffered is implemented by sinks that hold a buffer of their own worth
// reporting (events and bytes held, replayed and corrupt records).
type Buffered interface {
	BufferStats() BufferStats
}

// Sink is one configured output.
type Sink[T any] interface {
	// Name is a stable identifier, used as the "output" metric label and in
	// logs. It never contains credentials: no URL userinfo, query, token
	// or password.
	Name() string
	// Deliver hands the sink a batch of messages. It may deliver before
	// returning or queue the messages for later; either way it must not
	// block indefinitely, and each message's outcome goes to the Reporter
	// exactly once.
	Deliver(batch []Message[T])
	// Close flushes what the sink holds within Env.CloseTimeout, reports
	// anything it had to give up as Failed, and releases its resources.
	// Calling Close twice is safe.
	//
	// Deliver is not called once Close has begun. But when the
	// recorder's close budget runs out while a Deliver is still running
	// (a write that does not return), the recorder calls Close without
	// waiting for it: Close must then make that Deliver return promptly,
	// having reported its messages.
	Close() error
}

// Env is what the recorder gives a sink when it builds one.
type Env[T any] struct {
	// Logger is never nil once passed through WithDefaults.
	Logger *slog.Logger
	// Reporter receives every message's outcome.
	Reporter Reporter[T]
	// Metrics creates kind-specific metrics (such as Kafka produce errors)
	// that outlive any single output across reloads.
	Metrics *Metrics
	// CloseTimeout bounds Close. Zero means DefaultCloseTimeout.
	CloseTimeout time.Duration
	// Instance names the producing process (host or address).
	Instance string
	// Release, when set, takes back the memory of messages' values: the
	// recorder then reuses it for later events instead of leaving it to
	// the garbage collector, which raised batch webhook throughput by a
	// fifth. A sink that calls it says so by
	// implementing ValueReleaser, and must then hand every message it
	// is given to Release exactly once, after the last read of its Value
	// by the sink and by anything it passed the Value to (net/http may
	// read a request body after RoundTrip returns, until it closes the
	// body). A sink that does neither is correct: its values are left to
	// the garbage collector. A decorator that keeps values beyond the
	// inner sink's release (sink/buffer) must not pass Release on.
	Release func(msgs []Message[T])
}

// GiveBack hands msgs to Release, when there is one.
func (e Env[T]) GiveBack(msgs []Message[T]) {
	if e.Release != nil && len(msgs) > 0 {
		e.Release(msgs)
	}
}

// ValueReleaser is implemented by sinks that hand every message's Value
// back through Env.Release. ReleasesValues reports whether this sink
// does (it has a Release to call); the recorder reuses values' memory
// for an encoding only while every asynchronous output of it does.
type ValueReleaser interface {
	ReleasesValues() bool
}

// DefaultCloseTimeout is how long Close may take when Env.CloseTimeout is
// unset.
const DefaultCloseTimeout = 10 * time.Second

// WithDefaults fills unset fields: a discarding logger, a reporter that
// ignores outcomes, unregistered metrics and DefaultCloseTimeout.
func (e Env[T]) WithDefaults() Env[T] {
	if e.Logger == nil {
		e.Logger = slog.New(slog.DiscardHandler)
	}
	if e.Reporter == nil {
		e.Reporter = discardReporter[T]{}
	}
	if e.Metrics == nil {
		e.Metrics = NewMetrics("", nil)
	}
	if e.CloseTimeout <= 0 {
		e.CloseTimeout = DefaultCloseTimeout
	}
	return e
}

type discardReporter[T any] struct{}

func (discardReporter[T]) Report([]Message[T], Outcome, error) {}

// Filter is embedded, with `yaml:",inline"`, by output configurations to
// accept the event_types setting every output supports. An empty list
// accepts every event type; the recorder checks the names when it loads a
// configuration.
type Filter struct {
	EventTypes []string `yaml:"event_types,omitempty" json:"event_types,omitempty"`
}

// EventTypeFilter returns the configured event-type names.
func (f Filter) EventTypeFilter() []string { return f.EventTypes }

// Filtered is implemented by configurations that embed Filter.
type Filtered interface {
	EventTypeFilter() []string
}

// Naming is embedded, with `yaml:",inline"`, by output configurations to
// accept the name setting every output supports. An output is otherwise
// named after its kind and destination with secrets masked
// ("webhook:https://user:xxxxx@host/path"), so two outputs whose
// destinations differ only in secrets, such as two webhooks with different
// tokens, would share a name; a name also keeps metric series stable when
// a destination moves. The built-in kinds' configurations declare the
// field themselves (Name, with the same tags and a ConfiguredName method),
// so that Go code can set it in a composite literal, as Alertmanager
// v0.35's configuration types allow.
type Naming struct {
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
}

// ConfiguredName returns the name set in the configuration, or "".
func (n Naming) ConfiguredName() string { return n.Name }

// Named is implemented by configurations that embed Naming.
type Named interface {
	ConfiguredName() string
}

// NameOr is the name an output built from cfg goes by: the one cfg sets,
// or derived when it sets none. A sink's Name should return it.
func NameOr(cfg any, derived string) string {
	if n, ok := cfg.(Named); ok && n.ConfiguredName() != "" {
		return n.ConfiguredName()
	}
	return derived
}

// WithName returns a copy of cfg with its configured name set to name,
// and whether it could: cfg must be a struct implementing Named whose
// ConfiguredName is its string field Name (its own, as in the built-in
// kinds' configurations, or promoted from an embedded Naming). A runtime
// whose naming policy decides an output's name (event/runtime's
// KindQualifiedNames) hands the sink such a copy, so that the sink goes
// by that name in its own logs and metrics as the runtime does in its.
func WithName(cfg any, name string) (any, bool) {
	if _, ok := cfg.(Named); !ok {
		return cfg, false
	}
	v := reflect.ValueOf(cfg)
	if v.Kind() != reflect.Struct {
		return cfg, false
	}
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	f := c.FieldByName("Name")
	if !f.IsValid() || !f.CanSet() || f.Kind() != reflect.String {
		return cfg, false
	}
	f.SetString(name)
	out := c.Interface()
	if out.(Named).ConfiguredName() != name {
		return cfg, false
	}
	return out, true
}

// CheckName validates a configured name: it appears in metric labels and
// log lines, so it must be printable text of reasonable length.
func CheckName(cfg any) error {
	n, ok := cfg.(Named)
	if !ok || n.ConfiguredName() == "" {
		return nil
	}
	name := n.ConfiguredName()
	switch {
	case !utf8.ValidString(name):
		return Errorf("name", "%q is not valid UTF-8", name)
	case len(name) > maxNameLen:
		return Errorf("name", "%q is longer than %d bytes", name, maxNameLen)
	case strings.TrimSpace(name) != name:
		return Errorf("name", "%q has leading or trailing space", name)
	case strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return Errorf("name", "%q holds a character that is not printable", name)
	}
	return nil
}

const maxNameLen = 128

// MaxSecretFileBytes bounds the files outputs read a secret or a URL from
// (a webhook's url_file, Kafka's sasl.password_file). Such a file holds
// one line; one that holds more (/dev/zero, a log file named by mistake)
// fails the output with an error naming the limit instead of filling
// memory.
const MaxSecretFileBytes = 64 << 10
