//go:build race

package event_test

// raceEnabled: the race detector's instrumentation changes how much some
// code allocates (Alertmanager's matcher rendering among it).
const raceEnabled = true
