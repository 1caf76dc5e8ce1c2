//go:build unix

package file_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/internal/testtool"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/file"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
)

// mkfifo makes a FIFO in a fresh directory.
func mkfifo(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// openReader opens the FIFO for reading without waiting for a writer.
func openReader(t *testing.T, path string) *os.File {
	t.Helper()
	r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// newBounded builds the output in a goroutine and fails the test if New
// does not return within ten seconds; a reader then opens the FIFO, which
// releases an open blocked on it, so that the test ends either way.
func newBounded(t *testing.T, path string, env sink.Env[int]) *file.Sink[int] {
	t.Helper()
	type built struct {
		s   *file.Sink[int]
		err error
	}
	ch := make(chan built, 1)
	go func() {
		s, err := file.New(file.Config{Path: path}, env)
		ch <- built{s, err}
	}()
	var b built
	select {
	case b = <-ch:
	case <-time.After(10 * time.Second):
		t.Error("New blocked on a FIFO with no reader")
		openReader(t, path)
		b = <-ch
	}
	if b.err != nil {
		t.Fatalf("New: %v", b.err)
	}
	t.Cleanup(func() { b.s.Close() })
	return b.s
}

// TestFIFOWithoutReader: New does not wait for a FIFO's reader. Batches
// fail, saying why, until a reader opens the FIFO; then they are written.
func TestFIFOWithoutReader(t *testing.T) {
	path := mkfifo(t)
	rep := sinktest.NewReporter[int]()
	s := newBounded(t, path, sinktest.Env(t, rep))

	s.Deliver(sinktest.Messages(0, 3))
	if d, dr, f := rep.Counts(); d != 0 || dr != 0 || f != 3 {
		t.Fatalf("without a reader: delivered %d dropped %d failed %d, want 3 failed", d, dr, f)
	}
	if errs := rep.Errors(); len(errs) != 1 || !strings.Contains(errs[0].Error(), `cannot open "`+path+`": no process has the FIFO open for reading`) {
		t.Fatalf("errors %v", errs)
	}

	r := openReader(t, path)
	s.Deliver(sinktest.Messages(3, 2))
	if d, dr, f := rep.Counts(); d != 2 || dr != 0 || f != 3 {
		t.Fatalf("with a reader: delivered %d dropped %d failed %d, want 2 delivered", d, dr, f)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, r)
	if want := "{\"seq\":3,\"type\":\"test_event\"}\n{\"seq\":4,\"type\":\"test_event\"}\n"; got != want {
		t.Fatalf("the reader got %q, want %q", got, want)
	}
}

// readAll reads the FIFO until the writer has closed it.
func readAll(t *testing.T, r *os.File) string {
	t.Helper()
	if err := r.SetReadDeadline(time.Now().Add(waitTimeout)); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// stalledFIFO is a FIFO whose reader never reads, with an output on it:
// a write of more than the pipe holds (64 KiB on Linux) blocks. release
// closes the reader, which ends a blocked write (EPIPE), so that a test
// that finds the output hanging can still end.
func stalledFIFO(t *testing.T, closeTimeout time.Duration) (s *file.Sink[int], rep *sinktest.Reporter[int], release func()) {
	t.Helper()
	path := mkfifo(t)
	r := openReader(t, path)
	rep = sinktest.NewReporter[int]()
	env := sinktest.Env(t, rep)
	env.CloseTimeout = closeTimeout
	return newBounded(t, path, env), rep, func() { r.Close() }
}

// bounded runs f and returns how long it took, failing the test and
// calling release if it takes longer than limit.
func bounded(t *testing.T, what string, limit time.Duration, release func(), f func()) time.Duration {
	t.Helper()
	done := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		f()
		done <- time.Since(start)
	}()
	select {
	case took := <-done:
		return took
	case <-time.After(limit):
		t.Errorf("%s did not return within %v", what, limit)
		release()
		return <-done
	}
}

// big is a batch of 5,000 lines, about 150 KB: more than a pipe holds.
func big(first int) []sink.Message[int] { return sinktest.Messages(first, 5000) }

// TestFIFOReaderNeverReads: a write that blocks fails its batch after
// the stall timeout, and later batches fail at once while it stays
// blocked; Close keeps its budget, closing the FIFO under the write.
func TestFIFOReaderNeverReads(t *testing.T) {
	const stall, budget = 300 * time.Millisecond, 200 * time.Millisecond
	s, rep, release := stalledFIFO(t, budget)
	file.SetStall(s, stall)

	if took := bounded(t, "Deliver", stall+5*time.Second, release, func() { s.Deliver(big(0)) }); took < stall {
		t.Errorf("a blocked write held Deliver for %v, want the stall timeout %v", took, stall)
	}
	if d, dr, f := rep.Counts(); d != 0 || dr != 0 || f != 5000 {
		t.Fatalf("delivered %d dropped %d failed %d, want the batch failed", d, dr, f)
	}
	// While the write stays blocked, Deliver fails at once.
	bounded(t, "Deliver behind a blocked write", stall, release, func() { s.Deliver(sinktest.Messages(5000, 3)) })
	if d, dr, f := rep.Counts(); d != 0 || dr != 0 || f != 5003 {
		t.Fatalf("delivered %d dropped %d failed %d, want every message failed", d, dr, f)
	}
	errs := rep.Errors()
	if len(errs) != 2 || !strings.Contains(errs[0].Error(), "did not return within 300ms") ||
		!strings.Contains(errs[1].Error(), "not attempted: the previous write has been blocked for") {
		t.Fatalf("errors %v", errs)
	}

	var err error
	bounded(t, "Close", budget+5*time.Second, release, func() { err = s.Close() })
	if err == nil || !strings.Contains(err.Error(), "a write was still blocked after the close budget of 200ms; the file was closed under it") {
		t.Errorf("Close: %v", err)
	}
	s.Deliver(sinktest.Messages(5003, 1))
	if errs := rep.Errors(); !errors.Is(errs[len(errs)-1], file.ErrClosed) || rep.Total() != 5004 {
		t.Errorf("after Close: %d reported, last error %v", rep.Total(), errs[len(errs)-1])
	}
}

// TestCloseDuringBlockedDeliver: Close, from another goroutine, makes a
// Deliver waiting on a blocked write return at once, its batch failed.
func TestCloseDuringBlockedDeliver(t *testing.T) {
	const budget = 100 * time.Millisecond
	s, rep, release := stalledFIFO(t, budget)
	file.SetStall(s, time.Hour)
	entered := make(chan struct{})
	file.SetHooks(s, func(f *os.File, b []byte) (int, error) {
		close(entered)
		return f.Write(b)
	}, nil)
	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		s.Deliver(big(0))
	}()
	<-entered
	var err error
	bounded(t, "Close", budget+5*time.Second, release, func() { err = s.Close() })
	bounded(t, "Deliver after Close returned", 5*time.Second, release, func() { <-delivered })
	if err == nil {
		t.Error("Close gave up on a blocked write without an error")
	}
	if d, dr, f := rep.Counts(); d != 0 || dr != 0 || f != 5000 {
		t.Fatalf("delivered %d dropped %d failed %d, want the batch failed", d, dr, f)
	}
	if errs := rep.Errors(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "still blocked when the output closed") {
		t.Fatalf("errors %v", errs)
	}
}

// TestNewDoesNotWaitForAHungOpen: an open that does not return (a hung
// NFS mount) holds New for the stall timeout at most; batches fail at once
// while it hangs, and are written once it returns.
func TestNewDoesNotWaitForAHungOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	entered, release := make(chan struct{}), make(chan struct{})
	restore := file.SetOpenFile(func(name string, flag int, perm os.FileMode) (*os.File, error) {
		close(entered)
		<-release
		return os.OpenFile(name, flag, perm)
	})
	defer restore()
	rep := sinktest.NewReporter[int]()
	var (
		s   *file.Sink[int]
		err error
	)
	took := bounded(t, "New", 2*file.StallTimeout, func() { close(release) }, func() { s, err = file.New(file.Config{Path: path}, sinktest.Env(t, rep)) })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	<-entered
	if took < file.StallTimeout {
		t.Errorf("New returned after %v, before the stall timeout, with the open still hanging", took)
	}
	bounded(t, "Deliver behind a hung open", time.Second, func() {}, func() { s.Deliver(sinktest.Messages(0, 2)) })
	if errs := rep.Errors(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "not attempted: opening the file has been blocked for") {
		t.Fatalf("errors %v", errs)
	}
	close(release)
	restore()
	// Batches fail at once until the goroutine is back from the open,
	// then they are written.
	next := 2
	testtool.WaitFor(t, "a batch to be delivered once the open returned", waitTimeout, time.Millisecond, func() bool {
		s.Deliver(sinktest.Messages(next, 1))
		next++
		d, _, _ := rep.Counts()
		return d == 1
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("{\"seq\":%d,\"type\":\"test_event\"}\n", next-1); string(data) != want {
		t.Errorf("file holds %q, want %q", data, want)
	}
	if d, dr, f := rep.Counts(); d != 1 || dr != 0 || d+f != next {
		t.Errorf("delivered %d dropped %d failed %d of %d", d, dr, f, next)
	}
}
