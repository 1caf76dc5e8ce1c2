package eventrecorder

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventrecorder/eventrecorder/event/runtime"
	"github.com/eventrecorder/eventrecorder/event/v2/eventsv2pb"
	"github.com/eventrecorder/eventrecorder/sink"
)

// This file is Alertmanager v0.35's recorder API over event/runtime, bound
// to the events.v2 schema description (schema.gen.go). Like package
// event's facade it is forwards only: the recorder, its configuration and
// its outputs are the runtime's. What makes it v0.35's is the API's shape
// and the naming rule it binds the runtime with (every output named,
// "<kind>:<name>" in metrics and logs, unique per kind).

// rt is the runtime of the events.v2 schema, with this package's table of
// output kinds.
var rt = runtime.Bind(schema, runtime.WithNaming(runtime.KindQualifiedNames))

// Re-exported runtime types. The four output configurations carry
// Alertmanager v0.35's fields and keys; their Kafka format, acks and
// compression and the webhook's URL are this module's types (sink/kafka,
// sink/webhook), with the same YAML values and validation of their own.
type (
	// Options tune a Recorder built with New; the zero value is usable.
	Options = runtime.Options
	// ClusterPeer is the part of Alertmanager's *cluster.Peer the
	// recorder uses: its position among the peers.
	ClusterPeer = runtime.ClusterPeer
	// OutputStats is what one output did since it started (Stats).
	OutputStats = runtime.OutputStats
	// OutputInfo describes a configured output without starting it.
	OutputInfo = runtime.OutputInfo

	FileOutputConfig    = runtime.FileOutputConfig
	WebhookOutputConfig = runtime.WebhookOutputConfig
	KafkaOutputConfig   = runtime.KafkaOutputConfig
	StdoutOutputConfig  = runtime.StdoutOutputConfig
)

// WithEventRecording returns a context that enables event recording;
// without it RecordEvent records nothing.
func WithEventRecording(ctx context.Context) context.Context {
	return runtime.WithEventRecording(ctx)
}

// EventRecordingEnabled reports whether WithEventRecording decorated ctx.
func EventRecordingEnabled(ctx context.Context) bool { return runtime.EventRecordingEnabled(ctx) }

// Recorder is a handle to an event recorder: a struct, so that a missing
// one is a compile error. The zero value discards every event, as
// NopRecorder's does.
type Recorder struct {
	r *runtime.Recorder[*eventsv2pb.Event, *eventsv2pb.EventData]
}

// NopRecorder returns a Recorder that discards every event.
func NopRecorder() Recorder { return Recorder{} }

// NewRecorderFromConfig builds a Recorder and starts it. Its signature has
// no error, as v0.35's has none: a configuration that cannot start is
// logged and the recorder runs without outputs until ApplyConfig fixes
// it. New returns the error instead.
func NewRecorderFromConfig(cfg Config, instance string, logger *slog.Logger, r prometheus.Registerer) Recorder {
	opts := Options{Instance: instance, Logger: logger, Registerer: r}
	return Recorder{rt.NewLogged(runtime.Config(cfg), opts)}
}

// New builds and starts a Recorder, or fails having started nothing.
func New(cfg Config, opts Options) (Recorder, error) {
	rec, err := rt.New(runtime.Config(cfg), opts)
	return Recorder{rec}, err
}

// RecordEvent records the event build returns, stamped with the time,
// instance and cluster position, if ctx enables recording and the
// recorder has outputs; only then is build called, once. It never blocks:
// a full queue drops the event and counts it.
func (r Recorder) RecordEvent(ctx context.Context, build func() EventData) {
	if build == nil {
		return
	}
	r.r.RecordEventFunc(ctx, func() *eventsv2pb.EventData { return build().pb })
}

// Replay queues an event read back from an output (its JSON or protobuf
// decoded into eventsv2pb.Event) with its own envelope, waiting for room
// until ctx ends. It is for tools that backfill outputs.
func (r Recorder) Replay(ctx context.Context, ev *eventsv2pb.Event) error { return r.r.Replay(ctx, ev) }

// SetClusterPeer makes later events carry the peer's position (nil clears
// it). It takes Alertmanager's *cluster.Peer through ClusterPeer, so that
// this module does not build the cluster package and memberlist into its
// users' binaries.
func (r Recorder) SetClusterPeer(peer ClusterPeer) { r.r.SetClusterPeer(peer) }

// ApplyConfig applies cfg as a diff of outputs (unchanged ones keep
// running); a configuration that cannot be applied is logged and the
// current outputs stay. ApplyConfigErr returns the error.
func (r Recorder) ApplyConfig(cfg Config) { r.r.ApplyConfig(runtime.Config(cfg)) }

// ApplyConfigErr is ApplyConfig returning why a configuration was refused,
// having changed nothing.
func (r Recorder) ApplyConfigErr(cfg Config) error { return r.r.ApplyConfigErr(runtime.Config(cfg)) }

// Close delivers what was accepted and closes the outputs, within
// Options.CloseTimeout; later calls return the first result.
func (r Recorder) Close() error { return r.r.Close() }

// Stats reports per-output totals, in configuration order.
func (r Recorder) Stats() []OutputStats { return r.r.Stats() }

// Dropped reports how many events this recorder's queue dropped.
func (r Recorder) Dropped() uint64 { return r.r.Dropped() }

// Config configures the outputs, one list per kind as in v0.35; outputs
// of kinds added with RegisterKind are in Outputs. Every output needs a
// name, unique among the outputs of its kind.
type Config runtime.Config

// UnmarshalYAML decodes and validates every output list, reporting each
// problem with its path (file_outputs[0].name: is required ...).
func (c *Config) UnmarshalYAML(unmarshal func(any) error) error {
	return rt.DecodeConfig((*runtime.Config)(c), unmarshal)
}

// MarshalYAML renders the lists (webhook URLs as <secret>).
func (c Config) MarshalYAML() (any, error) { return rt.MarshalConfig(runtime.Config(c)) }

// Validate reports every problem New or ApplyConfig would refuse.
func (c Config) Validate() error { return rt.Validate(runtime.Config(c)) }

// Equal reports whether two configurations describe the same outputs.
func (c Config) Equal(o Config) bool { return rt.EqualConfig(runtime.Config(c), runtime.Config(o)) }

// Describe lists the outputs as they would run, without starting them.
func (c Config) Describe() ([]OutputInfo, error) { return rt.Describe(runtime.Config(c)) }

// LoadConfig parses a YAML configuration of this package's outputs.
func LoadConfig(b []byte) (Config, error) { return runtime.LoadConfig[Config](b) }

// LoadConfigFile reads and parses a configuration file, at most
// runtime.MaxConfigBytes.
func LoadConfigFile(path string) (Config, error) { return runtime.LoadConfigFile[Config](path) }

// RegisterKind adds an output kind for this schema, configured under
// "<name>_outputs"; its configuration must have a name field (embed
// sink.Naming). Call it from an init function.
func RegisterKind(k sink.Kind[*eventsv2pb.Event]) error { return rt.RegisterKind(k) }

// Kinds lists this schema's output kinds, built-in ones first.
func Kinds() []sink.Kind[*eventsv2pb.Event] { return rt.Kinds() }
