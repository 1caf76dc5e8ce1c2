package runtime

import (
	"time"

	"github.com/eventrecorder/eventrecorder/sink"
)

// deliverer is the consumer's per-batch state: it encodes each event once
// per encoding (format, and whether the id is included) that some output
// wants it in, and hands every output its share of the batch.
type deliverer[E comparable, D any] struct {
	types  []string
	times  []time.Time
	events []E // zero where no output wants the event
	// For each encoding: whether event i is needed, its encoding, and
	// why it failed to encode.
	need   [numEncodings][]bool
	values [numEncodings][][]byte
	errs   [numEncodings][]error
	// scratch is reused to encode into. Values are copies out of it when
	// some output may keep them, and slices of it when every output of
	// the encoding is synchronous (done with them when Deliver returns).
	scratch [numEncodings][]byte
}

func (d *deliverer[E, D]) deliver(r *Recorder[E, D], set *outputSet[E], popped []pending[E, D]) {
	if set.empty() {
		// Accepted while outputs existed, removed since: nothing will
		// ever deliver it, so count it.
		for i := range popped {
			r.drop(r.eventData(&popped[i]))
		}
		return
	}
	d.types = d.types[:0]
	for i := range popped {
		d.types = append(d.types, r.schema.TypeName(r.eventData(&popped[i])))
	}
	for f := range d.need {
		d.need[f] = resize(d.need[f], len(popped))
	}
	for _, o := range set.outputs {
		o.filter(d.types)
		need := d.need[o.enc]
		for i, ok := range o.takes {
			if ok {
				need[i] = true
			}
		}
	}
	// Build envelopes only for events some output takes: an event every
	// output filters out costs the consumer a type switch and no more.
	d.events, d.times = d.events[:0], d.times[:0]
	for i := range popped {
		var (
			ev E
			at time.Time
		)
		for f := range d.need {
			if d.need[f][i] {
				ev, at = r.event(&popped[i])
				break
			}
		}
		d.events = append(d.events, ev)
		d.times = append(d.times, at)
	}
	batch := d.events
	// The envelopes have no id yet: the encodings without it first, then
	// those that include it, once the ids are set.
	for e := range encoding(numEncodings) {
		if set.encodings[e] && !e.withID() {
			d.encode(r, e, batch, set.copies[e])
		}
	}
	if set.withID && r.schema.SetID != nil {
		for i, ev := range batch {
			if d.need[encodingOf(sink.JSON, true)][i] || d.need[encodingOf(sink.Protobuf, true)][i] {
				r.schema.SetID(ev, popped[i].id.String())
			}
		}
		for e := range encoding(numEncodings) {
			if set.encodings[e] && e.withID() {
				d.encode(r, e, batch, set.copies[e])
			}
		}
	}
	var failed []sink.Message[E]
	for _, o := range set.outputs {
		o.batch = o.batch[:0]
		failed = failed[:0]
		var firstErr error
		for i, ev := range batch {
			if !o.takes[i] {
				continue
			}
			msg := sink.Message[E]{Event: ev, Type: d.types[i], Key: r.instanceKey, Time: d.times[i], ID: popped[i].id}
			if popped[i].isReplay() {
				if inst := r.schema.Instance(ev); inst != r.opts.Instance {
					msg.Key = []byte(inst) // a replayed event keeps its own instance
				}
			}
			if err := d.errs[o.enc][i]; err != nil {
				failed = append(failed, msg)
				firstErr = err
				continue
			}
			msg.Value = d.value(o.enc, i)
			o.batch = append(o.batch, msg)
		}
		if len(failed) > 0 {
			o.Report(failed, sink.Failed, firstErr)
		}
		switch {
		case len(o.batch) == 0:
		case !r.startDeliver(o):
			o.Report(o.batch, sink.Failed, errAbandoned)
		default:
			o.sink.Deliver(o.batch)
			r.delivering.Store(nil)
		}
		clear(o.batch)
	}
	for f := range d.values {
		clear(d.values[f]) // the outputs own the values now
	}
	clear(d.events)
}

func resize(b []bool, n int) []bool {
	if cap(b) < n {
		return make([]bool, n)
	}
	b = b[:n]
	clear(b)
	return b
}

func (d *deliverer[E, D]) encode(r *Recorder[E, D], enc encoding, batch []E, copies bool) {
	f := enc.format()
	values := d.values[enc][:0]
	errs := d.errs[enc][:0]
	buf := d.scratch[enc][:0]
	for i, ev := range batch {
		var (
			value []byte
			err   error
		)
		if d.need[enc][i] {
			if copies {
				buf = buf[:0]
			}
			start := len(buf)
			var out []byte
			if out, err = r.encode[f](ev, buf); err != nil {
				r.metrics.serializeErrors.WithLabelValues(d.types[i]).Inc()
				r.log.Warn("event recorder: cannot encode event", "event_type", d.types[i], "format", f.String(), "err", err)
			} else if buf = out; copies {
				// Each value gets its own exact-size copy: an output that
				// holds one event (a webhook or Kafka buffer) then holds
				// just that event's bytes, not a whole batch's.
				value = make([]byte, len(out))
				copy(value, out)
			} else {
				// Capped, so that nothing appends into the next value. A
				// value keeps the array it was written to even if buf
				// moves on to a larger one.
				value = out[start:len(out):len(out)]
			}
		}
		values = append(values, value)
		errs = append(errs, err)
	}
	if cap(buf) > maxScratch {
		buf = nil
	}
	d.scratch[enc] = buf
	d.values[enc], d.errs[enc] = values, errs
}

// maxScratch bounds the encoding buffer kept between batches, so that one
// huge event does not pin its size for the life of the recorder.
const maxScratch = 1 << 20

func (d *deliverer[E, D]) value(e encoding, i int) []byte { return d.values[e][i] }
