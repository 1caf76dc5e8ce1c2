package bench_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"
	"unsafe"

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
// from before the recorder is built until its queue is full, per queued
// event. That includes the queue's ring, allocated up front, whose slot
// holds an accepted event until the consumer builds its envelope, and the
// recorder's fixed cost spread over the events. data=shared records one
// EventData over and over, which is what the recorder itself adds per
// event, with queues of 1Ki to 512Ki events: the figure should stay flat,
// the slot's size, once the fixed cost is spread thin. data=fresh builds
// each event with the generated constructor, as instrumented code does,
// so the event's own tree is held too.
func BenchmarkQueuedMemory(b *testing.B) {
	alert := bench.ReferenceAlert()
	shared := func() func() *eventrecorderpb.EventData {
		data := bench.ReferenceEvent()
		return func() *eventrecorderpb.EventData { return data }
	}()
	type row struct {
		name  string
		queue int
		build func() *eventrecorderpb.EventData
	}
	var rows []row
	for _, n := range []int{1 << 10, 1 << 13, 1 << 16, 1 << 19} {
		rows = append(rows, row{fmt.Sprintf("data=shared/queue=%d", n), n, shared})
	}
	rows = append(rows, row{fmt.Sprintf("data=fresh/queue=%d", queuedEvents), queuedEvents,
		func() *eventrecorderpb.EventData { return event.NewAlertCreatedEvent(alert) }})
	for _, tc := range rows {
		b.Run(tc.name, func(b *testing.B) {
			var total float64
			for range b.N {
				total += queuedBytes(b, tc.queue, tc.build)
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
	before := liveHeap()
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
	for range n {
		rec.RecordEvent(ctxOn, build())
	}
	after := liveHeap()
	close(g.open)
	if err := rec.Close(); err != nil {
		tb.Fatal(err)
	}
	checkStats(tb, rec, 1, n+1)
	// Let this recorder go, so the next measurement starts without it.
	g.release()
	return float64(int64(after)-int64(before)) / float64(n)
}

// minSlot is the least a queue slot can hold: the event's data pointer and
// its timestamp.
const minSlot = unsafe.Sizeof(struct {
	data *eventrecorderpb.EventData
	sec  int64
	nsec int32
}{})

// maxShared bounds the recorder's own heap per queued event. The slot is
// 32 bytes; the rest is the recorder's fixed cost spread over the queue.
// An envelope allocated per recorded event (144 bytes, as RecordEvent once
// did) would exceed it.
const maxShared = 96

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
// figure must cover at least a slot and stay within maxShared.
func TestQueuedMemory(t *testing.T) {
	data := bench.ReferenceEvent()
	got := queuedBytes(t, 16384, func() *eventrecorderpb.EventData { return data })
	if got < float64(minSlot) || got > maxShared {
		t.Fatalf("%.1f bytes per queued event, want between a slot (%d bytes) and %d", got, minSlot, maxShared)
	}
	t.Logf("%.1f bytes per queued event", got)
}
