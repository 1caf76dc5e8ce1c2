package kafka_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/internal/kafkatest"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
)

// releases is an Env.Release that counts each message's releases, and
// checks that its outcome was reported first, then overwrites its value
// as the recorder's reuse would: a record sarama still reads after its
// release is then corrupt in the topic, and a race under -race.
type releases struct {
	rep  *sinktest.Reporter[int]
	mu   sync.Mutex
	n    map[int]int
	errs []string
}

func newReleases(rep *sinktest.Reporter[int]) *releases {
	return &releases{rep: rep, n: map[int]int{}}
}

func (r *releases) release(msgs []sink.Message[int]) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range msgs {
		r.n[m.Event]++
		for i := range m.Value {
			m.Value[i] = 'X'
		}
	}
}

// check fails unless exactly the events in want were released, once each.
func (r *releases) check(t *testing.T, want []int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var got []int
	for e, n := range r.n {
		if n != 1 {
			t.Errorf("event %d released %d times, want once", e, n)
		}
		got = append(got, e)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("released %d events %v…, want %d", len(got), got[:min(len(got), 10)], len(want))
	}
}

// TestValuesReleasedOnceAcknowledged: with Env.Release set, each message
// goes back once sarama has returned it and it is reported, and every
// record in the topic is intact.
func TestValuesReleasedOnceAcknowledged(t *testing.T) {
	c := kafkatest.Start(t)
	topic := c.NewTopic(t, 3)
	h := newHarness(t)
	rel := newReleases(h.rep)
	h.env.Release = rel.release
	const n = 3000
	s := h.open(t, kafka.Config{Brokers: c.Brokers, Topic: topic, Key: kafka.KeyNone, BufferSize: n})
	if !s.ReleasesValues() {
		t.Fatal("ReleasesValues is false with Env.Release set")
	}
	deliver(s, sinktest.Messages(0, n), 100)
	h.rep.WaitDelivered(t, n, wait)
	if err := h.closeAll(t, s, n); err != nil {
		t.Fatal(err)
	}
	got := seqs(t, c.Read(t, topic).Records) // fails on a corrupt value
	slices.Sort(got)
	if !slices.Equal(got, span(0, n)) {
		t.Fatalf("read back %d records, want %d", len(got), n)
	}
	rel.check(t, span(0, n))
}

// TestValuesReleasedWhenNotSent: messages dropped (the buffer full),
// given up at Close without having reached a producer, or refused once
// closed go back too, each once.
func TestValuesReleasedWhenNotSent(t *testing.T) {
	h := newHarness(t)
	rel := newReleases(h.rep)
	h.env.Release = rel.release
	h.env.CloseTimeout = 200 * time.Millisecond
	s := h.open(t, kafka.Config{Brokers: []string{fmt.Sprintf("127.0.0.1:%d", kafkatest.FreePort(t))}, Topic: "events", BufferSize: 10})
	deliver(s, sinktest.Messages(0, 25), 4)
	_ = h.closeAll(t, s, 25)
	s.Deliver(sinktest.Messages(25, 5))
	rel.check(t, span(0, 30))
}
