package jsonl_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
	"github.com/eventrecorder/eventrecorder/tools/internal/jsonl"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

func scanAll(t *testing.T, r io.Reader) []jsonl.Line {
	t.Helper()
	sc := jsonl.NewScanner(r, "src")
	var out []jsonl.Line
	for {
		l, err := sc.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		l.Text = append([]byte(nil), l.Text...)
		out = append(out, l)
	}
}

func TestScannerLines(t *testing.T) {
	long := strings.Repeat("x", 200<<10) // beyond any fixed buffer
	in := "a\r\n\n" + long + "\nlast without newline"
	got := scanAll(t, strings.NewReader(in))
	want := []string{"a", "", long, "last without newline"}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i, l := range got {
		if string(l.Text) != want[i] || l.N != i+1 || l.Source != "src" {
			t.Errorf("line %d: %s %q (len %d), want src:%d len %d", i, l.Pos(), truncate(l.Text), len(l.Text), i+1, len(want[i]))
		}
	}
	if got := scanAll(t, strings.NewReader("")); len(got) != 0 {
		t.Errorf("empty input gave %d lines", len(got))
	}
	if got := scanAll(t, strings.NewReader("one\n")); len(got) != 1 {
		t.Errorf("one terminated line gave %d lines", len(got))
	}
}

func truncate(b []byte) string {
	if len(b) > 20 {
		return string(b[:20]) + "..."
	}
	return string(b)
}

const line1 = `{"@timestamp":"2025-03-14T09:26:53Z","instance":"am-1","data":{"alertmanagerShutdownEvent":{}}}`

func TestDecode(t *testing.T) {
	ev, err := jsonl.Decode([]byte(line1))
	if err != nil || ev.GetInstance() != "am-1" || ev.GetData().GetAlertmanagerShutdownEvent() == nil {
		t.Fatalf("Decode: %v, %v", ev, err)
	}
	for _, bad := range []string{`{"instance":`, `{"instance":"a","newField":1}`, `[]`, `not json`} {
		if _, err := jsonl.Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%s) succeeded", bad)
		}
	}
	if !jsonl.Blank([]byte(" \t")) || jsonl.Blank([]byte(line1)) {
		t.Error("Blank")
	}
}

func TestOpenPlainAndGzip(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "events.jsonl")
	content := line1 + "\n" + line1 + "\n"
	if err := os.WriteFile(plain, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(content))
	_ = zw.Close()
	zipped := filepath.Join(dir, "events.jsonl.1.gz")
	if err := os.WriteFile(zipped, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		size int
	}{{plain, len(content)}, {zipped, gz.Len()}} {
		in, err := jsonl.Open(context.Background(), tc.path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(in.Reader)
		if err != nil || string(got) != content {
			t.Errorf("%s: read %q, %v", tc.path, got, err)
		}
		if in.Size != int64(tc.size) || in.Raw.N != int64(tc.size) {
			t.Errorf("%s: size %d, consumed %d, want %d", tc.path, in.Size, in.Raw.N, tc.size)
		}
		if err := in.Close(); err != nil {
			t.Error(err)
		}
	}
	if _, err := jsonl.Open(context.Background(), filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("Open(missing) = %v, want not-exist", err)
	}
}

// follower runs a Follower on path and collects what it reports.
type follower struct {
	mu      sync.Mutex
	lines   []string
	reopens []string
	caught  bool
	changed chan struct{}
	cancel  context.CancelFunc
	done    chan error
}

func startFollower(t *testing.T, path string) *follower {
	f := &follower{changed: make(chan struct{}, 1), done: make(chan error, 1)}
	notify := func() {
		select {
		case f.changed <- struct{}{}:
		default:
		}
	}
	fl := &jsonl.Follower{
		Path: path,
		Poll: 5 * time.Millisecond,
		OnLine: func(l jsonl.Line) {
			f.mu.Lock()
			f.lines = append(f.lines, fmt.Sprintf("%d:%s", l.N, l.Text))
			f.mu.Unlock()
			notify()
		},
		OnCaughtUp: func() { f.mu.Lock(); f.caught = true; f.mu.Unlock(); notify() },
		OnReopen:   func(r string) { f.mu.Lock(); f.reopens = append(f.reopens, r); f.mu.Unlock(); notify() },
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	go func() { f.done <- fl.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-f.done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return f
}

// waitFor waits until cond holds on the collected state.
func (f *follower) waitFor(t *testing.T, what string, cond func(lines, reopens []string, caught bool) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		f.mu.Lock()
		ok := cond(f.lines, f.reopens, f.caught)
		lines, reopens := append([]string(nil), f.lines...), append([]string(nil), f.reopens...)
		f.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-f.changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; lines %q, reopens %q", what, lines, reopens)
		}
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func linesAre(want ...string) func([]string, []string, bool) bool {
	return func(lines, _ []string, _ bool) bool {
		if len(lines) != len(want) {
			return false
		}
		for i := range want {
			if lines[i] != want[i] {
				return false
			}
		}
		return true
	}
}

func TestFollowerAppendRotateTruncate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.jsonl")
	appendFile(t, path, "a\nb\n")
	f := startFollower(t, path)
	f.waitFor(t, "existing lines and catch-up", func(lines, _ []string, caught bool) bool {
		return caught && linesAre("1:a", "2:b")(lines, nil, caught)
	})

	// A line written in two pieces is reported once, whole.
	appendFile(t, path, "c-first-half")
	appendFile(t, path, "-second-half\n")
	f.waitFor(t, "appended line", linesAre("1:a", "2:b", "3:c-first-half-second-half"))

	// Rotation: the writer finishes the old file after the rename, then a
	// new file appears. Both the late line and the new file's lines
	// arrive, the new ones numbered from 1.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path+".1", "d-late\n")
	appendFile(t, path, "e\n")
	f.waitFor(t, "lines across rotation", linesAre("1:a", "2:b", "3:c-first-half-second-half", "4:d-late", "1:e"))

	// Truncation (copytruncate): start over from the beginning.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	f.waitFor(t, "truncation noticed", func(_, reopens []string, _ bool) bool { return len(reopens) == 2 })
	appendFile(t, path, "f\n")
	f.waitFor(t, "line after truncation", linesAre("1:a", "2:b", "3:c-first-half-second-half", "4:d-late", "1:e", "1:f"))
	f.mu.Lock()
	defer f.mu.Unlock()
	if want := []string{"rotated", "truncated"}; strings.Join(f.reopens, ",") != strings.Join(want, ",") {
		t.Errorf("reopens %q, want %q", f.reopens, want)
	}
}

func TestFollowerMissingFile(t *testing.T) {
	fl := &jsonl.Follower{Path: filepath.Join(t.TempDir(), "missing"), OnLine: func(jsonl.Line) {}}
	if err := fl.Run(context.Background()); !os.IsNotExist(err) {
		t.Fatalf("Run on a missing file: %v, want not-exist", err)
	}
}
