package event_test

import (
	"fmt"
	"sync"
	"testing"
)

// BenchmarkRecordEventProducers is RecordEvent's cost per accepted event
// with 1, 2, 8 and 32 goroutines recording at once, beside the floor (a
// blocking send on a buffered channel of the same size, with a consumer)
// driven by as many goroutines: how contention on the queue grows with
// the callers. Each goroutine records b.N/producers events, paced as in
// BenchmarkRecordEvent; ns/op is wall time per event over all of them.
func BenchmarkRecordEventProducers(b *testing.B) {
	data := seqEvent(1)
	for _, producers := range []int{1, 2, 8, 32} {
		run := func(b *testing.B, one func(n int)) {
			var wg sync.WaitGroup
			per := b.N / producers
			b.ResetTimer()
			for i := range producers {
				k := per
				if i == 0 {
					k += b.N - per*producers
				}
				wg.Go(func() { one(k) })
			}
			wg.Wait()
		}
		b.Run(fmt.Sprintf("producers=%d/impl=recorder", producers), func(b *testing.B) {
			rec := benchRecorder(b)
			b.ReportAllocs()
			run(b, func(k int) {
				for n := 1; n <= k; n++ {
					rec.RecordEvent(ctxOn, data)
					pace(rec, n)
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(rec.Dropped())/float64(b.N), "drops/op")
		})
		b.Run(fmt.Sprintf("producers=%d/impl=chan", producers), func(b *testing.B) {
			ch, stop := floorChannel()
			defer stop()
			b.ReportAllocs()
			run(b, func(k int) {
				for range k {
					send(ch, data)
				}
			})
		})
	}
}
