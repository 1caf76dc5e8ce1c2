// Package alertmanagertest proves the drop-in claim against real
// Alertmanager releases: its test builds v0.33.1 and v0.34.2 with their
// eventrecorder package swapped for this module's (swap-recorder.sh, the
// edits README.md documents), runs each binary, drives an alert lifecycle
// through its HTTP API and checks what the recorder's outputs received.
//
// The package has no code besides its test. The test does not import
// Alertmanager: it shells out to `go build` in a copy of the release's
// source, so this module's dependency graph stays its own. Building takes
// minutes, so the test runs only with EVENTRECORDER_ALERTMANAGER=1
// (`make test-alertmanager`, which CI runs).
package alertmanagertest
