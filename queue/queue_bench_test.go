package queue_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/eventrecorder/eventrecorder/queue"
)

// benchCapacity and benchBatch are the sizes the recorder is expected to
// run with: a few thousand pending events and batches of a few dozen.
const (
	benchCapacity = 4096
	benchBatch    = 64
)

type benchEvent struct{ _ int } // sized like a small event

// benchImpl is one implementation under test, seen through the operations
// the recorder uses.
type benchImpl struct {
	push    func(*benchEvent) bool
	consume func(want int) // receives exactly want items in batches
	close   func()
}

func ringImpl() benchImpl {
	q := queue.New[*benchEvent](benchCapacity)
	return benchImpl{
		push: q.Push,
		consume: func(want int) {
			batch := make([]*benchEvent, 0, benchBatch)
			ctx := context.Background()
			for got := 0; got < want; {
				var err error
				batch, err = q.PopBatch(ctx, batch[:0], benchBatch)
				if err != nil {
					panic(err)
				}
				got += len(batch)
			}
		},
		close: q.Close,
	}
}

// chanImpl is the baseline: a plain buffered channel with a select/default
// send, drained by a consumer that blocks for one item and then takes
// whatever else is ready, up to the same batch size.
func chanImpl() benchImpl {
	ch := make(chan *benchEvent, benchCapacity)
	return benchImpl{
		push: func(e *benchEvent) bool {
			select {
			case ch <- e:
				return true
			default:
				return false
			}
		},
		consume: func(want int) {
			batch := make([]*benchEvent, 0, benchBatch)
			for got := 0; got < want; {
				batch = append(batch[:0], <-ch)
			fill:
				for len(batch) < benchBatch {
					select {
					case e := <-ch:
						batch = append(batch, e)
					default:
						break fill
					}
				}
				got += len(batch)
			}
		},
		close: func() { close(ch) },
	}
}

// BenchmarkQueue measures end-to-end throughput: b.N items pushed by the
// given number of producer goroutines and received by one consumer. A
// producer that finds the queue full yields and retries, so every item is
// delivered and ns/op is the cost of moving one item through, not the cost
// of a cheap rejection; full/op reports how often that happened.
func BenchmarkQueue(b *testing.B) {
	impls := []struct {
		name string
		new  func() benchImpl
	}{{"ring", ringImpl}, {"chan", chanImpl}}
	for _, impl := range impls {
		for _, producers := range []int{1, 2, 8} {
			b.Run(fmt.Sprintf("impl=%s/producers=%d", impl.name, producers), func(b *testing.B) {
				benchThroughput(b, impl.new(), producers)
			})
		}
	}
}

func benchThroughput(b *testing.B, impl benchImpl, producers int) {
	ev := &benchEvent{}
	var full atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()

	done := make(chan struct{})
	go func() {
		impl.consume(b.N)
		close(done)
	}()
	var wg sync.WaitGroup
	for p := range producers {
		n := b.N / producers
		if p == 0 {
			n += b.N % producers
		}
		wg.Go(func() {
			var rejected int64
			for range n {
				for !impl.push(ev) {
					rejected++
					runtime.Gosched()
				}
			}
			full.Add(rejected)
		})
	}
	wg.Wait()
	<-done
	b.StopTimer()
	impl.close()
	b.ReportMetric(float64(full.Load())/float64(b.N), "full/op")
}

// BenchmarkPushFull measures the rejection path, which is what every caller
// of RecordEvent hits while the sinks are stalled and the queue is full: it
// must stay cheap and must not serialize the callers.
func BenchmarkPushFull(b *testing.B) {
	impls := []struct {
		name string
		new  func() benchImpl
	}{{"ring", ringImpl}, {"chan", chanImpl}}
	for _, impl := range impls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			q := impl.new()
			ev := &benchEvent{}
			for q.push(ev) {
			}
			b.ReportAllocs()
			b.SetParallelism(4) // 8 goroutines on this 2-core machine
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if q.push(ev) {
						panic("push into a full queue succeeded")
					}
				}
			})
			q.close()
		})
	}
}
