package file_test

import (
	"testing"

	"go.uber.org/goleak"
)

// notify keeps one inotify instance per process, with goroutines that live
// as long as the process (started on the first Watch and never stopped).
// They are the library's, not an output's: Close's own watcher goroutine
// is still checked.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/rjeczalik/notify.(*nonrecursiveTree).dispatch"),
		goleak.IgnoreAnyFunction("github.com/rjeczalik/notify.(*nonrecursiveTree).internal"),
		goleak.IgnoreAnyFunction("github.com/rjeczalik/notify.(*inotify).loop"),
		goleak.IgnoreAnyFunction("github.com/rjeczalik/notify.(*inotify).send"),
	)
}
