package reliability_test

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
)

// hungBroker accepts TCP connections and reads from them forever without
// ever answering: a Kafka broker that is up as far as TCP can tell and
// hung as far as Kafka can. Nothing in kfake can be made to do this
// before the first request (its hooks run after a request is parsed).
type hungBroker struct {
	l        net.Listener
	accepted atomic.Int64
	mu       sync.Mutex
	conns    []net.Conn
	wg       sync.WaitGroup
	once     sync.Once
}

func newHungBroker(t testing.TB) *hungBroker {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &hungBroker{l: l}
	b.wg.Add(1)
	go b.serve()
	t.Cleanup(b.close)
	return b
}

func (b *hungBroker) addr() string { return b.l.Addr().String() }

func (b *hungBroker) serve() {
	defer b.wg.Done()
	for {
		c, err := b.l.Accept()
		if err != nil {
			return
		}
		b.accepted.Add(1)
		b.mu.Lock()
		b.conns = append(b.conns, c)
		b.mu.Unlock()
		b.wg.Add(1)
		go b.swallow(c)
	}
}

func (b *hungBroker) swallow(c net.Conn) {
	defer b.wg.Done()
	_, _ = io.Copy(io.Discard, c)
}

func (b *hungBroker) close() {
	b.once.Do(b.shut)
}

func (b *hungBroker) shut() {
	b.l.Close()
	b.mu.Lock()
	for _, c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

// TestCloseWithEverySinkHung closes a recorder whose webhook receiver and
// Kafka broker both accept connections and never answer. Close must keep
// its budget, say what it gave up, and account for every event; and once
// it has returned, the outputs must not leave goroutines behind even
// though the hung peers are still there.
func TestCloseWithEverySinkHung(t *testing.T) {
	rx := newReceiver(t, answerNever, false)
	kb := newHungBroker(t)
	// Goroutines that exist now, and the test's own hung peers, are not
	// the outputs' to end.
	baseline := append(leakcheck.Options(), goleak.IgnoreCurrent(),
		goleak.IgnoreAnyFunction("net/http.(*Server).Serve"),
		goleak.IgnoreAnyFunction("net/http.(*conn).serve"),
		goleak.IgnoreAnyFunction("net/http.(*connReader).backgroundRead"),
		goleak.IgnoreAnyFunction("github.com/eventrecorder/eventrecorder/internal/reliability_test.(*hungBroker).serve"),
		goleak.IgnoreAnyFunction("github.com/eventrecorder/eventrecorder/internal/reliability_test.(*hungBroker).swallow"),
		goleak.IgnoreAnyFunction("github.com/eventrecorder/eventrecorder/internal/reliability_test.newReceiver.func1"),
	)

	webhookOut := "webhook:" + rx.url()
	kafkaOut := "kafka:" + kb.addr() + "/events"
	cfg := mustLoad(t, fmt.Sprintf(`
webhook_outputs: [{url: %s, queue_size: 64}]
kafka_outputs: [{brokers: [%q], topic: events, buffer_size: 64}]
`, rx.url(), kb.addr()))
	r := newRig(t, cfg, event.Options{QueueSize: 256, MaxBatch: 32, CloseTimeout: 2 * time.Second})
	r.record(500)
	waitFor(t, "the webhook workers to be stuck on the receiver", func() bool { return rx.requests.Load() >= 4 })
	waitFor(t, "the Kafka output to connect to the hung broker", func() bool { return kb.accepted.Load() >= 1 })
	r.record(100)

	took, err := r.close()
	for _, out := range []string{webhookOut, kafkaOut} {
		c := r.conserved(out)
		if c.Delivered != 0 || c.Failed == 0 {
			t.Errorf("%s: %v; want nothing delivered and what the output held failed", out, c)
		}
		if err == nil || !strings.Contains(err.Error(), out) {
			t.Errorf("Close error %v does not name %s", err, out)
		}
		t.Logf("FIGURES shutdown %s: %v; Close took %v", out, c, took.Round(time.Millisecond))
	}
	t.Logf("Close error: %v", err)

	// The peers are still hung: whatever the outputs started must end on
	// its own, promptly, not when a read timeout expires.
	deadline := time.Now().Add(10 * time.Second)
	for {
		leak := goleak.Find(baseline...)
		if leak == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("goroutines still running 10s after Close returned, with the peers still hung:\n%v", leak)
			break
		}
		time.Sleep(50 * time.Millisecond) // polling interval, not synchronisation
	}
}
