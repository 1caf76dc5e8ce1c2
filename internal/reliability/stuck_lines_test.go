//go:build linux

package reliability_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/sink/file"
)

// TestStuckWriteKeepsItsBatch: a file output writes the consumer's
// encoded batch as it is (sink.Lines), so a write(2) that outlives its
// Deliver (a stall) goes on reading the consumer's buffer after the
// consumer has moved on. The consumer must encode the following batches
// elsewhere: if it reused that buffer, the stuck write would finish with
// bytes of later batches in place of its own.
//
// The FIFO's pipe is shrunk to one page and nobody reads it, so that an
// early batch's write blocks in the kernel with at most a page of it
// copied, and the rest still to be read from the buffer. The output gives
// up on it after lines.StallTimeout; the remaining events of the first
// phase, then a second phase labelled differently, all fail behind it
// while their batches are encoded. Only then is the pipe read: what
// comes out must be the first events, in order, each a whole line, and
// nothing of any batch that failed behind the stuck write.
func TestStuckWriteKeepsItsBatch(t *testing.T) {
	path := mkfifo(t)
	read := openFIFOReader(t, path)
	setPipeSize(t, read, os.Getpagesize())
	output := "file:" + path
	cfg := event.Config{FileOutputs: []file.Config{{Path: path}}}
	// Close waits for the stuck write while the test drains the pipe; the
	// budget is generous so that a slow machine does not cut it short.
	r := newRig(t, cfg, event.Options{CloseTimeout: 20 * time.Second})

	// Versions of one length: a later batch laid over the stuck one then
	// shows mostly as whole lines of the wrong event or phase (broken ones
	// where the timestamps' lengths differ), which says what happened.
	const n = 1000
	record := func(phase string) {
		for i := 1; i <= n; i++ {
			r.recorded.Add(1)
			r.rec.RecordEvent(ctxOn, event.NewAlertmanagerStartupEvent(fmt.Sprintf("%s-%05d", phase, i), "reliability"))
		}
	}
	accounted := func(want int) func() bool {
		return func() bool { return r.tally(output).accounted() == want }
	}

	// n events fill some forty pages: a write blocks early on, and while
	// the consumer waits out the stall the rest queue up into full
	// batches (Options.MaxBatch), each laid over the stuck one's bytes if
	// its buffer were reused.
	record("first")
	waitFor(t, "a write to be given up on", func() bool { return strings.Contains(r.logs.String(), "did not return within") })
	waitFor(t, "every first event to be accounted for", accounted(n))
	record("later")
	waitFor(t, "every later event to be accounted for", accounted(2*n))
	before := r.tally(output)
	queued, capacity := pipeFill(t, read)
	if before.Delivered >= n || before.Failed != 2*n-before.Delivered {
		t.Fatalf("no write was stuck while the later batches failed: %v", before)
	}

	// Drain the pipe: the stuck write completes, the output closes the
	// FIFO at Close, and the reader sees the end of it.
	if err := read.SetReadDeadline(time.Now().Add(wait)); err != nil {
		t.Fatal(err)
	}
	type readResult struct {
		b   []byte
		err error
	}
	got := make(chan readResult, 1)
	go func() {
		b, err := io.ReadAll(read)
		got <- readResult{b, err}
	}()
	took, closeErr := r.close()
	res := <-got
	c := r.conserved(output)
	t.Logf("FIGURES stuck write: %v; the pipe (capacity %d) held %d bytes while the write was stuck, %d came out of it; Close took %v: %v",
		c, capacity, queued, len(res.b), took.Round(time.Millisecond), closeErr)
	if res.err != nil {
		t.Fatalf("reading the FIFO: %v", res.err)
	}
	if closeErr != nil {
		// The write did not finish within the budget, so the FIFO was
		// closed under it and what it wrote is cut short.
		t.Fatalf("Close: %v", closeErr)
	}

	// Every line, in order: the first events delivered before the stall,
	// then the stuck batch's, which landed after all.
	lines := bytes.Split(res.b, []byte("\n"))
	if last := lines[len(lines)-1]; len(last) != 0 {
		t.Errorf("the output ends in a partial line: %.200q", last)
	}
	lines = lines[:len(lines)-1]
	for i, line := range lines {
		want := fmt.Sprintf(`"version":"first-%05d"`, i+1)
		if !json.Valid(line) || !bytes.Contains(line, []byte(want)) {
			t.Fatalf("line %d of %d is not first event %d (the stuck write read a buffer that was reused?):\n%.300s", i+1, len(lines), i+1, line)
		}
	}
	if len(lines) <= c.Delivered {
		t.Errorf("%d lines came out of the pipe, but %d events were delivered before the stall: the stuck batch never landed", len(lines), c.Delivered)
	}
}

// pipeFill returns how many bytes the pipe f reads from holds, and its
// capacity.
func pipeFill(t *testing.T, f *os.File) (queued, capacity int) {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var (
		n     int32 // TIOCINQ fills an int
		c     uintptr
		errno syscall.Errno
	)
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
		if errno == 0 {
			c, _, errno = syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETPIPE_SZ, 0)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if errno != 0 {
		t.Fatalf("reading the pipe's fill: %v", errno)
	}
	return int(n), int(c)
}

// setPipeSize sets the capacity of the pipe f is an end of.
func setPipeSize(t *testing.T, f *os.File, size int) {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETPIPE_SZ, uintptr(size))
	}); err != nil {
		t.Fatal(err)
	}
	if errno != 0 {
		t.Fatalf("setting the pipe's size to %d: %v", size, errno)
	}
}
