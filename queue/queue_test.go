package queue_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/eventrecorder/eventrecorder/queue"
)

func TestMain(m *testing.M) {
	// The disk queue tests re-execute this binary as a child process (to
	// be SIGKILLed, to hold a lock, to run as another user); see
	// disk_test.go.
	if runDiskChild() {
		return
	}
	goleak.VerifyTestMain(m)
}

// waitSignalCtx reports when PopBatch is about to block: PopBatch calls Done
// only on its waiting path (its fast path uses Err), so tests can act on a
// consumer that is known to be waiting instead of sleeping and hoping.
type waitSignalCtx struct {
	context.Context
	once    sync.Once
	waiting chan struct{}
}

func newWaitSignalCtx(parent context.Context) *waitSignalCtx {
	return &waitSignalCtx{Context: parent, waiting: make(chan struct{})}
}

func (c *waitSignalCtx) Done() <-chan struct{} {
	c.once.Do(func() { close(c.waiting) })
	return c.Context.Done()
}

type popResult struct {
	items []int
	err   error
}

// popAsync runs PopBatch in a goroutine and returns the channel its result
// arrives on, after PopBatch has started waiting.
func popAsync(t *testing.T, q *queue.Queue[int], ctx context.Context, max int) <-chan popResult {
	t.Helper()
	wctx := newWaitSignalCtx(ctx)
	res := make(chan popResult, 1)
	go func() {
		items, err := q.PopBatch(wctx, nil, max)
		res <- popResult{items, err}
	}()
	<-wctx.waiting
	return res
}

func pushAll(t *testing.T, q *queue.Queue[int], vs ...int) {
	t.Helper()
	for _, v := range vs {
		if !q.Push(v) {
			t.Fatalf("Push(%d) = false with Len %d, Cap %d", v, q.Len(), q.Cap())
		}
	}
}

func seq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

func TestNewClampsCapacity(t *testing.T) {
	for _, c := range []struct{ in, want int }{{-5, 1}, {0, 1}, {1, 1}, {7, 7}} {
		q := queue.New[int](c.in)
		if got := q.Cap(); got != c.want {
			t.Errorf("New(%d).Cap() = %d, want %d", c.in, got, c.want)
		}
		if got := q.Len(); got != 0 {
			t.Errorf("New(%d).Len() = %d, want 0", c.in, got)
		}
	}
	q := queue.New[int](0)
	if !q.Push(1) || q.Push(2) {
		t.Fatal("a queue created with capacity 0 must hold exactly one item")
	}
}

func TestFIFOOrderAcrossWrapAround(t *testing.T) {
	q := queue.New[int](5)
	var got []int
	next := 0
	// Pushing and popping in uneven steps moves head around the ring several
	// times, so batches regularly span its end.
	for round := range 20 {
		n := 1 + round%5
		for range min(n, q.Cap()-q.Len()) {
			pushAll(t, q, next)
			next++
		}
		got = q.TryPopBatch(got, 1+round%3)
	}
	for q.Len() > 0 {
		got = q.TryPopBatch(got, 2)
	}
	if want := seq(0, next); !slices.Equal(got, want) {
		t.Fatalf("items out of order:\n got %v\nwant %v", got, want)
	}
}

func TestCapacityExactlyEnforced(t *testing.T) {
	const capacity = 8
	q := queue.New[int](capacity)
	pushAll(t, q, seq(0, capacity)...)
	if q.Push(capacity) {
		t.Fatalf("Push beyond capacity %d succeeded", capacity)
	}
	if got := q.Len(); got != capacity {
		t.Fatalf("Len() = %d after rejected push, want %d", got, capacity)
	}
	if got := q.TryPopBatch(nil, 1); !slices.Equal(got, []int{0}) {
		t.Fatalf("TryPopBatch = %v, want [0]", got)
	}
	if !q.Push(100) {
		t.Fatal("Push after freeing one slot failed")
	}
	if q.Push(101) {
		t.Fatal("Push into a full queue succeeded after refill")
	}
	got := q.TryPopBatch(nil, 100)
	if want := append(seq(1, capacity), 100); !slices.Equal(got, want) {
		t.Fatalf("drained %v, want %v (the rejected items must not appear)", got, want)
	}
}

func TestPopBatchRespectsMaxAndAppends(t *testing.T) {
	q := queue.New[int](16)
	pushAll(t, q, seq(0, 10)...)
	ctx := context.Background()

	dst := []int{-1}
	dst, err := q.PopBatch(ctx, dst, 3)
	if err != nil || !slices.Equal(dst, []int{-1, 0, 1, 2}) {
		t.Fatalf("PopBatch(max 3) = %v, %v; want [-1 0 1 2], nil", dst, err)
	}
	if got := q.TryPopBatch(dst[:0], 4); !slices.Equal(got, []int{3, 4, 5, 6}) {
		t.Fatalf("TryPopBatch(max 4) = %v, want [3 4 5 6]", got)
	}
	if got, err := q.PopBatch(ctx, nil, 0); err != nil || !slices.Equal(got, []int{7}) {
		t.Fatalf("PopBatch(max 0) = %v, %v; want [7], nil", got, err)
	}
	if got := q.TryPopBatch(nil, -1); !slices.Equal(got, []int{8}) {
		t.Fatalf("TryPopBatch(max -1) = %v, want [8]", got)
	}
	if got, err := q.PopBatch(ctx, nil, 100); err != nil || !slices.Equal(got, []int{9}) {
		t.Fatalf("PopBatch(max 100) = %v, %v; want [9], nil", got, err)
	}
	if got := q.TryPopBatch(nil, 5); len(got) != 0 {
		t.Fatalf("TryPopBatch on empty queue = %v, want nothing", got)
	}
	if got := q.Len(); got != 0 {
		t.Fatalf("Len() = %d, want 0", got)
	}
}

func TestCloseDrainsThenErrClosed(t *testing.T) {
	q := queue.New[int](8)
	pushAll(t, q, seq(0, 5)...)
	q.Close()
	q.Close() // idempotent
	if q.Push(99) {
		t.Fatal("Push after Close succeeded")
	}
	ctx := context.Background()
	var got []int
	for range 3 {
		var err error
		if got, err = q.PopBatch(ctx, got, 2); err != nil {
			t.Fatalf("PopBatch on closed queue with items left: %v (got so far %v)", err, got)
		}
	}
	if want := seq(0, 5); !slices.Equal(got, want) {
		t.Fatalf("drained %v, want %v", got, want)
	}
	for range 2 {
		if rest, err := q.PopBatch(ctx, nil, 2); !errors.Is(err, queue.ErrClosed) || len(rest) != 0 {
			t.Fatalf("PopBatch on closed empty queue = %v, %v; want nothing, ErrClosed", rest, err)
		}
	}
	if rest := q.TryPopBatch(nil, 2); len(rest) != 0 {
		t.Fatalf("TryPopBatch on closed empty queue = %v", rest)
	}
}

func TestPushAfterCloseFails(t *testing.T) {
	q := queue.New[int](4)
	q.Close()
	for i := range 3 {
		if q.Push(i) {
			t.Fatalf("Push(%d) after Close succeeded", i)
		}
	}
	if got := q.Len(); got != 0 {
		t.Fatalf("Len() = %d after rejected pushes, want 0", got)
	}
}

// Freeing a slot in a closed queue must not reopen it, even though freeing
// a slot in a full queue normally makes Push succeed again.
func TestPushAfterCloseOfFullQueueFails(t *testing.T) {
	q := queue.New[int](2)
	pushAll(t, q, 1, 2)
	q.Close()
	if got := q.TryPopBatch(nil, 1); !slices.Equal(got, []int{1}) {
		t.Fatalf("TryPopBatch = %v, want [1]", got)
	}
	if q.Push(3) {
		t.Fatal("Push into a closed queue succeeded after a slot was freed")
	}
	if got := q.TryPopBatch(nil, 2); !slices.Equal(got, []int{2}) {
		t.Fatalf("TryPopBatch = %v, want [2]", got)
	}
}

func TestPopBatchContextAlreadyDone(t *testing.T) {
	q := queue.New[int](4)
	pushAll(t, q, 1, 2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := q.PopBatch(ctx, []int{7}, 4)
	if !errors.Is(err, context.Canceled) || !slices.Equal(got, []int{7}) {
		t.Fatalf("PopBatch with done ctx = %v, %v; want [7] unchanged, context.Canceled", got, err)
	}
	// The items stay for a drain with TryPopBatch.
	if got := q.TryPopBatch(nil, 4); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("TryPopBatch after cancelled PopBatch = %v, want [1 2]", got)
	}
}

func TestPopBatchWaitingIsCancelled(t *testing.T) {
	q := queue.New[int](4)
	ctx, cancel := context.WithCancel(context.Background())
	res := popAsync(t, q, ctx, 4)
	cancel()
	r := <-res
	if !errors.Is(r.err, context.Canceled) || len(r.items) != 0 {
		t.Fatalf("waiting PopBatch after cancel = %v, %v; want nothing, context.Canceled", r.items, r.err)
	}
}

func TestPopBatchWaitingWakesOnPush(t *testing.T) {
	q := queue.New[int](4)
	res := popAsync(t, q, context.Background(), 4)
	pushAll(t, q, 42)
	r := <-res
	if r.err != nil || !slices.Equal(r.items, []int{42}) {
		t.Fatalf("waiting PopBatch after Push = %v, %v; want [42], nil", r.items, r.err)
	}
}

func TestPopBatchWaitingWakesOnClose(t *testing.T) {
	q := queue.New[int](4)
	res := popAsync(t, q, context.Background(), 4)
	q.Close()
	r := <-res
	if !errors.Is(r.err, queue.ErrClosed) || len(r.items) != 0 {
		t.Fatalf("waiting PopBatch after Close = %v, %v; want nothing, ErrClosed", r.items, r.err)
	}
}

// A token left over from earlier pushes must not make a waiting consumer
// return without items.
func TestPopBatchStaleWakeupKeepsWaiting(t *testing.T) {
	q := queue.New[int](4)
	pushAll(t, q, 1) // leaves a wake-up pending
	if got := q.TryPopBatch(nil, 4); !slices.Equal(got, []int{1}) {
		t.Fatalf("TryPopBatch = %v, want [1]", got)
	}
	res := popAsync(t, q, context.Background(), 4)
	pushAll(t, q, 2)
	r := <-res
	if r.err != nil || !slices.Equal(r.items, []int{2}) {
		t.Fatalf("PopBatch = %v, %v; want [2], nil", r.items, r.err)
	}
}

type item struct{ producer, seq int }

// consume pops until ErrClosed and returns everything received in order.
func consume(t *testing.T, q *queue.Queue[item], max int, progress func(n int)) []item {
	t.Helper()
	var got, batch []item
	for {
		var err error
		batch, err = q.PopBatch(context.Background(), batch[:0], max)
		if errors.Is(err, queue.ErrClosed) {
			return got
		}
		if err != nil {
			t.Errorf("PopBatch: %v", err)
			return got
		}
		if len(batch) == 0 || len(batch) > max {
			t.Errorf("PopBatch returned %d items with max %d", len(batch), max)
		}
		got = append(got, batch...)
		if progress != nil {
			progress(len(got))
		}
	}
}

// checkReceived verifies that received holds each accepted item exactly once
// and each producer's items in the order it pushed them.
func checkReceived(t *testing.T, received []item, accepted [][]int) {
	t.Helper()
	perProducer := make([][]int, len(accepted))
	for _, it := range received {
		if it.producer < 0 || it.producer >= len(accepted) {
			t.Fatalf("received item from unknown producer %d", it.producer)
		}
		perProducer[it.producer] = append(perProducer[it.producer], it.seq)
	}
	for p := range accepted {
		if !slices.Equal(perProducer[p], accepted[p]) {
			t.Errorf("producer %d: received %d items, accepted %d; first difference at %d",
				p, len(perProducer[p]), len(accepted[p]), firstDiff(perProducer[p], accepted[p]))
		}
	}
}

func firstDiff(a, b []int) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestConcurrentProducersOneConsumer(t *testing.T) {
	const producers, perProducer, capacity, max = 8, 20000, 64, 17
	q := queue.New[item](capacity)

	received := make(chan []item, 1)
	go func() { received <- consume(t, q, max, nil) }()

	accepted := make([][]int, producers)
	var rejected atomic.Int64
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range perProducer {
				if q.Push(item{p, i}) {
					accepted[p] = append(accepted[p], i)
				} else {
					rejected.Add(1)
					runtime.Gosched() // let the consumer make room, so most items get through
				}
			}
		})
	}
	wg.Wait()
	q.Close()
	got := <-received

	var nAccepted int
	for _, a := range accepted {
		nAccepted += len(a)
	}
	if total := nAccepted + int(rejected.Load()); total != producers*perProducer {
		t.Fatalf("accepted %d + rejected %d = %d, want %d attempted",
			nAccepted, rejected.Load(), total, producers*perProducer)
	}
	if len(got) != nAccepted {
		t.Fatalf("received %d items, accepted %d", len(got), nAccepted)
	}
	checkReceived(t, got, accepted)
	t.Logf("accepted %d, rejected %d", nAccepted, rejected.Load())
}

func TestCloseConcurrentWithPush(t *testing.T) {
	const producers, capacity, max, closeAfter = 8, 32, 8, 1000
	q := queue.New[item](capacity)

	enough := make(chan struct{})
	var once sync.Once
	received := make(chan []item, 1)
	go func() {
		received <- consume(t, q, max, func(n int) {
			if n >= closeAfter {
				once.Do(func() { close(enough) })
			}
		})
	}()

	var closed atomic.Bool
	accepted := make([][]int, producers)
	var rejected, attempted atomic.Int64
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			// Keep pushing until a push is known to have started after
			// Close returned; that push and any later one must fail.
			for i := 0; ; i++ {
				after := closed.Load()
				attempted.Add(1)
				if q.Push(item{p, i}) {
					if after {
						t.Errorf("producer %d: Push succeeded after Close returned", p)
					}
					accepted[p] = append(accepted[p], i)
				} else {
					rejected.Add(1)
				}
				if after {
					return
				}
			}
		})
	}
	<-enough
	q.Close()
	closed.Store(true)
	wg.Wait()
	got := <-received

	var nAccepted int
	for _, a := range accepted {
		nAccepted += len(a)
	}
	if total := int64(nAccepted) + rejected.Load(); total != attempted.Load() {
		t.Fatalf("accepted %d + rejected %d = %d, want %d attempted",
			nAccepted, rejected.Load(), total, attempted.Load())
	}
	if len(got) != nAccepted {
		t.Fatalf("received %d items, accepted %d", len(got), nAccepted)
	}
	checkReceived(t, got, accepted)
}

func TestLenTracksContents(t *testing.T) {
	q := queue.New[string](3)
	for i, want := range []int{1, 2, 3, 3} {
		q.Push(fmt.Sprint(i))
		if got := q.Len(); got != want {
			t.Fatalf("after push %d Len() = %d, want %d", i, got, want)
		}
	}
	q.TryPopBatch(nil, 2)
	if got := q.Len(); got != 1 {
		t.Fatalf("Len() = %d after popping 2 of 3, want 1", got)
	}
}
