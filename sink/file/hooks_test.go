package file_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/eventrecorder/eventrecorder/sink/file"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
)

// countWrites wraps the real write call; the file is still written.
type countWrites struct {
	mu    sync.Mutex
	calls int
	bytes int
	syncs int
}

func (c *countWrites) write(f *os.File, b []byte) (int, error) {
	c.mu.Lock()
	c.calls++
	c.bytes += len(b)
	c.mu.Unlock()
	return f.Write(b)
}

func (c *countWrites) sync(f *os.File) error {
	c.mu.Lock()
	c.syncs++
	c.mu.Unlock()
	return f.Sync()
}

func TestOneWritePerBatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	s, rep := newSink(t, file.Config{Path: path})
	var c countWrites
	file.SetHooks(s, c.write, c.sync)

	sent, wantBytes := 0, 0
	for _, n := range []int{1, 10, 100, 1000} {
		msgs := sinktest.Messages(sent, n)
		for _, m := range msgs {
			wantBytes += len(m.Value) + 1
		}
		s.Deliver(msgs)
		sent += n
	}
	if c.calls != 4 || c.bytes != wantBytes {
		t.Errorf("%d write calls with %d bytes, want 4 with %d", c.calls, c.bytes, wantBytes)
	}

	// Concurrent callers: still one write per Deliver.
	w := startWriters(s, 8, 25, sent, nil)
	rep.WaitDelivered(t, sent+8*25*20, waitTimeout)
	concurrent := w.Stop()
	sent += concurrent
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if want := 4 + concurrent/25; c.calls != want {
		t.Errorf("%d write calls for %d batches", c.calls, want)
	}
	if c.syncs != 0 {
		t.Errorf("fsync none made %d fsync calls", c.syncs)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	assertExactlyDelivered(t, rep, seen, parseLines(t, path, data, seen))
	assertConservation(t, rep, sent)
}

func TestFsyncOncePerBatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	s, rep := newSink(t, file.Config{Path: path, Fsync: "batch"})
	var c countWrites
	file.SetHooks(s, c.write, c.sync)
	for i := range 5 {
		s.Deliver(sinktest.Messages(i*3, 3))
	}
	if c.calls != 5 || c.syncs != 5 {
		t.Fatalf("%d writes and %d fsyncs for 5 batches", c.calls, c.syncs)
	}

	// A failed fsync means the batch is not known to be durable.
	file.SetHooks(s, nil, func(*os.File) error { return syscall.EIO })
	s.Deliver(sinktest.Messages(15, 4))
	assertConservation(t, rep, 19)
	if d, _, f := rep.Counts(); d != 15 || f != 4 {
		t.Fatalf("delivered %d failed %d, want 15 and 4", d, f)
	}
	if errs := rep.Errors(); len(errs) != 1 || !errors.Is(errs[0], syscall.EIO) || !strings.Contains(errs[0].Error(), "fsync "+path) {
		t.Fatalf("errors %v, want one fsync EIO naming the path", errs)
	}
}

func TestShortWriteReportsWholeLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	s, rep := newSink(t, file.Config{Path: path})
	msgs := sinktest.Messages(0, 4)
	line := len(msgs[0].Value) + 1 // all four have the same length
	// The disk fills up two and a half lines into the batch.
	cut := 2*line + line/2
	file.SetHooks(s, func(f *os.File, b []byte) (int, error) {
		n, err := f.Write(b[:cut])
		if err != nil {
			return n, err
		}
		return n, syscall.ENOSPC
	}, nil)
	s.Deliver(msgs)
	if d, _, f := rep.Counts(); d != 2 || f != 2 {
		t.Fatalf("delivered %d failed %d, want the 2 whole lines delivered and 2 failed", d, f)
	}
	if errs := rep.Errors(); len(errs) != 1 || !errors.Is(errs[0], syscall.ENOSPC) || !strings.Contains(errs[0].Error(), path) {
		t.Fatalf("errors %v, want ENOSPC naming the path", errs)
	}
	for i, m := range rep.Failed() {
		if m.Event != 2+i {
			t.Errorf("failed message %d is seq %d, want %d", i, m.Event, 2+i)
		}
	}

	// A batch that writes nothing at all leaves the fragment as it was.
	file.SetHooks(s, func(*os.File, []byte) (int, error) { return 0, syscall.ENOSPC }, nil)
	s.Deliver(sinktest.Messages(100, 2))

	// Space is back: the next batch starts on a line of its own.
	file.SetHooks(s, (*os.File).Write, nil)
	s.Deliver(sinktest.Messages(4, 2))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertConservation(t, rep, 8)
	if d, _, f := rep.Counts(); d != 4 || f != 4 {
		t.Errorf("delivered %d failed %d, want 4 and 4", d, f)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := string(msgs[0].Value) + "\n" + string(msgs[1].Value) + "\n" + string(msgs[2].Value[:line/2]) + "\n" +
		`{"seq":4,"type":"test_event"}` + "\n" + `{"seq":5,"type":"test_event"}` + "\n"
	if string(data) != want {
		t.Fatalf("file:\n%s\nwant:\n%s", data, want)
	}
}

func TestWriteErrorFailsBatchAndReopens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	s, rep := newSink(t, file.Config{Path: path})
	file.SetHooks(s, func(*os.File, []byte) (int, error) { return 0, syscall.EIO }, nil)
	s.Deliver(sinktest.Messages(0, 3))
	file.SetHooks(s, (*os.File).Write, nil)
	s.Deliver(sinktest.Messages(3, 3))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertConservation(t, rep, 6)
	if d, _, f := rep.Counts(); d != 3 || f != 3 {
		t.Fatalf("delivered %d failed %d, want 3 and 3", d, f)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	assertExactlyDelivered(t, rep, seen, parseLines(t, path, data, seen))
}
