package event

import (
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
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

// SerializeError means an event could not be encoded; it is the event's
// fault, not the output's.
type SerializeError struct {
	Format string
	Err    error
}

func (e *SerializeError) Error() string {
	return "encoding event as " + e.Format + ": " + e.Err.Error()
}

func (e *SerializeError) Unwrap() error { return e.Err }

// destination adapts a generic sink to the Destination interface.
type destination struct {
	sink   sink.Sink[*eventrecorderpb.Event]
	format sink.Format
	encode encodeFunc
	drops  prometheus.Counter
	// The destination's reporter logs drops and failures, at most once
	// per interval each, as the recorder does for its outputs.
	dropLog, failLog *sink.FailureLog

	mu      sync.Mutex
	current *eventrecorderpb.Event
	syncErr error
}

func newDestination[C any](kind sink.Kind[*eventrecorderpb.Event], cfg C, instance string, drops *prometheus.CounterVec, reg *sink.Metrics, logger *slog.Logger) (*destination, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	checked, err := kind.Check(cfg)
	if err != nil {
		return nil, err
	}
	d := &destination{format: kind.Format(checked)}
	d.encode = encoderFor("")[d.format]
	s, err := kind.New(checked, sink.Env[*eventrecorderpb.Event]{Logger: logger, Reporter: d, Metrics: reg, Instance: instance})
	if err != nil {
		return nil, err
	}
	d.sink = s
	d.dropLog = sink.NewFailureLog(logger, "event output full, events dropped", "count", "output", s.Name())
	d.failLog = sink.NewFailureLog(logger, "event delivery failed", "count", "output", s.Name())
	if drops != nil {
		d.drops = drops.WithLabelValues(s.Name())
	}
	return d, nil
}

func (d *destination) Name() string { return d.sink.Name() }

func (d *destination) SendEvent(ev *eventrecorderpb.Event) (int, error) {
	b, err := d.encode(nil, ev)
	if err != nil {
		return 0, &SerializeError{Format: d.format.String(), Err: err}
	}
	msg := sink.Message[*eventrecorderpb.Event]{
		Event: ev,
		Type:  EventTypeName(ev.GetData()),
		Key:   []byte(ev.GetInstance()),
		Value: b,
		Time:  ev.GetTimestamp().AsTime(),
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.current, d.syncErr = ev, nil
	d.sink.Deliver([]sink.Message[*eventrecorderpb.Event]{msg})
	d.current = nil
	return len(b), d.syncErr
}

// Report implements sink.Reporter. A failure reported while SendEvent is
// still delivering the same event is returned by SendEvent.
func (d *destination) Report(msgs []sink.Message[*eventrecorderpb.Event], outcome sink.Outcome, err error) {
	switch outcome {
	case sink.Dropped:
		if d.drops != nil {
			d.drops.Add(float64(len(msgs)))
		}
		d.dropLog.Add(len(msgs), nil)
	case sink.Failed:
		for _, m := range msgs {
			if m.Event == d.current {
				d.syncErr = err
			}
		}
		d.failLog.Add(len(msgs), err)
	}
}

func (d *destination) Close() error {
	err := d.sink.Close()
	d.dropLog.Flush()
	d.failLog.Flush()
	return err
}

// FileOutput appends events as JSON lines to a file and reopens it after
// rotation.
type FileOutput struct{ *destination }

// NewFileOutput opens (creating if needed) a JSONL file output at path.
func NewFileOutput(path string, logger *slog.Logger) (*FileOutput, error) {
	d, err := newDestination(file.Kind[*eventrecorderpb.Event](), file.Config{Path: path}, "", nil, nil, logger)
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
	d, err := newDestination(webhook.Kind[*eventrecorderpb.Event](), cfg, "", dropsCounter, nil, logger)
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
	d, err := newDestination(kafka.Kind[*eventrecorderpb.Event](), cfg, instance, dropsCounter, metrics, logger)
	if err != nil {
		return nil, fmt.Errorf("kafka output: %w", err)
	}
	return &KafkaOutput{d}, nil
}

// StdoutOutput writes events as JSON lines to standard output.
type StdoutOutput struct{ *destination }

// NewStdoutOutput builds a standard-output output.
func NewStdoutOutput(logger *slog.Logger) (*StdoutOutput, error) {
	d, err := newDestination(stdout.Kind[*eventrecorderpb.Event](), stdout.Config{}, "", nil, nil, logger)
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
