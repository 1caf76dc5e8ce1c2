package runtime

import (
	"encoding/binary"
	"math/rand/v2"
	"sync/atomic"

	"github.com/eventrecorder/eventrecorder/sink"
)

// idSource hands out event ids: UUIDv7 (RFC 9562 §5.7), dated when an
// event was recorded and made by the recorder's consumer (see eventID),
// with no lock, allocation or system call.
//
// Layout: unix_ts_ms (48 bits) | ver 0b0111 | rand_a (12 bits) | var 0b10 |
// rand_b (62 bits). A 16-bit counter fills rand_a and the first 4 bits of
// rand_b (§6.2 method 1, a fixed-length dedicated counter) and the other
// 58 bits of rand_b are random. The timestamp and the counter are one
// 64-bit word (ms<<16 | counter) advanced by compare-and-swap, to
// now<<16 | seed in a later millisecond and to last+1 otherwise, so every
// id this source makes is greater than the one before it, whichever
// goroutine asks: a new millisecond
// starts the counter at a random seed below 64 (§6.2 initialises part of
// the counter at random, its leading bits zero to guard against
// overflow), within a millisecond the counter counts, a counter that
// overflows (more than 65472 ids in a millisecond) carries into the
// timestamp, and a clock that steps back leaves the timestamp where it was
// until the clock catches up (§6.2 allows both). Across processes
// uniqueness rests on the 58 random bits and the seed.
//
// The random bits come from math/rand/v2's global generator: the Go
// runtime's per-thread ChaCha8, seeded from the operating system's
// entropy source (what crypto/rand reads) at start-up, which costs no
// system call per id.
type idSource struct {
	last atomic.Uint64 // ms<<16 | counter of the latest id
}

// next returns a new id for an event recorded at unixNano.
func (s *idSource) next(unixNano int64) sink.EventID {
	rnd := rand.Uint64()
	// The top 6 bits seed the counter, the other 58 go in rand_b.
	now := uint64(max(unixNano, 0)/1e6)<<16 | rnd>>58
	var v uint64
	for {
		old := s.last.Load()
		v = old + 1
		if now>>16 > old>>16 {
			v = now // a new millisecond: the seed, not a jump within one
		}
		if s.last.CompareAndSwap(old, v) {
			break
		}
	}
	ms, counter := v>>16, v&0xffff
	var id sink.EventID
	binary.BigEndian.PutUint64(id[0:8], ms<<16|0x7000|counter>>4)
	// var 0b10, the counter's last 4 bits, then 58 random bits.
	binary.BigEndian.PutUint64(id[8:16], 0x8000000000000000|(counter&0xf)<<58|rnd&(1<<58-1))
	return id
}
