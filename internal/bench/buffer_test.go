package bench_test

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/internal/bench"
	"github.com/eventrecorder/eventrecorder/internal/testtool"
	"github.com/eventrecorder/eventrecorder/sink/buffer"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

// The buffer benchmarks measure an output's buffer block through the
// recorder, as a user configures it: a webhook output in batch mode to
// the loopback receiver, with no buffer (the output's own queue, the
// baseline), a memory buffer, or a disk buffer under each fsync policy.
// The webhook stands for the destination because the block exists only
// for webhook and Kafka outputs, and in batch mode it is the faster of
// the two (see BENCHMARKS.md), so the buffer's cost is least hidden
// behind the transport's; a kfake broker would also take a share of the
// two cores. Package queue's BenchmarkDiskQueue and BenchmarkDiskReplay
// measure the disk queue alone.

// bufferRows are the buffer blocks the throughput benchmark compares,
// by the name of their sub-benchmark.
var bufferRows = []struct {
	name string
	cfg  func(dir string) buffer.Config
}{
	{"none", func(string) buffer.Config { return buffer.Config{} }},
	{"memory", func(string) buffer.Config {
		return buffer.Config{Type: buffer.TypeMemory, MaxBytes: buffer.DefaultMemoryMaxBytes}
	}},
	{"disk-none", func(dir string) buffer.Config { return diskBuffer(dir, buffer.FsyncNone) }},
	{"disk-batch", func(dir string) buffer.Config { return diskBuffer(dir, buffer.FsyncBatch) }},
	{"disk-always", func(dir string) buffer.Config { return diskBuffer(dir, buffer.FsyncAlways) }},
}

func diskBuffer(dir, fsync string) buffer.Config {
	return buffer.Config{Type: buffer.TypeDisk, Path: dir, Fsync: fsync}
}

// bufferedWebhook is a recorder with one webhook output in batch mode
// (its defaults otherwise) behind buffer block b, pointed at url.
func bufferedWebhook(tb testing.TB, url *webhook.SecretURL, b buffer.Config) event.Recorder {
	tb.Helper()
	cfg := event.Config{WebhookOutputs: []event.WebhookOutputConfig{{URL: url, Batch: true, MaxRetries: 1, Buffer: b}}}
	rec, err := event.New(cfg, event.Options{Instance: bench.Instance, CloseTimeout: 2 * wait})
	if err != nil {
		tb.Fatalf("event.New: %v", err)
	}
	tb.Cleanup(func() { _ = rec.Close() })
	return rec
}

// BenchmarkBufferThroughput is sustained lossless throughput, in events/s,
// from the first RecordEvent until the receiver has acknowledged the last
// event and the recorder has closed, with each buffer block. The run is
// paced as the webhook benchmark's (at most the output's queue_size of
// events unresolved), so nothing drops and every row does the same work:
// with a buffer, each event is also written to it and removed once
// delivered.
func BenchmarkBufferThroughput(b *testing.B) {
	testtool.ServiceHeap(b)
	data := bench.ReferenceEvent()
	for _, row := range bufferRows {
		b.Run("buffer="+row.name, func(b *testing.B) {
			rcv := newReceiver(b, false)
			rec := bufferedWebhook(b, rcv.url(b), row.cfg(b.TempDir()))
			// One event first, so that the clock starts with a
			// connection open.
			rec.RecordEvent(ctxOn, data)
			waitFor(b, "the warm-up event", func() bool { return rec.Stats()[0].Delivered == 1 })
			b.ReportAllocs()
			b.ResetTimer()
			cpu := startCPU(b)
			err := runPaced(rec, b.N, webhook.DefaultQueueSize, data)
			cpu.stop(b)
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			checkBuffered(b, rec, b.N+1, 0)
			rcv.check(b, b.N+1)
			reportRate(b)
			cpu.report(b)
		})
	}
}

// checkBuffered fails unless rec's one output delivered exactly want
// events, replayed exactly replayed records, and lost or left none.
func checkBuffered(tb testing.TB, rec event.Recorder, want, replayed int) {
	tb.Helper()
	checkStats(tb, rec, 1, want)
	st := rec.Stats()[0]
	if st.Persisted != 0 {
		tb.Fatalf("%d events left persisted", st.Persisted)
	}
	if st.Buffer != nil {
		if got := int(st.Buffer.Replayed); got != replayed {
			tb.Fatalf("the buffer replayed %d records, want %d", got, replayed)
		}
	} else if replayed != 0 {
		tb.Fatalf("no buffer stats, want %d replayed", replayed)
	}
}

// BenchmarkBufferReplay is the replay rate after a restart: a recorder
// whose destination is down records b.N events into a disk buffer
// (fsync: batch) and closes, leaving them persisted; the clock then runs
// from the next recorder's New on that directory until the receiver has
// acknowledged the whole backlog (impl=replay). Beside it, the same b.N
// events recorded into the same configuration with the receiver up
// (impl=live, BenchmarkBufferThroughput's disk-batch row).
func BenchmarkBufferReplay(b *testing.B) {
	testtool.ServiceHeap(b)
	data := bench.ReferenceEvent()
	b.Run("impl=live", func(b *testing.B) {
		rcv := newReceiver(b, false)
		rec := bufferedWebhook(b, rcv.url(b), diskBuffer(b.TempDir(), buffer.FsyncBatch))
		b.ReportAllocs()
		b.ResetTimer()
		cpu := startCPU(b)
		err := runPaced(rec, b.N, webhook.DefaultQueueSize, data)
		cpu.stop(b)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		checkBuffered(b, rec, b.N, 0)
		rcv.check(b, b.N)
		reportRate(b)
		cpu.report(b)
	})
	b.Run("impl=replay", func(b *testing.B) {
		b.StopTimer()
		dir := b.TempDir()
		fillBacklog(b, dir, b.N, data)
		rcv := newReceiver(b, false)
		b.ReportAllocs()
		b.StartTimer()
		cpu := startCPU(b)
		rec := bufferedWebhook(b, rcv.url(b), diskBuffer(dir, buffer.FsyncBatch))
		waitFor(b, "the backlog delivered", func() bool { return rec.Stats()[0].Delivered == uint64(b.N) })
		err := rec.Close()
		cpu.stop(b)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		checkBuffered(b, rec, b.N, b.N)
		rcv.check(b, b.N)
		reportRate(b)
		cpu.report(b)
	})
}

// fillBacklog leaves n events persisted in a disk buffer at dir: a
// recorder whose receiver's port is closed records them, waiting for each
// chunk to reach the buffer (so its queue never drops), and closes.
func fillBacklog(tb testing.TB, dir string, n int, data *eventrecorderpb.EventData) {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	down := fmt.Sprintf("http://%s/events", l.Addr())
	_ = l.Close()
	url, err := webhook.ParseURL(down)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := event.Config{WebhookOutputs: []event.WebhookOutputConfig{{URL: url, Batch: true, MaxRetries: 1, Buffer: diskBuffer(dir, buffer.FsyncBatch)}}}
	rec, err := event.New(cfg, event.Options{Instance: bench.Instance, CloseTimeout: time.Second})
	if err != nil {
		tb.Fatalf("event.New: %v", err)
	}
	held := func() int {
		st := rec.Stats()[0]
		return int(st.Accounted()) + int(st.Buffer.Events)
	}
	for sent := 0; sent < n; {
		k := min(1000, n-sent)
		for range k {
			rec.RecordEvent(ctxOn, data)
		}
		sent += k
		waitFor(tb, "the events to reach the buffer", func() bool { return held() >= sent })
	}
	if err := rec.Close(); err != nil {
		tb.Fatalf("closing the recorder that filled the backlog: %v", err)
	}
	if st := rec.Stats()[0]; st.Persisted != uint64(n) || rec.Dropped() != 0 {
		tb.Fatalf("backlog: %+v, queue drops %d; want all %d persisted", st, rec.Dropped(), n)
	}
}

// TestBufferPipelines runs every buffer row and the replay on a small
// run, with a receiver that decodes every event, so that no row can go
// fast by sending less or sending something else.
func TestBufferPipelines(t *testing.T) {
	const n = 1234
	data := bench.ReferenceEvent()
	for _, row := range bufferRows {
		t.Run(row.name, func(t *testing.T) {
			rcv := newReceiver(t, true)
			rec := bufferedWebhook(t, rcv.url(t), row.cfg(t.TempDir()))
			if err := runPaced(rec, n, webhook.DefaultQueueSize, data); err != nil {
				t.Fatal(err)
			}
			checkBuffered(t, rec, n, 0)
			rcv.check(t, n)
			if row.name != "none" && rec.Stats()[0].Buffer == nil {
				t.Fatal("the output reports no buffer")
			}
		})
	}
	t.Run("replay", func(t *testing.T) {
		dir := t.TempDir()
		fillBacklog(t, dir, n, data)
		rcv := newReceiver(t, true)
		rec := bufferedWebhook(t, rcv.url(t), diskBuffer(dir, buffer.FsyncBatch))
		waitFor(t, "the backlog delivered", func() bool { return rec.Stats()[0].Delivered == n })
		if err := rec.Close(); err != nil {
			t.Fatal(err)
		}
		checkBuffered(t, rec, n, n)
		rcv.check(t, n)
	})
}
