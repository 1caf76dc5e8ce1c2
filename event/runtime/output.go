package runtime

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventrecorder/eventrecorder/sink"
)

// output is one running sink with the recorder's bookkeeping around it.
type output[E any] struct {
	name string
	path string // e.g. "webhook_outputs[1]", for errors
	spec outputSpec[E]
	sink sink.Sink[E]
	// ready is closed once newOutput has finished with the output,
	// before which Report waits.
	ready  chan struct{}
	format sink.Format
	enc    encoding // format and include_id
	// lines is the sink, if it can write a batch laid out as lines
	// already (see sink.Lines).
	lines sink.LinesDeliverer[E]
	// framing is what the output writes per event beside its encoding
	// (a line sink's newline), counted in bytes written as Alertmanager's
	// file and stdout outputs count it.
	framing int
	accept  map[string]bool // nil: every event type
	// releases is whether the sink gives every value back
	// (sink.ValueReleaser), so that its encoding's slabs can be reused.
	releases bool

	// Consumer-owned scratch: the messages handed to the sink, and which
	// events of the current batch the filter takes.
	batch []sink.Message[E]
	takes []bool

	// byType holds the output's series for each event type, resolved
	// once so that reporting does no label hashing.
	byType map[string]*typeSeries
	other  func(eventType string) *typeSeries

	delivered, unacked, dropped, failed, persisted, bytes atomic.Uint64
	log                                                   *slog.Logger
	failures                                              *sink.FailureLog // says why events failed
	dropCounter                                           prometheus.Counter
	latency                                               prometheus.Observer
}

type typeSeries struct {
	success, failure, bytes prometheus.Counter
	// unacked is created on first use: only an output that sends without
	// acknowledgement (Kafka acks: none) ever has such events, and every
	// other output would carry a series per event type that stays zero.
	unacked func() prometheus.Counter
	// persisted, likewise, only ever moves for an output with a durable
	// buffer that closes with events still in it.
	persisted func() prometheus.Counter
}

func (r *Recorder[E, D]) newOutput(sp outputSpec[E]) (*output[E], error) {
	o := &output[E]{spec: sp, path: sp.path(), format: sp.kind.Format(sp.config), log: r.log, ready: make(chan struct{})}
	// A sink may report before its New returns (a durable buffer starts
	// replaying what an earlier process left at once), and its series
	// need the name New gives it: Report waits for the output to be
	// complete, whichever way this returns.
	defer close(o.ready)
	o.enc = encodingOf(o.format, sink.IncludesID(sp.config))
	if f, ok := sp.config.(sink.Filtered); ok && len(f.EventTypeFilter()) > 0 {
		o.accept = map[string]bool{}
		for _, t := range f.EventTypeFilter() {
			o.accept[t] = true
		}
	}
	env := sink.Env[E]{
		Logger:       r.log.With("output_kind", sp.kind.Name()),
		Reporter:     o,
		Metrics:      r.metrics.kinds,
		CloseTimeout: r.opts.outputBudget(),
		Instance:     r.opts.Instance,
		Release:      releaser[E](r.slabs),
	}
	s, err := sp.kind.New(r.rt.buildConfig(sp.kind, sp.config), env)
	if err != nil {
		return nil, err
	}
	o.sink = s
	if vr, ok := s.(sink.ValueReleaser); ok {
		o.releases = vr.ReleasesValues()
	}
	o.lines, _ = s.(sink.LinesDeliverer[E])
	if o.lines != nil {
		o.framing = 1
	}
	o.name = s.Name()
	// The metrics count every failure; the log says why, once per
	// interval per output, however many events an outage fails.
	o.failures = sink.NewFailureLog(r.log, "event recorder: events failed", "failed", "output", o.name)
	m := r.metrics
	series := func(t string) *typeSeries {
		return &typeSeries{
			success: m.recorded.WithLabelValues(t, o.name, ResultSuccess),
			failure: m.recorded.WithLabelValues(t, o.name, ResultFailure),
			unacked: sync.OnceValue(func() prometheus.Counter {
				return m.recorded.WithLabelValues(t, o.name, ResultUnacknowledged)
			}),
			persisted: sync.OnceValue(func() prometheus.Counter {
				return m.recorded.WithLabelValues(t, o.name, ResultPersisted)
			}),
			bytes: m.bytesWritten.WithLabelValues(t, o.name),
		}
	}
	o.byType = map[string]*typeSeries{EventTypeUnknown: series(EventTypeUnknown)}
	for _, t := range r.schema.EventTypes {
		o.byType[t] = series(t)
	}
	o.other = series
	o.dropCounter = m.outputDrops.WithLabelValues(o.name)
	o.latency = m.latency.WithLabelValues(o.name)
	return o, nil
}

func (o *output[E]) series(t string) *typeSeries {
	if s, ok := o.byType[t]; ok {
		return s
	}
	return o.other(t)
}

// Report implements sink.Reporter: it is how an output's outcomes reach
// the metrics.
func (o *output[E]) Report(msgs []sink.Message[E], outcome sink.Outcome, err error) {
	<-o.ready
	if o.latency == nil {
		// The kind's New failed after its sink had reported: there is
		// no output to count for (a New that fails must not have
		// delivered anything; a durable buffer's records stay on disk).
		return
	}
	switch outcome {
	case sink.Delivered, sink.Unacknowledged:
		acked := outcome == sink.Delivered
		// Latency in nanoseconds of wall clock: the messages' times
		// carry no monotonic reading, so time.Time.Sub would compare
		// wall clocks too, at several times the cost, once per event
		// and output.
		now := time.Now().UnixNano()
		var total uint64
		// Counters are added once per run of one event type (batches
		// are mostly runs), not once per event: each add is an atomic
		// operation, and every output of a fan-out pays them.
		for i := 0; i < len(msgs); {
			t := msgs[i].Type
			var n, size int
			for ; i < len(msgs) && msgs[i].Type == t; i++ {
				n++
				size += len(msgs[i].Value) + o.framing
				if acked {
					// Latency is to the destination's acknowledgement;
					// an unacknowledged send has none.
					o.latency.Observe(time.Duration(now - msgs[i].Time.UnixNano()).Seconds())
				}
			}
			s := o.series(t)
			if acked {
				s.success.Add(float64(n))
			} else {
				s.unacked().Add(float64(n))
			}
			s.bytes.Add(float64(size))
			total += uint64(size)
		}
		if acked {
			o.delivered.Add(uint64(len(msgs)))
		} else {
			o.unacked.Add(uint64(len(msgs)))
		}
		o.bytes.Add(total)
	case sink.Dropped:
		o.dropCounter.Add(float64(len(msgs)))
		o.dropped.Add(uint64(len(msgs)))
	case sink.Persisted:
		for i := range msgs {
			o.series(msgs[i].Type).persisted().Inc()
		}
		o.persisted.Add(uint64(len(msgs)))
	default:
		for i := range msgs {
			o.series(msgs[i].Type).failure.Inc()
		}
		o.failed.Add(uint64(len(msgs)))
		o.logFailure(len(msgs), err)
	}
}

func (o *output[E]) logFailure(n int, err error) {
	if err == nil {
		err = errors.New("unknown")
	}
	o.failures.Add(n, err)
}

// close closes the sink, then writes the failures not yet logged, so
// that the logged counts add up to every failure.
func (o *output[E]) close() error {
	err := o.sink.Close()
	o.failures.Flush()
	return err
}

func (o *output[E]) stats() OutputStats {
	st := OutputStats{
		Name:           o.name,
		Delivered:      o.delivered.Load(),
		Unacknowledged: o.unacked.Load(),
		Dropped:        o.dropped.Load(),
		Failed:         o.failed.Load(),
		Persisted:      o.persisted.Load(),
		Bytes:          o.bytes.Load(),
	}
	if b, ok := o.sink.(sink.Buffered); ok {
		bs := b.BufferStats()
		st.Buffer = &bs
	}
	return st
}

// outputSet is an immutable list of outputs, swapped whole on reload.
type outputSet[E any] struct {
	outputs   []*output[E]
	encodings [numEncodings]bool // which encodings the set needs
	withID    bool               // some output includes the id
	// copies says, per encoding, whether some output of that encoding may
	// keep values after Deliver returns, so that each value needs a copy
	// of its own rather than a slice of the consumer's reused buffer.
	copies [numEncodings]bool
	// pooled says, per encoding, whether every output of it that may keep
	// values gives them back (output.releases): its values are then cut
	// from slabs the recorder reuses (see slabPool).
	pooled [numEncodings]bool
	keeps  [numEncodings]bool // some output keeps values without giving them back
	// lines says, per encoding, whether some output of it writes lines
	// (see sink.Lines), so that the consumer encodes the batch as lines.
	lines [numEncodings]bool
}

func (s *outputSet[E]) empty() bool { return s == nil || len(s.outputs) == 0 }

func (s *outputSet[E]) add(o *output[E]) {
	s.outputs = append(s.outputs, o)
	s.encodings[o.enc] = true
	s.withID = s.withID || o.enc.withID()
	if !o.spec.kind.Synchronous() {
		s.copies[o.enc] = true
		s.keeps[o.enc] = s.keeps[o.enc] || !o.releases
		s.pooled[o.enc] = !s.keeps[o.enc]
	}
	if o.lines != nil {
		s.lines[o.enc] = true
	}
}

// find returns the index of an output not yet kept whose configuration is
// the same as sp's, or -1.
func (s *outputSet[E]) find(sp outputSpec[E], kept []bool) int {
	for i, o := range s.outputs {
		if !kept[i] && o.spec.kind.Name() == sp.kind.Name() && sp.kind.Equal(o.spec.config, sp.config) {
			return i
		}
	}
	return -1
}

func (o *output[E]) accepts(eventType string) bool {
	return o.accept == nil || o.accept[eventType]
}

// filter sets o.takes for a batch of the given event types. Batches tend
// to hold runs of one type, and the names are the generated constants, so
// comparing with the previous name is cheaper than a map lookup per event.
func (o *output[E]) filter(types []string) {
	o.takes = resize(o.takes, len(types))
	var last string
	var ok bool
	for i, t := range types {
		if i == 0 || t != last {
			last, ok = t, o.accepts(t)
		}
		o.takes[i] = ok
	}
}
