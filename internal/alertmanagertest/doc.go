// Package alertmanagertest proves the drop-in claim against real
// Alertmanager releases: its test builds v0.33.1, v0.34.2 and v0.35.0 with
// their eventrecorder package swapped for this module's (swap-recorder.sh,
// the edits README.md documents: event for v0.33 and v0.34, event/v2 for
// v0.35), runs each binary, drives an alert lifecycle through its HTTP API
// and checks what the recorder's outputs received.
//
// v0.35.0 also runs stock, with its own recorder, under the same
// assertions in events.v2 terms: that keeps the assertions honest against
// the reference, and its output is kept as testdata/v0.35.0-lifecycle.jsonl
// (described beside it), which the swapped run's JSON is compared with
// field by field. The swapped v0.35.0 run is skipped, saying why, while the
// checkout has no event/v2 package; once it has one, it runs.
//
// The package has no code besides its test. The test does not import
// Alertmanager: it shells out to `go build` in a copy of the release's
// source, so this module's dependency graph stays its own. Building takes
// minutes, so the test runs only with EVENTRECORDER_ALERTMANAGER=1
// (`make test-alertmanager`, which CI runs); TestV035Golden, which reads
// the recorded v0.35.0 lifecycle with event/v2/eventsv2pb, always runs.
package alertmanagertest
