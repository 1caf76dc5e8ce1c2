package reliability_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/internal/bench"
	"github.com/eventrecorder/eventrecorder/internal/kafkatest"
)

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC() // the second cycle frees what the first one's finalizers released
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// Memory budget of TestBoundedMemoryWhenEverythingIsDown: the documented
// bound (README, "Memory is bounded by the buffers"; the same formula as
// internal/bench's backlogBound), queue_size × queueSlot + (max_batch +
// webhook queue_size + workers + Kafka buffer_size) × (max(slab, E) + M +
// slotFixed) + fixedMargin, E being the event's JSON encoding's size and
// M its data and envelope in memory (bench.Footprint). A slot of the
// recorder's queue is its 32-byte pending event, allocated up front (the
// queue is empty when the heap is measured). An event held in an output's
// slot keeps alive the slab its encoding was cut from (at most 4 KiB, or
// E for a larger event; counted in full per held event, the worst case,
// which the "fails at once" row's churn comes near: this test's events
// are small, so a slab holds many of them), its data and envelope, and
// its sink.Message and queue entry. fixedMargin covers what does not
// scale with the buffers: goroutines, the HTTP client, sarama, metric
// series, GC noise, and the recorder's pool of reusable slabs (at most 2
// MiB: both outputs give values back). Without the bounds, a million events would need at
// least 160 MiB for their data alone.
const (
	queueSlot   = 32
	slab        = 4 << 10
	slotFixed   = 512
	fixedMargin = 8 << 20
)

// TestBoundedMemoryWhenEverythingIsDown records a million events while
// every output is unreachable (a webhook and a Kafka output, both to
// closed loopback ports). The heap may grow by what the bounded buffers
// can hold, and no more; every event beyond them is counted as dropped,
// exactly. The bound is what the held events themselves take: an event
// an output holds must not keep its whole batch's encodings alive (the
// "fails at once" row, whose queue churns, is the one that would show
// it: 22.9 MiB before the recorder copied each value out). The rows differ in how fast the webhook output fails what it
// holds: slowly (the default retries) or at once (one attempt), which
// churns its queue.
func TestBoundedMemoryWhenEverythingIsDown(t *testing.T) {
	if testing.Short() {
		t.Skip("records a million events per row; skipped with -short")
	}
	const (
		events      = 1_000_000
		queueSize   = event.DefaultQueueSize
		maxBatch    = event.DefaultMaxBatch
		webhookQ    = 1024
		workers     = 4
		kafkaBuffer = 1024
	)
	encoded, err := bench.Envelope(seqEvent(events), time.Now()).AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	footprint := bench.Footprint(func() *eventrecorderpb.EventData { return seqEvent(events) })
	bound := int64(queueSize*queueSlot + (maxBatch+webhookQ+workers+kafkaBuffer)*(max(slab, len(encoded))+footprint+slotFixed) + fixedMargin)
	for _, row := range []struct{ name, webhookExtra string }{
		{"webhook retries slowly", ""},
		{"webhook fails at once", ", max_retries: 1"},
	} {
		t.Run(row.name, func(t *testing.T) {
			rx := newReceiver(t, answerOK, true) // never started: connection refused
			kafkaAddr := fmt.Sprintf("127.0.0.1:%d", kafkatest.FreePort(t))
			cfg := mustLoad(t, fmt.Sprintf(`
webhook_outputs: [{url: %s, queue_size: %d, workers: %d%s}]
kafka_outputs: [{brokers: [%q], topic: events, buffer_size: %d}]
`, rx.url(), webhookQ, workers, row.webhookExtra, kafkaAddr, kafkaBuffer))

			base := heapAlloc()
			r := newRig(t, cfg, event.Options{QueueSize: queueSize, MaxBatch: maxBatch, CloseTimeout: 2 * time.Second})
			start := time.Now()
			r.record(events)
			took := time.Since(start)
			// Let the consumer hand the queue to the outputs, then
			// measure what they hold.
			waitFor(t, "the recorder's queue to drain into the outputs", func() bool {
				return metricSum(t, r.reg, "alertmanager_event_recorder_queue_length", nil) == 0
			})
			held := heapAlloc()
			growth := int64(held) - int64(base)
			if growth > bound {
				t.Errorf("heap grew by %d bytes (%.1f MiB) holding a million events for unreachable outputs; the buffers bound it at %.1f MiB",
					growth, float64(growth)/(1<<20), float64(bound)/(1<<20))
			}

			closeTook, err := r.close()
			for _, out := range []string{"webhook:" + rx.url(), "kafka:" + kafkaAddr + "/events"} {
				c := r.conserved(out)
				// Nothing is delivered and every event is dropped or
				// failed. Nearly all are dropped, except where the webhook
				// fails at once: its workers then fail events as fast as
				// the consumer hands them over, and how many that is
				// depends on how the two cores are shared (CI saw 10577
				// where a loaded machine saw under 5 per worker).
				dropsAtLeast := events - queueSize - maxBatch - webhookQ - kafkaBuffer - 5*workers
				failsAtOnce := row.webhookExtra != "" && strings.HasPrefix(out, "webhook:")
				switch {
				case c.Delivered != 0 || c.Unacked != 0 || c.accounted() != events:
					t.Errorf("%s: %v; want nothing delivered, every event dropped or failed", out, c)
				case !failsAtOnce && c.OutDrops+c.QueueDrops < dropsAtLeast:
					t.Errorf("%s: %v; want nearly everything dropped", out, c)
				}
				t.Logf("FIGURES memory %q %s: %v", row.name, out, c)
			}
			t.Logf("FIGURES memory %q: recorded %d events in %v; heap %d → %d bytes, growth %.2f MiB (bound %.1f MiB); Close took %v (error: %v)",
				row.name, events, took.Round(time.Millisecond), base, held, float64(growth)/(1<<20), float64(bound)/(1<<20), closeTook.Round(time.Millisecond), err)
		})
	}
}
