package jsonl

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/eventrecorder/eventrecorder/tools/internal/input"
)

// Follower reads a file's lines as they are appended, like tail -F. It
// polls rather than watching: polling works the same on every file system
// (network mounts included) and a reader of a log file can afford a
// fraction of a second of delay.
type Follower struct {
	// Path is the file to follow. It must exist when Run starts.
	Path string
	// Poll is how often to look for new data when there is none; zero
	// means 250ms.
	Poll time.Duration
	// OnLine receives every complete line, in order. Line.Text is only
	// valid during the call.
	OnLine func(Line)
	// OnCaughtUp, if set, is called once, when the content present at
	// start has been read, so that a caller can show only its tail; for a
	// FIFO, which holds nothing from before, at once.
	OnCaughtUp func()
	// OnReopen, if set, is called when the file was replaced (rotated) or
	// truncated and reading starts over from its beginning.
	OnReopen func(reason string)
	// MaxLine is the longest line passed to OnLine with its text (see
	// Line.Err); zero means MaxLineBytes.
	MaxLine int

	f *input.File // nil between a rotation and the new file's appearance
	// info identifies the file being read (or, while f is nil, the one
	// last read), so that a rotation shows as a different file.
	info os.FileInfo
	off  int64 // bytes of the file consumed
	// seen is the last bytes consumed, those just before off. Each read
	// reads them again with the new data: if they changed, the file was
	// truncated and written again, perhaps beyond off, since the last
	// look (see readRegular).
	seen    []byte
	n       int
	partial []byte
	skipped int64 // bytes of an over-long line read past
	buf     []byte
}

const (
	// chunk is how much one read asks for.
	chunk = 64 << 10
	// seenLen is how much of what was read is compared before reading on.
	// A line ends much like any other (closing braces, the instance);
	// 4 KiB reaches back over the timestamps of the last few lines, which
	// a rewritten file does not repeat unless its content is the same.
	seenLen = 4 << 10
)

// Run follows the file until ctx ends, which is not an error.
func (fl *Follower) Run(ctx context.Context) error {
	if fl.Poll <= 0 {
		fl.Poll = 250 * time.Millisecond
	}
	if err := fl.open(ctx); err != nil {
		return ignoreEnd(ctx, err) // a FIFO's writer not waited for
	}
	defer fl.closeFile()
	t := time.NewTicker(fl.Poll)
	defer t.Stop()
	// A FIFO holds nothing from before: whatever comes is new.
	caughtUp := func() {
		if fl.OnCaughtUp != nil {
			fl.OnCaughtUp()
		}
	}
	if !fl.f.Regular() {
		caughtUp()
	}
	if err := fl.read(); err != nil {
		return ignoreEnd(ctx, err)
	}
	if fl.f.Regular() {
		caughtUp()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := fl.look(ctx); err != nil {
			return ignoreEnd(ctx, err)
		}
	}
}

// ignoreEnd turns an error caused by ctx ending (a read of a FIFO given
// up) into the normal end of Run.
func ignoreEnd(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// look notices a rotation, then reads what was appended.
func (fl *Follower) look(ctx context.Context) error {
	if err := fl.checkRotation(ctx); err != nil {
		return err
	}
	return fl.read()
}

func (fl *Follower) open(ctx context.Context) error {
	f, err := input.Open(ctx, fl.Path)
	if err != nil {
		return err
	}
	fl.f, fl.info = f, f.Info()
	fl.restart()
	return nil
}

// restart reads the file from its beginning, numbering lines from 1. The
// partial line of what was read before is dropped: it will never be
// completed.
func (fl *Follower) restart() {
	fl.off, fl.n, fl.seen, fl.partial = 0, 0, fl.seen[:0], fl.partial[:0]
	fl.skipped = 0
}

func (fl *Follower) closeFile() {
	if fl.f != nil {
		_ = fl.f.Close()
		fl.f = nil
	}
}

// checkRotation notices a replaced file. A missing path is a rotation in
// progress (renamed, not yet recreated): keep reading the old file, whose
// writer may still finish a batch, and look again later.
func (fl *Follower) checkRotation(ctx context.Context) error {
	st, err := os.Stat(fl.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if os.SameFile(st, fl.info) {
		return nil
	}
	if fl.f != nil {
		// Whatever the writer put into the old file before switching
		// still belongs to the stream.
		if err := fl.read(); err != nil {
			return err
		}
		fl.flushPartial()
		fl.closeFile()
	}
	if err := fl.open(ctx); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// Replaced and removed again between Stat and Open: the
			// old file's identity stays in info, so the next look sees
			// a different file and opens it.
			return nil
		}
		return err
	}
	if fl.OnReopen != nil {
		fl.OnReopen("rotated")
	}
	return nil
}

// read consumes what is available.
func (fl *Follower) read() error {
	switch {
	case fl.f == nil:
		return nil
	case fl.f.Regular():
		return fl.readRegular()
	default:
		return fl.readStream()
	}
}

// readRegular reads a regular file at the offset reached, each time
// together with the bytes just before it. If those are gone or differ,
// the file was truncated (copytruncate) since the last look, and maybe
// written again beyond the offset: comparing sizes would miss that and
// read on from the middle of a new line. The file is then read from the
// start. The comparison and the new data come from one read, so a
// truncation cannot fall between them.
func (fl *Follower) readRegular() error {
	if fl.buf == nil {
		fl.buf = make([]byte, seenLen+chunk)
	}
	for {
		w := len(fl.seen)
		k, err := fl.f.ReadAt(fl.buf[:w+chunk], fl.off-int64(w))
		if err != nil && err != io.EOF {
			return err
		}
		if k < w || !bytes.Equal(fl.buf[:w], fl.seen) {
			fl.restart()
			if fl.OnReopen != nil {
				fl.OnReopen("truncated")
			}
			continue
		}
		data := fl.buf[w:k]
		if len(data) == 0 {
			return nil
		}
		fl.off += int64(len(data))
		fl.remember(data)
		fl.split(data)
	}
}

// remember keeps the last seenLen bytes consumed.
func (fl *Follower) remember(data []byte) {
	if len(data) >= seenLen {
		fl.seen = append(fl.seen[:0], data[len(data)-seenLen:]...)
		return
	}
	if drop := len(fl.seen) + len(data) - seenLen; drop > 0 {
		fl.seen = append(fl.seen[:0], fl.seen[drop:]...)
	}
	fl.seen = append(fl.seen, data...)
}

// readStream reads a FIFO (or any file without offsets) until it has
// nothing more for now: there is no truncating a stream.
func (fl *Follower) readStream() error {
	if fl.buf == nil {
		fl.buf = make([]byte, chunk)
	}
	for {
		k, err := fl.f.Read(fl.buf)
		if k > 0 {
			fl.off += int64(k)
			fl.split(fl.buf[:k])
		}
		if err == io.EOF || (k == 0 && err == nil) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// split emits the complete lines in data and keeps the rest for the next
// read. Of a line longer than MaxLine only its length is kept.
func (fl *Follower) split(data []byte) {
	limit := cmp.Or(fl.MaxLine, MaxLineBytes)
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		end := i
		if i < 0 {
			end = len(data)
		}
		if fl.skipped > 0 || len(fl.partial)+end > limit+len("\r") {
			fl.skipped += int64(len(fl.partial) + end)
			fl.partial = fl.partial[:0]
		}
		if i < 0 {
			if fl.skipped == 0 {
				fl.partial = appendDoubling(fl.partial, data)
			}
			return
		}
		var text []byte
		if len(fl.partial) > 0 {
			fl.partial = appendDoubling(fl.partial, data[:i])
			text = fl.partial
		} else if fl.skipped == 0 {
			text = data[:i]
		}
		fl.emit(text)
		fl.partial = fl.partial[:0]
		data = data[i+1:]
	}
}

func (fl *Follower) flushPartial() {
	if len(fl.partial) > 0 || fl.skipped > 0 {
		fl.emit(fl.partial)
		fl.partial = fl.partial[:0]
	}
}

func (fl *Follower) emit(text []byte) {
	fl.n++
	text = bytes.TrimSuffix(text, []byte("\r"))
	if limit := cmp.Or(fl.MaxLine, MaxLineBytes); fl.skipped > 0 || len(text) > limit {
		size := max(fl.skipped, int64(len(text)))
		fl.skipped = 0
		fl.OnLine(tooLong(fl.Path, fl.n, size, limit))
		return
	}
	fl.OnLine(Line{Source: fl.Path, N: fl.n, Text: text})
}
