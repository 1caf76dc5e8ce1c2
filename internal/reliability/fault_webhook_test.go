package reliability_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/event"
)

// webhookFixture is one row's recorder, with a single webhook output, and
// its receiver.
type webhookFixture struct {
	*rig
	rx  *receiver
	out string // the output's name, its metric label
}

// chunk is how many events a paced phase records before waiting for all
// of them to be accounted for: below every queue size, so that a paced
// phase never drops.
const chunk = 16

// paced records n events chunk by chunk, waiting for each chunk to be
// accounted for, and returns the tally before and after.
func (f *webhookFixture) paced(n int) (before, after tally) {
	f.t.Helper()
	before = f.settle(f.out)
	for done := 0; done < n; done += chunk {
		f.record(min(chunk, n-done))
		after = f.settle(f.out)
	}
	return before, after
}

// burst records n events as fast as one goroutine can and waits for all
// of them to be accounted for.
func (f *webhookFixture) burst(n int) (before, after tally) {
	f.t.Helper()
	before = f.settle(f.out)
	f.record(n)
	return before, f.settle(f.out)
}

func diff(a, b tally) tally {
	return tally{
		Recorded:   b.Recorded - a.Recorded,
		Delivered:  b.Delivered - a.Delivered,
		Unacked:    b.Unacked - a.Unacked,
		Failed:     b.Failed - a.Failed,
		OutDrops:   b.OutDrops - a.OutDrops,
		QueueDrops: b.QueueDrops - a.QueueDrops,
	}
}

// want checks a phase: what it delivered and failed exactly (-1: any), and
// that the rest was dropped.
func want(t testing.TB, phase string, d tally, delivered, failed int) {
	t.Helper()
	if (delivered >= 0 && d.Delivered != delivered) || (failed >= 0 && d.Failed != failed) || d.accounted() != d.Recorded {
		t.Errorf("%s: %v; want delivered %d, failed %d (-1: any), the rest dropped", phase, d, delivered, failed)
	}
}

// TestWebhookFaults drives a webhook output through the recorder against
// a receiver that misbehaves in one way per row. Every row ends with a
// burst recorded just before Close, so that Close has work in hand, and
// checks that Close keeps its budget and that every event is accounted
// for exactly.
func TestWebhookFaults(t *testing.T) {
	const attempts = 3
	rows := []struct {
		name  string
		act   behaviour
		down  bool // the receiver is not listening at the start
		run   func(t *testing.T, f *webhookFixture)
		close func(t *testing.T, f *webhookFixture, err error)
	}{{
		name: "healthy receiver (control)",
		act:  answerOK,
		run: func(t *testing.T, f *webhookFixture) {
			want(t, "paced", diff(f.paced(64)), 64, 0)
			want(t, "burst", diff(f.burst(400)), -1, 0)
			if got, d := f.rx.accepted.Load(), f.tally(f.out).Delivered; int(got) != d || f.rx.duplicates() != 0 {
				t.Errorf("receiver accepted %d events (%d duplicates), metrics say %d delivered", got, f.rx.duplicates(), d)
			}
		},
	}, {
		name: "unreachable at start and throughout",
		down: true,
		act:  answerOK,
		run: func(t *testing.T, f *webhookFixture) {
			want(t, "paced", diff(f.paced(32)), 0, 32)
			want(t, "burst", diff(f.burst(400)), 0, -1)
		},
	}, {
		name: "unreachable at start, then up",
		down: true,
		act:  answerOK,
		run: func(t *testing.T, f *webhookFixture) {
			want(t, "paced while down", diff(f.paced(32)), 0, 32)
			f.rx.start()
			want(t, "paced once up", diff(f.paced(32)), 32, 0)
		},
	}, {
		name: "goes away mid-stream and comes back",
		act:  answerOK,
		run: func(t *testing.T, f *webhookFixture) {
			want(t, "paced while up", diff(f.paced(32)), 32, 0)
			f.rx.stop()
			want(t, "paced while down", diff(f.paced(32)), 0, 32)
			want(t, "burst while down", diff(f.burst(400)), 0, -1)
			f.rx.start()
			want(t, "paced once back", diff(f.paced(32)), 32, 0)
		},
	}, {
		name: "slower than the timeout",
		act:  answerNever,
		run: func(t *testing.T, f *webhookFixture) {
			want(t, "paced", diff(f.paced(32)), 0, 32)
			if n := f.rx.requests.Load(); n > attempts*32 || n == 0 {
				t.Errorf("receiver saw %d requests for 32 events, want 1 to %d", n, attempts*32)
			}
		},
	}, {
		name: "HTTP 503 every time",
		act:  answer503,
		run: func(t *testing.T, f *webhookFixture) {
			want(t, "paced", diff(f.paced(32)), 0, 32)
			if n := f.rx.requests.Load(); n != attempts*32 {
				t.Errorf("receiver saw %d requests for 32 events, want %d (every attempt)", n, attempts*32)
			}
		},
	}, {
		name: "HTTP 400 every time",
		act:  answer400,
		run: func(t *testing.T, f *webhookFixture) {
			want(t, "paced", diff(f.paced(32)), 0, 32)
			if n := f.rx.requests.Load(); n != 32 {
				t.Errorf("receiver saw %d requests for 32 events, want 32 (a 4xx is not retried)", n)
			}
		},
	}, {
		name: "HTTP 503 then recovers",
		act:  answer503,
		run: func(t *testing.T, f *webhookFixture) {
			want(t, "paced while 503", diff(f.paced(32)), 0, 32)
			f.rx.setBehaviour(answerOK)
			want(t, "paced once 200", diff(f.paced(32)), 32, 0)
		},
	}, {
		name: "connection reset without a response",
		act:  answerReset,
		run: func(t *testing.T, f *webhookFixture) {
			want(t, "paced", diff(f.paced(32)), 0, 32)
			if n := f.rx.requests.Load(); n != attempts*32 {
				t.Errorf("receiver saw %d requests for 32 events, want %d (a reset is retried)", n, attempts*32)
			}
		},
	}, {
		name: "HTTP 429 with Retry-After of an hour",
		act:  answer429Forever,
		run: func(t *testing.T, f *webhookFixture) {
			// Every worker parks on its first event for the capped
			// Retry-After; nothing settles until Close cancels them.
			f.record(200)
			waitFor(t, "every worker to be parked on a 429", func() bool { return f.rx.requests.Load() >= 4 })
		},
		close: func(t *testing.T, f *webhookFixture, err error) {
			if err == nil || !strings.Contains(err.Error(), "close budget of 1s ran out") {
				t.Errorf("Close error %v, want it to say the budget ran out", err)
			}
		},
	}}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			rx := newReceiver(t, row.act, row.down)
			cfg := mustLoad(t, fmt.Sprintf(`
webhook_outputs:
- url: %s
  timeout: 200ms
  max_retries: %d
  retry_backoff: 10ms
  workers: 4
  queue_size: 32
`, rx.url(), attempts))
			f := &webhookFixture{
				rig: newRig(t, cfg, event.Options{QueueSize: 64, MaxBatch: 16, CloseTimeout: 2 * time.Second}),
				rx:  rx,
				out: "webhook:" + rx.url(),
			}
			row.run(t, f)
			f.record(200) // Close has work in hand
			took, err := f.close()
			if row.close != nil {
				row.close(t, f, err)
			}
			c := f.conserved(f.out)
			t.Logf("FIGURES webhook %q: %v; Close took %v, error: %v", row.name, c, took.Round(time.Millisecond), err)
			if n := f.rx.badBody.Load(); n != 0 {
				t.Errorf("receiver got %d undecodable bodies", n)
			}
		})
	}
}
