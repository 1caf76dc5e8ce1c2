package queue

import (
	"context"
	"testing"
)

// The ring is inspected directly because "the queue no longer references a
// popped item" has no other observable effect short of waiting for the GC.
func TestPoppedSlotsAreZeroed(t *testing.T) {
	const capacity = 5
	q := New[*int](capacity)
	vals := make([]int, 64)
	next := 0
	push := func(n int) {
		t.Helper()
		for range n {
			if !q.Push(&vals[next]) {
				t.Fatalf("Push %d failed with Len %d", next, q.Len())
			}
			next++
		}
	}
	checkRing := func(step string) {
		t.Helper()
		live := make(map[int]bool)
		for i := range q.n {
			live[(q.head+i)%capacity] = true
		}
		for i, p := range q.buf {
			if live[i] && p == nil {
				t.Fatalf("%s: live slot %d is nil", step, i)
			}
			if !live[i] && p != nil {
				t.Fatalf("%s: free slot %d still holds %p (value index %d)", step, i, p, indexOf(vals, p))
			}
		}
	}

	// Uneven pushes and pops make batches cross the end of the ring, which
	// is the path where a forgotten clear would hide.
	var got []*int
	for round := range 12 {
		push(min(1+round%4, capacity-q.n))
		checkRing("after push")
		if round%2 == 0 {
			got = q.TryPopBatch(got, 1+round%3)
		} else {
			var err error
			if got, err = q.PopBatch(context.Background(), got, 1+round%3); err != nil {
				t.Fatal(err)
			}
		}
		checkRing("after pop")
	}
	got = q.TryPopBatch(got, capacity)
	checkRing("after drain")
	if q.n != 0 {
		t.Fatalf("n = %d after drain", q.n)
	}
	for i, p := range got {
		if p != &vals[i] {
			t.Fatalf("item %d is value index %d", i, indexOf(vals, p))
		}
	}
	if len(got) != next {
		t.Fatalf("popped %d items, pushed %d", len(got), next)
	}
}

func indexOf(vals []int, p *int) int {
	for i := range vals {
		if &vals[i] == p {
			return i
		}
	}
	return -1
}
