package webhook_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/eventrecorder/eventrecorder/internal/testtool"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

// BenchmarkDeliver measures sustained throughput to a loopback receiver
// that accepts everything. The producer keeps at most one queue's worth
// of events outstanding, so nothing is dropped and the figure is what the
// workers and the receiver sustain, not how fast a channel fills.
func BenchmarkDeliver(b *testing.B) {
	testtool.ServiceHeap(b)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	u, err := webhook.ParseURL(srv.URL)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		cfg  webhook.Config
	}{
		{"single", webhook.Config{URL: u}},
		{"batch", webhook.Config{URL: u, Batch: true}},
		{"batch-gzip", webhook.Config{URL: u, Batch: true, Compression: webhook.CompressionGzip}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rep := sinktest.NewReporter[int]()
			s, err := webhook.New(bc.cfg, sink.Env[int]{Reporter: rep})
			if err != nil {
				b.Fatal(err)
			}
			msgs := sinktest.Messages(0, 64)
			const window = webhook.DefaultQueueSize / 2
			b.ResetTimer()
			sent := 0
			for sent < b.N {
				n := min(len(msgs), b.N-sent)
				if sent-rep.Total() > window {
					rep.WaitFor(b, waitTimeout, "window", func(d, dr, f int) bool { return sent-(d+dr+f) <= window })
				}
				s.Deliver(msgs[:n])
				sent += n
			}
			rep.WaitTotal(b, b.N, waitTimeout)
			b.StopTimer()
			if err := s.Close(); err != nil {
				b.Fatal(err)
			}
			d, dr, f := rep.Counts()
			if d != b.N || dr != 0 || f != 0 {
				b.Fatalf("delivered %d dropped %d failed %d of %d", d, dr, f, b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
