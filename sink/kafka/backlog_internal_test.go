package kafka

import (
	"slices"
	"testing"

	"github.com/eventrecorder/eventrecorder/sink"
)

// TestBacklogIsABoundedFIFO fills, partly empties and refills the
// backlog so that its contents wrap around the ring: it must take exactly
// the prefix that fits, hand messages back oldest first, and signal the
// feeder once messages are added.
func TestBacklogIsABoundedFIFO(t *testing.T) {
	b := newBacklog[int](5)
	msgs := func(from, n int) []sink.Message[int] {
		var m []sink.Message[int]
		for i := range n {
			m = append(m, sink.Message[int]{Event: from + i})
		}
		return m
	}
	var got []int
	pop := func(n int) {
		for range n {
			m, ok := b.pop()
			if !ok {
				t.Fatalf("pop from a backlog that should hold messages (got %v so far)", got)
			}
			got = append(got, m.Event)
		}
	}
	if k := b.add(msgs(0, 3)); k != 3 {
		t.Fatalf("add took %d of 3 into an empty backlog of 5", k)
	}
	select {
	case <-b.ready:
	default:
		t.Fatal("no ready token after add")
	}
	pop(2)                              // holds 2; head at 2
	if k := b.add(msgs(3, 6)); k != 4 { // 3..6 fit, wrapping; 7, 8 do not
		t.Fatalf("add took %d of 6 with room for 4", k)
	}
	if n := b.len(); n != 5 {
		t.Fatalf("len %d, want 5", n)
	}
	pop(3)
	if k := b.add(msgs(7, 2)); k != 2 {
		t.Fatalf("add took %d of 2 with room for 3", k)
	}
	rest := b.drain(nil)
	for _, m := range rest {
		got = append(got, m.Event)
	}
	if want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8}; !slices.Equal(got, want) {
		t.Fatalf("messages came out as %v, want %v", got, want)
	}
	if _, ok := b.pop(); ok || b.len() != 0 {
		t.Fatal("the drained backlog is not empty")
	}
}
