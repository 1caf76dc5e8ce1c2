package kafka_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/internal/kafkatest"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
)

// TestValuesReleasedOnceAcknowledged: with Env.Release set, each message
// goes back once sarama has returned it and it is reported, and every
// record in the topic is intact.
func TestValuesReleasedOnceAcknowledged(t *testing.T) {
	c := kafkatest.Start(t)
	topic := c.NewTopic(t, 3)
	h := newHarness(t)
	rel := sinktest.NewReleases()
	h.env.Release = rel.Release
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
	rel.Check(t, 0, n)
}

// TestValuesReleasedWhenNotSent: messages dropped (the buffer full),
// given up at Close without having reached a producer, or refused once
// closed go back too, each once.
func TestValuesReleasedWhenNotSent(t *testing.T) {
	h := newHarness(t)
	rel := sinktest.NewReleases()
	h.env.Release = rel.Release
	h.env.CloseTimeout = 200 * time.Millisecond
	s := h.open(t, kafka.Config{Brokers: []string{fmt.Sprintf("127.0.0.1:%d", kafkatest.FreePort(t))}, Topic: "events", BufferSize: 10})
	deliver(s, sinktest.Messages(0, 25), 4)
	_ = h.closeAll(t, s, 25)
	s.Deliver(sinktest.Messages(25, 5))
	rel.Check(t, 0, 30)
}
