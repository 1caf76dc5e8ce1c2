//go:build race

package main_test

// raceEnabled makes the binary under test race-instrumented when the tests
// are, so that a data race in the CLI fails its end-to-end tests.
const raceEnabled = true
