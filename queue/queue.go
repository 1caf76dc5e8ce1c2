// Package queue is the hand-off between code that records events and the
// single goroutine that fans them out to sinks.
//
// Recording an event happens on the caller's hot path (a request handler,
// a notification pipeline), so it must never wait on a slow disk, webhook
// or Kafka broker. A Queue therefore accepts items with Push, which never
// blocks: when the queue is full or closed, Push returns false at once and
// the caller counts the drop, so losing an event is always visible and never
// turns into back-pressure on the caller. One consumer takes items out in
// FIFO batches with PopBatch, which waits for work, and drains whatever was
// accepted before Close before it reports ErrClosed.
//
// Many goroutines may Push at once. PopBatch and TryPopBatch are meant for a
// single consumer goroutine; concurrent consumers are safe but get no
// ordering guarantee between each other.
//
// Disk is the durable counterpart for a sink that must not lose what it
// could not deliver yet: a FIFO of []byte records kept in segment files,
// deleted only once the consumer acknowledges them, and replayed after a
// restart or crash (see Disk for exactly what survives under each
// FsyncPolicy).
package queue

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// ErrClosed is returned by PopBatch once the queue has been closed and every
// item accepted before Close has been handed out, telling the consumer that
// no more work will ever arrive.
var ErrClosed = errors.New("queue: closed")

// Queue is a bounded multi-producer FIFO queue whose Push never blocks.
//
// It is a ring buffer guarded by a mutex rather than a channel because a
// channel cannot be closed while producers may still send to it, and because
// a ring lets the consumer take a whole batch in one critical section
// (benchmarks in queue_bench_test.go compare the two).
type Queue[T any] struct {
	mu     sync.Mutex
	buf    []T // fixed-size ring; len(buf) is the capacity
	head   int // index of the oldest item
	n      int // number of items in the ring
	closed bool

	// rejecting is true while the ring is full or the queue is closed. It is
	// written only under mu, on those rare transitions, but read without it,
	// so that callers hammering a full queue while the sinks are stalled get
	// their false without queueing on the mutex. A stale false costs the
	// lock and a re-check; a true is never stale, because whoever frees a
	// slot clears it under mu before the slot counts as free.
	rejecting atomic.Bool

	// parked is set while the consumer is about to wait or waiting for an
	// item; producers wake it only then.
	parked atomic.Bool

	// notify carries at most one pending wake-up for the consumer. Producers
	// only send when the ring goes from empty to non-empty, since that is
	// the only state in which a consumer can be waiting; a stale token just
	// causes one extra look at the ring.
	notify chan struct{}
	// done is closed by Close. It is separate from notify so that notify is
	// never closed and producers can send to it outside the lock without any
	// risk of a send on a closed channel.
	done chan struct{}
}

// New returns an empty queue that holds at most capacity items. A capacity
// below 1 is treated as 1 so that a misconfigured size degrades to dropping
// rather than to a queue that can never accept anything.
func New[T any](capacity int) *Queue[T] {
	if capacity < 1 {
		capacity = 1
	}
	return &Queue[T]{
		buf:    make([]T, capacity),
		notify: make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
}

// Push adds v to the tail of the queue. It never blocks: it returns false,
// leaving the queue unchanged, when the queue is full or has been closed, and
// the caller is expected to count that as a dropped item.
func (q *Queue[T]) Push(v T) bool {
	if q.rejecting.Load() {
		return false
	}
	q.mu.Lock()
	if q.closed || q.n == len(q.buf) {
		q.mu.Unlock()
		return false
	}
	i := q.head + q.n
	if i >= len(q.buf) {
		i -= len(q.buf)
	}
	q.buf[i] = v
	q.n++
	if q.n == len(q.buf) {
		q.rejecting.Store(true)
	}
	q.mu.Unlock()
	// Only a parked consumer needs waking; one that is busy will find the
	// item when it next looks. This keeps the channel operation (and the
	// consumer's wake-up) off the producer's path while the consumer
	// keeps up.
	if q.parked.Load() {
		select {
		case q.notify <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
	return true
}

// PopBatch appends up to max items (at least one; max below 1 counts as 1)
// from the head of the queue to dst and returns the extended slice, waiting
// until at least one item is available.
//
// A context that is already done wins over available items, so a consumer
// told to stop does stop even under a steady stream of pushes; it can still
// drain what is left with TryPopBatch. Otherwise PopBatch returns ctx.Err()
// if ctx ends while it waits, and ErrClosed only when the queue is closed and
// empty, so everything accepted before Close is handed out first.
func (q *Queue[T]) PopBatch(ctx context.Context, dst []T, max int) ([]T, error) {
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	for {
		q.mu.Lock()
		if q.n > 0 {
			dst = q.popLocked(dst, max)
			return dst, nil // popLocked unlocked q.mu
		}
		if q.closed {
			q.mu.Unlock()
			return dst, ErrClosed
		}
		// Set under the lock: a producer that pushes after we release it
		// reads the flag after its own unlock, so it sees it and wakes us.
		// While the consumer is busy the flag stays false and producers
		// only read it.
		q.parked.Store(true)
		q.mu.Unlock()
		select {
		case <-q.notify:
			q.parked.Store(false)
		case <-q.done:
			q.parked.Store(false)
		case <-ctx.Done():
			q.parked.Store(false)
			return dst, ctx.Err()
		}
	}
}

// TryPopBatch is PopBatch without waiting: it appends up to max items (max
// below 1 counts as 1) to dst and returns it, possibly unchanged. It is how a
// consumer drains the queue after its context has ended.
func (q *Queue[T]) TryPopBatch(dst []T, max int) []T {
	q.mu.Lock()
	if q.n == 0 {
		q.mu.Unlock()
		return dst
	}
	return q.popLocked(dst, max)
}

// popLocked moves up to limit items to dst, zeroing the slots they leave so
// the queue does not keep popped items (usually pointers) reachable. It is
// called with q.mu held and a non-empty ring, and releases q.mu.
func (q *Queue[T]) popLocked(dst []T, limit int) []T {
	k := min(max(limit, 1), q.n)
	end := q.head + k
	if end <= len(q.buf) {
		dst = append(dst, q.buf[q.head:end]...)
		clear(q.buf[q.head:end])
	} else {
		end -= len(q.buf)
		dst = append(dst, q.buf[q.head:]...)
		dst = append(dst, q.buf[:end]...)
		clear(q.buf[q.head:])
		clear(q.buf[:end])
	}
	if end == len(q.buf) {
		end = 0
	}
	q.head = end
	if q.n == len(q.buf) && !q.closed {
		q.rejecting.Store(false)
	}
	q.n -= k
	left := q.n > 0
	q.mu.Unlock()
	if left {
		// Items remain, but producers signal only on the empty-to-non-empty
		// transition; pass the wake-up on in case another consumer waits.
		select {
		case q.notify <- struct{}{}:
		default:
		}
	}
	return dst
}

// Close stops the queue from accepting items and wakes a waiting consumer.
// Items already accepted stay available to PopBatch and TryPopBatch. Close
// may be called more than once and concurrently with Push.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		q.rejecting.Store(true)
		close(q.done)
	}
}

// Len returns the number of items waiting, for a queue-depth gauge.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// Cap returns the capacity the queue was created with (after clamping to 1).
func (q *Queue[T]) Cap() int {
	return len(q.buf)
}
