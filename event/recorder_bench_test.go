package event_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
)

// The RecordEvent benchmarks measure what the caller pays for an event the
// queue accepts. The output filters the recorded type out, so the consumer
// does little per event. The floor is a bare buffered-channel send of a
// pointer, with a consumer on the other end, into a buffer of the same
// size; when its buffer fills, the send blocks and the consumer gets the
// CPU. RecordEvent never blocks, so on a machine with few cores the
// producers could outrun the consumer and the figure would become the cost
// of rejecting an event from a full queue. pace stands in for the floor's
// blocking send: every paceEvery calls it yields while the queue is more
// than half full, inside the timed region, as the floor's wait is. drops/op
// reports how often the queue still filled. The queue is the default size:
// a huge one would make the garbage collector's scan of it the cost
// measured.
const benchQueue = event.DefaultQueueSize

func benchRecorder(b *testing.B) event.Recorder {
	b.Helper()
	rec, _ := newRecorder(b, mustConfig(b, "memory_outputs: [{id: bench, event_types: [alert_created]}]"), event.Options{QueueSize: benchQueue})
	b.Cleanup(func() { _ = rec.Close() })
	return rec
}

func BenchmarkRecordEvent(b *testing.B) {
	data := seqEvent(1)
	b.Run("impl=recorder/par=1", func(b *testing.B) {
		rec := benchRecorder(b)
		b.ReportAllocs()
		var n int
		for b.Loop() {
			rec.RecordEvent(ctxOn, data)
			n++
			pace(rec, n)
		}
		b.StopTimer()
		b.ReportMetric(float64(rec.Dropped())/float64(b.N), "drops/op")
	})
	b.Run("impl=recorder/par=parallel", func(b *testing.B) {
		rec := benchRecorder(b)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var n int
			for pb.Next() {
				rec.RecordEvent(ctxOn, data)
				n++
				pace(rec, n)
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(rec.Dropped())/float64(b.N), "drops/op")
	})
	b.Run("impl=chan/par=1", func(b *testing.B) {
		ch, stop := floorChannel()
		defer stop()
		b.ReportAllocs()
		for b.Loop() {
			send(ch, data)
		}
	})
	b.Run("impl=chan/par=parallel", func(b *testing.B) {
		ch, stop := floorChannel()
		defer stop()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				send(ch, data)
			}
		})
	})
}

// BenchmarkRecordEventDisabled is a call path that did not opt in: the
// lazy variant must not allocate or build anything.
func BenchmarkRecordEventDisabled(b *testing.B) {
	rec := benchRecorder(b)
	ctx := context.Background()
	b.Run("impl=lazy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rec.RecordEventFunc(ctx, func() *eventrecorderpb.EventData { return seqEvent(1) })
		}
	})
	b.Run("impl=eager", func(b *testing.B) {
		data := seqEvent(1)
		b.ReportAllocs()
		for b.Loop() {
			rec.RecordEvent(ctx, data)
		}
	})
}

func TestRecordEventFuncDisabledDoesNotAllocate(t *testing.T) {
	rec, _ := newRecorder(t, mustConfig(t, "memory_outputs: [{id: noalloc}]"), event.Options{})
	defer rec.Close()
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		rec.RecordEventFunc(ctx, func() *eventrecorderpb.EventData { return seqEvent(1) })
	})
	if allocs != 0 {
		t.Fatalf("disabled RecordEventFunc allocates %v times per call, want 0", allocs)
	}
}

const paceEvery = 64

// pace yields to the consumer while the queue is over half full, checking
// only every paceEvery events so that the check (which takes the queue's
// lock) adds little to the figure.
func pace(rec event.Recorder, n int) {
	if n%paceEvery != 0 {
		return
	}
	for event.QueueLen(rec) > benchQueue/2 {
		runtime.Gosched()
	}
}

func floorChannel() (chan<- *eventrecorderpb.EventData, func()) {
	ch := make(chan *eventrecorderpb.EventData, benchQueue)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range ch {
		}
	}()
	return ch, func() { close(ch); <-done }
}

// send is the floor: a plain send, blocking when the buffer is full, so
// every item really passes to the consumer (a select with a default case
// would measure the cheap rejection of a full channel instead).
func send(ch chan<- *eventrecorderpb.EventData, d *eventrecorderpb.EventData) {
	ch <- d
}

// The hot path copies the event into memory the queue allocated up front;
// the envelope is built by the consumer, and only for an event some output
// takes. With every event filtered out, recording allocates nothing at all.
func TestRecordEventDoesNotAllocate(t *testing.T) {
	rec, _ := newRecorder(t, mustConfig(t, "memory_outputs: [{id: noalloc, event_types: [alert_created]}]"), event.Options{})
	defer rec.Close()
	data := seqEvent(1)
	allocs := testing.AllocsPerRun(10000, func() {
		rec.RecordEvent(ctxOn, data)
	})
	if allocs != 0 {
		t.Fatalf("RecordEvent allocates %v times per call, want 0", allocs)
	}
}
