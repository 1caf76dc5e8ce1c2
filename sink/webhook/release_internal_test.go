package webhook

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/sink"
)

// lateTransport answers every request at once and reads its body only
// afterwards, on a goroutine of its own, then closes it: what
// http.RoundTripper allows ("may do so in a separate goroutine even after
// RoundTrip returns") and net/http's transport does when a receiver
// answers before it has read a large body. A real transport does it for
// microseconds, too briefly for a test to catch every time; this one does
// it every time. It records each body it read.
type lateTransport struct {
	wg     sync.WaitGroup
	mu     sync.Mutex
	bodies []string
}

func (lt *lateTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	body := req.Body
	lt.wg.Go(func() {
		time.Sleep(2 * time.Millisecond)
		b, _ := io.ReadAll(body)
		_ = body.Close()
		lt.mu.Lock()
		lt.bodies = append(lt.bodies, string(b))
		lt.mu.Unlock()
	})
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: req}, nil
}

// TestReleaseWaitsForTheBodyToClose: values go back only once the
// transport has closed every body that carried them, however long after
// the request returned. Released values are overwritten, so a body read
// after its values' release carries the overwrite.
func TestReleaseWaitsForTheBodyToClose(t *testing.T) {
	for _, batch := range []bool{false, true} {
		t.Run(fmt.Sprintf("batch=%v", batch), func(t *testing.T) {
			lt := &lateTransport{}
			var (
				mu       sync.Mutex
				released = map[int]int{}
				reported = make(chan int, 1000)
			)
			env := sink.Env[int]{
				Reporter: reporterFunc(func(msgs []sink.Message[int], _ sink.Outcome, _ error) {
					for range msgs {
						reported <- 1
					}
				}),
				Release: func(msgs []sink.Message[int]) {
					mu.Lock()
					defer mu.Unlock()
					for _, m := range msgs {
						released[m.Event]++
						for i := range m.Value {
							m.Value[i] = 'X'
						}
					}
				},
			}
			u, err := ParseURL("http://receiver.invalid/hook")
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{URL: u, Batch: batch}
			if batch {
				cfg.BatchMaxEvents = 10
			}
			s, err := New[int](cfg, env)
			if err != nil {
				t.Fatal(err)
			}
			s.http.Transport = lt // before the first request: Deliver's send orders it
			const n = 50
			var msgs []sink.Message[int]
			for i := range n {
				msgs = append(msgs, sink.Message[int]{Event: i, Type: "t", Value: fmt.Appendf(nil, `{"n":%d}`, i)})
			}
			s.Deliver(msgs)
			for range n {
				select {
				case <-reported:
				case <-time.After(20 * time.Second):
					t.Fatal("timed out waiting for the reports")
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			lt.wg.Wait()
			for _, b := range lt.bodies {
				if strings.Contains(b, "X") {
					t.Fatalf("a body was read after its values were released: %q", b)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for i := range n {
				if released[i] != 1 {
					t.Errorf("event %d released %d times, want once", i, released[i])
				}
			}
			// Every body the transport read was whole.
			var all bytes.Buffer
			for _, b := range lt.bodies {
				all.WriteString(b)
			}
			if got := strings.Count(all.String(), `{"n":`); got != n {
				t.Errorf("the bodies carried %d events, want %d", got, n)
			}
		})
	}
}

type reporterFunc func([]sink.Message[int], sink.Outcome, error)

func (f reporterFunc) Report(msgs []sink.Message[int], o sink.Outcome, err error) { f(msgs, o, err) }
