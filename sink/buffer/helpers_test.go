package buffer_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
	"github.com/eventrecorder/eventrecorder/sink"
)

func TestMain(m *testing.M) {
	if child := os.Getenv(childEnv); child != "" {
		os.Exit(runChild(child))
	}
	leakcheck.VerifyTestMain(m)
}

// waitTimeout bounds every wait on a condition; generous for a shared
// CPU under -race. Tests pass long before it.
const waitTimeout = 60 * time.Second

// tally counts every outcome a sink reports, by event (the test's ints).
type tally struct {
	mu      sync.Mutex
	changed chan struct{}
	by      map[sink.Outcome][]sink.Message[int]
	errs    []error
}

func newTally() *tally {
	return &tally{changed: make(chan struct{}), by: map[sink.Outcome][]sink.Message[int]{}}
}

func (r *tally) Report(msgs []sink.Message[int], o sink.Outcome, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.by[o] = append(r.by[o], msgs...)
	if err != nil {
		r.errs = append(r.errs, err)
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *tally) count(o sink.Outcome) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.by[o])
}

func (r *tally) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.by {
		n += len(m)
	}
	return n
}

func (r *tally) msgs(o sink.Outcome) []sink.Message[int] {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sink.Message[int](nil), r.by[o]...)
}

// wait blocks until cond holds for the tally, failing t after
// waitTimeout.
func (r *tally) wait(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ch := r.changed
		r.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("timed out waiting for %s; outcomes: delivered %d, dropped %d, failed %d, persisted %d",
				what, len(r.by[sink.Delivered]), len(r.by[sink.Dropped]), len(r.by[sink.Failed]), len(r.by[sink.Persisted]))
		}
	}
}

func env(t testing.TB, r sink.Reporter[int], reg prometheus.Registerer) sink.Env[int] {
	return sink.Env[int]{
		Logger:       slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Reporter:     r,
		Metrics:      sink.NewMetrics("eventrecorder", reg),
		CloseTimeout: 5 * time.Second,
		Instance:     "test",
	}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}

// messages builds n messages whose Event is their index (from first) and
// whose Value is {"seq":i}.
func messages(first, n int) []sink.Message[int] {
	out := make([]sink.Message[int], n)
	now := time.Now()
	for i := range out {
		out[i] = sink.Message[int]{Event: first + i, Type: "test_event", Key: []byte("k"),
			Value: fmt.Appendf(nil, `{"seq":%d}`, first+i), Time: now}
	}
	return out
}

// receiver is a loopback webhook receiver that answers 503 while down and
// records the body of every POST it accepts.
type receiver struct {
	srv *httptest.Server

	mu      sync.Mutex
	status  int            // answered instead of 200 while set
	got     map[string]int // body -> times received
	total   int
	refused int
	changed chan struct{}
}

func newReceiver(t *testing.T, down bool) *receiver {
	rc := &receiver{got: map[string]int{}, changed: make(chan struct{})}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if rc.status != 0 {
			rc.refused++
			w.WriteHeader(rc.status)
			return
		}
		rc.got[string(body)]++
		rc.total++
		close(rc.changed)
		rc.changed = make(chan struct{})
	}))
	t.Cleanup(rc.srv.Close)
	if down {
		rc.status = http.StatusServiceUnavailable
	}
	return rc
}

// answer makes the receiver answer status to every POST (0: 200 OK and
// record it).
func (rc *receiver) answer(status int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.status = status
}

func (rc *receiver) distinct() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}
