package reliability_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// behaviour is how a receiver answers one request. It returns whether it
// counted the request as accepted (a 2xx answer).
type behaviour func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) bool

// Receiver behaviours, one per webhook fault.
var (
	answerOK behaviour = func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) bool {
		w.WriteHeader(http.StatusOK)
		return true
	}
	answer503 behaviour = func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return false
	}
	answer400 behaviour = func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) bool {
		w.WriteHeader(http.StatusBadRequest)
		return false
	}
	// answer429Forever asks for a retry in an hour, which the sink caps at
	// its maximum backoff: the worker parks until Close cancels it.
	answer429Forever behaviour = func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) bool {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
		return false
	}
	// answerNever holds the request until the client gives up or the
	// test ends: a receiver slower than any timeout.
	answerNever behaviour = func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) bool {
		select {
		case <-r.Context().Done():
		case <-release:
		}
		return false
	}
	// answerReset closes the connection without a response.
	answerReset behaviour = func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) bool {
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("receiver: ResponseWriter cannot hijack")
		}
		c, _, err := hj.Hijack()
		if err == nil {
			c.Close()
		}
		return false
	}
)

// receiver is a real HTTP server on a fixed loopback port that a test can
// stop and start again on the same port, with a behaviour it can change.
type receiver struct {
	t    testing.TB
	addr string

	mu      sync.Mutex
	srv     *http.Server
	done    chan struct{}
	release chan struct{}
	act     behaviour

	requests atomic.Int64 // requests that reached the handler
	accepted atomic.Int64 // events in 2xx-answered requests
	byQuery  sync.Map     // request query → *atomic.Int64 of accepted events
	bodies   sync.Map     // accepted event versions (sequence numbers) → count
	badBody  atomic.Int64
}

// newReceiver reserves a loopback port and starts serving on it unless
// down is set.
func newReceiver(t testing.TB, act behaviour, down bool) *receiver {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{t: t, addr: l.Addr().String(), act: act, release: make(chan struct{})}
	if down {
		l.Close()
	} else {
		r.serve(l)
	}
	t.Cleanup(func() {
		close(r.release)
		r.stop()
	})
	return r
}

func (r *receiver) url() string { return "http://" + r.addr + "/events" }

// acceptedFor counts the events accepted in requests with the given query.
func (r *receiver) acceptedFor(query string) int64 {
	n, ok := r.byQuery.Load(query)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

func (r *receiver) setBehaviour(act behaviour) {
	r.mu.Lock()
	r.act = act
	r.mu.Unlock()
}

func (r *receiver) serve(l net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(r.handle), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	r.mu.Lock()
	r.srv, r.done = srv, done
	r.mu.Unlock()
	go func() {
		defer close(done)
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.t.Errorf("receiver: %v", err)
		}
	}()
}

// start serves again on the same port.
func (r *receiver) start() {
	r.t.Helper()
	var l net.Listener
	var err error
	// The port was ours a moment ago; retry briefly in case the kernel
	// has not let go of it yet.
	waitFor(r.t, "the receiver's port to be free again", func() bool {
		l, err = net.Listen("tcp", r.addr)
		return err == nil
	})
	r.serve(l)
}

// stop closes the listener and every connection, like a receiver that
// went away.
func (r *receiver) stop() {
	r.mu.Lock()
	srv, done := r.srv, r.done
	r.srv, r.done = nil, nil
	r.mu.Unlock()
	if srv == nil {
		return
	}
	srv.Close()
	<-done
}

func (r *receiver) handle(w http.ResponseWriter, req *http.Request) {
	r.requests.Add(1)
	body, err := io.ReadAll(req.Body)
	r.mu.Lock()
	act := r.act
	r.mu.Unlock()
	if !act(w, req, r.release) || err != nil {
		return
	}
	var evs []json.RawMessage
	if len(body) > 0 && body[0] == '[' {
		if json.Unmarshal(body, &evs) != nil {
			r.badBody.Add(1)
			return
		}
	} else {
		evs = []json.RawMessage{body}
	}
	n, _ := r.byQuery.LoadOrStore(req.URL.RawQuery, new(atomic.Int64))
	n.(*atomic.Int64).Add(int64(len(evs)))
	for _, raw := range evs {
		var ev struct {
			Data struct {
				AlertmanagerStartupEvent struct {
					Version string `json:"version"`
				} `json:"alertmanagerStartupEvent"`
			} `json:"data"`
		}
		if json.Unmarshal(raw, &ev) != nil {
			r.badBody.Add(1)
			continue
		}
		v, _ := r.bodies.LoadOrStore(ev.Data.AlertmanagerStartupEvent.Version, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
		r.accepted.Add(1)
	}
}

// duplicates counts events the receiver accepted more than once.
func (r *receiver) duplicates() int {
	n := 0
	r.bodies.Range(func(_, v any) bool {
		if c := v.(*atomic.Int64).Load(); c > 1 {
			n += int(c - 1)
		}
		return true
	})
	return n
}
