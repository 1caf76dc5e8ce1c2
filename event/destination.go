package event

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/event/runtime"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/file"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
	"github.com/eventrecorder/eventrecorder/sink/stdout"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

// Destination is a single event output used on its own, outside a
// Recorder: it encodes each event itself in the format it was configured
// for, so a protobuf Kafka output can never be handed JSON. It exists for
// code written against the reference API; a Recorder is the better choice
// because it encodes once for all outputs and never blocks.
type Destination interface {
	// Name is a stable, credential-free identifier usable as a metric
	// label, such as "file:/var/log/events.jsonl".
	Name() string
	// SendEvent encodes and hands over the event. It returns the encoded
	// size, and an error when encoding fails (a *SerializeError) or a
	// synchronous output fails to write. Asynchronous outputs (webhook,
	// Kafka) report later failures in their logs and metrics.
	SendEvent(event *eventrecorderpb.Event) (size int, err error)
	io.Closer
}

// destination is the runtime's, under a name the output types embed
// without exporting it.
type destination = runtime.Destination[*eventrecorderpb.Event, *eventrecorderpb.EventData]

// FileOutput appends events as JSON lines to a file and reopens it after
// rotation.
type FileOutput struct{ *destination }

// NewFileOutput opens (creating if needed) a JSONL file output at path.
func NewFileOutput(path string, logger *slog.Logger) (*FileOutput, error) {
	d, err := rt.NewDestination(file.Kind[*eventrecorderpb.Event](), file.Config{Path: path}, runtime.DestinationOptions{Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("file output: %w", err)
	}
	return &FileOutput{d}, nil
}

// WebhookOutput POSTs events as JSON from a bounded worker pool.
type WebhookOutput struct{ *destination }

// NewWebhookOutput builds a webhook output. dropsCounter, if not nil, is
// a vector with an "output" label counting events shed because the
// output's queue was full.
func NewWebhookOutput(cfg WebhookOutputConfig, dropsCounter *prometheus.CounterVec, logger *slog.Logger) (*WebhookOutput, error) {
	d, err := rt.NewDestination(webhook.Kind[*eventrecorderpb.Event](), cfg, runtime.DestinationOptions{Drops: dropsCounter, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("webhook output: %w", err)
	}
	return &WebhookOutput{d}, nil
}

// KafkaOutput produces events to a Kafka topic from a bounded buffer.
type KafkaOutput struct{ *destination }

// NewKafkaOutput builds a Kafka output. Unreachable brokers do not fail
// it: it connects in the background and buffers up to its bound.
// produceErrors, if not nil, replaces the default produce-errors vector
// (labels output and error_type).
func NewKafkaOutput(cfg KafkaOutputConfig, instance string, dropsCounter, produceErrors *prometheus.CounterVec, logger *slog.Logger) (*KafkaOutput, error) {
	metrics := sink.NewMetrics("", nil)
	if produceErrors != nil {
		metrics = sink.NewMetricsWith(map[string]*prometheus.CounterVec{kafka.ProduceErrorsMetric: produceErrors})
	}
	d, err := rt.NewDestination(kafka.Kind[*eventrecorderpb.Event](), cfg, runtime.DestinationOptions{Instance: instance, Drops: dropsCounter, Metrics: metrics, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("kafka output: %w", err)
	}
	return &KafkaOutput{d}, nil
}

// StdoutOutput writes events as JSON lines to standard output.
type StdoutOutput struct{ *destination }

// NewStdoutOutput builds a standard-output output.
func NewStdoutOutput(logger *slog.Logger) (*StdoutOutput, error) {
	d, err := rt.NewDestination(stdout.Kind[*eventrecorderpb.Event](), stdout.Config{}, runtime.DestinationOptions{Logger: logger})
	if err != nil {
		return nil, err
	}
	return &StdoutOutput{d}, nil
}

var (
	_ Destination = (*FileOutput)(nil)
	_ Destination = (*WebhookOutput)(nil)
	_ Destination = (*KafkaOutput)(nil)
	_ Destination = (*StdoutOutput)(nil)
)
