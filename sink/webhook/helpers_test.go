package webhook_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"go.uber.org/goleak"

	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait on a condition; generous because the CPU
// is shared and -race is slow. Tests pass long before it.
const waitTimeout = 20 * time.Second

// request is what the receiver saw of one POST.
type request struct {
	path   string
	query  string
	header http.Header
	body   []byte // gzip-decoded when Content-Encoding says gzip
	raw    []byte // as sent
	at     time.Time
	user   string
	pass   string
	hasPW  bool
}

// receiver is a real HTTP server on loopback that records every request
// and answers with respond (nil: 200 OK). n is the 1-based index of the
// request.
type receiver struct {
	t       *testing.T
	srv     *httptest.Server
	respond func(n int, w http.ResponseWriter, r *http.Request)

	mu      sync.Mutex
	reqs    []request
	changed chan struct{}
}

func newReceiver(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	rc := newUnstartedReceiver(t, respond)
	rc.srv.Start()
	t.Cleanup(rc.srv.Close)
	return rc
}

func newUnstartedReceiver(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	rc := &receiver{t: t, respond: respond, changed: make(chan struct{})}
	rc.srv = httptest.NewUnstartedServer(rc)
	// TLS handshake failures are expected in the TLS test; keep them out
	// of the output.
	rc.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	return rc
}

func (rc *receiver) URL() string { return rc.srv.URL }

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		// The client gave up mid-body (a timeout); nothing to record.
		return
	}
	body := raw
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			rc.t.Errorf("receiver: gzip body: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if body, err = io.ReadAll(zr); err != nil {
			rc.t.Errorf("receiver: gzip body: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
	}
	user, pass, hasPW := r.BasicAuth()
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, request{
		path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone(),
		body: body, raw: raw, at: time.Now(), user: user, pass: pass, hasPW: hasPW,
	})
	n := len(rc.reqs)
	close(rc.changed)
	rc.changed = make(chan struct{})
	rc.mu.Unlock()
	if rc.respond != nil {
		rc.respond(n, w, r)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

// waitRequests waits until at least n requests have arrived.
func (rc *receiver) waitRequests(t *testing.T, n int) []request {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		rc.mu.Lock()
		got, ch := len(rc.reqs), rc.changed
		rc.mu.Unlock()
		if got >= n {
			return rc.requests()
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %d requests, have %d", n, got)
		}
	}
}

// hang blocks a handler until the test releases it or the client goes
// away, so that httptest's Close never waits on it for long.
func hang(release <-chan struct{}) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
			w.WriteHeader(http.StatusOK)
		case <-r.Context().Done():
		}
	}
}

// logs captures what a sink logs, at debug level, and lets a test wait
// for a line.
type logs struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newLogs() (*slog.Logger, *logs) {
	l := &logs{changed: make(chan struct{})}
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug})), l
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	close(l.changed)
	l.changed = make(chan struct{})
	return len(p), nil
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// waitLine waits for a log line containing every one of subs.
func (l *logs) waitLine(t *testing.T, subs ...string) {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		text, ch := l.buf.String(), l.changed
		l.mu.Unlock()
		for _, line := range strings.Split(text, "\n") {
			ok := true
			for _, s := range subs {
				ok = ok && strings.Contains(line, s)
			}
			if ok {
				return
			}
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("timed out waiting for a log line with %q; logs:\n%s", subs, text)
		}
	}
}

// config returns a Config for rawURL with a short retry backoff so that
// retry tests do not wait long.
func config(t *testing.T, rawURL string) webhook.Config {
	t.Helper()
	u, err := webhook.ParseURL(rawURL)
	if err != nil {
		t.Fatalf("ParseURL: %v", err)
	}
	return webhook.Config{URL: u, RetryBackoff: model.Duration(10 * time.Millisecond)}
}

// start builds a sink reporting to a fresh Reporter, closed at cleanup.
func start(t *testing.T, cfg webhook.Config, env sink.Env[int]) (*webhook.Sink[int], *sinktest.Reporter[int]) {
	t.Helper()
	rep := sinktest.NewReporter[int]()
	env.Reporter = rep
	if env.Logger == nil {
		env.Logger = sinktest.Env[int](t, rep).Logger
	}
	s, err := webhook.New(cfg, env)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, rep
}

// conserve checks, after Close, that every message sent was reported
// exactly once in total, and the exact split.
func conserve(t *testing.T, rep *sinktest.Reporter[int], sent, delivered, dropped, failed int) {
	t.Helper()
	d, dr, f := rep.Counts()
	if d+dr+f != sent {
		t.Errorf("conservation: delivered %d + dropped %d + failed %d = %d, sent %d", d, dr, f, d+dr+f, sent)
	}
	if d != delivered || dr != dropped || f != failed {
		t.Errorf("outcomes: delivered %d dropped %d failed %d, want %d %d %d", d, dr, f, delivered, dropped, failed)
	}
	seen := map[int]int{}
	for _, group := range [][]sink.Message[int]{rep.Delivered(), rep.Failed()} {
		for _, m := range group {
			seen[m.Event]++
		}
	}
	for seq, n := range seen {
		if n > 1 {
			t.Errorf("seq %d reported %d times", seq, n)
		}
	}
}

// values returns the Values of msgs.
func values(msgs []sink.Message[int]) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Value)
	}
	return out
}

// arrayElems parses a batch body, which must be a JSON array, into its
// raw elements, byte for byte as the values were.
func arrayElems(t *testing.T, body []byte) []string {
	t.Helper()
	var elems []json.RawMessage
	if err := json.Unmarshal(body, &elems); err != nil {
		t.Fatalf("batch body is not a JSON array: %v: %q", err, body)
	}
	out := make([]string, len(elems))
	for i, e := range elems {
		out[i] = string(e)
	}
	return out
}

// deliveryError returns the *webhook.DeliveryError among errs (all must be
// one).
func deliveryErrors(t *testing.T, errs []error) []*webhook.DeliveryError {
	t.Helper()
	out := make([]*webhook.DeliveryError, 0, len(errs))
	for _, err := range errs {
		de, ok := err.(*webhook.DeliveryError)
		if !ok {
			t.Fatalf("failure error %T %v, want *webhook.DeliveryError", err, err)
		}
		out = append(out, de)
	}
	return out
}

func closeWithin(t *testing.T, s *webhook.Sink[int], budget time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(budget):
		t.Fatalf("Close did not return within %v", budget)
		return nil
	}
}
