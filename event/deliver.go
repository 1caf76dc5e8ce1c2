package event

import (
	"time"

	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/sink"
)

// deliverer is the consumer's per-batch state: it encodes each event once
// per format that some output wants it in, and hands every output its
// share of the batch.
type deliverer struct {
	types []string
	times []time.Time
	// For each format: whether event i is needed, where its encoding
	// ends in the slab, and why it failed to encode.
	need [numFormats][]bool
	ends [numFormats][]int
	errs [numFormats][]error
	// slabs hold one batch's encodings, one per format. Values handed to
	// outputs are capacity-limited sub-slices; a fresh slab is started for
	// every batch because asynchronous outputs keep the bytes.
	slabs [numFormats][]byte
	// perEvent is the average encoded size in the last batch.
	perEvent [numFormats]int
}

func (d *deliverer) deliver(r *recorder, set *outputSet, batch []*eventrecorderpb.Event) {
	if set.empty() {
		// Accepted while outputs existed, removed since: nothing will
		// ever deliver it, so count it.
		for _, ev := range batch {
			r.drop(ev.GetData())
		}
		return
	}
	d.types, d.times = d.types[:0], d.times[:0]
	for _, ev := range batch {
		d.types = append(d.types, EventTypeName(ev.GetData()))
		d.times = append(d.times, ev.GetTimestamp().AsTime())
	}
	for f := range d.need {
		d.need[f] = resize(d.need[f], len(batch))
	}
	for _, o := range set.outputs {
		need := d.need[o.format]
		for i, t := range d.types {
			if o.accepts(t) {
				need[i] = true
			}
		}
	}
	for f := range d.need {
		if set.formats[f] {
			d.encode(r, sink.Format(f), batch)
		}
	}
	var failed []sink.Message[*eventrecorderpb.Event]
	for _, o := range set.outputs {
		o.batch = o.batch[:0]
		failed = failed[:0]
		var firstErr error
		for i, ev := range batch {
			if !o.accepts(d.types[i]) {
				continue
			}
			msg := sink.Message[*eventrecorderpb.Event]{Event: ev, Type: d.types[i], Key: r.instanceKey, Time: d.times[i]}
			if ev.GetInstance() != r.opts.Instance {
				msg.Key = []byte(ev.GetInstance()) // a replayed event keeps its own instance
			}
			if err := d.errs[o.format][i]; err != nil {
				failed = append(failed, msg)
				firstErr = err
				continue
			}
			msg.Value = d.value(o.format, i)
			o.batch = append(o.batch, msg)
		}
		if len(failed) > 0 {
			o.Report(failed, sink.Failed, firstErr)
		}
		if len(o.batch) > 0 {
			o.sink.Deliver(o.batch)
		}
		clear(o.batch)
	}
}

func resize(b []bool, n int) []bool {
	if cap(b) < n {
		return make([]bool, n)
	}
	b = b[:n]
	clear(b)
	return b
}

func (d *deliverer) encode(r *recorder, f sink.Format, batch []*eventrecorderpb.Event) {
	ends := d.ends[f][:0]
	errs := d.errs[f][:0]
	needed := 0
	for _, n := range d.need[f] {
		if n {
			needed++
		}
	}
	var slab []byte
	if needed > 0 {
		// Size the slab from what the last batch's events took, so
		// that it rarely grows (and copies) mid-batch.
		slab = make([]byte, 0, needed*d.perEvent[f]*5/4+512)
	}
	for i, ev := range batch {
		var err error
		if d.need[f][i] {
			start := len(slab)
			var out []byte
			if out, err = r.encode[f](slab, ev); err != nil {
				slab = slab[:start]
				r.metrics.serializeErrors.WithLabelValues(d.types[i]).Inc()
				r.log.Warn("event recorder: cannot encode event", "event_type", d.types[i], "format", f.String(), "err", err)
			} else {
				slab = out
			}
		}
		ends = append(ends, len(slab))
		errs = append(errs, err)
	}
	if needed > 0 && len(slab) > 0 {
		d.perEvent[f] = len(slab)/needed + 1
	}
	d.slabs[f], d.ends[f], d.errs[f] = slab, ends, errs
}

func (d *deliverer) value(f sink.Format, i int) []byte {
	start := 0
	if i > 0 {
		start = d.ends[f][i-1]
	}
	end := d.ends[f][i]
	return d.slabs[f][start:end:end]
}
