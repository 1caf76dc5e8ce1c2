package bench_test

import (
	"runtime"
	"testing"
	"time"
	"unsafe"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/internal/bench"
)

// queuedEvents is how many events the memory benchmark queues: enough
// that the recorder's fixed cost, which the figure includes, is spread
// thin.
const queuedEvents = 1 << 16

// BenchmarkQueuedMemory is the heap a recorder holds per event waiting in
// its queue while its only output is stalled: the growth of the live heap
// from the queue half full to full, per event, plus the queue's slot (one
// pointer, allocated when the recorder is built). data=shared records one
// EventData over and over, which is what the recorder itself adds per event
// (the envelope); data=fresh builds each event with the generated
// constructor, as instrumented code does, so the event's own tree is held
// too.
func BenchmarkQueuedMemory(b *testing.B) {
	alert := bench.ReferenceAlert()
	for _, tc := range []struct {
		name  string
		build func() *eventrecorderpb.EventData
	}{
		{"data=shared", func() func() *eventrecorderpb.EventData {
			data := bench.ReferenceEvent()
			return func() *eventrecorderpb.EventData { return data }
		}()},
		{"data=fresh", func() *eventrecorderpb.EventData { return event.NewAlertCreatedEvent(alert) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var total float64
			for range b.N {
				total += queuedBytes(b, queuedEvents, tc.build)
			}
			b.ReportMetric(total/float64(b.N), "B/queued-event")
		})
	}
}

// queuedBytes measures the heap per queued event; see
// BenchmarkQueuedMemory. The events are delivered afterwards and counted.
func queuedBytes(tb testing.TB, n int, build func() *eventrecorderpb.EventData) float64 {
	tb.Helper()
	settleHeap(tb)
	g := newGate(tb)
	rec, err := event.New(g.config(), event.Options{Instance: bench.Instance, QueueSize: n, CloseTimeout: 2 * wait})
	if err != nil {
		tb.Fatalf("event.New: %v", err)
	}
	// The consumer takes the first event and blocks in the gate; the next
	// n fill the queue exactly.
	rec.RecordEvent(ctxOn, build())
	select {
	case <-g.entered:
	case <-time.After(wait):
		tb.Fatal("the consumer never reached the output")
	}
	half := n / 2
	for range half {
		rec.RecordEvent(ctxOn, build())
	}
	before := liveHeap()
	for range n - half {
		rec.RecordEvent(ctxOn, build())
	}
	after := liveHeap()
	close(g.open)
	if err := rec.Close(); err != nil {
		tb.Fatal(err)
	}
	checkStats(tb, rec, 1, n+1)
	return float64(int64(after)-int64(before))/float64(n-half) + float64(slotSize)
}

// slotSize is what a queue slot costs: the queue holds pointers.
const slotSize = unsafe.Sizeof((*eventrecorderpb.Event)(nil))

// envelopeSize is what the recorder allocates per event it accepts: the
// event envelope and its timestamp.
const envelopeSize = unsafe.Sizeof(eventrecorderpb.Event{}) + unsafe.Sizeof(timestamppb.Timestamp{})

// settleHeap waits until the live heap stops shrinking: goroutines that
// earlier tests or benchmarks left winding down (a closed broker, an HTTP
// server) would otherwise free memory between the two readings.
func settleHeap(tb testing.TB) {
	tb.Helper()
	prev := liveHeap()
	waitFor(tb, "the heap to settle", func() bool {
		time.Sleep(20 * time.Millisecond)
		cur := liveHeap()
		settled := cur+64<<10 > prev
		prev = cur
		return settled
	})
}

func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestQueuedMemory runs the memory measurement on a small queue: every
// event must be delivered once the gate opens, none dropped, and the
// figure must at least cover the envelope and the slot the recorder keeps
// per event.
func TestQueuedMemory(t *testing.T) {
	data := bench.ReferenceEvent()
	got := queuedBytes(t, 4096, func() *eventrecorderpb.EventData { return data })
	if min := float64(envelopeSize + slotSize); got < min {
		t.Fatalf("%.1f bytes per queued event, less than the envelope and slot (%v bytes)", got, min)
	}
	t.Logf("%.1f bytes per queued event", got)
}
