package file_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/sink/file"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
)

// TestRotationWhileDelivering renames, removes and replaces the file while
// eight goroutines deliver, and then finds every delivered message exactly
// once across the files, including the removed one (read through a
// descriptor held open across the removal, since its name is gone).
func TestRotationWhileDelivering(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.jsonl")
	s, rep := newSink(t, file.Config{Path: path, Mode: 0o640})
	w := startWriters(s, 8, 10, 0, nil)
	stopped := false
	defer func() {
		if !stopped {
			w.Stop()
		}
	}()

	// progress waits until n more messages are delivered, so that every
	// file gets writes.
	progress := func(n int) {
		t.Helper()
		d, _, _ := rep.Counts()
		rep.WaitDelivered(t, d+n, waitTimeout)
	}
	exists := func() bool { _, err := os.Stat(path); return err == nil }
	sameAs := func(fi os.FileInfo) func() bool {
		return func() bool { cur, err := os.Stat(path); return err == nil && os.SameFile(cur, fi) }
	}

	progress(500)

	// 1. Rename, as logrotate does without create: the output must start
	// a new file at the path by itself.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the output to create a new file after the rename", exists)
	progress(500)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("file recreated with mode %v, want 0640", fi.Mode().Perm())
	}

	// 2. Remove, holding a descriptor so its content can still be counted.
	held, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the output to create a new file after the removal", exists)
	progress(500)

	// 3. Rename and put a new empty file in place at once, as logrotate's
	// create does: the output must append to that file, not replace it.
	if err := os.Rename(path, path+".2"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	replacement, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "writes to the replacement file", func() bool {
		fi, err := os.Stat(path)
		return err == nil && os.SameFile(fi, replacement) && fi.Size() > 0
	})
	progress(500)

	sent := w.Stop()
	stopped = true
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if !sameAs(replacement)() {
		t.Fatal("the replacement file was itself replaced")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("the output changed the replacement file's mode to %v", fi.Mode().Perm())
	}

	seen := map[int]int{}
	lines, files := readDir(t, dir, "events.jsonl", seen)
	removed, err := io.ReadAll(held)
	if err != nil {
		t.Fatal(err)
	}
	n := parseLines(t, "removed file", removed, seen)
	if n == 0 {
		t.Error("no writes landed in the removed file before it was removed")
	}
	lines += n
	if len(files) != 3 {
		t.Errorf("files %v, want events.jsonl, .1 and .2", files)
	}
	for _, f := range files {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s is empty or missing (%v)", f, err)
		}
	}
	assertConservation(t, rep, sent)
	if _, dr, f := rep.Counts(); dr+f != 0 {
		t.Errorf("dropped %d failed %d during rotation, want none (errors %v)", dr, f, rep.Errors())
	}
	assertExactlyDelivered(t, rep, seen, lines)
	t.Logf("%d messages in %d files", lines, len(files)+1)
}

// openFDsTo counts this process's descriptors whose target is name (for a
// removed file the kernel appends " (deleted)").
func openFDsTo(t *testing.T, name string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	n := 0
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err == nil && (target == name || target == name+" (deleted)") {
			n++
		}
	}
	return n
}

// TestWatcherFollowsRotation shows the directory watch at work: with no
// batch arriving to trigger the per-batch check, the output switches to a
// file put in place of its own and lets go of a removed one. It keeps a
// renamed file until a replacement appears, and never creates the file
// itself.
func TestWatcherFollowsRotation(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "events.jsonl")
	s, rep := newSink(t, file.Config{Path: path})
	s.Deliver(sinktest.Messages(0, 1))
	if n := openFDsTo(t, path); n != 1 {
		t.Fatalf("%d descriptors open to %s, want 1", n, path)
	}

	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the output to switch to the replacement file", func() bool {
		return openFDsTo(t, path+".1") == 0 && openFDsTo(t, path) == 1
	})

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the removed file to be closed", func() bool { return openFDsTo(t, path) == 0 })
	if _, err := os.Stat(path); err == nil {
		t.Error("the watcher created the file; that is left to the next batch")
	}

	s.Deliver(sinktest.Messages(1, 1))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := openFDsTo(t, path); n != 0 {
		t.Errorf("%d descriptors still open after Close", n)
	}
	assertConservation(t, rep, 2)
	seen := map[int]int{}
	lines, files := readDir(t, dir, "events.jsonl", seen)
	if len(files) != 2 {
		t.Errorf("files %v, want events.jsonl and events.jsonl.1", files)
	}
	assertExactlyDelivered(t, rep, seen, lines)
}

// TestRenamedFileKeptUntilGraceEnds: after a rename with no replacement,
// batches go on into the renamed file until the grace period ends, then a
// new file is created.
func TestRenamedFileKeptUntilGraceEnds(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.jsonl")
	s, rep := newSink(t, file.Config{Path: path})
	file.SetRenameGrace(s, time.Hour)
	s.Deliver(sinktest.Messages(0, 2))
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	s.Deliver(sinktest.Messages(2, 3))
	if _, err := os.Stat(path); err == nil {
		t.Fatal("a new file was created during the grace period")
	}
	file.SetRenameGrace(s, 0)
	s.Deliver(sinktest.Messages(5, 4))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertConservation(t, rep, 9)
	for name, want := range map[string]int{"events.jsonl.1": 5, "events.jsonl": 4} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if n := parseLines(t, name, data, map[int]int{}); n != want {
			t.Errorf("%s has %d lines, want %d", name, n, want)
		}
	}
}
