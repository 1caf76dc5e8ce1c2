package event

import (
	"context"
	"io"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/event/runtime"
	"github.com/eventrecorder/eventrecorder/sink"
)

// This file is the package's typed facade over event/runtime: the
// reference API's names and signatures, each forwarding to the runtime
// bound to this package's schema (schema.gen.go). The recorder itself, its
// configuration and its outputs live in event/runtime; nothing here may
// grow logic of its own, or a second schema's facade would have to copy it.

// rt is the runtime bound to the eventrecorder.v1 schema, with this
// package's table of output kinds.
var rt = runtime.Bind(schema)

// The names below are the runtime's, re-exported under the reference API.
type (
	// Options tune a Recorder. The zero value is usable.
	Options = runtime.Options
	// ClusterPeer is what the recorder needs from an HA cluster member:
	// its position among the peers. Alertmanager's *cluster.Peer
	// satisfies it.
	ClusterPeer = runtime.ClusterPeer
	// OutputStats is what one output did since it started.
	OutputStats = runtime.OutputStats
	// OutputInfo describes one configured output without starting it.
	OutputInfo = runtime.OutputInfo
	// SerializeError means an event could not be encoded; it is the
	// event's fault, not the output's.
	SerializeError = runtime.SerializeError

	// The configuration types of the built-in output kinds.
	FileOutputConfig    = runtime.FileOutputConfig
	WebhookOutputConfig = runtime.WebhookOutputConfig
	KafkaOutputConfig   = runtime.KafkaOutputConfig
	StdoutOutputConfig  = runtime.StdoutOutputConfig
)

// Defaults and upper bounds of Options (see runtime).
const (
	DefaultQueueSize    = runtime.DefaultQueueSize
	DefaultMaxBatch     = runtime.DefaultMaxBatch
	DefaultCloseTimeout = runtime.DefaultCloseTimeout
	QueueSizeLimit      = runtime.QueueSizeLimit
	MaxBatchLimit       = runtime.MaxBatchLimit
	CloseTimeoutLimit   = runtime.CloseTimeoutLimit
)

// JSON encoder names for Options.JSONEncoder.
const (
	JSONEncoderGenerated = runtime.JSONEncoderGenerated
	JSONEncoderProtojson = runtime.JSONEncoderProtojson
)

// Names of the built-in kinds, as in "<kind>_outputs".
const (
	KindFile    = runtime.KindFile
	KindWebhook = runtime.KindWebhook
	KindKafka   = runtime.KindKafka
	KindStdout  = runtime.KindStdout
)

// DefaultNamespace prefixes every metric name, so that dashboards built for
// Alertmanager's recorder keep working.
const DefaultNamespace = runtime.DefaultNamespace

// Values of the result label of events_recorded_total (see runtime).
const (
	ResultSuccess        = runtime.ResultSuccess
	ResultUnacknowledged = runtime.ResultUnacknowledged
	ResultFailure        = runtime.ResultFailure
	ResultPersisted      = runtime.ResultPersisted
)

// MaxConfigBytes bounds a configuration that LoadConfigFile and ReadConfig
// read.
const MaxConfigBytes = runtime.MaxConfigBytes

// ErrClosed is returned by ApplyConfigErr on a closed recorder.
var ErrClosed = runtime.ErrClosed

// WithEventRecording returns a context that enables event recording. By
// default recording is off, so a call path records only where its owner
// decided that its events belong in the audit trail.
func WithEventRecording(ctx context.Context) context.Context {
	return runtime.WithEventRecording(ctx)
}

// EventRecordingEnabled reports whether ctx was decorated with
// WithEventRecording.
func EventRecordingEnabled(ctx context.Context) bool { return runtime.EventRecordingEnabled(ctx) }

// Recorder is a handle to an event recorder. It is a struct, not an
// interface, so a missing recorder is a compile error rather than a nil
// dereference; its zero value discards every event, as does NopRecorder.
type Recorder struct {
	r *runtime.Recorder[*eventrecorderpb.Event, *eventrecorderpb.EventData]
}

// NopRecorder returns a Recorder that discards every event.
func NopRecorder() Recorder { return Recorder{} }

// NewRecorderFromConfig builds a Recorder and starts its consumer. It keeps
// the reference signature, which has no error: if an output cannot be
// started the error is logged and the recorder starts without outputs, so a
// later ApplyConfig can fix it. Use New to get the error instead.
func NewRecorderFromConfig(cfg Config, instance string, logger *slog.Logger, r prometheus.Registerer) Recorder {
	return Recorder{rt.NewLogged(runtime.Config(cfg), Options{Instance: instance, Logger: logger, Registerer: r})}
}

// New builds a Recorder from cfg and starts its consumer. It fails, having
// started nothing, if the configuration or a number in opts is invalid or
// an output cannot be built.
func New(cfg Config, opts Options) (Recorder, error) {
	r, err := rt.New(runtime.Config(cfg), opts)
	return Recorder{r}, err
}

// RecordEvent queues data for delivery, stamped with the time, instance
// and cluster position, if ctx enables recording and the recorder has
// outputs. It never blocks and allocates nothing: when the queue is full
// the event is dropped and counted. The envelope is built and encoded
// later, on the consumer, so data must not be modified once recorded.
func (r Recorder) RecordEvent(ctx context.Context, data *eventrecorderpb.EventData) {
	r.r.RecordEvent(ctx, data)
}

// RecordEventFunc is RecordEvent for hot paths: build is called only when
// recording is enabled, so a disabled call costs a context lookup and no
// allocation.
func (r Recorder) RecordEventFunc(ctx context.Context, build func() *eventrecorderpb.EventData) {
	r.r.RecordEventFunc(ctx, build)
}

// Replay queues an event that already has its envelope (read back from a
// JSONL file, say) exactly as it is, keeping its timestamp, instance and
// cluster position. Unlike RecordEvent it waits for room in the queue
// rather than dropping, until ctx ends; it is meant for tools that backfill
// outputs, not for hot paths. It ignores WithEventRecording.
func (r Recorder) Replay(ctx context.Context, ev *eventrecorderpb.Event) error {
	return r.r.Replay(ctx, ev)
}

// SetClusterPeer makes every later event carry peer's position. Any value
// with a Position() int method works, Alertmanager's *cluster.Peer
// included; nil clears it.
func (r Recorder) SetClusterPeer(peer ClusterPeer) { r.r.SetClusterPeer(peer) }

// ApplyConfig replaces the outputs with those of cfg, keeping unchanged
// outputs running, and logs any error. It keeps the reference signature;
// ApplyConfigErr returns the error instead.
func (r Recorder) ApplyConfig(cfg Config) { r.r.ApplyConfig(runtime.Config(cfg)) }

// ApplyConfigErr applies cfg as a per-output diff: an output whose
// configuration is unchanged keeps running (no reconnect, nothing it
// buffered is lost); removed outputs are drained and closed in the
// background; new ones are started. If the configuration is invalid or any
// new output fails to start, nothing changes and the error says which
// (but for a changed output that keeps its disk buffer directory: see the
// README, "Output buffers").
func (r Recorder) ApplyConfigErr(cfg Config) error { return r.r.ApplyConfigErr(runtime.Config(cfg)) }

// Close stops accepting events, delivers what was already accepted, and
// closes every output, within Options.CloseTimeout (see there). Events it
// had to give up are counted as dropped (still queued) or failed (held by
// an output, or taken from the queue when the budget ran out). Calling
// Close again returns the first result.
func (r Recorder) Close() error { return r.r.Close() }

// Stats reports per-output totals for the current outputs, in
// configuration order (see runtime.Recorder.Stats).
func (r Recorder) Stats() []OutputStats { return r.r.Stats() }

// Dropped reports how many events this recorder's queue dropped (the
// events_dropped_total series may also count other recorders sharing the
// registry).
func (r Recorder) Dropped() uint64 { return r.r.Dropped() }

// Config configures the recorder's outputs. Outputs are grouped by kind,
// one list per kind, the way Alertmanager groups a receiver's
// integrations; every recorded event goes to every output whose
// event_types filter accepts it. Outputs of kinds registered with
// RegisterKind are in Outputs, keyed by kind name.
type Config runtime.Config

// UnmarshalYAML decodes the output lists of every registered kind,
// rejecting unknown keys and fields, and validates each output; the error
// lists every problem with its path (see runtime.Runtime.DecodeConfig).
func (c *Config) UnmarshalYAML(unmarshal func(any) error) error {
	return rt.DecodeConfig((*runtime.Config)(c), unmarshal)
}

// MarshalYAML writes the built-in lists in table order, then every
// registered kind's list.
func (c Config) MarshalYAML() (any, error) { return rt.MarshalConfig(runtime.Config(c)) }

// Validate reports every problem in the configuration that would make
// New or ApplyConfig refuse it (short of files that cannot be opened or
// brokers that cannot be reached), each naming the output's kind, index
// and field, such as
// `webhook_outputs[1].url: scheme "ftp" is not http or https`.
func (c Config) Validate() error { return rt.Validate(runtime.Config(c)) }

// Equal reports whether two configurations describe the same outputs, as
// each kind judges sameness (so the order of Kafka brokers does not
// matter). Order within a list does not matter either.
func (c Config) Equal(o Config) bool { return rt.EqualConfig(runtime.Config(c), runtime.Config(o)) }

// Describe validates cfg and lists its outputs in table order, without
// creating files or connecting anywhere.
func (c Config) Describe() ([]OutputInfo, error) { return rt.Describe(runtime.Config(c)) }

// LoadConfig parses a YAML configuration.
func LoadConfig(b []byte) (Config, error) { return runtime.LoadConfig[Config](b) }

// ReadConfig reads a configuration from r, at most MaxConfigBytes, for
// LoadConfig; beyond the limit it fails, having read no more than it.
func ReadConfig(r io.Reader) ([]byte, error) { return runtime.ReadConfig(r) }

// LoadConfigFile reads (see ReadConfig) and parses a YAML configuration
// file.
func LoadConfigFile(path string) (Config, error) { return runtime.LoadConfigFile[Config](path) }

// RegisterKind adds an output kind to this schema's table, so that its
// outputs can be configured under "<name>_outputs" in YAML or in
// Config.Outputs. Call it from an init function, before loading
// configuration.
func RegisterKind(k sink.Kind[*eventrecorderpb.Event]) error { return rt.RegisterKind(k) }

// Kinds lists the registered output kinds, built-in ones first.
func Kinds() []sink.Kind[*eventrecorderpb.Event] { return rt.Kinds() }
