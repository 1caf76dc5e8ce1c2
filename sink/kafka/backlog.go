package kafka

import (
	"sync"

	"github.com/eventrecorder/eventrecorder/sink"
)

// backlog is the output's local buffer (buffer_size messages): a bounded
// FIFO between Deliver and the goroutine that feeds the producer. Deliver
// adds a whole batch under one lock and wakes the feeder at most once,
// where a channel costs a lock, and with the feeder waiting a wake-up, per
// message: on a busy recorder those hand-offs cost more CPU than sarama
// spends on the message.
type backlog[T any] struct {
	mu      sync.Mutex
	ring    []sink.Message[T] // allocated in full, as a channel's buffer is
	head, n int
	// ready holds a token once messages were added since the feeder last
	// waited on it.
	ready chan struct{}
}

func newBacklog[T any](size int) *backlog[T] {
	return &backlog[T]{ring: make([]sink.Message[T], size), ready: make(chan struct{}, 1)}
}

// add appends the longest prefix of batch that fits and returns its length.
func (b *backlog[T]) add(batch []sink.Message[T]) int {
	b.mu.Lock()
	k := min(len(batch), len(b.ring)-b.n)
	tail := (b.head + b.n) % len(b.ring)
	c := copy(b.ring[tail:], batch[:k])
	copy(b.ring, batch[c:k])
	b.n += k
	b.mu.Unlock()
	if k > 0 {
		signal(b.ready)
	}
	return k
}

// pop takes the oldest message.
func (b *backlog[T]) pop() (sink.Message[T], bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.n == 0 {
		return sink.Message[T]{}, false
	}
	m := b.ring[b.head]
	b.ring[b.head] = sink.Message[T]{} // let the value go once sent
	b.head = (b.head + 1) % len(b.ring)
	b.n--
	return m, true
}

func (b *backlog[T]) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n
}

// drain appends every message held to msgs, oldest first, and empties the
// backlog.
func (b *backlog[T]) drain(msgs []sink.Message[T]) []sink.Message[T] {
	for {
		m, ok := b.pop()
		if !ok {
			return msgs
		}
		msgs = append(msgs, m)
	}
}
