package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventrecorder/eventrecorder/queue"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/buffer"
)

// Defaults for Options.
const (
	DefaultQueueSize    = 8192
	DefaultMaxBatch     = 256
	DefaultCloseTimeout = 10 * time.Second
)

// Upper bounds of Options, checked by New, so that a mistyped number is an
// error rather than a queue or batch that exhausts memory.
const (
	// QueueSizeLimit: the queue's slots are allocated up front, 32 bytes
	// each (for a schema whose envelope and data are pointers, as
	// generated ones are), so 1Mi slots is 32 MiB, and minutes of events at any rate
	// Alertmanager records them.
	QueueSizeLimit = 1 << 20
	// MaxBatchLimit: the consumer keeps buffers of this many events per
	// output and format, and the file and stdout outputs write a batch
	// with one call; 64Ki events are tens of megabytes per write.
	MaxBatchLimit = 1 << 16
	// CloseTimeoutLimit: Close holds up the process's shutdown, and
	// supervisors kill a process long before ten minutes (Kubernetes
	// after 30s, systemd after 90s by default).
	CloseTimeoutLimit = 10 * time.Minute
)

// ErrClosed is returned by ApplyConfigErr on a closed recorder.
var ErrClosed = errors.New("event recorder: closed")

// Options tune a Recorder. The zero value is usable.
type Options struct {
	// Instance names this process in every event (host or address).
	Instance string
	// Logger receives the recorder's and the outputs' logs; nil discards.
	Logger *slog.Logger
	// Registerer receives the recorder's metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// Namespace prefixes metric names; empty means DefaultNamespace.
	Namespace string
	// QueueSize bounds the events waiting for the consumer; when it is
	// full RecordEvent drops. Zero means DefaultQueueSize; at most
	// QueueSizeLimit.
	QueueSize int
	// MaxBatch bounds how many events the consumer hands an output at
	// once. Zero means DefaultMaxBatch; at most MaxBatchLimit.
	MaxBatch int
	// CloseTimeout bounds Close: half of it for draining the queue into
	// the outputs, half for the outputs to flush. Events still held when
	// it runs out are counted as dropped or failed, whatever the outputs
	// are stuck on (a write that never returns included); Close returns
	// within CloseTimeout and a grace of at most a second for outputs to
	// give up what they hold. Zero means DefaultCloseTimeout; at most
	// CloseTimeoutLimit.
	CloseTimeout time.Duration
	// JSONEncoder selects the JSON encoder: "generated" (the default, the
	// schema's generated append-style encoder) or "protojson" (the
	// reference implementation, for comparison). New rejects any other.
	JSONEncoder string
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.QueueSize == 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.MaxBatch == 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.CloseTimeout == 0 {
		o.CloseTimeout = DefaultCloseTimeout
	}
	return o
}

// check reports every number of o (defaults applied) outside its bounds.
func (o Options) check() error {
	var errs []error
	for _, f := range []struct {
		name     string
		v, limit int
	}{{"QueueSize", o.QueueSize, QueueSizeLimit}, {"MaxBatch", o.MaxBatch, MaxBatchLimit}} {
		if f.v < 0 {
			errs = append(errs, sink.Errorf("Options."+f.name, "%d is negative", f.v))
		}
		errs = append(errs, sink.AtMost("Options."+f.name, f.v, f.limit))
	}
	if o.CloseTimeout < 0 {
		errs = append(errs, sink.Errorf("Options.CloseTimeout", "%q is negative", o.CloseTimeout))
	}
	errs = append(errs, sink.DurationAtMost("Options.CloseTimeout", o.CloseTimeout, CloseTimeoutLimit))
	return errors.Join(errs...)
}

// drainBudget and outputBudget split CloseTimeout (see Options): the
// outputs get what draining does not, which is at least 1ns for any
// positive CloseTimeout. A plain CloseTimeout/2 would round a budget of
// 1ns down to zero, which an output reads as unset and replaces with
// sink.DefaultCloseTimeout: a tiny budget must mean a tiny Close.
func (o Options) drainBudget() time.Duration  { return o.CloseTimeout / 2 }
func (o Options) outputBudget() time.Duration { return o.CloseTimeout - o.drainBudget() }

// ClusterPeer is what the recorder needs from an HA cluster member: its
// position among the peers. Alertmanager's *cluster.Peer satisfies it.
type ClusterPeer interface {
	Position() int
}

// Recorder is a running recorder of one schema. Its methods accept a nil
// *Recorder, which discards every event, so that a facade's zero value
// needs no recorder of its own.
type Recorder[E comparable, D any] struct {
	rt      *Runtime[E, D]
	schema  *Schema[E, D]
	opts    Options
	log     *slog.Logger
	metrics *metrics
	// dropByType holds the queue-drop counter of each event type. The
	// counters may be shared with other recorders on the registry;
	// queueDropped is this recorder's own count.
	dropByType   map[string]prometheus.Counter
	queueDropped atomic.Uint64
	q            *queue.Queue[pending[E, D]]
	encode       [numFormats]encodeFunc[E]
	// instanceKey is the default record key (Kafka): one instance's
	// events stay in one partition, in order. Shared, read-only.
	instanceKey []byte
	peer        atomic.Pointer[ClusterPeer]
	clock       wallClock
	ids         idSource
	// slabs recycles asynchronous outputs' values (see slabPool).
	slabs *slabPool

	// outputs is the set the consumer delivers to. apply swaps it under
	// applyMu, then takes deliverMu once so that no batch still uses the
	// old set when removed outputs are closed.
	outputs   atomic.Pointer[outputSet[E]]
	applyMu   sync.Mutex
	deliverMu sync.Mutex
	closing   sync.WaitGroup // removed outputs still flushing

	closed atomic.Bool
	// abandoned is set when Close's drain budget runs out: the consumer
	// then fails what it still holds instead of handing it to outputs
	// that are being closed. Under abandonMu, so that no Deliver starts
	// once Close has set it (see startDeliver).
	abandonMu sync.Mutex
	abandoned bool
	// delivering is the output whose Deliver the consumer is in, for
	// Close to name one that does not return.
	delivering atomic.Pointer[output[E]]
	closeOnce  sync.Once
	closeErr   error
	ctx        context.Context // cancelled when Close's drain budget runs out
	cancel     context.CancelFunc
	done       chan struct{} // closed when the consumer returns
}

// NewLogged is New for APIs whose constructor returns no error (the
// reference API's NewRecorderFromConfig): if an output cannot be started
// the error is logged and the recorder starts without outputs, so that a
// later ApplyConfig can fix it.
func (rt *Runtime[E, D]) NewLogged(cfg Config, opts Options) *Recorder[E, D] {
	rec, err := rt.New(cfg, opts)
	if err != nil {
		opts = opts.withDefaults()
		opts.Logger.Error("event recorder: starting without outputs", "err", err)
		rec, _ = rt.New(Config{}, opts)
	}
	return rec
}

// New builds a Recorder from cfg and starts its consumer. It fails, having
// started nothing, if the configuration or a number in opts is invalid or
// an output cannot be built.
func (rt *Runtime[E, D]) New(cfg Config, opts Options) (*Recorder[E, D], error) {
	enc, err := rt.encoders(opts.JSONEncoder)
	if err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if err := opts.check(); err != nil {
		return nil, err
	}
	r := &Recorder[E, D]{
		rt:     rt,
		schema: &rt.schema,
		opts:   opts,
		log:    opts.Logger,
		q:      queue.New[pending[E, D]](opts.QueueSize),
		slabs:  newSlabPool(),
		done:   make(chan struct{}),
		encode: enc,

		instanceKey: []byte(opts.Instance),
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.metrics = newMetrics(opts.Namespace, opts.Registerer, func() float64 { return float64(r.q.Len()) })
	r.dropByType = map[string]prometheus.Counter{}
	for _, t := range append(rt.EventTypes(), EventTypeUnknown) {
		r.dropByType[t] = r.metrics.dropped.WithLabelValues(t)
	}
	r.outputs.Store(&outputSet[E]{})
	if err := r.apply(cfg); err != nil {
		r.cancel()
		return nil, err
	}
	go r.run()
	return r, nil
}

// pending is what the hot path queues: the caller's data and when it was
// recorded. The queue's ring holds it by value (32 bytes for pointer
// types), so recording copies a few words into memory allocated up front
// and allocates nothing; the consumer builds the envelope (see event) off
// the caller's path.
type pending[E comparable, D any] struct {
	data D
	// replay is a whole event from Replay, delivered as it is; of the
	// other fields only at is then used.
	replay E
	// at is the time recorded, Unix nanoseconds (until 2262); for a
	// replay, when Replay queued it, which dates the id of an envelope
	// that has none.
	at      int64
	cluster uint64
}

// isReplay reports whether p holds a whole event from Replay.
func (p *pending[E, D]) isReplay() bool {
	var zero E
	return p.replay != zero
}

// eventData is the payload, whichever way the event was queued.
func (r *Recorder[E, D]) eventData(p *pending[E, D]) D {
	if p.isReplay() {
		return r.schema.Data(p.replay)
	}
	return p.data
}

// eventID is the id of a queued event: a replayed envelope's own, or a
// new one dated when the event was recorded. The consumer makes ids, one
// goroutine in queue order, so that they strictly increase without the
// callers of RecordEvent sharing a word or the queue's slots carrying 16
// bytes more; it calls eventID before event, which clears a replayed
// envelope's id.
func (r *Recorder[E, D]) eventID(p *pending[E, D]) sink.EventID {
	if p.isReplay() && r.schema.ID != nil {
		if id, err := sink.ParseEventID(r.schema.ID(p.replay)); err == nil && !id.IsZero() {
			return id
		}
	}
	return r.ids.next(p.at)
}

// event returns the event p stands for, building its envelope with the
// recorder's instance name, and its time. The envelope's id field is
// empty (eventID makes the id, and deliver sets the field for the outputs
// that include it), a replayed one's included.
func (r *Recorder[E, D]) event(p *pending[E, D]) (E, time.Time) {
	if p.isReplay() {
		if r.schema.SetID != nil {
			r.schema.SetID(p.replay, "")
		}
		return p.replay, r.schema.Time(p.replay)
	}
	sec, nsec := p.at/1e9, int32(p.at%1e9)
	return r.schema.Envelope(p.data, sec, nsec, r.opts.Instance, p.cluster), time.Unix(sec, int64(nsec))
}

// RecordEvent queues data for delivery, stamped with the time, instance
// and cluster position, if ctx enables recording and the recorder has
// outputs. It never blocks and allocates nothing: when the queue is full
// the event is dropped and counted. The envelope is built and encoded
// later, on the consumer, so data must not be modified once recorded.
func (r *Recorder[E, D]) RecordEvent(ctx context.Context, data D) {
	if r == nil || !EventRecordingEnabled(ctx) {
		return
	}
	r.record(data)
}

// RecordEventFunc is RecordEvent for hot paths: build is called only when
// recording is enabled, so a disabled call costs a context lookup and no
// allocation.
func (r *Recorder[E, D]) RecordEventFunc(ctx context.Context, build func() D) {
	if r == nil || !EventRecordingEnabled(ctx) || r.outputs.Load().empty() {
		return
	}
	r.record(build())
}

func (r *Recorder[E, D]) record(data D) {
	if r.outputs.Load().empty() {
		return
	}
	at := r.clock.now()
	p := pending[E, D]{data: data, at: at}
	if peer := r.peer.Load(); peer != nil {
		p.cluster = uint64((*peer).Position())
	}
	if r.closed.Load() || !r.q.Push(p) {
		r.drop(data)
	}
}

// Replay queues an event that already has its envelope (read back from a
// JSONL file, say) exactly as it is, keeping its timestamp, instance and
// cluster position, and its id if it has one (an envelope without one
// gets a new id, as a recorded event does; one whose id is not a UUID is
// an error). Unlike RecordEvent it waits for room in the queue rather
// than dropping, until ctx ends; it is meant for tools that backfill
// outputs, not for hot paths. It ignores WithEventRecording. The
// envelope is the recorder's once queued: it clears and sets its id field
// as outputs need.
func (r *Recorder[E, D]) Replay(ctx context.Context, ev E) error {
	if r == nil {
		return nil
	}
	var zero E
	if ev == zero {
		return errors.New("event recorder: replay of a nil event")
	}
	p := pending[E, D]{replay: ev, at: r.clock.now()}
	if r.schema.ID != nil {
		// Checked here, where the caller hears of it; the consumer reads
		// it again (see eventID).
		if _, err := sink.ParseEventID(r.schema.ID(ev)); err != nil {
			return fmt.Errorf("event recorder: replay: id: %w", err)
		}
	}
	wait := 50 * time.Microsecond
	for {
		if r.closed.Load() {
			return ErrClosed
		}
		if r.q.Push(p) {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			r.drop(r.schema.Data(ev))
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 20*time.Millisecond)
	}
}

// SetClusterPeer makes every later event carry peer's position. Any value
// with a Position() int method works, Alertmanager's *cluster.Peer
// included; nil clears it.
func (r *Recorder[E, D]) SetClusterPeer(peer ClusterPeer) {
	if r == nil {
		return
	}
	if peer == nil {
		r.peer.Store(nil)
		return
	}
	r.peer.Store(&peer)
}

// ApplyConfig replaces the outputs with those of cfg, keeping unchanged
// outputs running, and logs any error. It keeps the reference signature;
// ApplyConfigErr returns the error instead.
func (r *Recorder[E, D]) ApplyConfig(cfg Config) {
	if err := r.ApplyConfigErr(cfg); err != nil && r != nil {
		r.log.Error("event recorder: configuration not applied, previous outputs stay in force", "err", err)
	}
}

// ApplyConfigErr applies cfg as a per-output diff: an output whose
// configuration is unchanged keeps running (no reconnect, nothing it
// buffered is lost); removed outputs are drained and closed in the
// background; new ones are started. If the configuration is invalid or any
// new output fails to start, nothing changes and the error says which.
// A changed output that keeps its disk buffer directory is the exception:
// the old one must close (leaving what it holds on disk) before its
// successor can open the directory and replay it, and if the successor
// then fails to start, the old one is started again from its previous
// configuration (see the README, "Output buffers").
func (r *Recorder[E, D]) ApplyConfigErr(cfg Config) error {
	if r == nil {
		return nil
	}
	return r.apply(cfg)
}

// Close stops accepting events, delivers what was already accepted, and
// closes every output, within Options.CloseTimeout (see there). Events it
// had to give up are counted as dropped (still queued) or failed (held by
// an output, or taken from the queue when the budget ran out). Calling
// Close again returns the first result.
func (r *Recorder[E, D]) Close() error {
	if r == nil {
		return nil
	}
	return r.close()
}

// OutputStats is what one output did since it started. Every event the
// output was given is in exactly one of Delivered, Unacknowledged, Dropped,
// Failed and Persisted (see Accounted). An output with a durable buffer
// also reports, once each, the records its buffer held when it started
// (Buffer.Replayed), so for it Accounted is what it was given plus those.
type OutputStats struct {
	Name string
	// Delivered events were acknowledged by the destination.
	Delivered uint64
	// Unacknowledged events were sent without asking the destination to
	// acknowledge them (Kafka with acks: none): nothing confirms that it
	// stored them.
	Unacknowledged uint64
	// Dropped events were shed because the output's buffer was full.
	Dropped uint64
	// Failed events were given up on.
	Failed uint64
	// Persisted events were still in the output's durable buffer when it
	// closed: not delivered, not lost; the next start delivers them.
	Persisted uint64
	// Bytes is the encoded size of the events delivered or sent
	// unacknowledged, with the newline that ends each line of a file or
	// stdout output (as Alertmanager counts them).
	Bytes uint64
	// Buffer is what the output's own buffer holds and did, for outputs
	// that report one (sink.Buffered); nil otherwise.
	Buffer *sink.BufferStats
}

// Accounted is how many events the output has accounted for:
// Delivered + Unacknowledged + Dropped + Failed + Persisted. Once the output
// has settled, it is the number of events it was given (plus, for a durable
// buffer, the records it replayed).
func (s OutputStats) Accounted() uint64 {
	return s.Delivered + s.Unacknowledged + s.Dropped + s.Failed + s.Persisted
}

// Stats reports per-output totals for the current outputs, in
// configuration order. It is meant for summaries (the CLI prints them);
// the metrics carry the same numbers by event type, but they are the
// registry's: summed over every recorder registered there, and kept from
// recorders before this one. Stats counts this recorder's outputs only.
func (r *Recorder[E, D]) Stats() []OutputStats {
	if r == nil {
		return nil
	}
	set := r.outputs.Load()
	out := make([]OutputStats, 0, len(set.outputs))
	for _, o := range set.outputs {
		out = append(out, o.stats())
	}
	return out
}

// Dropped reports how many events this recorder's queue dropped (the
// events_dropped_total series may also count other recorders sharing the
// registry).
func (r *Recorder[E, D]) Dropped() uint64 {
	if r == nil {
		return 0
	}
	return r.queueDropped.Load()
}

// Queued reports how many events are waiting in the queue.
func (r *Recorder[E, D]) Queued() int {
	if r == nil {
		return 0
	}
	return r.q.Len()
}

// drop counts an event the queue could not take. The counters are
// resolved once per event type, so a full queue costs no label hashing.
func (r *Recorder[E, D]) drop(data D) {
	r.queueDropped.Add(1)
	t := r.schema.TypeName(data)
	if c, ok := r.dropByType[t]; ok {
		c.Inc()
		return
	}
	r.metrics.dropped.WithLabelValues(t).Inc()
}

func (r *Recorder[E, D]) run() {
	defer close(r.done)
	batch := make([]pending[E, D], 0, r.opts.MaxBatch)
	var d deliverer[E, D]
	for {
		var err error
		batch, err = r.q.PopBatch(r.ctx, batch[:0], r.opts.MaxBatch)
		if err != nil {
			return
		}
		r.deliverMu.Lock()
		d.deliver(r, r.outputs.Load(), batch)
		r.deliverMu.Unlock()
		clear(batch)
	}
}

func (r *Recorder[E, D]) apply(cfg Config) error {
	specs, err := r.rt.specs(cfg)
	if err != nil {
		return err
	}
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	if r.closed.Load() {
		return ErrClosed
	}
	old := r.outputs.Load()
	kept := make([]bool, len(old.outputs))
	outs := make([]*output[E], len(specs)) // per spec: kept or started
	for j, sp := range specs {
		if i := old.find(sp, kept); i >= 0 {
			kept[i] = true
			outs[j] = old.outputs[i]
		}
	}
	takeover, closeFirst := handovers(old, kept, specs, outs)
	var started []*output[E]
	closeStarted := func() {
		for _, o := range started {
			_ = o.close()
		}
		started = nil
	}
	// Outputs that take over no directory start while the old set still
	// runs: if one fails, nothing has changed.
	for j, sp := range specs {
		if outs[j] != nil || takeover[j] {
			continue
		}
		o, err := r.newOutput(sp)
		if err != nil {
			closeStarted()
			return sink.AtPath(sp.path(), err)
		}
		started = append(started, o)
		outs[j] = o
	}
	handover := slices.Contains(closeFirst, true)
	if handover {
		// A replaced output holds its disk buffer directory until it has
		// closed, so its successor can only start after. The consumer
		// pauses meanwhile (events wait in the queue): nothing is handed
		// to the old output once its Close begins, and nothing to the new
		// one before what the old one held, which its Close leaves on
		// disk (reported persisted) and the new one replays first.
		r.deliverMu.Lock()
		r.closeHandedOver(old, closeFirst)
		for j, sp := range specs {
			if !takeover[j] {
				continue
			}
			o, err := r.newOutput(sp)
			if err != nil {
				closeStarted()
				return r.restore(old, closeFirst, sink.AtPath(sp.path(), err))
			}
			started = append(started, o)
			outs[j] = o
		}
	}
	next := &outputSet[E]{}
	names := make([]namedOutput, len(outs))
	for i, o := range outs {
		next.add(o)
		names[i] = namedOutput{path: o.path, name: o.name}
	}
	if errs := distinctNames(names); len(errs) > 0 {
		closeStarted()
		if handover {
			return r.restore(old, closeFirst, sink.JoinProblems(errs...))
		}
		return sink.JoinProblems(errs...)
	}
	r.outputs.Store(next)
	if handover {
		r.deliverMu.Unlock()
	} else {
		// Wait for a batch that may still hold the old set: an empty
		// critical section is a barrier.
		r.deliverMu.Lock()
		//lint:ignore SA2001 the empty critical section is the point.
		r.deliverMu.Unlock()
	}
	for i, o := range old.outputs {
		if !kept[i] && !closeFirst[i] {
			r.closing.Add(1)
			go func() {
				defer r.closing.Done()
				if err := o.close(); err != nil {
					r.log.Warn("event recorder: closing removed output", "output", o.name, "err", err)
				}
			}()
		}
	}
	if len(started) > 0 || len(next.outputs) != len(old.outputs) {
		r.log.Info("event recorder: outputs configured", "outputs", len(next.outputs), "started", len(started))
	}
	return nil
}

// diskDir is the directory of the disk buffer cfg configures, as buffers
// lock it, if it configures one.
func diskDir(cfg any) (string, bool) {
	c, ok := cfg.(buffer.Configured)
	if !ok {
		return "", false
	}
	b := c.BufferConfig()
	if b.Type != buffer.TypeDisk || b.Path == "" {
		return "", false
	}
	return buffer.CanonicalDir(b.Path), true
}

// handovers pairs the outputs a reload removes with the new outputs that
// use the same disk buffer directory: takeover marks the specs whose
// output must start after an old one closes, closeFirst those old
// outputs. outs holds the kept outputs by spec.
func handovers[E any](old *outputSet[E], kept []bool, specs []outputSpec[E], outs []*output[E]) (takeover, closeFirst []bool) {
	takeover, closeFirst = make([]bool, len(specs)), make([]bool, len(old.outputs))
	held := map[string]int{}
	for i, o := range old.outputs {
		if d, ok := diskDir(o.spec.config); ok && !kept[i] {
			held[d] = i
		}
	}
	if len(held) == 0 {
		return takeover, closeFirst
	}
	for j, sp := range specs {
		if outs[j] != nil {
			continue
		}
		if d, ok := diskDir(sp.config); ok {
			if i, ok := held[d]; ok {
				takeover[j], closeFirst[i] = true, true
			}
		}
	}
	return takeover, closeFirst
}

// closeHandedOver closes, together, the old outputs whose directories
// new ones take over. The caller holds deliverMu.
func (r *Recorder[E, D]) closeHandedOver(old *outputSet[E], closeFirst []bool) {
	var wg sync.WaitGroup
	for i, o := range old.outputs {
		if !closeFirst[i] {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := o.close(); err != nil {
				r.log.Warn("event recorder: closing replaced output", "output", o.name, "err", err)
			}
		}()
	}
	wg.Wait()
}

// restore undoes a reload that failed after it closed the outputs in
// closeFirst: each is started again from its previous configuration and
// replays what it left in its directory, the others keep running, and the
// consumer resumes. The caller holds deliverMu; restore releases it. An
// output that cannot be started again is left out, its events kept in
// its directory for a later start, and the error says so.
func (r *Recorder[E, D]) restore(old *outputSet[E], closeFirst []bool, cause error) error {
	defer r.deliverMu.Unlock()
	errs := []error{cause}
	set := &outputSet[E]{}
	restarted := 0
	for i, o := range old.outputs {
		if !closeFirst[i] {
			set.add(o)
			continue
		}
		again, err := r.newOutput(o.spec)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: the output the reload was to replace could not be started again, so it is gone until a reload or restart adds it; what it held stays in its buffer directory: %w", o.path, err))
			continue
		}
		set.add(again)
		restarted++
	}
	r.outputs.Store(set)
	r.log.Warn("event recorder: reload failed after closing outputs to hand their buffer directories over; they were started again from the previous configuration", "restarted", restarted, "lost", len(errs)-1)
	return errors.Join(errs...)
}

// closeGrace is how long Close waits beyond CloseTimeout for outputs that
// are giving up what they hold (a file closed under a stuck write,
// requests cancelled) and for the consumer they release, before it
// returns without them. Built-in outputs need a fraction of it; only an
// output that ignores its own budget makes Close wait it out.
const closeGrace = time.Second

// errAbandoned is the failure of events the consumer had taken from the
// queue but not yet handed to an output when Close's drain budget ran
// out.
var errAbandoned = errors.New("event recorder: close budget ran out before the event reached the output")

func (r *Recorder[E, D]) close() error {
	r.closeOnce.Do(func() {
		start := time.Now()
		r.applyMu.Lock()
		r.closed.Store(true)
		r.applyMu.Unlock()
		r.q.Close()
		drain := time.NewTimer(r.opts.drainBudget())
		select {
		case <-r.done:
		case <-drain.C:
			// The consumer may be stuck in an output's Deliver (a write
			// that never returns): it is not waited for here. It hands
			// what it still holds to no further output (see deliver),
			// and closing the outputs below releases it.
			r.abandonMu.Lock()
			r.abandoned = true
			r.abandonMu.Unlock()
		}
		drain.Stop()
		r.cancel()
		// Whatever the consumer has not taken was accepted but will
		// never reach an output: count it as dropped. The queue may be
		// popped beside the consumer, which takes nothing more once
		// its context is cancelled.
		var given int
		for {
			left := r.q.TryPopBatch(nil, 1024)
			if len(left) == 0 {
				break
			}
			for i := range left {
				r.drop(r.eventData(&left[i]))
			}
			given += len(left)
		}
		deadline := time.NewTimer(time.Until(start.Add(r.opts.CloseTimeout + closeGrace)))
		defer deadline.Stop()
		set := r.outputs.Load()
		errs := make([]error, len(set.outputs))
		closed := make([]atomic.Bool, len(set.outputs))
		var wg sync.WaitGroup
		for i, o := range set.outputs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := o.close(); err != nil {
					if !strings.Contains(err.Error(), o.name) {
						err = fmt.Errorf("%s: %w", o.name, err)
					}
					errs[i] = err
				}
				closed[i].Store(true)
			}()
		}
		finished := waitUntil(&wg, r.done, r.closing.Wait, deadline.C)
		// An output still closing may yet write its slot of errs: read
		// only the slots of those that have finished.
		var (
			late []string
			all  []error
		)
		for i, o := range set.outputs {
			if closed[i].Load() {
				all = append(all, errs[i])
			} else {
				late = append(late, o.name)
			}
		}
		if !finished {
			if o := r.delivering.Load(); o != nil {
				all = append(all, fmt.Errorf("event recorder: output %s was still in Deliver after the close budget of %v; what it holds may be counted late or never", o.name, r.opts.CloseTimeout))
			}
			if len(late) > 0 {
				all = append(all, fmt.Errorf("event recorder: outputs %s did not finish closing within the close budget of %v", strings.Join(late, ", "), r.opts.CloseTimeout))
			}
		}
		r.metrics.untrackQueue()
		if given > 0 {
			all = append(all, fmt.Errorf("event recorder: close budget ran out with %d events still queued; counted as dropped", given))
		}
		r.closeErr = errors.Join(all...)
	})
	return r.closeErr
}

// startDeliver reports whether the consumer may hand o a batch, and
// marks it as being delivered to. It may not once Close's drain budget has
// run out: Close is about to close o, and a sink is never handed a batch
// after its Close has begun (one already in Deliver may still be there).
func (r *Recorder[E, D]) startDeliver(o *output[E]) bool {
	r.abandonMu.Lock()
	defer r.abandonMu.Unlock()
	if r.abandoned {
		return false
	}
	r.delivering.Store(o)
	return true
}

// waitUntil waits for the outputs' Close calls, the consumer and the
// removed outputs still closing, until deadline fires. It reports whether
// all of them finished.
func waitUntil(outputs *sync.WaitGroup, consumer <-chan struct{}, removed func(), deadline <-chan time.Time) bool {
	all := make(chan struct{})
	go func() {
		outputs.Wait()
		<-consumer
		removed()
		close(all)
	}()
	select {
	case <-all:
		return true
	case <-deadline:
		return false
	}
}
