package bench_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/internal/bench"
	"github.com/eventrecorder/eventrecorder/internal/kafkatest"
	"github.com/eventrecorder/eventrecorder/internal/metrictest"
)

// backlogEvents is how many events the backlog benchmark records.
const backlogEvents = 1_000_000

// The documented memory bound (README, "Memory is bounded by the
// buffers"), as internal/reliability's TestBoundedMemoryWhenEverythingIsDown
// budgets it:
//
//	queue_size × 32 B
//	+ (max_batch + webhook queue_size + workers + Kafka buffer_size) × (max(4 KiB, E) + M + 512 B)
//	+ 8 MiB
//
// A slot of the recorder's queue is a 32-byte pending event allocated up
// front; the queue has drained when the bound applies (while an event
// waits there it also holds the caller's data). An output's slot holds
// the event's encoding, which keeps alive the slab it was cut from: at
// most 4 KiB, or E, the encoded size, for an event larger than a slab (a
// slab shared by several events is counted once per event holding it,
// the worst case when an output keeps one event of each); the event's
// data and envelope through its sink.Message, M (bench.Footprint: 1.7 KiB
// for the reference alert, built fresh); and the Message and queue entry
// (512 B). Measured, an output slot of the reference event costs 2.6 KiB
// (Kafka) to 2.75 KiB (webhook) of resident set (the ×8 rows' growth over
// the default row, per slot), below the 6.2 KiB the worst case allows.
const (
	backlogQueueSlot = 32
	backlogSlab      = 4 << 10
	backlogSlotFixed = 512
	backlogFixed     = 8 << 20
)

// backlogBound is the documented bound for the given sizes, encoded
// event size and footprint.
func backlogBound(queue, webhookQ, kafkaBuf, encoded, footprint int) int {
	outputSlots := event.DefaultMaxBatch + webhookQ + 4 + kafkaBuf
	return queue*backlogQueueSlot + outputSlots*(max(backlogSlab, encoded)+footprint+backlogSlotFixed) + backlogFixed
}

// BenchmarkBacklog records a million events, each built fresh by the
// generated constructor, while every network output is down (a webhook
// and a Kafka output, both to closed loopback ports), then measures what
// the process holds once the recorder's queue has drained into the
// outputs' buffers: the growth of its resident set (VmRSS, after returning
// freed memory to the system) and of its live heap since before the
// recorder was built, beside the documented bound for the sizes of the
// row. Rows: every default (recorder queue_size 8192, webhook queue_size
// 1024, Kafka buffer_size 1024), then each buffer eight times larger.
func BenchmarkBacklog(b *testing.B) {
	for _, row := range []struct {
		name                      string
		queue, webhookQ, kafkaBuf int
	}{
		{"sizes=default", event.DefaultQueueSize, 1024, 1024},
		{"sizes=queue_size_x8", 8 * event.DefaultQueueSize, 1024, 1024},
		{"sizes=webhook_queue_size_x8", event.DefaultQueueSize, 8 * 1024, 1024},
		{"sizes=kafka_buffer_size_x8", event.DefaultQueueSize, 1024, 8 * 1024},
	} {
		b.Run(row.name, func(b *testing.B) {
			var rss, heap float64
			for range b.N {
				r, h := backlog(b, row.queue, row.webhookQ, row.kafkaBuf)
				rss += r
				heap += h
			}
			b.ReportMetric(rss/float64(b.N)/(1<<20), "rss-MiB")
			b.ReportMetric(heap/float64(b.N)/(1<<20), "heap-MiB")
			encoded := len(bench.EncodedReference())
			alert := bench.ReferenceAlert()
			footprint := bench.Footprint(func() *eventrecorderpb.EventData { return event.NewAlertCreatedEvent(alert) })
			b.ReportMetric(float64(backlogBound(row.queue, row.webhookQ, row.kafkaBuf, encoded, footprint))/(1<<20), "bound-MiB")
		})
	}
}

// backlog runs one measurement of BenchmarkBacklog and returns the growth
// of the resident set and of the live heap, in bytes.
func backlog(tb testing.TB, queue, webhookQ, kafkaBuf int) (rss, heap float64) {
	tb.Helper()
	// Nothing listens on either port: connections are refused.
	webhookURL := fmt.Sprintf("http://127.0.0.1:%d/hook", kafkatest.FreePort(tb))
	kafkaAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(kafkatest.FreePort(tb)))
	cfg, err := event.LoadConfig(fmt.Appendf(nil, `
webhook_outputs: [{url: %q, queue_size: %d}]
kafka_outputs: [{brokers: [%q], topic: events, buffer_size: %d}]
`, webhookURL, webhookQ, kafkaAddr, kafkaBuf))
	if err != nil {
		tb.Fatal(err)
	}
	settleHeap(tb)
	heapBefore, rssBefore := liveHeap(), residentSet(tb)
	reg := prometheus.NewRegistry()
	rec, err := event.New(cfg, event.Options{Instance: bench.Instance, QueueSize: queue, Registerer: reg, CloseTimeout: time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	alert := bench.ReferenceAlert()
	for range backlogEvents {
		rec.RecordEvent(ctxOn, event.NewAlertCreatedEvent(alert))
	}
	waitFor(tb, "the recorder's queue to drain into the outputs", func() bool {
		return metrictest.Sum(tb, reg, "alertmanager_event_recorder_queue_length", nil) == 0
	})
	heapAfter, rssAfter := liveHeap(), residentSet(tb)
	_ = rec.Close() // gives up on what the outputs hold; an error says how many
	var delivered uint64
	for _, st := range rec.Stats() {
		delivered += st.Delivered
		if acc := st.Accounted(); acc > backlogEvents {
			tb.Fatalf("%s accounted for %d events of %d", st.Name, acc, backlogEvents)
		}
	}
	if delivered != 0 {
		tb.Fatalf("%d events delivered to outputs that are down", delivered)
	}
	return float64(int64(rssAfter) - int64(rssBefore)), float64(int64(heapAfter) - int64(heapBefore))
}

// residentSet is the process's resident set (VmRSS) after the runtime has
// returned what it can to the system.
func residentSet(tb testing.TB) uint64 {
	tb.Helper()
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Skipf("no /proc/self/status: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmRSS:")); ok {
			kb, err := strconv.ParseUint(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("kB")))), 10, 64)
			if err != nil {
				tb.Fatalf("VmRSS %q: %v", v, err)
			}
			return kb << 10
		}
	}
	tb.Fatal("no VmRSS in /proc/self/status")
	return 0
}
