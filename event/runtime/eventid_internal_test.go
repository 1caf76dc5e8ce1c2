package runtime

import (
	"bytes"
	"encoding/binary"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/eventrecorder/eventrecorder/sink"
)

// checkV7 fails unless id has UUIDv7's version and variant bits and the
// timestamp ms.
func checkV7(t *testing.T, id sink.EventID, ms uint64) {
	t.Helper()
	if v := id[6] >> 4; v != 7 {
		t.Fatalf("%s: version %d, want 7", id, v)
	}
	if v := id[8] >> 6; v != 0b10 {
		t.Fatalf("%s: variant bits %02b, want 10", id, v)
	}
	if got := binary.BigEndian.Uint64(id[0:8]) >> 16; got != ms {
		t.Fatalf("%s: timestamp %d ms, want %d", id, got, ms)
	}
}

// counterOf is the 16-bit counter an id carries (rand_a and the first 4
// bits of rand_b).
func counterOf(id sink.EventID) uint64 {
	return (binary.BigEndian.Uint64(id[0:8])&0xfff)<<4 | uint64(id[8]>>2)&0xf
}

func TestEventIDsUniqueAndOrdered(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	var s idSource
	start := time.Now().UnixNano()
	seen := make(map[sink.EventID]struct{}, n)
	var prev sink.EventID
	for i := range n {
		at := start + int64(i)*100 // 10 000 ids per millisecond
		id := s.next(at)
		checkV7(t, id, uint64(at/1e6)) // no overflow at this rate
		if i > 0 && bytes.Compare(prev[:], id[:]) >= 0 {
			t.Fatalf("id %d %s is not greater than the one before, %s", i, id, prev)
		}
		if _, dup := seen[id]; dup {
			t.Fatalf("id %d %s repeats", i, id)
		}
		seen[id] = struct{}{}
		prev = id
	}
}

func TestEventIDCounterWithinAMillisecond(t *testing.T) {
	var s idSource
	const at = int64(1_700_000_000_123_456_789)
	ms := uint64(at / 1e6)
	first := s.next(at)
	checkV7(t, first, ms)
	seed := counterOf(first)
	if seed >= 64 {
		t.Fatalf("a new millisecond's counter starts at %d, want a seed below 64", seed)
	}
	for i := seed + 1; i < 1<<16; i++ {
		id := s.next(at)
		checkV7(t, id, ms)
		if c := counterOf(id); c != i {
			t.Fatalf("id %d in one millisecond has counter %d", i-seed, c)
		}
	}
	// The counter is full: the next id carries into the timestamp, ahead
	// of the clock, and the one after counts on from there.
	id := s.next(at)
	checkV7(t, id, ms+1)
	if c := counterOf(id); c != 0 {
		t.Fatalf("after overflow the counter is %d, want 0", c)
	}
	// A clock that steps back does not make ids go back.
	back := s.next(at - int64(time.Hour))
	checkV7(t, back, ms+1)
	if c := counterOf(back); c != 1 {
		t.Fatalf("after the clock stepped back the counter is %d, want 1", c)
	}
	// A later millisecond starts the counter at a new seed.
	later := s.next(at + 5e6)
	checkV7(t, later, ms+5)
	if c := counterOf(later); c >= 64 {
		t.Fatalf("in a later millisecond the counter is %d, want a seed below 64", c)
	}
}

func TestEventIDSeedsVary(t *testing.T) {
	// The seed is random: over 200 fresh milliseconds it takes more than
	// a handful of values (a constant seed would take one).
	var s idSource
	seeds := map[uint64]bool{}
	for i := range int64(200) {
		seeds[counterOf(s.next(1_700_000_000_000_000_000+i*1e6))] = true
	}
	if len(seeds) < 20 {
		t.Fatalf("200 milliseconds' counters started at only %d distinct seeds", len(seeds))
	}
}

func TestEventIDsAcrossGoroutines(t *testing.T) {
	const goroutines = 8
	per := 125_000
	if testing.Short() {
		per = 12_500
	}
	var s idSource
	var c wallClock
	ids := make([][]sink.EventID, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			out := make([]sink.EventID, per)
			for i := range out {
				out[i] = s.next(c.now())
			}
			ids[g] = out
		})
	}
	wg.Wait()
	seen := make(map[sink.EventID]struct{}, goroutines*per)
	for g, out := range ids {
		for i, id := range out {
			if id[6]>>4 != 7 || id[8]>>6 != 0b10 {
				t.Fatalf("goroutine %d id %d %s: bad version or variant", g, i, id)
			}
			// Each goroutine sees ids only grow: the source is
			// monotonic across goroutines, not just within one.
			if i > 0 && bytes.Compare(out[i-1][:], id[:]) >= 0 {
				t.Fatalf("goroutine %d: id %d %s is not greater than %s", g, i, id, out[i-1])
			}
			if _, dup := seen[id]; dup {
				t.Fatalf("goroutine %d id %d %s repeats", g, i, id)
			}
			seen[id] = struct{}{}
		}
	}
	if len(seen) != goroutines*per {
		t.Fatalf("%d distinct ids, want %d", len(seen), goroutines*per)
	}
}

func TestEventIDRandomBitsDiffer(t *testing.T) {
	// Two sources in one millisecond (two processes, say) share the
	// timestamp and counter; the random bits tell their ids apart.
	var a, b idSource
	const at = int64(1_700_000_000_000_000_000)
	x, y := a.next(at), b.next(at)
	if x == y {
		t.Fatalf("two sources made the same id %s", x)
	}
	if !bytes.Equal(x[:6], y[:6]) {
		t.Fatalf("%s and %s differ in timestamp", x, y)
	}
	// Leave out the version, variant and counter: the random bits differ.
	if binary.BigEndian.Uint64(x[8:])&(1<<58-1) == binary.BigEndian.Uint64(y[8:])&(1<<58-1) {
		t.Fatalf("%s and %s share their 58 random bits", x, y)
	}
}

// BenchmarkEventID: the cost of an id on the record path, beside its
// baseline, the clock read that every recorded event pays anyway.
func BenchmarkEventID(b *testing.B) {
	b.Run("impl=clock", func(b *testing.B) {
		var c wallClock
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_ = c.now()
			}
		})
	})
	b.Run("impl=clock+id", func(b *testing.B) {
		var s idSource
		var c wallClock
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_ = s.next(c.now())
			}
		})
	})
}

// TestQueueSlotIsFourWords pins the size of a queue slot for pointer
// types, which README's memory bound and QueueSizeLimit's doc count: the
// id is made by the consumer (see eventID) and does not ride in the slot.
func TestQueueSlotIsFourWords(t *testing.T) {
	if got := unsafe.Sizeof(pending[*int, *string]{}); got != 32 {
		t.Fatalf("a queue slot is %d bytes, the documented bound counts 32", got)
	}
}
