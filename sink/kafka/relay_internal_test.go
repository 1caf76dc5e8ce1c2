package kafka

import (
	"slices"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// TestRelayHandsOverInOrderWithinItsDepth drives a relay of depth 3 the
// way sarama does, from an unbuffered channel: it takes three successes
// while nobody reads them and a fourth into its hand, after which the
// producer's next send waits; the reader gets them in order, and the
// close only once everything before it has been taken.
func TestRelayHandsOverInOrderWithinItsDepth(t *testing.T) {
	from := make(chan *sarama.ProducerMessage)
	r := newRelay(3)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.run(from)
	}()
	msgs := make([]*sarama.ProducerMessage, 6)
	for i := range msgs {
		msgs[i] = &sarama.ProducerMessage{Offset: int64(i)}
	}
	send := func(m *sarama.ProducerMessage) {
		t.Helper()
		select {
		case from <- m:
		case <-time.After(5 * time.Second):
			t.Fatalf("the relay did not take message %d", m.Offset)
		}
	}
	for _, m := range msgs[:4] {
		send(m)
	}
	// The relay holds 0-2 and has 3 in hand, waiting for room: it is not
	// receiving, so the producer waits. (Nothing can show that it waits
	// for ever; a relay that took one more would take it at once.)
	select {
	case from <- msgs[4]:
		t.Fatal("the relay took a fifth message with three held and one in hand")
	case <-time.After(50 * time.Millisecond):
	}
	var spare []*sarama.ProducerMessage
	// take takes until it has as many messages as want, which must be
	// them in order: a take may find fewer, the rest still on their way.
	take := func(want ...int64) {
		t.Helper()
		var got []int64
		for len(got) < len(want) {
			select {
			case <-r.ready:
			case <-time.After(5 * time.Second):
				t.Fatalf("took %v, then no ready signal; want %v", got, want)
			}
			run, closed := r.take(spare)
			if closed {
				t.Fatalf("closed before the producer closed its channel")
			}
			for _, m := range run {
				got = append(got, m.Offset)
			}
			spare = run
		}
		if !slices.Equal(got, want) {
			t.Fatalf("took %v, want %v", got, want)
		}
	}
	take(0, 1, 2)
	send(msgs[4])
	take(3, 4)
	send(msgs[5])
	close(from)
	<-done
	<-r.ready
	run, closed := r.take(spare)
	if !closed || len(run) != 1 || run[0] != msgs[5] {
		t.Fatalf("last take: %d messages, closed %v; want message 5 and closed", len(run), closed)
	}
	if _, closed := r.take(run); !closed {
		t.Fatal("a take after the close says not closed")
	}
	for i, m := range spare[:cap(spare)] {
		if m != nil {
			t.Fatalf("a reused slice still points at message %d (index %d)", m.Offset, i)
		}
	}
}
