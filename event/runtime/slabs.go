package runtime

import (
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/eventrecorder/eventrecorder/sink"
)

// slabPool recycles the slabs that asynchronous outputs' values are cut
// from (see slice), for encodings whose every asynchronous output gives
// values back (sink.Env.Release). Without it each event's value is a
// fresh allocation that the garbage collector reclaims: in batch webhook
// delivery, about 1.1 KiB per event and the collections that follow.
//
// A slab counts its holders: the consumer while it cuts and hands out a
// batch, and one per message per asynchronous output given a value of
// it. When the count reaches zero the slab is idle and the next batch
// may overwrite it. Releasing a value finds its slab by address, so only
// memory the pool made is ever reused: a value from anywhere else (a
// slab made when the pool was exhausted, a replayed event) is ignored.
type slabPool struct {
	free chan *slab
	mu   sync.Mutex // serialises growing made
	// made is every slab the pool has made, sorted by address, replaced
	// whole when one is added: releases search it without a lock. The
	// pool never lets go of a slab, so no other object can take its
	// address while a value may still point there.
	made atomic.Pointer[slabIndex]
	// poison, set by tests, overwrites an idle slab, so that a read after
	// release shows as corrupt output instead of passing unseen.
	poison atomic.Bool
}

// maxPooledSlabs bounds the memory the pool keeps: 512 slabs of slabSize,
// 2 MiB. Values in flight beyond it are allocated as before.
const maxPooledSlabs = 512

type slab struct {
	buf  []byte // len and cap slabSize
	base uintptr
	refs atomic.Int64
	pool *slabPool
}

// slabIndex is the pool's slabs sorted by address, with their base
// addresses in an array of their own: a search then reads one small
// contiguous array instead of a slab struct per step, each likely a
// cache miss. Records of a Kafka output come back per partition, not in
// the order they were cut, so most releases search: in one CPU profile
// each of BenchmarkKafkaThroughput (4 partitions, 600,000 events), the
// search cost 1.5 % of the process with the structs, 0.7 % with this.
type slabIndex struct {
	bases []uintptr
	slabs []*slab
}

func newSlabPool() *slabPool {
	p := &slabPool{free: make(chan *slab, maxPooledSlabs)}
	p.made.Store(&slabIndex{})
	return p
}

// get returns an idle slab, held once (by the caller), or nil when all
// maxPooledSlabs are in use.
func (p *slabPool) get() *slab {
	select {
	case s := <-p.free:
		s.refs.Store(1)
		return s
	default:
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	made := p.made.Load()
	if len(made.slabs) >= maxPooledSlabs {
		return nil
	}
	s := &slab{buf: make([]byte, slabSize), pool: p}
	s.base = uintptr(unsafe.Pointer(unsafe.SliceData(s.buf)))
	s.refs.Store(1)
	i, _ := slices.BinarySearch(made.bases, s.base)
	p.made.Store(&slabIndex{
		bases: slices.Insert(slices.Clone(made.bases), i, s.base),
		slabs: slices.Insert(slices.Clone(made.slabs), i, s),
	})
	return s
}

// hold adds n holders.
func (s *slab) hold(n int) { s.refs.Add(int64(n)) }

// unhold drops one holder; the last makes the slab idle.
func (s *slab) unhold() {
	switch n := s.refs.Add(-1); {
	case n == 0:
		if s.pool.poison.Load() {
			for i := range s.buf {
				s.buf[i] = 0xff
			}
		}
		s.pool.free <- s // never blocks: free holds at most every slab made
	case n < 0:
		// A value was released more often than it was handed out: the
		// slab may already hold other events. Nothing can be trusted.
		panic("eventrecorder: a value was released twice")
	}
}

// find returns the pool's slab that p points into, or nil.
func (p *slabPool) find(ptr uintptr) *slab {
	made := p.made.Load()
	// The last slab whose base is at or below ptr.
	i, found := slices.BinarySearch(made.bases, ptr)
	if !found {
		i--
	}
	if i < 0 || ptr >= made.bases[i]+slabSize {
		return nil
	}
	return made.slabs[i]
}

// releaser is the Release an output's sink is given: every message's
// value, if it was cut from a pooled slab, drops that slab's hold.
//
// A slab holds several events' values and outputs give them back in
// order, in batches as small as one or two (a Kafka output gives back
// what one wake-up of its producer answered), so the slab of the last
// release is kept and tried first, across calls: the search it saves was
// 2 % of the process's CPU in BenchmarkKafkaThroughput. A slab's address
// range never changes, so a stale guess costs only a search.
func releaser[E any](p *slabPool) func([]sink.Message[E]) {
	var recent atomic.Pointer[slab]
	return func(msgs []sink.Message[E]) {
		last := recent.Load()
		for i := range msgs {
			v := msgs[i].Value
			if len(v) == 0 {
				continue
			}
			ptr := uintptr(unsafe.Pointer(unsafe.SliceData(v)))
			s := last
			if s == nil || ptr < s.base || ptr >= s.base+slabSize {
				if s = p.find(ptr); s == nil {
					continue
				}
				last = s
				recent.Store(s)
			}
			s.unhold()
		}
	}
}
