package reliability_test

import (
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
)

// TestStressRecordWhileReloading records from 8 goroutines as fast as
// they can while ApplyConfigErr flips between three configurations 100
// times, then closes. One file output is in every configuration, so the
// conservation identity holds for it exactly; every output, transient or
// not, must have delivered exactly what its destination holds; and nothing
// the outputs started may outlive Close.
func TestStressRecordWhileReloading(t *testing.T) {
	dir := t.TempDir()
	stay := filepath.Join(dir, "stay.jsonl")
	other := filepath.Join(dir, "other.jsonl")
	rx1 := newReceiver(t, answerOK, false)
	rx2 := newReceiver(t, answerOK, false)
	baseline := append(leakcheck.Options(), goleak.IgnoreCurrent())

	webhook := func(rx *receiver) string {
		return fmt.Sprintf("{url: %s, queue_size: 256, workers: 4, timeout: 5s}", rx.url())
	}
	configs := []event.Config{
		mustLoad(t, fmt.Sprintf("file_outputs: [{path: %q}]\nwebhook_outputs: [%s]", stay, webhook(rx1))),
		mustLoad(t, fmt.Sprintf("file_outputs: [{path: %q}, {path: %q}]", stay, other)),
		mustLoad(t, fmt.Sprintf("file_outputs: [{path: %q}]\nwebhook_outputs: [%s, %s]", stay, webhook(rx1), webhook(rx2))),
	}
	r := newRig(t, configs[0], event.Options{QueueSize: 1024, MaxBatch: 64})

	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				r.record(1)
			}
		}()
	}
	const flips = 100
	for i := 1; i <= flips; i++ {
		if err := r.rec.ApplyConfigErr(configs[i%len(configs)]); err != nil {
			t.Errorf("flip %d: %v", i, err)
		}
	}
	stop.Store(true)
	wg.Wait()
	took, err := r.close()
	if err != nil {
		t.Errorf("Close: %v", err)
	}

	stayOut := "file:" + stay
	c := r.conserved(stayOut)
	t.Logf("FIGURES stress %s (in every configuration): %v; Close took %v", stayOut, c, took.Round(time.Millisecond))
	if c.Failed != 0 {
		t.Errorf("%s failed %d events", stayOut, c.Failed)
	}

	// Every output, including those started and stopped 33 times: its
	// destination holds what it reported delivered. A file output writes
	// before it reports, so the two agree exactly and nothing fails. A
	// removed webhook output drains within its close budget; on a machine
	// this busy the budget can run out, and a request the receiver
	// answered just as Close cancelled it counts as failed: so the
	// receiver holds at least what was delivered, at most that plus what
	// failed, and never an event twice.
	check := func(out string, held, dups int, exact bool) {
		t.Helper()
		c := r.tally(out)
		switch {
		case exact && (c.Delivered != held || c.Failed != 0 || dups != 0):
			t.Errorf("%s: destination holds %d events (%d duplicates); metrics say %v", out, held, dups, c)
		case !exact && (held < c.Delivered || held > c.Delivered+c.Failed || dups != 0):
			t.Errorf("%s: destination holds %d events (%d duplicates); metrics say %v", out, held, dups, c)
		}
		if c.Delivered+c.Failed+c.OutDrops+c.QueueDrops > c.Recorded {
			t.Errorf("%s: more outcomes than events recorded: %v", out, c)
		}
		t.Logf("FIGURES stress %s: destination holds %d; delivered %d, failed %d, output drops %d (queue drops %d of %d recorded)",
			out, held, c.Delivered, c.Failed, c.OutDrops, c.QueueDrops, c.Recorded)
	}
	for _, path := range []string{stay, other} {
		got := readSeqs(t, path)
		check("file:"+path, sum(got), sum(got)-len(got), true)
	}
	for _, rx := range []*receiver{rx1, rx2} {
		check("webhook:"+rx.url(), int(rx.accepted.Load()), rx.duplicates(), false)
	}

	rx1.stop()
	rx2.stop()
	var leak error
	waitFor(t, "every goroutine the outputs started to end", func() bool {
		leak = goleak.Find(baseline...)
		return leak == nil
	})
}
