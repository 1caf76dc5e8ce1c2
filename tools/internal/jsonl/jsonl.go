// Package jsonl reads the event lines that file outputs write: one
// protojson-encoded Event per line, of either schema generation (v1,
// eventrecorderpb; v2, eventsv2pb), which a Detector tells apart line by
// line. It numbers lines so that a bad one can
// be reported as file:line and skipped, reads rotated files (plain or
// gzip-compressed, as logrotate leaves them) and standard input, and can
// follow a file the way tail -F does, across rotation and truncation.
package jsonl

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/tools/internal/input"
)

// Stdin is the path that means standard input.
const Stdin = "-"

// MaxLineBytes bounds a line: an event is a few kilobytes, and a longer
// line (a file of zeros, a sparse file, a binary file named by mistake)
// is reported and passed over, read without being held in memory.
const MaxLineBytes = 16 << 20

// Line is one line of input, without its line terminator.
type Line struct {
	// Source is the file the line came from ("stdin" for standard input).
	Source string
	// N is the line number, from 1.
	N int
	// Text is the line. It is only valid until the next read.
	Text []byte
	// Err, when not nil, is a *TooLongError: the line was longer than
	// the limit and was passed over; Text is empty.
	Err error
}

// TooLongError is a line passed over for being longer than Limit.
type TooLongError struct {
	Size  int64 // the line's length, without its terminator
	Limit int
}

func (e *TooLongError) Error() string {
	return fmt.Sprintf("line of %d bytes skipped: longer than %s, the limit for an event line", e.Size, sizeText(e.Limit))
}

func sizeText(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// tooLong is line n of source, size bytes long, passed over.
func tooLong(source string, n int, size int64, limit int) Line {
	return Line{Source: source, N: n, Err: &TooLongError{Size: size, Limit: limit}}
}

// Pos returns "file:line", the form editors and compilers use.
func (l Line) Pos() string { return fmt.Sprintf("%s:%d", l.Source, l.N) }

// Decode parses one line as a v1 event. Unknown fields are an error rather than silently
// dropped: a line written by a newer schema would otherwise lose data on
// its way through replay.
func Decode(text []byte) (*eventrecorderpb.Event, error) {
	ev := &eventrecorderpb.Event{}
	if err := protojson.Unmarshal(text, ev); err != nil {
		return nil, err
	}
	return ev, nil
}

// Blank reports whether a line holds nothing but white space; such lines
// are skipped without complaint.
func Blank(text []byte) bool { return len(bytes.TrimSpace(text)) == 0 }

// Scanner splits a stream into numbered lines. Unlike bufio.Scanner it
// does not stop at a line over its limit: that line is returned with Err
// set, and reading goes on after it.
type Scanner struct {
	// MaxLine is the longest line returned with its text; zero means
	// MaxLineBytes.
	MaxLine int

	r      *bufio.Reader
	source string
	n      int
	buf    []byte
}

// NewScanner returns a Scanner over r; source names it in Line.Source.
func NewScanner(r io.Reader, source string) *Scanner {
	return &Scanner{r: bufio.NewReaderSize(r, 64<<10), source: source}
}

// Next returns the next line, or io.EOF after the last. A last line without
// a terminating newline is still returned. Memory is bounded by MaxLine:
// the rest of a longer line is counted as it is read, not kept.
func (s *Scanner) Next() (Line, error) {
	limit := cmp.Or(s.MaxLine, MaxLineBytes)
	s.buf = s.buf[:0]
	var skipped int64 // bytes of an over-long line read past
	for {
		chunk, err := s.r.ReadSlice('\n')
		if skipped > 0 || len(s.buf)+len(chunk) > limit+len("\r\n") {
			skipped += int64(len(s.buf) + len(chunk))
			s.buf = s.buf[:0]
		} else {
			s.buf = appendDoubling(s.buf, chunk)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && (err != io.EOF || len(s.buf) == 0 && skipped == 0) {
			return Line{}, err
		}
		s.n++
		if skipped > 0 {
			if err == nil {
				skipped-- // the terminator
			}
			return tooLong(s.source, s.n, skipped, limit), nil
		}
		text := trimEOL(s.buf)
		if len(text) > limit {
			return tooLong(s.source, s.n, int64(len(text)), limit), nil
		}
		return Line{Source: s.source, N: s.n, Text: text}, nil
	}
}

// appendDoubling is append that at least doubles the capacity when it
// grows it: a line up to the limit then costs about twice the limit in
// allocations (append's own growth, by a quarter for large slices, costs
// five times).
func appendDoubling(buf, data []byte) []byte {
	if len(buf)+len(data) > cap(buf) {
		grown := make([]byte, len(buf), max(2*cap(buf), len(buf)+len(data)))
		copy(grown, buf)
		buf = grown
	}
	return append(buf, data...)
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// Input is an opened path.
type Input struct {
	// Name is the path, or "stdin".
	Name string
	// Size is the number of bytes that reading will consume from the
	// underlying file (compressed size for gzip), or -1 when unknown.
	Size int64
	// Reader yields the decompressed content.
	Reader io.Reader
	// Raw counts the bytes consumed from the file, for progress.
	Raw   *CountingReader
	close func() error
}

// Close releases the file (not standard input).
func (in *Input) Close() error {
	if in.close == nil {
		return nil
	}
	return in.close()
}

// Open opens path for reading lines; Stdin means standard input. Content
// starting with the gzip magic bytes is decompressed, so that rotated files
// compressed by logrotate replay like the live one. Opening and reading
// give up when ctx ends, and a directory is refused (see package input).
func Open(ctx context.Context, path string) (*Input, error) {
	in := &Input{Name: path, Size: -1}
	var f io.Reader
	if path == Stdin {
		in.Name = "stdin"
		f = input.Reader(ctx, os.Stdin)
	} else {
		file, err := input.Open(ctx, path)
		if err != nil {
			return nil, err
		}
		if file.Regular() {
			in.Size = file.Info().Size()
		}
		f = file
		in.close = file.Close
	}
	in.Raw = &CountingReader{R: f}
	br := bufio.NewReaderSize(in.Raw, 64<<10)
	in.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			_ = in.Close()
			return nil, fmt.Errorf("%s: %w", in.Name, err)
		}
		in.Reader = zr
	}
	return in, nil
}

// CountingReader counts the bytes read through it.
type CountingReader struct {
	R io.Reader
	N int64
}

func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N += int64(n)
	return n, err
}
