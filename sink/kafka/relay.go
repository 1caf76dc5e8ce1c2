package kafka

import (
	"sync"

	"github.com/IBM/sarama"
)

// relay moves a producer's successes to the goroutine that reports them
// (run's pump, then retire or abandon), which takes them in runs.
//
// sarama returns successes on an unbuffered channel, from the goroutine
// that also builds and sends its batches. Read directly, every success
// waited on the pump, which answers them between its other work: sarama's
// batching stalled once per record and the pump woke once per one or two.
// The relay's goroutine reads them as they come. It hands them over in a
// slice under a lock, not on a channel, because a channel costs both
// sides a lock per message, which they contend for: the relay's send and
// the pump's receive were 4.6 % of the process's CPU in
// BenchmarkKafkaThroughput (2026-12-04, one partition), one lock per run
// now.
type relay struct {
	mu     sync.Mutex
	held   []*sarama.ProducerMessage // taken from the producer, not yet by the reader
	closed bool                      // the producer has closed its channel: held is the last
	// ready receives when held becomes non-empty, and once when the
	// producer's channel closes; room receives when the reader has taken
	// held while it was full.
	ready, room chan struct{}
	depth       int
}

// relayDepth is how many successes the relay holds for the reader: a
// default buffer_size of them, far more than one produce response
// answers (BenchmarkKafkaThroughput's records/request), so that sarama
// does not wait while the pump is busy. Each is a pointer to a record in
// flight, already counted.
const relayDepth = DefaultBufferSize

// relaySuccesses starts c's relay; its goroutine ends once the producer
// has closed its successes (after AsyncClose).
func (s *Sink[T]) relaySuccesses(c *conn[T]) {
	r := newRelay(relayDepth)
	c.relay = r
	s.goroutines.Add(1)
	go func() {
		defer s.goroutines.Done()
		r.run(c.producer.Successes())
	}()
}

func newRelay(depth int) *relay {
	return &relay{
		held:  make([]*sarama.ProducerMessage, 0, depth),
		ready: make(chan struct{}, 1),
		room:  make(chan struct{}, 1),
		depth: depth,
	}
}

// run reads from until it closes. It holds at most depth messages, and
// one more in hand while it waits for the reader to take them.
func (r *relay) run(from <-chan *sarama.ProducerMessage) {
	for m := range from {
		r.mu.Lock()
		for len(r.held) >= r.depth {
			r.mu.Unlock()
			<-r.room // the reader always goes on taking until the channel closes
			r.mu.Lock()
		}
		r.held = append(r.held, m)
		first := len(r.held) == 1
		r.mu.Unlock()
		if first {
			signal(r.ready)
		}
	}
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	signal(r.ready)
}

// take returns what the relay holds, in the order the producer returned
// it, and whether the producer's channel has closed, so that nothing will
// follow. spare, the slice an earlier take returned, is reused once its
// caller is done with it.
func (r *relay) take(spare []*sarama.ProducerMessage) (run []*sarama.ProducerMessage, closed bool) {
	clear(spare)
	r.mu.Lock()
	run, r.held = r.held, spare[:0]
	closed = r.closed
	r.mu.Unlock()
	if len(run) >= r.depth {
		signal(r.room)
	}
	return run, closed
}

// signal wakes whoever waits on c, or leaves the wake-up there for the
// next wait: c has room for one.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
