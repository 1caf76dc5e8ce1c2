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
	ids    []sink.EventID
	events []E // zero where no output wants the event
	// For each encoding: whether event i is needed, its encoding, and
	// why it failed to encode.
	need   [numEncodings][]bool
	values [numEncodings][][]byte
	errs   [numEncodings][]error
	// scratch is reused to encode into. Values are slices of it when
	// every output of the encoding is synchronous (done with them when
	// Deliver returns), and copies out of it in slabs when some output
	// may keep them (see slice). recent is what recent batches needed of
	// it (see keep).
	scratch [numEncodings][]byte
	recent  [numEncodings]int
	starts  []int // where each event's encoding begins in scratch
	ends    []int // and where it ends
	// lines is, per encoding that some line output (file, stdout) uses,
	// the batch's scratch laid out as lines (see sink.Lines), and taken
	// how many events it holds. An output that takes every one of them
	// writes it as it is, copying nothing. Once handed out it is scratch
	// again only when no output's write still holds it.
	lines [numEncodings]*sink.Lines
	taken [numEncodings]int
	// shared is, per encoding, the messages of every event its lines
	// hold, built for the first line output that takes them all and
	// handed to each of them.
	shared [numEncodings][]sink.Message[E]
	// holders is, per pooled encoding (see slabPool), how many
	// asynchronous outputs take each event's value; held is the slabs
	// this batch's values were cut from, which the consumer holds until
	// every output has its share.
	holders [numEncodings][]int32
	held    []*slab
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
	for e := range d.holders {
		if set.pooled[e] {
			d.holders[e] = resize(d.holders[e], len(popped))
		}
	}
	for _, o := range set.outputs {
		o.filter(d.types)
		need := d.need[o.enc]
		for i, ok := range o.takes {
			if ok {
				need[i] = true
			}
		}
		if set.pooled[o.enc] && !o.spec.kind.Synchronous() {
			holders := d.holders[o.enc]
			for i, ok := range o.takes {
				if ok {
					holders[i]++
				}
			}
		}
	}
	// Build envelopes only for events some output takes: an event every
	// output filters out costs the consumer a type switch and no more.
	d.events, d.times, d.ids = d.events[:0], d.times[:0], d.ids[:0]
	for i := range popped {
		var (
			ev E
			at time.Time
			id sink.EventID
		)
		for f := range d.need {
			if d.need[f][i] {
				id = r.eventID(&popped[i])
				ev, at = r.event(&popped[i])
				break
			}
		}
		d.events = append(d.events, ev)
		d.times = append(d.times, at)
		d.ids = append(d.ids, id)
	}
	batch := d.events
	// The envelopes have no id yet: the encodings without it first, then
	// those that include it, once the ids are set.
	for e := range encoding(numEncodings) {
		if set.encodings[e] && !e.withID() {
			d.encode(r, e, batch, set)
		}
	}
	if set.withID && r.schema.SetID != nil {
		for i, ev := range batch {
			if d.need[encodingOf(sink.JSON, true)][i] || d.need[encodingOf(sink.Protobuf, true)][i] {
				r.schema.SetID(ev, d.ids[i].String())
			}
		}
		for e := range encoding(numEncodings) {
			if set.encodings[e] && e.withID() {
				d.encode(r, e, batch, set)
			}
		}
	}
	var failed []sink.Message[E]
	for e := range d.shared {
		d.shared[e] = d.shared[e][:0]
	}
	for _, o := range set.outputs {
		failed = failed[:0]
		var firstErr error
		errs := d.errs[o.enc]
		// A line output that takes every event its encoding's lines hold
		// gets them and one batch of messages shared with every other
		// such output, built once: the line sinks only read it.
		lines := d.lines[o.enc]
		if o.lines != nil && lines != nil {
			n := 0
			for i, ok := range o.takes {
				if ok && errs[i] == nil {
					n++
				}
			}
			if n != d.taken[o.enc] {
				lines = nil
			}
		} else {
			lines = nil
		}
		msgs := &o.batch
		if lines != nil {
			msgs = &d.shared[o.enc]
		}
		build := len(*msgs) == 0
		for i, ev := range batch {
			if !o.takes[i] || (!build && errs[i] == nil) {
				continue
			}
			msg := d.message(r, popped, i, ev)
			if err := errs[i]; err != nil {
				failed = append(failed, msg)
				firstErr = err
				continue
			}
			msg.Value = d.value(o.enc, i)
			*msgs = append(*msgs, msg)
		}
		if len(failed) > 0 {
			o.Report(failed, sink.Failed, firstErr)
		}
		switch {
		case len(*msgs) == 0:
		case !r.startDeliver(o):
			o.Report(*msgs, sink.Failed, errAbandoned)
			if set.pooled[o.enc] && !o.spec.kind.Synchronous() {
				releaser[E](r.slabs)(*msgs) // the sink never had them
			}
		case lines != nil:
			o.lines.DeliverLines(*msgs, lines)
			r.delivering.Store(nil)
		default:
			o.sink.Deliver(*msgs)
			r.delivering.Store(nil)
		}
		if lines == nil {
			clear(o.batch)
			o.batch = o.batch[:0]
		}
	}
	for e := range d.shared {
		clear(d.shared[e])
	}
	for f := range d.values {
		clear(d.values[f]) // the outputs own the values now
	}
	clear(d.events)
	for _, s := range d.held {
		s.unhold()
	}
	clear(d.held)
	d.held = d.held[:0]
}

// message is event i of the batch on its way to an output, without its
// value.
func (d *deliverer[E, D]) message(r *Recorder[E, D], popped []pending[E, D], i int, ev E) sink.Message[E] {
	msg := sink.Message[E]{Event: ev, Type: d.types[i], Key: r.instanceKey, Time: d.times[i], ID: d.ids[i]}
	if popped[i].isReplay() {
		if inst := r.schema.Instance(ev); inst != r.opts.Instance {
			msg.Key = []byte(inst) // a replayed event keeps its own instance
		}
	}
	return msg
}

// resize returns s with length n, zeroed, reusing its array when it is
// large enough.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

func (d *deliverer[E, D]) encode(r *Recorder[E, D], enc encoding, batch []E, set *outputSet[E]) {
	f := enc.format()
	values := d.values[enc][:0]
	errs := d.errs[enc][:0]
	asLines := set.lines[enc]
	if l := d.lines[enc]; l != nil && l.Held() {
		// A write that has not returned yet still reads the last batch's
		// bytes: leave them to it.
		d.scratch[enc] = nil
	}
	d.lines[enc], d.taken[enc] = nil, 0
	buf := d.scratch[enc][:0]
	if asLines {
		buf = append(buf, '\n')
	}
	// Values are recorded as offsets while the batch is encoded, and
	// sliced once it is: buf may move to a larger array as it grows.
	starts, ends := d.starts[:0], d.ends[:0]
	taken := 0
	for i, ev := range batch {
		var err error
		start := len(buf)
		if d.need[enc][i] {
			var out []byte
			if out, err = r.encode[f](ev, buf); err != nil {
				r.metrics.serializeErrors.WithLabelValues(d.types[i]).Inc()
				r.log.Warn("event recorder: cannot encode event", "event_type", d.types[i], "format", f.String(), "err", err)
				// An encoder may have appended part of the event.
				buf = buf[:start]
			} else {
				buf = out
			}
		}
		starts = append(starts, start)
		ends = append(ends, len(buf))
		errs = append(errs, err)
		if asLines && d.need[enc][i] && err == nil {
			buf = append(buf, '\n')
			taken++
		}
	}
	var pool *slabPool
	if set.pooled[enc] {
		pool = r.slabs
	}
	values = slice(values, buf, starts, ends, errs, d.need[enc], set.copies[enc], pool, d.holders[enc], &d.held)
	d.starts, d.ends = starts, ends
	if asLines && taken > 0 {
		d.lines[enc], d.taken[enc] = sink.NewLines(buf), taken
	}
	d.keep(enc, buf)
	d.values[enc], d.errs[enc] = values, errs
}

// slice cuts the batch's values out of buf (event i's is
// buf[starts[i]:ends[i]]), each capped so that nothing appends into the
// next one. Where some output may keep values after Deliver returns
// (copies), they are cut from slabs of their own instead of buf, which
// the next batch reuses: one allocation per slab rather than one per
// event. A slab holds events until it reaches slabSize (an event larger
// than that gets a slab of its own), and stays alive while any output
// holds one of its values, so an output that keeps a single event pins
// at most slabSize bytes beside it.
//
// With a pool, slabs come from it while it has any: each is held once
// for every value cut from it per holder (holders[i], the asynchronous
// outputs taking event i) and once by the consumer, appended to held.
func slice(values [][]byte, buf []byte, starts, ends []int, errs []error, need []bool, copies bool,
	pool *slabPool, holders []int32, held *[]*slab) [][]byte {
	var (
		cur      []byte // the slab being filled
		curStart int    // where cur begins in buf
		pooled   *slab  // where cur came from, if the pool
	)
	for i, end := range ends {
		start := starts[i]
		var value []byte
		if need[i] && errs[i] == nil {
			switch {
			case !copies:
				value = buf[start:end:end]
			default:
				if end > curStart+len(cur) {
					// Not in the current slab: start one with this event
					// and those after it up to slabSize.
					last := i
					for last+1 < len(ends) && ends[last+1]-start <= slabSize {
						last++
					}
					curStart = start
					src := buf[start:ends[last]]
					pooled = nil
					if pool != nil && len(src) <= slabSize {
						pooled = pool.get()
					}
					if pooled != nil {
						*held = append(*held, pooled)
						cur = pooled.buf[:len(src)]
						copy(cur, src)
					} else {
						// make and copy of a named source, adjacent: the
						// compiler then allocates without zeroing first
						// (makeslicecopy), which cost 5 % of the webhook
						// pipeline's CPU.
						cur = make([]byte, len(src))
						copy(cur, src)
					}
				}
				value = cur[start-curStart : end-curStart : end-curStart]
				if pooled != nil && len(value) > 0 && holders[i] > 0 {
					pooled.hold(int(holders[i]))
				}
			}
		}
		values = append(values, value)
	}
	return values
}

// slabSize bounds the slabs that asynchronous outputs' values are cut
// from (see slice). It is small because an output whose buffer refills
// while it is down (a webhook queue whose workers fail events, making
// room for some of each new batch) can hold one event of every slab:
// 16 KiB slabs raised the live heap of the backlog benchmark (defaults,
// every network output down) from 3.5 to 4.8 MiB, 4 KiB ones to 3.9 MiB
// (medians of two runs each, interleaved). Reference-sized
// events (~1.2 KiB) share a slab three at a time.
const slabSize = 4 << 10

// keep keeps buf to encode the next batch of encoding e into, unless it is
// much larger than recent batches have needed: one batch of huge events
// does not pin its size for the life of the recorder, and a steady run
// of large batches does not regrow the buffer from nothing every batch.
func (d *deliverer[E, D]) keep(e encoding, buf []byte) {
	// recent decays by an eighth per batch towards the current size.
	d.recent[e] = max(len(buf), d.recent[e]-d.recent[e]/8)
	if cap(buf) > max(maxScratch, 2*d.recent[e]) {
		buf = nil
	}
	d.scratch[e] = buf
}

// maxScratch is the encoding buffer always kept between batches.
const maxScratch = 1 << 20

func (d *deliverer[E, D]) value(e encoding, i int) []byte { return d.values[e][i] }
