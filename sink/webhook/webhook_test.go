package webhook_test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

func TestDeliversEachEventAsItsOwnBody(t *testing.T) {
	rc := newReceiver(t, nil)
	s, rep := start(t, config(t, rc.URL()+"/hook"), sink.Env[int]{})
	msgs := sinktest.Messages(0, 40)
	s.Deliver(msgs[:25])
	s.Deliver(msgs[25:])
	rep.WaitDelivered(t, 40, waitTimeout)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	conserve(t, rep, 40, 40, 0, 0)

	reqs := rc.requests()
	var got []string
	for _, r := range reqs {
		got = append(got, string(r.body))
		if r.path != "/hook" {
			t.Errorf("path %q, want /hook", r.path)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		if ce := r.header.Get("Content-Encoding"); ce != "" {
			t.Errorf("Content-Encoding %q without compression", ce)
		}
	}
	slices.Sort(got)
	want := values(msgs)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("bodies differ from values:\n got %q\nwant %q", got, want)
	}
}

func TestRetries503ThenDelivers(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	s, rep := start(t, config(t, rc.URL()), sink.Env[int]{})
	msgs := sinktest.Messages(0, 1)
	s.Deliver(msgs)
	rep.WaitTotal(t, 1, waitTimeout)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	conserve(t, rep, 1, 1, 0, 0)
	reqs := rc.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2 (503, then 204)", len(reqs))
	}
	for i, r := range reqs {
		if string(r.body) != string(msgs[0].Value) {
			t.Errorf("request %d body %q, want %q", i+1, r.body, msgs[0].Value)
		}
	}
}

func TestServerErrorsExhaustMaxRetries(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	cfg := config(t, rc.URL())
	cfg.MaxRetries = 4
	s, rep := start(t, cfg, sink.Env[int]{})
	s.Deliver(sinktest.Messages(0, 1))
	rep.WaitTotal(t, 1, waitTimeout)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	conserve(t, rep, 1, 0, 0, 1)
	if n := len(rc.requests()); n != 4 {
		t.Errorf("%d requests, want max_retries = 4", n)
	}
	de := deliveryErrors(t, rep.Errors())
	if len(de) != 1 || de[0].StatusCode != 500 || de[0].Attempts != 4 {
		t.Fatalf("errors %v, want one with status 500 after 4 attempts", rep.Errors())
	}
	if msg := de[0].Error(); !strings.Contains(msg, "500") || !strings.Contains(msg, "4 attempts") || !strings.Contains(msg, s.Name()) {
		t.Errorf("error %q should name the output, the status and the attempts", msg)
	}
}

func TestClientErrorIsNotRetried(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
	})
	s, rep := start(t, config(t, rc.URL()), sink.Env[int]{})
	s.Deliver(sinktest.Messages(0, 1))
	rep.WaitTotal(t, 1, waitTimeout)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	conserve(t, rep, 1, 0, 0, 1)
	if n := len(rc.requests()); n != 1 {
		t.Errorf("%d requests for a 400, want exactly 1", n)
	}
	de := deliveryErrors(t, rep.Errors())
	if len(de) != 1 || de[0].StatusCode != 400 || de[0].Attempts != 1 {
		t.Fatalf("errors %v, want status 400 after 1 attempt", rep.Errors())
	}
	if msg := de[0].Error(); !strings.Contains(msg, "400 Bad Request after 1 attempt") {
		t.Errorf("error %q", msg)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	cfg := config(t, rc.URL()) // retry_backoff 10ms: a wait of ~1s can only come from the header
	s, rep := start(t, cfg, sink.Env[int]{})
	s.Deliver(sinktest.Messages(0, 1))
	rep.WaitTotal(t, 1, waitTimeout)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	conserve(t, rep, 1, 1, 0, 0)
	reqs := rc.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	if gap := reqs[1].at.Sub(reqs[0].at); gap < 900*time.Millisecond {
		t.Errorf("retry came %v after the 429 with Retry-After: 1, want about 1s", gap)
	}
}

func TestSlowReceiverTimesOutEachAttempt(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	rc := newReceiver(t, hang(release))
	cfg := config(t, rc.URL())
	cfg.Timeout = model.Duration(300 * time.Millisecond)
	cfg.MaxRetries = 2
	s, rep := start(t, cfg, sink.Env[int]{})
	s.Deliver(sinktest.Messages(0, 1))
	rep.WaitTotal(t, 1, waitTimeout)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	conserve(t, rep, 1, 0, 0, 1)
	de := deliveryErrors(t, rep.Errors())
	if len(de) != 1 || de[0].Attempts != 2 || de[0].StatusCode != 0 {
		t.Fatalf("errors %v, want a timeout after 2 attempts", rep.Errors())
	}
	var ne net.Error
	if !errors.As(de[0], &ne) || !ne.Timeout() {
		t.Errorf("error %v is not a timeout", de[0])
	}
	if n := len(rc.requests()); n != 2 {
		t.Errorf("receiver saw %d requests, want 2", n)
	}
}

func TestReceiverDownThenUpOnSamePort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	logger, lg := newLogs()
	cfg := config(t, "http://"+addr+"/hook")
	cfg.MaxRetries = 10
	cfg.RetryBackoff = model.Duration(50 * time.Millisecond)
	cfg.Workers = 1
	s, rep := start(t, cfg, sink.Env[int]{Logger: logger})
	msgs := sinktest.Messages(0, 3)
	s.Deliver(msgs)

	// The first attempt must have been refused before the receiver comes up.
	lg.waitLine(t, "webhook attempt failed", "connection refused", "retry=true")
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	rc := newUnstartedReceiver(t, nil)
	rc.srv.Listener.Close()
	rc.srv.Listener = ln
	rc.srv.Start()
	defer rc.srv.Close()

	rep.WaitDelivered(t, 3, waitTimeout)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	conserve(t, rep, 3, 3, 0, 0)
	var got []string
	for _, r := range rc.requests() {
		got = append(got, string(r.body))
	}
	if want := values(msgs); !slices.Equal(got, want) {
		t.Errorf("bodies %q, want %q (one worker keeps order)", got, want)
	}
}

func TestBatchBoundaries(t *testing.T) {
	t.Run("count", func(t *testing.T) {
		rc := newReceiver(t, nil)
		cfg := config(t, rc.URL())
		cfg.Batch, cfg.Workers = true, 1
		cfg.BatchMaxEvents = 10
		cfg.BatchFlushInterval = model.Duration(webhook.BatchFlushIntervalLimit) // only count and Close flush
		s, rep := start(t, cfg, sink.Env[int]{})
		msgs := sinktest.Messages(0, 25)
		s.Deliver(msgs)
		rep.WaitDelivered(t, 20, waitTimeout)
		if n := len(rc.requests()); n != 2 {
			t.Fatalf("%d bodies before Close, want 2 full ones", n)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		conserve(t, rep, 25, 25, 0, 0)
		checkBatches(t, rc.requests(), msgs, []int{10, 10, 5})
	})
	t.Run("bytes", func(t *testing.T) {
		rc := newReceiver(t, nil)
		cfg := config(t, rc.URL())
		cfg.Batch, cfg.Workers = true, 1
		cfg.BatchMaxBytes = 350 // three 100-byte values: 2+3*100+2 = 304; four: 405
		cfg.BatchFlushInterval = model.Duration(webhook.BatchFlushIntervalLimit)
		s, rep := start(t, cfg, sink.Env[int]{})
		var msgs []sink.Message[int]
		for i := range 10 {
			size := 100
			if i == 7 {
				size = 1000 // larger than batch_max_bytes: goes alone
			}
			msgs = append(msgs, sized(i, size))
		}
		s.Deliver(msgs)
		rep.WaitDelivered(t, 8, waitTimeout)
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		conserve(t, rep, 10, 10, 0, 0)
		reqs := rc.requests()
		checkBatches(t, reqs, msgs, []int{3, 3, 1, 1, 2})
		for i, r := range reqs {
			if len(r.body) > 350 && len(arrayElems(t, r.body)) > 1 {
				t.Errorf("body %d is %d bytes with several events, over batch_max_bytes", i, len(r.body))
			}
		}
	})
	t.Run("time", func(t *testing.T) {
		rc := newReceiver(t, nil)
		cfg := config(t, rc.URL())
		cfg.Batch, cfg.Workers = true, 1
		cfg.BatchFlushInterval = model.Duration(300 * time.Millisecond)
		s, rep := start(t, cfg, sink.Env[int]{})
		msgs := sinktest.Messages(0, 5)
		s.Deliver(msgs[:3])
		rep.WaitDelivered(t, 3, waitTimeout) // neither 100 events nor 1 MiB: only the interval flushes
		s.Deliver(msgs[3:])
		rep.WaitDelivered(t, 5, waitTimeout)
		if n := len(rc.requests()); n != 2 {
			t.Fatalf("%d bodies before Close, want 2", n)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		conserve(t, rep, 5, 5, 0, 0)
		checkBatches(t, rc.requests(), msgs, []int{3, 2})
	})
}

// sized is a JSON event of exactly size bytes.
func sized(seq, size int) sink.Message[int] {
	v := fmt.Sprintf(`{"seq":%d,"pad":""}`, seq)
	v = v[:len(v)-2] + strings.Repeat("x", size-len(v)) + `"}`
	return sink.Message[int]{Event: seq, Type: "test_event", Value: []byte(v)}
}

// checkBatches checks the bodies are JSON arrays of the given lengths
// whose elements, in order, are exactly the values of msgs.
func checkBatches(t *testing.T, reqs []request, msgs []sink.Message[int], lens []int) {
	t.Helper()
	var gotLens []int
	var got []string
	for _, r := range reqs {
		elems := arrayElems(t, r.body)
		gotLens = append(gotLens, len(elems))
		got = append(got, elems...)
	}
	if !slices.Equal(gotLens, lens) {
		t.Errorf("batch lengths %v, want %v", gotLens, lens)
	}
	if want := values(msgs); !slices.Equal(got, want) {
		t.Errorf("batched values differ:\n got %q\nwant %q", got, want)
	}
}

func TestGzipBodiesDecode(t *testing.T) {
	for _, batch := range []bool{false, true} {
		t.Run(fmt.Sprintf("batch=%v", batch), func(t *testing.T) {
			rc := newReceiver(t, nil)
			cfg := config(t, rc.URL())
			cfg.Compression = webhook.CompressionGzip
			cfg.Workers = 1
			if batch {
				cfg.Batch, cfg.BatchMaxEvents = true, 5
			}
			s, rep := start(t, cfg, sink.Env[int]{})
			msgs := sinktest.Messages(0, 5)
			s.Deliver(msgs)
			rep.WaitDelivered(t, 5, waitTimeout)
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			conserve(t, rep, 5, 5, 0, 0)
			reqs := rc.requests()
			for _, r := range reqs {
				if r.header.Get("Content-Encoding") != "gzip" {
					t.Errorf("Content-Encoding %q, want gzip", r.header.Get("Content-Encoding"))
				}
				if string(r.raw) == string(r.body) {
					t.Errorf("body was sent uncompressed")
				}
			}
			if batch {
				checkBatches(t, reqs, msgs, []int{5})
				return
			}
			var got []string
			for _, r := range reqs {
				got = append(got, string(r.body))
			}
			if want := values(msgs); !slices.Equal(got, want) {
				t.Errorf("decoded bodies %q, want %q", got, want)
			}
		})
	}
}

func TestFullQueueDropsExactly(t *testing.T) {
	release := make(chan struct{})
	rc := newReceiver(t, hang(release))
	cfg := config(t, rc.URL())
	cfg.Workers, cfg.QueueSize = 1, 4
	s, rep := start(t, cfg, sink.Env[int]{})
	msgs := sinktest.Messages(0, 11)
	s.Deliver(msgs[:1])
	rc.waitRequests(t, 1) // the only worker now holds seq 0
	s.Deliver(msgs[1:])   // 4 fit in the queue, 6 do not
	if d, dr, f := rep.Counts(); d != 0 || dr != 6 || f != 0 {
		t.Fatalf("after Deliver: delivered %d dropped %d failed %d, want 0 6 0", d, dr, f)
	}
	close(release)
	rep.WaitDelivered(t, 5, waitTimeout)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	conserve(t, rep, 11, 5, 6, 0)
	var delivered []int
	for _, m := range rep.Delivered() {
		delivered = append(delivered, m.Event)
	}
	slices.Sort(delivered)
	if want := []int{0, 1, 2, 3, 4}; !slices.Equal(delivered, want) {
		t.Errorf("delivered %v, want %v (the ones that fitted)", delivered, want)
	}
}

func TestCloseWithHungReceiverGivesUpWithinBudget(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	rc := newReceiver(t, hang(release))
	cfg := config(t, rc.URL())
	cfg.Workers, cfg.QueueSize = 2, 10
	const budget = 300 * time.Millisecond
	s, rep := start(t, cfg, sink.Env[int]{CloseTimeout: budget})
	s.Deliver(sinktest.Messages(0, 6))
	rc.waitRequests(t, 2) // both workers stuck in flight, 4 queued
	err := closeWithin(t, s, budget+5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "6 events") {
		t.Errorf("Close error %v, want one counting 6 events given up", err)
	}
	conserve(t, rep, 6, 0, 0, 6)
	for _, e := range rep.Errors() {
		if !errors.Is(e, webhook.ErrClosed) {
			t.Errorf("failure %v is not ErrClosed", e)
		}
	}
	if err2 := s.Close(); err2 != err {
		t.Errorf("second Close returned %v, want the first's %v", err2, err)
	}
}

func TestCloseCancelsWaitingRetries(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	cfg := config(t, rc.URL())
	cfg.Workers, cfg.MaxRetries = 2, 5
	cfg.RetryBackoff = model.Duration(time.Minute)
	logger, lg := newLogs()
	s, rep := start(t, cfg, sink.Env[int]{CloseTimeout: 200 * time.Millisecond, Logger: logger})
	s.Deliver(sinktest.Messages(0, 2))
	rc.waitRequests(t, 2)
	// Both workers are now waiting a minute to retry.
	lg.waitLine(t, "webhook attempt failed", "status=503", "retry=true")
	if err := closeWithin(t, s, 10*time.Second); err == nil {
		t.Error("Close returned nil after giving up on 2 events")
	}
	conserve(t, rep, 2, 0, 0, 2)
	for _, de := range deliveryErrors(t, rep.Errors()) {
		if !errors.Is(de, webhook.ErrClosed) || de.Attempts != 1 {
			t.Errorf("failure %v: want ErrClosed after 1 attempt", de)
		}
	}
	if n := len(rc.requests()); n != 2 {
		t.Errorf("%d requests, want 2 (no retry after Close)", n)
	}
}

func TestCloseDrainsQueue(t *testing.T) {
	rc := newReceiver(t, nil)
	cfg := config(t, rc.URL())
	cfg.Workers = 2
	s, rep := start(t, cfg, sink.Env[int]{})
	msgs := sinktest.Messages(0, 200)
	s.Deliver(msgs)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	conserve(t, rep, 200, 200, 0, 0)
	if n := len(rc.requests()); n != 200 {
		t.Errorf("receiver got %d, want 200", n)
	}
}

func TestDeliverAfterCloseFails(t *testing.T) {
	rc := newReceiver(t, nil)
	s, rep := start(t, config(t, rc.URL()), sink.Env[int]{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	s.Deliver(sinktest.Messages(0, 3))
	conserve(t, rep, 3, 0, 0, 3)
	for _, e := range rep.Errors() {
		if !errors.Is(e, webhook.ErrClosed) {
			t.Errorf("error %v is not ErrClosed", e)
		}
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("%d requests after Close", n)
	}
}

func TestNameStripsSecrets(t *testing.T) {
	for raw, want := range map[string]string{
		"http://u:p@example.com:8080/a/b?token=x#frag": "webhook:http://example.com:8080/a/b",
		"https://example.com":                          "webhook:https://example.com",
		"https://example.com/?":                        "webhook:https://example.com/",
	} {
		s, _ := start(t, config(t, raw), sink.Env[int]{})
		if s.Name() != want {
			t.Errorf("Name() for %s = %q, want %q", raw, s.Name(), want)
		}
	}
}

// TestManyEventsConcurrently checks accounting under contention: several
// producers, workers, a queue that overflows and a receiver that fails a
// share of requests.
func TestManyEventsConcurrently(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		switch n % 7 {
		case 0:
			w.WriteHeader(http.StatusBadRequest)
		case 3:
			w.WriteHeader(http.StatusBadGateway)
		default:
			w.WriteHeader(http.StatusOK)
		}
	})
	cfg := config(t, rc.URL())
	cfg.QueueSize, cfg.MaxRetries = 64, 2
	s, rep := start(t, cfg, sink.Env[int]{})
	const producers, each = 4, 500
	done := make(chan struct{})
	for p := range producers {
		go func() {
			defer func() { done <- struct{}{} }()
			msgs := sinktest.Messages(p*each, each)
			for i := 0; i < each; i += 10 {
				s.Deliver(msgs[i : i+10])
			}
		}()
	}
	for range producers {
		<-done
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	d, dr, f := rep.Counts()
	conserve(t, rep, producers*each, d, dr, f)
	// Every delivered event reached the receiver in a 2xx exchange; every
	// request is either a delivery or a failed attempt.
	if got := len(rc.requests()); got < d+f {
		t.Errorf("receiver saw %d requests for %d delivered + %d failed", got, d, f)
	}
}

func TestRedirects(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/found":
			http.Redirect(w, r, "/moved", http.StatusFound)
		case "/permanent":
			http.Redirect(w, r, "/moved", http.StatusPermanentRedirect)
		case "/moved":
			w.WriteHeader(http.StatusOK)
		}
	})
	// 302 would turn the POST into a GET without the event: fail instead.
	s, rep := start(t, config(t, rc.URL()+"/found"), sink.Env[int]{})
	s.Deliver(sinktest.Messages(0, 1))
	rep.WaitTotal(t, 1, waitTimeout)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	conserve(t, rep, 1, 0, 0, 1)
	if de := deliveryErrors(t, rep.Errors()); len(de) != 1 || de[0].StatusCode != http.StatusFound || de[0].Attempts != 1 {
		t.Errorf("errors %v, want 302 after 1 attempt", rep.Errors())
	}

	// 308 repeats the POST with its body: delivered.
	s, rep = start(t, config(t, rc.URL()+"/permanent"), sink.Env[int]{})
	msgs := sinktest.Messages(0, 1)
	s.Deliver(msgs)
	rep.WaitTotal(t, 1, waitTimeout)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	conserve(t, rep, 1, 1, 0, 0)
	reqs := rc.requests()
	last := reqs[len(reqs)-1]
	if last.path != "/moved" || string(last.body) != string(msgs[0].Value) {
		t.Errorf("after the 308 the receiver got %s %q, want the event at /moved", last.path, last.body)
	}
	for _, r := range reqs {
		if r.path == "/moved" && len(r.body) == 0 {
			t.Errorf("a redirected request arrived without its body")
		}
	}
}

// TestConnectionsAreReused checks keep-alive: responses are drained and
// closed, so each worker keeps one connection instead of dialling per
// event.
func TestConnectionsAreReused(t *testing.T) {
	rc := newUnstartedReceiver(t, nil)
	var mu sync.Mutex
	conns := 0
	rc.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	rc.srv.Start()
	t.Cleanup(rc.srv.Close)
	cfg := config(t, rc.URL())
	cfg.Workers = 2
	s, rep := start(t, cfg, sink.Env[int]{})
	msgs := sinktest.Messages(0, 100)
	for i := 0; i < len(msgs); i += 10 {
		s.Deliver(msgs[i : i+10])
		rep.WaitDelivered(t, i+10, waitTimeout)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	conserve(t, rep, 100, 100, 0, 0)
	mu.Lock()
	defer mu.Unlock()
	// net/http puts a connection back in its idle pool from its own read
	// loop, just after the response body is closed; a worker whose next
	// request starts before that dials a spare connection, which then
	// stays pooled. So a worker may own two connections, never one per
	// request: 100 requests must not need more than 2 per worker.
	if conns > 2*cfg.Workers {
		t.Errorf("%d connections for %d workers and 100 requests: responses are not reused", conns, cfg.Workers)
	}
}
