package jsonl

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// lookFollower drives a Follower one look at a time, so that a file can
// be changed in any way between two looks (within one poll).
type lookFollower struct {
	*Follower
	lines, reopens []string
}

func newLookFollower(t *testing.T, content string) (*lookFollower, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	write(t, path, content)
	lf := &lookFollower{}
	lf.Follower = &Follower{
		Path:     path,
		OnLine:   func(l Line) { lf.lines = append(lf.lines, fmt.Sprintf("%d:%s", l.N, l.Text)) },
		OnReopen: func(r string) { lf.reopens = append(lf.reopens, r) },
	}
	if err := lf.open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lf.closeFile)
	if err := lf.read(); err != nil {
		t.Fatal(err)
	}
	return lf, path
}

// write replaces the file's content in place (O_TRUNC): the same file,
// truncated and written again, as copytruncate followed by the writer's
// next batch leaves it.
func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (lf *lookFollower) look(t *testing.T, wantLines, wantReopens []string) {
	t.Helper()
	lf.lines, lf.reopens = nil, nil
	if err := lf.Follower.look(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(lf.reopens, wantReopens) {
		t.Errorf("look: reopens %q, want %q", lf.reopens, wantReopens)
	}
	if !slices.Equal(lf.lines, wantLines) {
		i := 0
		for i < len(lf.lines) && i < len(wantLines) && lf.lines[i] == wantLines[i] {
			i++
		}
		t.Errorf("look: %d lines, want %d; from line %d on got %q, want %q", len(lf.lines), len(wantLines), i+1, first3(lf.lines[i:]), first3(wantLines[i:]))
	}
}

func first3(s []string) []string { return s[:min(3, len(s))] }

func TestFollowerRewrittenWithinOneLook(t *testing.T) {
	for _, tc := range []struct {
		name, before, after string
		lines, reopens      []string
	}{
		// The size grew past the offset: a size check sees an append and
		// reads on from the middle of the first new line.
		{"longer", "1111\n2222\n", "aaaaaaaaaaaaaaaaaaaa\nbbbb\n", []string{"1:aaaaaaaaaaaaaaaaaaaa", "2:bbbb"}, []string{"truncated"}},
		{"same size", "1111\n2222\n", "3333\n4444\n", []string{"1:3333", "2:4444"}, []string{"truncated"}},
		{"shorter", "1111\n2222\n", "x\n", []string{"1:x"}, []string{"truncated"}},
		{"emptied", "1111\n2222\n", "", nil, []string{"truncated"}},
		// Written again with what was there and more: nothing to tell
		// from an append, and nothing is shown twice.
		{"same content and more", "1111\n2222\n", "1111\n2222\n3333\n", []string{"3:3333"}, nil},
		{"appended", "1111\n2222\n", "1111\n2222\n33", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lf, path := newLookFollower(t, tc.before)
			if want := []string{"1:1111", "2:2222"}; !slices.Equal(lf.lines, want) {
				t.Fatalf("first read: %q, want %q", lf.lines, want)
			}
			write(t, path, tc.after)
			lf.look(t, tc.lines, tc.reopens)
			// Nothing changed since: nothing more.
			lf.look(t, nil, nil)
		})
	}
}

// The bytes compared reach back seenLen bytes, across several reads.
func TestFollowerComparesAcrossReads(t *testing.T) {
	line := func(i int) string { return fmt.Sprintf("%04d %s\n", i, strings.Repeat("x", 95)) } // 101 bytes
	var content strings.Builder
	for i := range 30 {
		content.WriteString(line(i))
	}
	lf, path := newLookFollower(t, content.String())
	for i := 30; i < 90; i += 30 { // appends of 3030 bytes: seen spans two of them
		var more strings.Builder
		for j := i; j < i+30; j++ {
			more.WriteString(line(j))
		}
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = f.WriteString(more.String())
		_ = f.Close()
		content.WriteString(more.String())
		lf.lines = nil
		if err := lf.Follower.look(context.Background()); err != nil || len(lf.lines) != 30 || lf.lines[0] != fmt.Sprintf("%d:%s", i+1, strings.TrimSuffix(line(i), "\n")) {
			t.Fatalf("append %d: %d lines, first %q, %v", i, len(lf.lines), lf.lines[0], err)
		}
	}
	if len(lf.seen) != seenLen || !bytes.Equal(lf.seen, []byte(content.String()[content.Len()-seenLen:])) {
		t.Fatalf("seen holds %d bytes, not the last %d read", len(lf.seen), seenLen)
	}
	// A line 40 lines back, inside the compared bytes, rewritten with the
	// file's size kept: the file was written again, read it anew.
	b := []byte(content.String())
	copy(b[len(b)-40*101:], line(1000))
	write(t, path, string(b))
	var want []string
	for i, l := range strings.SplitAfter(string(b), "\n")[:90] {
		want = append(want, fmt.Sprintf("%d:%s", i+1, strings.TrimSuffix(l, "\n")))
	}
	lf.look(t, want, []string{"truncated"})
}
