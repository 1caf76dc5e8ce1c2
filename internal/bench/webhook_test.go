package bench_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	commoncfg "github.com/prometheus/common/config"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/internal/bench"
	"github.com/eventrecorder/eventrecorder/internal/testtool"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

// receiver is the loopback webhook endpoint. It reads every body and counts
// the events in it by their "@timestamp" key, so that lossless delivery is
// checked by the receiving end rather than by the sender's bookkeeping.
// With verify set it also decodes every event and compares it with the
// reference event (too slow for the benchmarks, which count only).
type receiver struct {
	srv      *httptest.Server
	verify   bool
	events   atomic.Int64
	requests atomic.Int64
	mu       sync.Mutex
	err      error
}

var (
	timestampKey = []byte(`"@timestamp"`)
	bodies       = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

func newReceiver(tb testing.TB, verify bool) *receiver {
	r := &receiver{verify: verify}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		buf := bodies.Get().(*bytes.Buffer)
		defer bodies.Put(buf)
		buf.Reset()
		if _, err := io.Copy(buf, req.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.events.Add(int64(bytes.Count(buf.Bytes(), timestampKey)))
		r.requests.Add(1)
		if r.verify {
			if err := checkBody(buf.Bytes(), req.Header.Get("Content-Type")); err != nil {
				r.mu.Lock()
				r.err = errors.Join(r.err, err)
				r.mu.Unlock()
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	tb.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) url(tb testing.TB) *webhook.SecretURL {
	u, err := webhook.ParseURL(r.srv.URL)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

func (r *receiver) check(tb testing.TB, want int) {
	tb.Helper()
	if got := r.events.Load(); got != int64(want) {
		tb.Fatalf("the receiver got %d events in %d requests, want %d", got, r.requests.Load(), want)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		tb.Fatal(r.err)
	}
}

// checkBody accepts one event or a JSON array of events, each the
// reference event.
func checkBody(body []byte, contentType string) error {
	if contentType != "application/json" {
		return fmt.Errorf("content type %q", contentType)
	}
	items := []json.RawMessage{body}
	if len(body) > 0 && body[0] == '[' {
		items = nil
		if err := json.Unmarshal(body, &items); err != nil {
			return err
		}
	}
	want := bench.ReferenceEvent()
	for _, it := range items {
		var ev eventrecorderpb.Event
		if err := protojson.Unmarshal(it, &ev); err != nil {
			return err
		}
		if ev.GetInstance() != bench.Instance || !proto.Equal(ev.GetData(), want) {
			return fmt.Errorf("not the reference event: %s", it)
		}
	}
	return nil
}

// webhookRecorder is a recorder with one webhook output in its default
// configuration (4 workers, a queue of 1024, batches of 100 in batch mode).
// It is paced so that nothing drops; see runPaced.
type webhookRecorder struct {
	rec event.Recorder
}

func newWebhookRecorder(tb testing.TB, rcv *receiver, batch bool, data *eventrecorderpb.EventData) *webhookRecorder {
	tb.Helper()
	cfg := event.Config{WebhookOutputs: []event.WebhookOutputConfig{{URL: rcv.url(tb), Batch: batch}}}
	rec, err := event.New(cfg, event.Options{Instance: bench.Instance, CloseTimeout: 2 * wait})
	if err != nil {
		tb.Fatalf("event.New: %v", err)
	}
	tb.Cleanup(func() { _ = rec.Close() })
	// One event first, so that both sides start the clock with a
	// connection open.
	rec.RecordEvent(ctxOn, data)
	waitFor(tb, "the warm-up event", func() bool { return rec.Stats()[0].Delivered == 1 })
	return &webhookRecorder{rec: rec}
}

func (p *webhookRecorder) run(n int, data *eventrecorderpb.EventData) error {
	return runPaced(p.rec, n, webhook.DefaultQueueSize, data)
}

// bareWebhook is the transport's floor: the same HTTP client the output
// builds (prometheus/common's, default settings), as many goroutines as the
// output has workers, each POSTing pre-encoded bodies in a loop: one event
// per request, or in batch mode arrays as large as the output's batches.
type bareWebhook struct {
	client *http.Client
	url    string
}

func newBareWebhook(tb testing.TB, rcv *receiver, payload []byte) *bareWebhook {
	tb.Helper()
	client, err := commoncfg.NewClientFromConfig(commoncfg.DefaultHTTPClientConfig, "bench")
	if err != nil {
		tb.Fatal(err)
	}
	client.Timeout = wait
	tb.Cleanup(client.CloseIdleConnections)
	p := &bareWebhook{client: client, url: rcv.srv.URL}
	if err := p.post(payload); err != nil { // warm-up, as for the recorder
		tb.Fatal(err)
	}
	return p
}

func (p *bareWebhook) post(body []byte) error {
	resp, err := p.client.Post(p.url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}

// jsonArray joins n copies of payload into a JSON array, as the output's
// batch mode does.
func jsonArray(payload []byte, n int) []byte {
	b := make([]byte, 0, 2+n*(len(payload)+1))
	b = append(b, '[')
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, payload...)
	}
	return append(b, ']')
}

// run sends n events, pre-encoded as payload, and returns when the
// receiver has acknowledged them all. The bodies are built before the
// clock starts.
func (p *bareWebhook) run(n int, batch bool, payload []byte) error {
	per := 1
	if batch {
		per = webhook.DefaultBatchMaxEvents
	}
	requests := (n + per - 1) / per
	full, last := payload, payload
	if batch {
		full, last = jsonArray(payload, per), jsonArray(payload, n-(requests-1)*per)
	}
	return p.send(requests, full, last)
}

func (p *bareWebhook) send(requests int, full, last []byte) error {
	return p.each(requests, func(i int, _ *[]byte) []byte {
		if i == requests-1 {
			return last
		}
		return full
	})
}

// each runs the loop both baselines share: the output's number of
// goroutines taking request numbers 0 to requests-1 in turn and POSTing
// the body that body builds for each, into a buffer of the goroutine's own
// that it may reuse, until every request is acknowledged or one fails.
func (p *bareWebhook) each(requests int, body func(i int, buf *[]byte) []byte) error {
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs error
	)
	for range webhook.DefaultWorkers {
		wg.Go(func() {
			var buf []byte
			for {
				i := int(next.Add(1)) - 1
				if i >= requests {
					return
				}
				if err := p.post(body(i, &buf)); err != nil {
					mu.Lock()
					errs = errors.Join(errs, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return errs
}

// runFloor is the encode-and-post floor: the bare loop, but each request's
// body is built when it is sent, every event in it wrapped in its envelope
// (stamped with the time and the instance, as the recorder stamps it) and
// encoded by the generated encoder into the goroutine's reused buffer, a
// JSON array in batch mode as the output's. It is the least any output
// that must encode its events pays: no queue, no batcher, no hand-off, no
// retries, no per-event accounting.
func (p *bareWebhook) runFloor(n int, batch bool, data *eventrecorderpb.EventData) error {
	per := 1
	if batch {
		per = webhook.DefaultBatchMaxEvents
	}
	requests := (n + per - 1) / per
	var encErr atomic.Pointer[error]
	err := p.each(requests, func(i int, buf *[]byte) []byte {
		k := min(per, n-i*per)
		b := (*buf)[:0]
		if batch {
			b = append(b, '[')
		}
		for j := range k {
			if j > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = bench.Envelope(data, time.Now()).AppendJSON(b); err != nil {
				encErr.CompareAndSwap(nil, &err)
			}
		}
		if batch {
			b = append(b, ']')
		}
		*buf = b
		return b
	})
	if e := encErr.Load(); e != nil {
		err = errors.Join(err, *e)
	}
	return err
}

// BenchmarkWebhookThroughput is sustained lossless throughput to a
// loopback HTTP receiver, in events/s, for the output's single and batch
// modes, each beside the bare HTTP loop with pre-encoded bodies (the
// transport's ceiling) and the encode-and-post floor (runFloor: the
// ceiling of any output that must encode its events).
func BenchmarkWebhookThroughput(b *testing.B) {
	testtool.ServiceHeap(b)
	data := bench.ReferenceEvent()
	payload := bench.EncodedReference()
	for _, mode := range []string{"single", "batch"} {
		batch := mode == "batch"
		b.Run("mode="+mode+"/impl=recorder", func(b *testing.B) {
			rcv := newReceiver(b, false)
			p := newWebhookRecorder(b, rcv, batch, data)
			measureWebhook(b, rcv, func() error { return p.run(b.N, data) })
			checkStats(b, p.rec, 1, b.N+1)
		})
		b.Run("mode="+mode+"/impl=floor", func(b *testing.B) {
			rcv := newReceiver(b, false)
			p := newBareWebhook(b, rcv, payload)
			measureWebhook(b, rcv, func() error { return p.runFloor(b.N, batch, data) })
		})
		b.Run("mode="+mode+"/impl=bare", func(b *testing.B) {
			rcv := newReceiver(b, false)
			p := newBareWebhook(b, rcv, payload)
			measureWebhook(b, rcv, func() error { return p.run(b.N, batch, payload) })
		})
	}
}

// measureWebhook times run, which sends b.N events (beside the warm-up
// one every implementation sent), and checks that the receiver counted
// them all before reporting the rate and the CPU it took.
func measureWebhook(b *testing.B, rcv *receiver, run func() error) {
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU(b)
	err := run()
	cpu.stop(b)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	rcv.check(b, b.N+1)
	reportRate(b)
	cpu.report(b)
}

// TestWebhookPipelines runs the three webhook pipelines of the benchmark in
// both modes with a receiver that decodes every event, so that neither can
// go fast by sending less or sending something else.
func TestWebhookPipelines(t *testing.T) {
	const n = 1234 // not a multiple of the batch size
	data := bench.ReferenceEvent()
	payload := bench.EncodedReference()
	for _, batch := range []bool{false, true} {
		t.Run(fmt.Sprintf("batch=%v", batch), func(t *testing.T) {
			t.Run("recorder", func(t *testing.T) {
				rcv := newReceiver(t, true)
				p := newWebhookRecorder(t, rcv, batch, data)
				if err := p.run(n, data); err != nil {
					t.Fatal(err)
				}
				checkStats(t, p.rec, 1, n+1)
				rcv.check(t, n+1)
				if batch && rcv.requests.Load() > n/2 {
					t.Fatalf("batch mode took %d requests for %d events", rcv.requests.Load(), n+1)
				}
			})
			for _, impl := range []string{"bare", "floor"} {
				t.Run(impl, func(t *testing.T) {
					rcv := newReceiver(t, true)
					p := newBareWebhook(t, rcv, payload)
					run := p.runFloor
					if impl == "bare" {
						run = func(n int, batch bool, _ *eventrecorderpb.EventData) error { return p.run(n, batch, payload) }
					}
					if err := run(n, batch, data); err != nil {
						t.Fatal(err)
					}
					rcv.check(t, n+1)
					wantReq := int64(n + 1)
					if batch {
						wantReq = (n+webhook.DefaultBatchMaxEvents-1)/webhook.DefaultBatchMaxEvents + 1
					}
					if got := rcv.requests.Load(); got != wantReq {
						t.Fatalf("%d requests, want %d", got, wantReq)
					}
				})
			}
		})
	}
}
