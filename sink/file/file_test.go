package file_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/file"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
)

func newSink(t *testing.T, cfg file.Config) (*file.Sink[int], *sinktest.Reporter[int]) {
	t.Helper()
	rep := sinktest.NewReporter[int]()
	s, err := file.New(cfg, sinktest.Env(t, rep))
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { s.Close() })
	return s, rep
}

func TestKindRow(t *testing.T) {
	k := file.Kind[int]()
	if k.Name() != "file" || k.Key() != "file_outputs" {
		t.Fatalf("kind name %q key %q", k.Name(), k.Key())
	}
	var reg sink.Registry[int]
	if err := reg.Register(k); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	t.Chdir(dir)
	cfg, err := k.Check(file.Config{Path: "rel/events.jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg.(file.Config); c.Mode != file.DefaultMode {
		t.Errorf("Check did not apply the default mode: %v", c.Mode)
	}
	if f := k.Format(cfg); f != sink.JSON {
		t.Errorf("format %v, want json", f)
	}
	if !k.Equal(file.Config{Path: "a"}, file.Config{Path: "a", Mode: 0o644, Fsync: "none"}) {
		t.Error("a config that spells out the defaults is not Equal to one that leaves them out")
	}
	if k.Equal(file.Config{Path: "a"}, file.Config{Path: "a", Fsync: "batch"}) {
		t.Error("configs differing in fsync are Equal")
	}

	if err := os.Mkdir("rel", 0o755); err != nil {
		t.Fatal(err)
	}
	rep := sinktest.NewReporter[int]()
	s, err := k.New(cfg, sinktest.Env(t, rep))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != "file:rel/events.jsonl" {
		t.Errorf("Name() = %q, want the path as configured", s.Name())
	}
	s.Deliver(sinktest.Messages(0, 3))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "rel/events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	n := parseLines(t, "events.jsonl", data, seen)
	assertExactlyDelivered(t, rep, seen, n)
	assertConservation(t, rep, 3)
	if d, _, _ := rep.Counts(); d != 3 {
		t.Errorf("delivered %d, want 3", d)
	}
}

func TestAppendsToExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	old := `{"seq":-1,"type":"test_event"}` + "\n"
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	s, rep := newSink(t, file.Config{Path: path, Mode: 0o666})
	s.Deliver(sinktest.Messages(0, 5))
	s.Deliver(sinktest.Messages(5, 1))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), old) {
		t.Fatalf("existing content was not kept: %q", data)
	}
	seen := map[int]int{}
	n := parseLines(t, path, data[len(old):], seen)
	assertExactlyDelivered(t, rep, seen, n)
	assertConservation(t, rep, 6)
	if n != 6 {
		t.Errorf("%d lines appended, want 6", n)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("existing file's mode changed to %v, want it kept at 0600", fi.Mode().Perm())
	}
}

func TestCreatesFileWithMode(t *testing.T) {
	// 0666 and 0664 are wider than what a typical umask (022) lets
	// through, so these would fail if the mode were only passed to open(2).
	for _, mode := range []file.FileMode{0o600, 0o640, 0o664, 0o666} {
		t.Run(mode.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "events.jsonl")
			s, rep := newSink(t, file.Config{Path: path, Mode: mode})
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatalf("file not created by New: %v", err)
			}
			if fi.Mode().Perm() != os.FileMode(mode) {
				t.Errorf("mode %v, want %v", fi.Mode().Perm(), os.FileMode(mode))
			}
			s.Deliver(sinktest.Messages(0, 1))
			assertConservation(t, rep, 1)
		})
	}
	t.Run("default", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "events.jsonl")
		newSink(t, file.Config{Path: path})
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o644 {
			t.Errorf("default mode %v, want 0644", fi.Mode().Perm())
		}
	})
}

func TestNewFailsOnUnusablePath(t *testing.T) {
	dir := t.TempDir()
	notADir := filepath.Join(dir, "plainfile")
	if err := os.WriteFile(notADir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		want       []string
		is         error
	}{
		{"missing parent directory", filepath.Join(dir, "no/such/dir/events.jsonl"), []string{"does not exist"}, fs.ErrNotExist},
		// Tests run as root, for whom permission bits do not stop a write,
		// so unwritability comes from a path through a regular file.
		{"parent is a file", filepath.Join(notADir, "events.jsonl"), []string{"not a directory"}, nil},
		{"path is a directory", dir, []string{"is a directory"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := file.New(file.Config{Path: tc.path}, sinktest.Env(t, sinktest.NewReporter[int]()))
			if err == nil {
				s.Close()
				t.Fatalf("New(%q) succeeded", tc.path)
			}
			var fe *sink.FieldError
			if !errors.As(err, &fe) || fe.Path != "path" {
				t.Errorf("error %v is not a FieldError at \"path\"", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, `"`+tc.path+`"`) {
				t.Errorf("error %q does not name the path %q", msg, tc.path)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
	t.Run("empty path", func(t *testing.T) {
		_, err := file.New(file.Config{}, sinktest.Env(t, sinktest.NewReporter[int]()))
		if err == nil || err.Error() != "path: is required" {
			t.Fatalf("New with no path: %v, want \"path: is required\"", err)
		}
	})
}

func TestFsyncBatchDelivers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	s, rep := newSink(t, file.Config{Path: path, Fsync: file.FsyncBatch})
	for i := range 10 {
		s.Deliver(sinktest.Messages(i*7, 7))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	n := parseLines(t, path, data, seen)
	assertExactlyDelivered(t, rep, seen, n)
	assertConservation(t, rep, 70)
	if d, _, f := rep.Counts(); d != 70 || f != 0 {
		t.Errorf("delivered %d failed %d, want 70 and 0", d, f)
	}
}

func TestDirectoryRemovedFailsThenRecovers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "events.jsonl")
	s, rep := newSink(t, file.Config{Path: path})
	s.Deliver(sinktest.Messages(0, 4))

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	s.Deliver(sinktest.Messages(4, 3))
	if d, _, f := rep.Counts(); d != 4 || f != 3 {
		t.Fatalf("after removing the directory: delivered %d failed %d, want 4 and 3", d, f)
	}
	errs := rep.Errors()
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), path) || !strings.Contains(errs[0].Error(), "does not exist") {
		t.Fatalf("failure errors %v, want one naming %q and saying the directory does not exist", errs, path)
	}
	for _, m := range rep.Failed() {
		if m.Event < 4 {
			t.Errorf("seq %d failed, but it was written before the removal", m.Event)
		}
	}

	// The next batch tries again and finds the directory back.
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s.Deliver(sinktest.Messages(7, 5))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertConservation(t, rep, 12)
	if d, _, f := rep.Counts(); d != 9 || f != 3 {
		t.Fatalf("after recreating the directory: delivered %d failed %d, want 9 and 3", d, f)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	n := parseLines(t, path, data, seen)
	if n != 5 {
		t.Fatalf("new file has %d lines, want the 5 delivered after the directory came back", n)
	}
	for seq := 7; seq < 12; seq++ {
		if seen[seq] != 1 {
			t.Errorf("seq %d appears %d times in the new file", seq, seen[seq])
		}
	}
}

func TestDeliverAfterCloseFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	s, rep := newSink(t, file.Config{Path: path})
	s.Deliver(sinktest.Messages(0, 2))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	s.Deliver(sinktest.Messages(2, 3))
	assertConservation(t, rep, 5)
	if d, _, f := rep.Counts(); d != 2 || f != 3 {
		t.Fatalf("delivered %d failed %d, want 2 and 3", d, f)
	}
	if errs := rep.Errors(); len(errs) != 1 || !errors.Is(errs[0], file.ErrClosed) {
		t.Fatalf("errors %v, want ErrClosed", errs)
	}
}
