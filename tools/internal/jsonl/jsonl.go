// Package jsonl reads the event lines that file outputs write: one
// protojson-encoded Event per line. It numbers lines so that a bad one can
// be reported as file:line and skipped, reads rotated files (plain or
// gzip-compressed, as logrotate leaves them) and standard input, and can
// follow a file the way tail -F does, across rotation and truncation.
package jsonl

import (
	"bufio"
	"bytes"
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

// Line is one line of input, without its line terminator.
type Line struct {
	// Source is the file the line came from ("stdin" for standard input).
	Source string
	// N is the line number, from 1.
	N int
	// Text is the line. It is only valid until the next read.
	Text []byte
}

// Pos returns "file:line", the form editors and compilers use.
func (l Line) Pos() string { return fmt.Sprintf("%s:%d", l.Source, l.N) }

// Decode parses one line. Unknown fields are an error rather than silently
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

// Scanner splits a stream into numbered lines of any length. Unlike
// bufio.Scanner it has no line-length limit: one oversized event must not
// end a replay.
type Scanner struct {
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
// a terminating newline is still returned.
func (s *Scanner) Next() (Line, error) {
	s.buf = s.buf[:0]
	for {
		chunk, err := s.r.ReadSlice('\n')
		s.buf = append(s.buf, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && (err != io.EOF || len(s.buf) == 0) {
			return Line{}, err
		}
		s.n++
		return Line{Source: s.source, N: s.n, Text: trimEOL(s.buf)}, nil
	}
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
