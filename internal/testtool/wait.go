package testtool

import (
	"testing"
	"time"
)

// WaitFor polls cond every poll until it holds, failing the test once
// timeout has passed. It is for state that offers nothing to block on,
// such as counters a pipeline updates asynchronously; the polling interval
// is not synchronisation.
func WaitFor(tb testing.TB, what string, timeout, poll time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(poll)
	}
}
