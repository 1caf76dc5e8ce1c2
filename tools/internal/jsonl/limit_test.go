package jsonl_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/tools/internal/jsonl"
)

// describe renders lines as "N:text" or "N:error" for comparison.
func describe(lines []jsonl.Line) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		if l.Err != nil {
			out[i] = fmt.Sprintf("%d:%v", l.N, l.Err)
		} else {
			out[i] = fmt.Sprintf("%d:%s", l.N, l.Text)
		}
	}
	return out
}

// limitCases are inputs around a limit of 8 bytes per line, and the lines
// each gives: a line over the limit is reported with its number and its
// length, and the lines after it are read as usual.
var limitCases = []struct {
	in   string
	want []string
}{
	{"12345678\n123456789\nok\n", []string{"1:12345678", "2:line of 9 bytes skipped: longer than 8 bytes, the limit for an event line", "3:ok"}},
	{"12345678\r\nok", []string{"1:12345678", "2:ok"}},
	{strings.Repeat("x", 100000) + "\nafter\n", []string{"1:line of 100000 bytes skipped: longer than 8 bytes, the limit for an event line", "2:after"}},
	{"ok\n" + strings.Repeat("y", 70000), []string{"1:ok", "2:line of 70000 bytes skipped: longer than 8 bytes, the limit for an event line"}},
}

func TestScannerPassesOverLongLines(t *testing.T) {
	for _, tc := range limitCases {
		sc := jsonl.NewScanner(strings.NewReader(tc.in), "src")
		sc.MaxLine = 8
		var got []jsonl.Line
		for {
			l, err := sc.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			l.Text = append([]byte(nil), l.Text...)
			got = append(got, l)
		}
		if g := describe(got); strings.Join(g, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%.20q...: got %q, want %q", tc.in, g, tc.want)
		}
		for _, l := range got {
			var tl *jsonl.TooLongError
			if l.Err != nil && (!errors.As(l.Err, &tl) || tl.Limit != 8 || l.Text != nil) {
				t.Errorf("line %d: Err %#v, Text %q", l.N, l.Err, l.Text)
			}
		}
	}
}

// The Follower splits what it reads at arbitrary points; a long line is
// passed over however the reads cut it.
func TestFollowerPassesOverLongLines(t *testing.T) {
	for _, tc := range limitCases {
		path := filepath.Join(t.TempDir(), "events.jsonl")
		if err := os.WriteFile(path, []byte(tc.in), 0o644); err != nil {
			t.Fatal(err)
		}
		var got []jsonl.Line
		ctx, cancel := context.WithCancel(context.Background())
		fl := &jsonl.Follower{
			Path: path, Poll: time.Millisecond, MaxLine: 8,
			OnLine:     func(l jsonl.Line) { l.Text = append([]byte(nil), l.Text...); got = append(got, l) },
			OnCaughtUp: cancel,
		}
		if err := fl.Run(ctx); err != nil {
			t.Fatal(err)
		}
		want := tc.want
		if !strings.HasSuffix(tc.in, "\n") {
			want = want[:len(want)-1] // a partial last line waits for its newline
		}
		if g := describe(got); strings.Join(g, "|") != strings.Join(want, "|") {
			t.Errorf("%.20q...: got %q, want %q", tc.in, g, want)
		}
	}
}

// A line far over the default limit is read past in bounded memory: a
// 256 MiB line of zero bytes (a hole in a sparse file) allocates about
// the limit, not the line.
func TestScannerLongLineMemory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sparse.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("\nok\n"), 256<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sc := jsonl.NewScanner(f, path)
	first, err := sc.Next()
	if err != nil {
		t.Fatal(err)
	}
	second, err := sc.Next()
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if got := describe([]jsonl.Line{first, second}); !bytes.Equal([]byte(strings.Join(got, "|")), []byte("1:line of 268435456 bytes skipped: longer than 16 MiB, the limit for an event line|2:ok")) {
		t.Errorf("lines %q", got)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 3*jsonl.MaxLineBytes {
		t.Errorf("reading past a 256 MiB line allocated %d MiB, over 3 times the %d MiB limit", alloc>>20, jsonl.MaxLineBytes>>20)
	}
}
