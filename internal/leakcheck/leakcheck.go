// Package leakcheck runs a test binary under goleak with the few
// process-wide goroutines our dependencies start once and keep by design
// excluded, so that every test package checks for leaks the same way.
package leakcheck

import (
	"testing"

	"go.uber.org/goleak"
)

// Options are the goroutines that are not leaks: rjeczalik/notify keeps one
// watcher tree per process (started at package init, and its inotify loop
// once the first watch is set), shared by every file output; and sarama's
// circuit breaker, when it opens, starts a timer goroutine that cannot be
// stopped and ends by itself after the breaker's timeout.
func Options() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreAnyFunction("github.com/rjeczalik/notify.(*nonrecursiveTree).dispatch"),
		goleak.IgnoreAnyFunction("github.com/rjeczalik/notify.(*nonrecursiveTree).internal"),
		goleak.IgnoreAnyFunction("github.com/rjeczalik/notify.(*inotify).loop"),
		goleak.IgnoreAnyFunction("github.com/rjeczalik/notify.(*inotify).send"),
		goleak.IgnoreAnyFunction("github.com/eapache/go-resiliency/breaker.(*Breaker).timer"),
	}
}

// VerifyTestMain runs the tests and fails the binary if any other
// goroutine is still running afterwards.
func VerifyTestMain(m *testing.M, extra ...goleak.Option) {
	goleak.VerifyTestMain(m, append(Options(), extra...)...)
}
