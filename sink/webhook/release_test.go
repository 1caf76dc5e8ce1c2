package webhook_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/buffer"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

// bigMessages are messages whose values are about size bytes, so that a
// batch's body takes the transport many writes.
func bigMessages(first, n, size int) []sink.Message[int] {
	msgs := sinktest.Messages(first, n)
	pad := strings.Repeat("p", size)
	for i := range msgs {
		msgs[i].Value = fmt.Appendf(nil, `{"seq":%d,"pad":%q}`, first+i, pad)
	}
	return msgs
}

// TestValuesReleasedOnceTheTransportIsDone: with Env.Release set, the
// webhook output gives every message back exactly once, to a real
// receiver. Every other request is answered before its 8 MiB body has
// been read, so that net/http is still writing the body when the answer
// arrives: a release then, rather than once the transport has closed the
// body, races with its reads (-race sees it in some runs; the internal
// TestReleaseWaitsForTheBodyToClose sees it every time). The others are
// read whole and must be intact.
func TestValuesReleasedOnceTheTransportIsDone(t *testing.T) {
	for _, batch := range []bool{false, true} {
		t.Run(fmt.Sprintf("batch=%v", batch), func(t *testing.T) {
			var (
				requests atomic.Int64
				mu       sync.Mutex
				corrupt  []string
			)
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if requests.Add(1)%2 == 0 {
					// Answer before reading the body, and read it only
					// after a pause: net/http's server would read a small
					// body before answering.
					conn, rw, err := http.NewResponseController(w).Hijack()
					if err != nil {
						t.Error(err)
						return
					}
					defer conn.Close()
					_, _ = rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
					_ = rw.Flush()
					time.Sleep(20 * time.Millisecond)
					_, _ = io.CopyN(io.Discard, rw, r.ContentLength)
					return
				}
				body, err := io.ReadAll(r.Body)
				var seqs []struct {
					Seq *int `json:"seq"`
				}
				if !batch {
					body = append(append([]byte{'['}, body...), ']')
				}
				if err == nil {
					err = json.Unmarshal(body, &seqs)
				}
				for _, s := range seqs {
					if s.Seq == nil {
						err = fmt.Errorf("an event without its seq")
					}
				}
				if err != nil || bytes.Contains(body, []byte("XX")) {
					mu.Lock()
					corrupt = append(corrupt, fmt.Sprintf("%.80q: %v", body, err))
					mu.Unlock()
				}
				w.WriteHeader(http.StatusOK)
			}))
			srv.Start()
			t.Cleanup(srv.Close)
			rel := sinktest.NewReleases()
			cfg := config(t, srv.URL)
			if batch {
				cfg.Batch = true
				cfg.BatchMaxEvents = 100
				cfg.BatchMaxBytes = webhook.BatchMaxBytesLimit
			}
			// Bodies of 8 MiB, more than the loopback sockets buffer:
			// a batch of 100 values of 80 KiB, or single events as
			// large.
			n, size, step := 400, 80<<10, 100
			if !batch {
				n, size, step = 6, 8<<20, 1
			}
			s, rep := start(t, cfg, sink.Env[int]{Release: rel.Release})
			if !s.ReleasesValues() {
				t.Fatal("ReleasesValues is false with Env.Release set")
			}
			msgs := bigMessages(0, n, size)
			for i := 0; i < n; i += step {
				rep.WaitFor(t, waitTimeout, "room in the queue", func(d, dr, f int) bool { return i-(d+dr+f) < webhook.DefaultQueueSize/2 })
				s.Deliver(msgs[i : i+step])
			}
			rep.WaitTotal(t, n, waitTimeout)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			conserve(t, rep, n, n, 0, 0)
			rel.Check(t, 0, n)
			if len(corrupt) > 0 {
				t.Errorf("%d request bodies were not their events, the first: %s", len(corrupt), corrupt[0])
			}
		})
	}
}

// TestValuesReleasedWhenNotSent: events the output drops (its queue
// full), fails at Close, or refuses once closed are given back too, each
// once.
func TestValuesReleasedWhenNotSent(t *testing.T) {
	unblock := make(chan struct{})
	rcv := newReceiver(t, hang(unblock))
	rel := sinktest.NewReleases()
	cfg := config(t, rcv.URL())
	cfg.QueueSize = 10
	cfg.Workers = 1
	s, rep := start(t, cfg, sink.Env[int]{Release: rel.Release, CloseTimeout: 200 * time.Millisecond})
	s.Deliver(sinktest.Messages(0, 1)) // the one the worker holds
	rcv.waitRequests(t, 1)
	s.Deliver(sinktest.Messages(1, 30)) // 10 queued, 20 dropped
	_, dropped, _ := rep.Counts()
	if dropped != 20 {
		t.Fatalf("%d dropped, want 20", dropped)
	}
	_ = closeWithin(t, s, 5*time.Second)
	close(unblock)
	s.Deliver(sinktest.Messages(31, 5)) // refused: closed
	conserve(t, rep, 36, 0, 20, 16)
	rel.Check(t, 0, 36)
}

// TestBufferedValuesNotReleased: behind a buffer, which keeps values for
// its retries, the webhook output does not give them back, and the
// buffered output does not say it does.
func TestBufferedValuesNotReleased(t *testing.T) {
	rcv := newReceiver(t, nil)
	rel := sinktest.NewReleases()
	cfg := config(t, rcv.URL())
	cfg.Buffer = buffer.Config{Type: buffer.TypeMemory, MaxBytes: 1 << 20}
	rep := sinktest.NewReporter[int]()
	env := sinktest.Env[int](t, rep)
	env.Release = rel.Release
	s, err := webhook.Kind[int]().New(cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	if vr, ok := s.(sink.ValueReleaser); ok && vr.ReleasesValues() {
		t.Error("a buffered webhook output says it gives values back")
	}
	s.Deliver(sinktest.Messages(0, 20))
	rep.WaitDelivered(t, 20, waitTimeout)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rel.Check(t, 0, 0)
}
