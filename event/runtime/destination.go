package runtime

import (
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventrecorder/eventrecorder/sink"
)

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

// DestinationOptions are the optional parts of NewDestination.
type DestinationOptions struct {
	// Instance is handed to the sink (sink.Env.Instance).
	Instance string
	// Drops, if not nil, is a vector with an "output" label counting
	// events the output shed because its buffer was full.
	Drops *prometheus.CounterVec
	// Metrics are the sink's own series; nil means unregistered ones.
	Metrics *sink.Metrics
	// Logger receives the output's logs; nil discards.
	Logger *slog.Logger
}

// Destination is a single output used on its own, outside a Recorder
// (the reference API's Destination): it encodes each event itself in the
// format it was configured for, so a protobuf Kafka output can never be
// handed JSON. A Recorder is the better choice: it encodes once for all
// outputs and never blocks.
type Destination[E comparable, D any] struct {
	rt     *Runtime[E, D]
	sink   sink.Sink[E]
	format sink.Format
	encode encodeFunc[E]
	drops  prometheus.Counter
	// The destination's reporter logs drops and failures, at most once
	// per interval each, as the recorder does for its outputs.
	dropLog, failLog *sink.FailureLog

	mu      sync.Mutex
	current E
	syncErr error
}

// NewDestination checks cfg, a configuration of kind, and starts the
// output.
func (rt *Runtime[E, D]) NewDestination(kind sink.Kind[E], cfg any, o DestinationOptions) (*Destination[E, D], error) {
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	checked, err := kind.Check(cfg)
	if err == nil {
		err = rt.checkNaming(kind, checked)
	}
	if err != nil {
		return nil, err
	}
	d := &Destination[E, D]{rt: rt, format: kind.Format(checked)}
	enc, _ := rt.encoders("") // the default cannot fail
	d.encode = enc[d.format]
	s, err := kind.New(rt.buildConfig(kind, checked), sink.Env[E]{Logger: logger, Reporter: d, Metrics: o.Metrics, Instance: o.Instance})
	if err != nil {
		return nil, err
	}
	d.sink = s
	d.dropLog = sink.NewFailureLog(logger, "event output full, events dropped", "count", "output", s.Name())
	d.failLog = sink.NewFailureLog(logger, "event delivery failed", "count", "output", s.Name())
	if o.Drops != nil {
		d.drops = o.Drops.WithLabelValues(s.Name())
	}
	return d, nil
}

// Name is a stable, credential-free identifier usable as a metric label,
// such as "file:/var/log/events.jsonl".
func (d *Destination[E, D]) Name() string { return d.sink.Name() }

// SendEvent encodes and hands over the event. It returns the encoded
// size, and an error when encoding fails (a *SerializeError) or a
// synchronous output fails to write. Asynchronous outputs (webhook,
// Kafka) report later failures in their logs and metrics.
func (d *Destination[E, D]) SendEvent(ev E) (int, error) {
	b, err := d.encode(ev, nil)
	if err != nil {
		return 0, &SerializeError{Format: d.format.String(), Err: err}
	}
	s := &d.rt.schema
	msg := sink.Message[E]{
		Event: ev,
		Type:  s.TypeName(s.Data(ev)),
		Key:   []byte(s.Instance(ev)),
		Value: b,
		Time:  s.Time(ev),
	}
	if s.ID != nil {
		// The caller built the envelope: its id, if it is a UUID, goes in
		// the headers too.
		msg.ID, _ = sink.ParseEventID(s.ID(ev))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.current, d.syncErr = ev, nil
	d.sink.Deliver([]sink.Message[E]{msg})
	var zero E
	d.current = zero
	return len(b), d.syncErr
}

// Report implements sink.Reporter. A failure reported while SendEvent is
// still delivering the same event is returned by SendEvent.
func (d *Destination[E, D]) Report(msgs []sink.Message[E], outcome sink.Outcome, err error) {
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

// Close closes the output, then logs the drops and failures not yet
// logged.
func (d *Destination[E, D]) Close() error {
	err := d.sink.Close()
	d.dropLog.Flush()
	d.failLog.Flush()
	return err
}
