package runtime

import (
	"bytes"
	"fmt"
	"testing"
	"unsafe"
)

// TestSliceSlabs pins how an asynchronous format's values are cut: each
// value exact and capped, none sharing the reused buffer, events packed
// into slabs of at most slabSize (an event larger than that alone), and
// skipped or failed events without a value.
func TestSliceSlabs(t *testing.T) {
	sizes := []int{100, 0, slabSize / 2, slabSize / 2, 1, slabSize + 5, 7, 7}
	need := []bool{true, false, true, true, true, true, true, true}
	errs := make([]error, len(sizes))
	errs[6] = fmt.Errorf("cannot encode")
	// Laid out as lines (see sink.Lines): a newline after each value,
	// which no value may include.
	buf := []byte{'\n'}
	var starts, ends []int
	for i, n := range sizes {
		starts = append(starts, len(buf))
		if need[i] && errs[i] == nil {
			buf = append(buf, bytes.Repeat([]byte{byte('a' + i)}, n)...)
		}
		ends = append(ends, len(buf))
		if need[i] && errs[i] == nil {
			buf = append(buf, '\n')
		}
	}
	for _, copies := range []bool{false, true} {
		values := slice(nil, buf, starts, ends, errs, need, copies, nil, nil, nil)
		slabs := map[uintptr]int{} // slab (first value's address) → bytes in it
		var slabOf uintptr
		for i, v := range values {
			want := sizes[i]
			if !need[i] || errs[i] != nil {
				if v != nil {
					t.Errorf("copies=%v: event %d has a value %q, want none", copies, i, v)
				}
				continue
			}
			if len(v) != want || cap(v) != want || !bytes.Equal(v, bytes.Repeat([]byte{byte('a' + i)}, want)) {
				t.Errorf("copies=%v: event %d: len %d cap %d, want %d bytes of %c", copies, i, len(v), cap(v), want, 'a'+i)
			}
			if len(v) == 0 {
				continue
			}
			p := uintptr(unsafe.Pointer(unsafe.SliceData(v)))
			inBuf := p >= uintptr(unsafe.Pointer(&buf[0])) && p < uintptr(unsafe.Pointer(&buf[0]))+uintptr(len(buf))
			if inBuf == copies {
				t.Errorf("copies=%v: event %d in the reused buffer: %v", copies, i, inBuf)
			}
			if copies {
				// A value starts a new slab unless it directly follows
				// the previous one's bytes and newline.
				if slabOf == 0 || p != slabOf+uintptr(slabs[slabOf]) {
					slabOf = p
				}
				slabs[slabOf] += len(v) + 1
			}
		}
		if !copies {
			continue
		}
		// 100 + 8K fit one slab, 8K + 1 the next, the large event alone, 7.
		var got []int
		for _, n := range slabs {
			got = append(got, n)
			if n > slabSize+1 && n != slabSize+5+1 {
				t.Errorf("a slab of %d bytes, more than %d", n, slabSize)
			}
		}
		if len(slabs) != 4 {
			t.Errorf("%d slabs %v, want 4", len(slabs), got)
		}
	}
}

// TestKeepScratch: a steady run of batches larger than maxScratch keeps
// its buffer (it used to regrow from nothing every batch); once batches
// are small again a huge buffer is let go within a few batches.
func TestKeepScratch(t *testing.T) {
	var d deliverer[int, int]
	big := make([]byte, 3*maxScratch)
	for i := range 3 {
		d.keep(0, big)
		if cap(d.scratch[0]) != cap(big) {
			t.Fatalf("batch %d of %d bytes: kept %d bytes, want the buffer kept", i, len(big), cap(d.scratch[0]))
		}
	}
	for i := range 20 {
		d.keep(0, big[:100])
		if cap(d.scratch[0]) == 0 {
			if i < 3 {
				t.Errorf("let go after %d small batches, want a few", i+1)
			}
			return
		}
	}
	t.Errorf("a %d-byte buffer still kept after 20 batches of 100 bytes", cap(big))
}
