package runtime

import (
	"fmt"
	"testing"
	"time"
)

func clockTime(c *wallClock) time.Time {
	return time.Unix(0, c.now())
}

// within fails unless got lies in [before, after], allowing for the drift
// between the monotonic and wall clocks over one anchor period (slewing is
// at most 500 ppm: 50 µs in 100 ms; a millisecond is ample).
func within(t *testing.T, what string, got, before, after time.Time) {
	t.Helper()
	const slack = time.Millisecond
	if got.Before(before.Add(-slack)) || got.After(after.Add(slack)) {
		t.Fatalf("%s: %s not within [%s, %s]", what, got.Format(time.RFC3339Nano),
			before.Format(time.RFC3339Nano), after.Format(time.RFC3339Nano))
	}
}

func TestWallClockMatchesTimeNow(t *testing.T) {
	var c wallClock
	prev := time.Time{}
	deadline := time.Now().Add(3 * reanchorEvery) // crosses renewals
	for n := 0; time.Now().Before(deadline); n++ {
		before := time.Now()
		got := clockTime(&c)
		after := time.Now()
		within(t, fmt.Sprintf("call %d", n), got, before, after)
		if got.Before(prev.Add(-time.Millisecond)) {
			t.Fatalf("timestamp went back from %s to %s", prev.Format(time.RFC3339Nano), got.Format(time.RFC3339Nano))
		}
		prev = got
	}
}

// Between renewals timestamps follow the monotonic clock from the anchor,
// so a wall-clock step (simulated here by an anchor an hour off) shows
// only after the next renewal, at most reanchorEvery later.
func TestWallClockFollowsAnchorUntilRenewal(t *testing.T) {
	var c wallClock
	now := time.Now()
	c.anchor.Store(&clockAnchor{mono: now, wall: now.Add(-time.Hour).UnixNano()})
	before := time.Now().Add(-time.Hour)
	got := clockTime(&c)
	within(t, "fresh anchor an hour behind", got, before, time.Now().Add(-time.Hour))

	stale := &clockAnchor{mono: now.Add(-reanchorEvery), wall: now.Add(-time.Hour).UnixNano()}
	c.anchor.Store(stale)
	before = time.Now()
	got = clockTime(&c)
	within(t, "anchor due for renewal", got, before, time.Now())
	if c.anchor.Load() == stale {
		t.Fatal("the stale anchor was not replaced")
	}
}

// An anchor whose monotonic reading lies ahead of the clock (it cannot
// happen in one process, but a negative elapsed time must not be trusted)
// is renewed too.
func TestWallClockRenewsAnchorFromTheFuture(t *testing.T) {
	var c wallClock
	now := time.Now()
	c.anchor.Store(&clockAnchor{mono: now.Add(time.Minute), wall: now.Add(time.Minute).UnixNano()})
	before := time.Now()
	within(t, "anchor ahead", clockTime(&c), before, time.Now())
}
