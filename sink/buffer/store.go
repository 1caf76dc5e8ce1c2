package buffer

import (
	"context"
	"errors"
	"sync"
)

// Errors a store's pushes return (a disk store's wrap queue's own).
var (
	errFull     = errors.New("buffer full")
	errClosed   = errors.New("buffer closed")
	errTooLarge = errors.New("record larger than the buffer")
)

// stored is one record popped from a store. data is valid until the next
// pop; pos is the store's position of it, for ack.
type stored[T any] struct {
	data []byte
	pos  any
	// event is the caller's Event when the store keeps it (memory), the
	// zero T otherwise.
	event T
}

// store is what the decorator needs of a buffer: a FIFO of records from
// which popped records leave only when acknowledged, cumulatively. The
// memory store and the disk store (queue.Disk) both satisfy it.
type store[T any] interface {
	push(rec []byte, ev T) error
	// pushBatch pushes the longest prefix of recs that fits and returns
	// its length; the error says why recs[n] was not pushed.
	pushBatch(recs [][]byte, evs []T) (int, error)
	pushWait(ctx context.Context, rec []byte, ev T) error
	// pop waits for at least one record (or ctx) and returns up to max
	// records of at most maxBytes together (at least one whatever its
	// size).
	pop(ctx context.Context, dst []stored[T], max, maxBytes int) ([]stored[T], error)
	tryPop(dst []stored[T], max, maxBytes int) []stored[T]
	ack(upto any) error
	// held is what the store holds, popped or not, until acknowledged.
	held() (events, bytes int64)
	stats() (replayed, corrupt uint64)
	close() error
}

// memStore is the memory store: a byte-bounded FIFO.
type memStore[T any] struct {
	maxBytes int64

	mu     sync.Mutex
	recs   []memRec[T] // from the oldest unacknowledged record
	next   int         // index in recs of the next record to pop
	base   uint64      // position of recs[0]
	bytes  int64
	closed bool
	// changed is closed and replaced when records are pushed, acked or
	// the store closes, waking pop and pushWait.
	changed chan struct{}
}

type memRec[T any] struct {
	data []byte
	ev   T
}

func newMemStore[T any](maxBytes int64) *memStore[T] {
	return &memStore[T]{maxBytes: maxBytes, changed: make(chan struct{})}
}

func (m *memStore[T]) signal() {
	close(m.changed)
	m.changed = make(chan struct{})
}

func (m *memStore[T]) tryPush(rec []byte, ev T) (bool, <-chan struct{}, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.closed:
		return false, nil, errClosed
	case int64(len(rec)) > m.maxBytes:
		return false, nil, errTooLarge
	case m.bytes+int64(len(rec)) > m.maxBytes:
		return false, m.changed, errFull
	}
	m.recs = append(m.recs, memRec[T]{data: append([]byte(nil), rec...), ev: ev})
	m.bytes += int64(len(rec))
	m.signal()
	return true, nil, nil
}

func (m *memStore[T]) push(rec []byte, ev T) error {
	_, _, err := m.tryPush(rec, ev)
	return err
}

func (m *memStore[T]) pushBatch(recs [][]byte, evs []T) (int, error) {
	for i := range recs {
		if err := m.push(recs[i], evs[i]); err != nil {
			return i, err
		}
	}
	return len(recs), nil
}

func (m *memStore[T]) pushWait(ctx context.Context, rec []byte, ev T) error {
	for {
		ok, wait, err := m.tryPush(rec, ev)
		if ok || !errors.Is(err, errFull) {
			return err
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

func (m *memStore[T]) popLocked(dst []stored[T], max, maxBytes int) []stored[T] {
	size := 0
	for n := 0; n < max && m.next < len(m.recs); n++ {
		r := m.recs[m.next]
		if n > 0 && size+len(r.data) > maxBytes {
			break
		}
		size += len(r.data)
		dst = append(dst, stored[T]{data: r.data, pos: m.base + uint64(m.next), event: r.ev})
		m.next++
	}
	return dst
}

func (m *memStore[T]) pop(ctx context.Context, dst []stored[T], max, maxBytes int) ([]stored[T], error) {
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return dst, errClosed
		}
		if m.next < len(m.recs) {
			dst = m.popLocked(dst, max, maxBytes)
			m.mu.Unlock()
			return dst, nil
		}
		wait := m.changed
		m.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return dst, context.Cause(ctx)
		}
	}
}

func (m *memStore[T]) tryPop(dst []stored[T], max, maxBytes int) []stored[T] {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.popLocked(dst, max, maxBytes)
}

func (m *memStore[T]) ack(upto any) error {
	pos := upto.(uint64)
	m.mu.Lock()
	defer m.mu.Unlock()
	n := int(pos - m.base + 1)
	if pos < m.base || n > m.next {
		return nil
	}
	for i := range n {
		m.bytes -= int64(len(m.recs[i].data))
	}
	clear(m.recs[:n])
	m.recs = m.recs[n:]
	m.next -= n
	m.base = pos + 1
	if len(m.recs) == 0 {
		m.recs = nil // let the backing array go
	}
	m.signal()
	return nil
}

func (m *memStore[T]) held() (int64, int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int64(len(m.recs)), m.bytes
}

func (m *memStore[T]) stats() (uint64, uint64) { return 0, 0 }

func (m *memStore[T]) close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.closed = true
		m.signal()
	}
	return nil
}
