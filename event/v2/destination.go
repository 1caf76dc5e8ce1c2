package eventrecorder

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventrecorder/eventrecorder/event/runtime"
	"github.com/eventrecorder/eventrecorder/event/v2/eventsv2pb"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/file"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
	"github.com/eventrecorder/eventrecorder/sink/stdout"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

// Destination is one output used on its own, as v0.35's API offers them:
// it encodes each event in its configured format itself. Its name is
// "<kind>:<name>" ("file:archive"). A Recorder is the better choice: it
// encodes once for all outputs and never blocks.
type Destination interface {
	// Name is the output's kind and configured name, its metric label.
	Name() string
	// SendEvent encodes and hands over the event, returning the encoded
	// size; a synchronous output (file, stdout) also returns its write
	// error, and an encoding failure is a *runtime.SerializeError.
	SendEvent(event Event) (size int, err error)
	io.Closer
}

// output is the runtime's stand-alone output under v0.35's method set,
// which every output type below has.
type output struct {
	d *runtime.Destination[*eventsv2pb.Event, *eventsv2pb.EventData]
}

func (o output) Name() string                       { return o.d.Name() }
func (o output) SendEvent(event Event) (int, error) { return o.d.SendEvent(event.envelope()) }
func (o output) Close() error                       { return o.d.Close() }

// newOutput builds a stand-alone output of kind, naming the kind in its
// error as v0.35 does.
func newOutput(kind sink.Kind[*eventsv2pb.Event], cfg any, o runtime.DestinationOptions) (output, error) {
	d, err := rt.NewDestination(kind, cfg, o)
	if err != nil {
		return output{}, fmt.Errorf("event_recorder %s output: %w", kind.Name(), err)
	}
	return output{d}, nil
}

// FileOutput appends events as JSON lines to a file, reopening it after
// rotation.
type FileOutput struct{ output }

// NewFileOutput opens (creating it if needed) the file output cfg
// describes.
func NewFileOutput(cfg FileOutputConfig, logger *slog.Logger) (*FileOutput, error) {
	o, err := newOutput(file.Kind[*eventsv2pb.Event](), cfg, runtime.DestinationOptions{Logger: logger})
	if err != nil {
		return nil, err
	}
	return &FileOutput{o}, nil
}

// WebhookOutput POSTs events from a bounded worker pool.
type WebhookOutput struct{ output }

// NewWebhookOutput builds a webhook output; dropsCounter, if not nil, is
// a vector with an "output" label counting events its full queue shed.
func NewWebhookOutput(cfg WebhookOutputConfig, dropsCounter *prometheus.CounterVec, logger *slog.Logger) (*WebhookOutput, error) {
	o, err := newOutput(webhook.Kind[*eventsv2pb.Event](), cfg, runtime.DestinationOptions{Drops: dropsCounter, Logger: logger})
	if err != nil {
		return nil, err
	}
	return &WebhookOutput{o}, nil
}

// KafkaOutput produces events to a Kafka topic from a bounded buffer,
// connecting in the background.
type KafkaOutput struct{ output }

// NewKafkaOutput builds a Kafka output. dropsCounter counts events its
// full buffer shed (label output); produceErrors, if not nil, counts
// failed produces (labels output and error_type).
func NewKafkaOutput(cfg KafkaOutputConfig, instance string, dropsCounter *prometheus.CounterVec, produceErrors *prometheus.CounterVec, logger *slog.Logger) (*KafkaOutput, error) {
	var metrics *sink.Metrics
	if produceErrors != nil {
		metrics = sink.NewMetricsWith(map[string]*prometheus.CounterVec{kafka.ProduceErrorsMetric: produceErrors})
	}
	o, err := newOutput(kafka.Kind[*eventsv2pb.Event](), cfg, runtime.DestinationOptions{Instance: instance, Drops: dropsCounter, Metrics: metrics, Logger: logger})
	if err != nil {
		return nil, err
	}
	return &KafkaOutput{o}, nil
}

// StdoutOutput writes events as JSON lines to standard output.
type StdoutOutput struct{ output }

// NewStdoutOutput builds a standard-output output.
func NewStdoutOutput(cfg StdoutOutputConfig) (*StdoutOutput, error) {
	o, err := newOutput(stdout.Kind[*eventsv2pb.Event](), cfg, runtime.DestinationOptions{})
	if err != nil {
		return nil, err
	}
	return &StdoutOutput{o}, nil
}

var (
	_ Destination = (*FileOutput)(nil)
	_ Destination = (*WebhookOutput)(nil)
	_ Destination = (*KafkaOutput)(nil)
	_ Destination = (*StdoutOutput)(nil)
)
