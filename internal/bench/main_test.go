package bench_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcrowley/go-metrics"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
	"github.com/eventrecorder/eventrecorder/internal/testtool"
	"github.com/eventrecorder/eventrecorder/sink"
)

func TestMain(m *testing.M) {
	// The bare sarama baseline must not pay for go-metrics the sink never
	// collects (the sink gives sarama a registry that keeps nothing), and a
	// real go-metrics Meter starts a ticker goroutine that never ends.
	metrics.UseNilMetrics = true
	if err := event.RegisterKind(gateKind); err != nil {
		panic(err)
	}
	leakcheck.VerifyTestMain(m)
}

// wait bounds every wait on a condition; a working pipeline never comes
// close, even on a loaded machine.
const wait = 2 * time.Minute

var ctxOn = event.WithEventRecording(context.Background())

// gateConfig configures a bench_gate output.
type gateConfig struct {
	ID          string `yaml:"id"`
	sink.Filter `yaml:",inline"`
}

// gateKind is an output whose Deliver blocks until the benchmark opens its
// gate. It stands in for a stalled destination because no built-in sink
// can stall the recorder: by contract their Deliver sheds into their own
// bounded buffers instead of blocking, so with a real stalled receiver the
// events would sit in the sink, not in the recorder's queue, whose cost per
// event is what the memory benchmark measures.
var gateKind = sink.KindOf[*eventrecorderpb.Event, gateConfig]{
	Name: "bench_gate",
	New: func(cfg gateConfig, env sink.Env[*eventrecorderpb.Event]) (sink.Sink[*eventrecorderpb.Event], error) {
		g, ok := gates.Load(cfg.ID)
		if !ok {
			return nil, sink.Errorf("id", "no gate %q", cfg.ID)
		}
		gs := g.(*gate)
		gs.rep = env.Reporter
		return gs, nil
	},
}.Kind()

// gates maps gate ids to the gates the benchmarks made.
var (
	gates   sync.Map
	gateSeq atomic.Int64
)

type gate struct {
	id      string
	rep     sink.Reporter[*eventrecorderpb.Event]
	entered chan struct{} // a Deliver call has started
	open    chan struct{} // closed to let Deliver calls through
}

func newGate(tb testing.TB) *gate {
	g := &gate{id: fmt.Sprintf("%s#%d", tb.Name(), gateSeq.Add(1)), entered: make(chan struct{}, 1), open: make(chan struct{})}
	gates.Store(g.id, g)
	tb.Cleanup(g.release)
	return g
}

// release forgets the gate and its reporter: the gate stays reachable
// from the test's cleanup list, and its reporter (the recorder's output)
// would keep the whole recorder, queue included, on the heap.
func (g *gate) release() {
	gates.Delete(g.id)
	g.rep = nil
}

func (g *gate) config() event.Config {
	return event.Config{Outputs: map[string][]any{"bench_gate": {gateConfig{ID: g.id}}}}
}

func (g *gate) Name() string { return "bench_gate:" + g.id }

func (g *gate) Deliver(batch []sink.Message[*eventrecorderpb.Event]) {
	select {
	case g.entered <- struct{}{}:
	default:
	}
	<-g.open
	g.rep.Report(batch, sink.Delivered, nil)
}

func (g *gate) Close() error { return nil }

// waitFor polls cond until it holds, failing after wait. Pipelines report
// progress through counters (Stats, broker offsets) that offer nothing to
// block on.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	testtool.WaitFor(tb, what, wait, time.Millisecond, cond)
}

// checkStats fails unless every output of rec delivered exactly want
// events and the recorder dropped none.
func checkStats(tb testing.TB, rec event.Recorder, outputs, want int) {
	tb.Helper()
	if d := rec.Dropped(); d != 0 {
		tb.Fatalf("the recorder's queue dropped %d events", d)
	}
	stats := rec.Stats()
	if len(stats) != outputs {
		tb.Fatalf("%d outputs, want %d", len(stats), outputs)
	}
	for _, st := range stats {
		if st.Delivered != uint64(want) || st.Dropped != 0 || st.Failed != 0 {
			tb.Fatalf("%s: delivered %d, dropped %d, failed %d; want %d delivered, none lost",
				st.Name, st.Delivered, st.Dropped, st.Failed, want)
		}
	}
}

// runPaced records n events into rec, whose first output has already
// resolved every earlier event, keeping at most window of them unresolved
// (recorded but not yet reported delivered, dropped or failed), then closes
// rec. With window no larger than the output's own buffer nothing can
// drop, and the figure is the output's sustained rate in its default
// configuration, with only a window's worth of events in memory; a queue
// as large as the run would instead hold the whole run in the heap and
// measure the garbage collector as much as the output.
func runPaced(rec event.Recorder, n, window int, data *eventrecorderpb.EventData) error {
	const chunk = 64
	base := resolved(rec)
	deadline := time.Now().Add(wait)
	for sent := 0; sent < n; {
		k := min(chunk, n-sent)
		for range k {
			rec.RecordEvent(ctxOn, data)
		}
		sent += k
		// The outputs report asynchronously, with nothing to block on;
		// polling every 50µs is fine-grained next to a window's worth of
		// deliveries.
		for sent-(resolved(rec)-base) > window-chunk {
			if time.Now().After(deadline) {
				return fmt.Errorf("%d of %d events still unresolved after %v", sent-(resolved(rec)-base), sent, wait)
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
	return rec.Close()
}

// resolved is how many events the first output has reported.
func resolved(rec event.Recorder) int {
	return int(rec.Stats()[0].Accounted())
}
