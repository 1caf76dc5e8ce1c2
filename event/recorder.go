package event

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/queue"
	"github.com/eventrecorder/eventrecorder/sink"
)

// Defaults for Options.
const (
	DefaultQueueSize    = 8192
	DefaultMaxBatch     = 256
	DefaultCloseTimeout = 10 * time.Second
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
	// full RecordEvent drops. Zero means DefaultQueueSize.
	QueueSize int
	// MaxBatch bounds how many events the consumer hands an output at
	// once. Zero means DefaultMaxBatch.
	MaxBatch int
	// CloseTimeout bounds Close: half of it for draining the queue into
	// the outputs, half for the outputs to flush. Events still held when
	// it runs out are counted as dropped or failed. Zero means
	// DefaultCloseTimeout.
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
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.CloseTimeout <= 0 {
		o.CloseTimeout = DefaultCloseTimeout
	}
	return o
}

// ClusterPeer is what the recorder needs from an HA cluster member: its
// position among the peers. Alertmanager's *cluster.Peer satisfies it.
type ClusterPeer interface {
	Position() int
}

// Recorder is a handle to an event recorder. It is a struct, not an
// interface, so a missing recorder is a compile error rather than a nil
// dereference; its zero value discards every event, as does NopRecorder.
type Recorder struct {
	r *recorder
}

// NopRecorder returns a Recorder that discards every event.
func NopRecorder() Recorder { return Recorder{} }

// NewRecorderFromConfig builds a Recorder and starts its consumer. It keeps
// the reference signature, which has no error: if an output cannot be
// started the error is logged and the recorder starts without outputs, so a
// later ApplyConfig can fix it. Use New to get the error instead.
func NewRecorderFromConfig(cfg Config, instance string, logger *slog.Logger, r prometheus.Registerer) Recorder {
	opts := Options{Instance: instance, Logger: logger, Registerer: r}
	rec, err := New(cfg, opts)
	if err != nil {
		opts = opts.withDefaults()
		opts.Logger.Error("event recorder: starting without outputs", "err", err)
		rec, _ = New(Config{}, opts)
	}
	return rec
}

// New builds a Recorder from cfg and starts its consumer. It fails, having
// started nothing, if the configuration is invalid or an output cannot be
// built.
func New(cfg Config, opts Options) (Recorder, error) {
	switch opts.JSONEncoder {
	case "", JSONEncoderGenerated, JSONEncoderProtojson:
	default:
		return Recorder{}, fmt.Errorf("event recorder: Options.JSONEncoder %q is not %q or %q", opts.JSONEncoder, JSONEncoderGenerated, JSONEncoderProtojson)
	}
	opts = opts.withDefaults()
	r := &recorder{
		opts:   opts,
		log:    opts.Logger,
		q:      queue.New[pending](opts.QueueSize),
		done:   make(chan struct{}),
		encode: encoderFor(opts.JSONEncoder),

		instanceKey: []byte(opts.Instance),
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.metrics = newMetrics(opts.Namespace, opts.Registerer, func() float64 { return float64(r.q.Len()) })
	r.dropByType = map[string]prometheus.Counter{}
	for _, t := range append(EventTypeNames(), EventTypeUnknown) {
		r.dropByType[t] = r.metrics.dropped.WithLabelValues(t)
	}
	r.outputs.Store(&outputSet{})
	if err := r.apply(cfg); err != nil {
		r.cancel()
		return Recorder{}, err
	}
	go r.run()
	return Recorder{r: r}, nil
}

type recorder struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics
	// dropByType holds the queue-drop counter of each event type.
	dropByType map[string]prometheus.Counter
	q          *queue.Queue[pending]
	encode     [numFormats]encodeFunc
	// instanceKey is the default record key (Kafka): one instance's
	// events stay in one partition, in order. Shared, read-only.
	instanceKey []byte
	peer        atomic.Pointer[ClusterPeer]
	clock       wallClock

	// outputs is the set the consumer delivers to. apply swaps it under
	// applyMu, then takes deliverMu once so that no batch still uses the
	// old set when removed outputs are closed.
	outputs   atomic.Pointer[outputSet]
	applyMu   sync.Mutex
	deliverMu sync.Mutex
	closing   sync.WaitGroup // removed outputs still flushing

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
	ctx       context.Context // cancelled when Close's drain budget runs out
	cancel    context.CancelFunc
	done      chan struct{} // closed when the consumer returns
}

// pending is what the hot path queues: the caller's data and when it was
// recorded. The queue's ring holds it by value, so recording copies a few
// words into memory allocated up front and allocates nothing; the consumer
// builds the protobuf envelope (see envelope) off the caller's path.
type pending struct {
	data *eventrecorderpb.EventData
	// replay is a whole event from Replay, delivered as it is; the other
	// fields are then unused.
	replay  *eventrecorderpb.Event
	sec     int64
	nsec    int32
	cluster uint32
}

// eventData is the payload, whichever way the event was queued.
func (p *pending) eventData() *eventrecorderpb.EventData {
	if p.replay != nil {
		return p.replay.GetData()
	}
	return p.data
}

// envelope holds an event and its timestamp in one allocation.
type envelope struct {
	ev eventrecorderpb.Event
	ts timestamppb.Timestamp
}

// event returns the event p stands for, building its envelope with the
// recorder's instance name.
func (p *pending) event(instance string) *eventrecorderpb.Event {
	if p.replay != nil {
		return p.replay
	}
	env := &envelope{}
	env.ts.Seconds, env.ts.Nanos = p.sec, p.nsec
	env.ev.Timestamp = &env.ts
	env.ev.Instance = instance
	env.ev.Data = p.data
	env.ev.ClusterPosition = p.cluster
	return &env.ev
}

// RecordEvent queues data for delivery, stamped with the time, instance
// and cluster position, if ctx enables recording and the recorder has
// outputs. It never blocks and allocates nothing: when the queue is full
// the event is dropped and counted. The envelope is built and encoded
// later, on the consumer, so data must not be modified once recorded.
func (r Recorder) RecordEvent(ctx context.Context, data *eventrecorderpb.EventData) {
	if r.r == nil || !EventRecordingEnabled(ctx) {
		return
	}
	r.r.record(data)
}

// RecordEventFunc is RecordEvent for hot paths: build is called only when
// recording is enabled, so a disabled call costs a context lookup and no
// allocation.
func (r Recorder) RecordEventFunc(ctx context.Context, build func() *eventrecorderpb.EventData) {
	if r.r == nil || !EventRecordingEnabled(ctx) || r.r.outputs.Load().empty() {
		return
	}
	r.r.record(build())
}

func (r *recorder) record(data *eventrecorderpb.EventData) {
	if r.outputs.Load().empty() {
		return
	}
	p := pending{data: data}
	p.sec, p.nsec = r.clock.now()
	if peer := r.peer.Load(); peer != nil {
		p.cluster = uint32((*peer).Position())
	}
	if r.closed.Load() || !r.q.Push(p) {
		r.drop(data)
	}
}

// Replay queues an event that already has its envelope (read back from a
// JSONL file, say) exactly as it is, keeping its timestamp, instance and
// cluster position. Unlike RecordEvent it waits for room in the queue
// rather than dropping, until ctx ends; it is meant for tools that backfill
// outputs, not for hot paths. It ignores WithEventRecording.
func (r Recorder) Replay(ctx context.Context, ev *eventrecorderpb.Event) error {
	if r.r == nil {
		return nil
	}
	if ev == nil {
		return errors.New("event recorder: replay of a nil event")
	}
	wait := 50 * time.Microsecond
	for {
		if r.r.closed.Load() {
			return ErrClosed
		}
		if r.r.q.Push(pending{replay: ev}) {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			r.r.drop(ev.GetData())
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 20*time.Millisecond)
	}
}

// SetClusterPeer makes every later event carry peer's position. Any value
// with a Position() int method works, Alertmanager's *cluster.Peer
// included; nil clears it.
func (r Recorder) SetClusterPeer(peer ClusterPeer) {
	if r.r == nil {
		return
	}
	if peer == nil {
		r.r.peer.Store(nil)
		return
	}
	r.r.peer.Store(&peer)
}

// ApplyConfig replaces the outputs with those of cfg, keeping unchanged
// outputs running, and logs any error. It keeps the reference signature;
// ApplyConfigErr returns the error instead.
func (r Recorder) ApplyConfig(cfg Config) {
	if err := r.ApplyConfigErr(cfg); err != nil && r.r != nil {
		r.r.log.Error("event recorder: configuration not applied, previous outputs stay in force", "err", err)
	}
}

// ApplyConfigErr applies cfg as a per-output diff: an output whose
// configuration is unchanged keeps running (no reconnect, nothing it
// buffered is lost); removed outputs are drained and closed in the
// background; new ones are started. If the configuration is invalid or any
// new output fails to start, nothing changes and the error says which.
func (r Recorder) ApplyConfigErr(cfg Config) error {
	if r.r == nil {
		return nil
	}
	return r.r.apply(cfg)
}

// Close stops accepting events, delivers what was already accepted, and
// closes every output, within Options.CloseTimeout. Events it had to give
// up are counted as dropped (still queued) or failed (held by an output).
// Calling Close again returns the first result.
func (r Recorder) Close() error {
	if r.r == nil {
		return nil
	}
	return r.r.close()
}

// OutputStats is what one output did since it started. Every event the
// output was given is in exactly one of Delivered, Unacknowledged, Dropped
// and Failed (see Accounted).
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
	// Bytes is the encoded size of the events delivered or sent
	// unacknowledged.
	Bytes uint64
}

// Accounted is how many events the output has accounted for:
// Delivered + Unacknowledged + Dropped + Failed. Once the output has
// settled, it is the number of events it was given.
func (s OutputStats) Accounted() uint64 { return s.Delivered + s.Unacknowledged + s.Dropped + s.Failed }

// Stats reports per-output totals for the current outputs, in
// configuration order. It is meant for summaries (the CLI prints them);
// the metrics carry the same numbers by event type.
func (r Recorder) Stats() []OutputStats {
	if r.r == nil {
		return nil
	}
	set := r.r.outputs.Load()
	out := make([]OutputStats, 0, len(set.outputs))
	for _, o := range set.outputs {
		out = append(out, o.stats())
	}
	return out
}

// Dropped reports how many events the recorder's queue dropped.
func (r Recorder) Dropped() uint64 {
	if r.r == nil {
		return 0
	}
	return r.r.queueDrops()
}

// drop counts an event the queue could not take. The counters are
// resolved once per event type, so a full queue costs no label hashing.
func (r *recorder) drop(data *eventrecorderpb.EventData) {
	t := EventTypeName(data)
	if c, ok := r.dropByType[t]; ok {
		c.Inc()
		return
	}
	r.metrics.dropped.WithLabelValues(t).Inc()
}

func (r *recorder) queueDrops() uint64 {
	var total uint64
	for _, c := range r.dropByType {
		total += uint64(counterValue(c))
	}
	return total
}

func (r *recorder) run() {
	defer close(r.done)
	batch := make([]pending, 0, r.opts.MaxBatch)
	var d deliverer
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

func (r *recorder) apply(cfg Config) error {
	specs, err := cfg.specs()
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
	next := &outputSet{}
	var started []*output
	fail := func(err error) error {
		for _, o := range started {
			_ = o.close()
		}
		return err
	}
	for _, sp := range specs {
		if i := old.find(sp, kept); i >= 0 {
			kept[i] = true
			next.add(old.outputs[i])
			continue
		}
		o, err := r.newOutput(sp)
		if err != nil {
			return fail(sink.AtPath(sp.path(), err))
		}
		started = append(started, o)
		next.add(o)
	}
	names := make([]namedOutput, len(next.outputs))
	for i, o := range next.outputs {
		names[i] = namedOutput{path: o.path, name: o.name}
	}
	if errs := distinctNames(names); len(errs) > 0 {
		return fail(sink.JoinProblems(errs...))
	}
	r.outputs.Store(next)
	// Wait for a batch that may still hold the old set: an empty critical
	// section is a barrier.
	r.deliverMu.Lock()
	//lint:ignore SA2001 the empty critical section is the point.
	r.deliverMu.Unlock()
	for i, o := range old.outputs {
		if !kept[i] {
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

func (r *recorder) close() error {
	r.closeOnce.Do(func() {
		r.applyMu.Lock()
		r.closed.Store(true)
		r.applyMu.Unlock()
		r.q.Close()
		drain := time.NewTimer(r.opts.CloseTimeout / 2)
		select {
		case <-r.done:
		case <-drain.C:
			r.cancel()
			<-r.done
		}
		drain.Stop()
		r.cancel()
		// Whatever the consumer could not take in time was accepted but
		// will never reach an output: count it as dropped.
		var given int
		for {
			left := r.q.TryPopBatch(nil, 1024)
			if len(left) == 0 {
				break
			}
			for i := range left {
				r.drop(left[i].eventData())
			}
			given += len(left)
		}
		set := r.outputs.Load()
		errs := make([]error, len(set.outputs))
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
			}()
		}
		wg.Wait()
		r.closing.Wait()
		if given > 0 {
			errs = append(errs, fmt.Errorf("event recorder: close budget ran out with %d events still queued; counted as dropped", given))
		}
		r.closeErr = errors.Join(errs...)
	})
	return r.closeErr
}
