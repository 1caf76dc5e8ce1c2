package kafka_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/goleak"

	"github.com/eventrecorder/eventrecorder/internal/testtool"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
)

func TestMain(m *testing.M) {
	kafka.UseTestTimings()
	goleak.VerifyTestMain(m,
		// sarama's per-topic circuit breaker, opened when partition
		// lookups fail (a closed client, a broker gone), sleeps 10s in a
		// goroutine of its own and then ends; it cannot be stopped early.
		goleak.IgnoreAnyFunction("github.com/eapache/go-resiliency/breaker.(*Breaker).timer"),
	)
}

// wait bounds every wait on the broker; generous because -race on a
// shared two-core machine is slow, and a pass never waits this long.
const wait = 30 * time.Second

// harness is one sink's environment: the tallying reporter, a metrics
// registry and a copy of everything it logged.
type harness struct {
	rep  *sinktest.Reporter[int]
	reg  *prometheus.Registry
	logs *testtool.SyncBuffer
	env  sink.Env[int]
}

func newHarness(t testing.TB) *harness {
	h := &harness{rep: sinktest.NewReporter[int](), reg: prometheus.NewRegistry(), logs: &testtool.SyncBuffer{}}
	h.env = sinktest.Env(t, h.rep)
	h.env.Logger = slog.New(slog.NewTextHandler(io.MultiWriter(h.logs, testLog{t}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.env.Metrics = sink.NewMetrics("test", h.reg)
	h.env.CloseTimeout = 10 * time.Second
	return h
}

// open builds a sink and makes sure that, however the test ends, it is
// closed and its goroutines are gone before the next test starts.
func (h *harness) open(t testing.TB, cfg kafka.Config) *kafka.Sink[int] {
	t.Helper()
	s, err := kafka.New(cfg, h.env)
	if err != nil {
		t.Fatalf("kafka.New: %v", err)
	}
	t.Cleanup(func() {
		s.Close()
		s.WaitStopped(t, wait)
	})
	return s
}

// closeAll closes s, waits for its goroutines and checks that every sent
// message was reported exactly once.
func (h *harness) closeAll(t testing.TB, s *kafka.Sink[int], sent int) error {
	t.Helper()
	err := s.Close()
	s.WaitStopped(t, wait)
	h.checkTotal(t, sent)
	return err
}

func (h *harness) checkTotal(t testing.TB, sent int) {
	t.Helper()
	d, dr, f := h.rep.Counts()
	u := len(h.rep.Unacknowledged())
	if d+u+dr+f != sent {
		t.Fatalf("delivered %d + unacknowledged %d + dropped %d + failed %d = %d, want %d sent", d, u, dr, f, d+u+dr+f, sent)
	}
	seen := map[int]int{}
	for _, m := range slices.Concat(h.rep.Delivered(), h.rep.Unacknowledged(), h.rep.Failed()) {
		seen[m.Event]++
		if seen[m.Event] > 1 {
			t.Fatalf("message %d reported more than once", m.Event)
		}
	}
}

// produceErrors returns the produce-error counter of output by type.
func (h *harness) produceErrors(output string) map[string]float64 {
	out := map[string]float64{}
	vec := h.env.Metrics.CounterVec(kafka.ProduceErrorsMetric, "", "output", "error_type")
	for _, typ := range []string{kafka.ErrorNetwork, kafka.ErrorTimeout, kafka.ErrorBroker, kafka.ErrorMessageTooLarge, kafka.ErrorUnknown} {
		out[typ] = testutil.ToFloat64(vec.WithLabelValues(output, typ))
	}
	return out
}

func sum(m map[string]float64) float64 {
	var s float64
	for _, v := range m {
		s += v
	}
	return s
}

// deliver hands msgs to s in batches of batch, as the recorder does,
// reusing one batch slice to catch a sink that keeps it.
func deliver(s sink.Sink[int], msgs []sink.Message[int], batch int) {
	buf := make([]sink.Message[int], 0, batch)
	for len(msgs) > 0 {
		n := min(batch, len(msgs))
		buf = append(buf[:0], msgs[:n]...)
		s.Deliver(buf)
		clear(buf)
		msgs = msgs[n:]
	}
}

// seqs decodes the "seq" of sinktest.Messages values.
func seqs(t testing.TB, rs []*kgo.Record) []int {
	t.Helper()
	out := make([]int, len(rs))
	for i, r := range rs {
		var v struct{ Seq int }
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("record %d value %q: %v", i, r.Value, err)
		}
		out[i] = v.Seq
	}
	return out
}

func events(ms []sink.Message[int]) []int {
	out := make([]int, len(ms))
	for i, m := range ms {
		out[i] = m.Event
	}
	slices.Sort(out)
	return out
}

func span(first, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = first + i
	}
	return out
}

type testLog struct{ t testing.TB }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// waitUntil polls cond, for conditions no channel signals (log contents).
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testtool.WaitFor(t, what, wait, 5*time.Millisecond, cond)
}
