package jsonl

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"
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
	// start has been read, so that a caller can show only its tail.
	OnCaughtUp func()
	// OnReopen, if set, is called when the file was replaced (rotated) or
	// truncated and reading starts over from its beginning.
	OnReopen func(reason string)

	f       *os.File
	info    os.FileInfo
	off     int64
	n       int
	partial []byte
	buf     []byte
}

// Run follows the file until ctx ends, which is not an error.
func (fl *Follower) Run(ctx context.Context) error {
	if fl.Poll <= 0 {
		fl.Poll = 250 * time.Millisecond
	}
	fl.buf = make([]byte, 64<<10)
	if err := fl.open(); err != nil {
		return err
	}
	defer func() { _ = fl.f.Close() }()
	caughtUp := false
	t := time.NewTicker(fl.Poll)
	defer t.Stop()
	for {
		if err := fl.readAvailable(); err != nil {
			return err
		}
		if !caughtUp {
			caughtUp = true
			if fl.OnCaughtUp != nil {
				fl.OnCaughtUp()
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := fl.checkRotation(); err != nil {
			return err
		}
	}
}

func (fl *Follower) open() error {
	f, err := os.Open(fl.Path)
	if err != nil {
		return err
	}
	info, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return err
	}
	if info.IsDir() {
		_ = f.Close()
		return &fs.PathError{Op: "open", Path: fl.Path, Err: syscall.EISDIR}
	}
	fl.f, fl.info, fl.off, fl.n, fl.partial = f, info, 0, 0, fl.partial[:0]
	return nil
}

// checkRotation notices a replaced or truncated file. A missing path is a
// rotation in progress (renamed, not yet recreated): keep reading the old
// file, whose writer may still finish a batch, and look again later.
func (fl *Follower) checkRotation() error {
	st, err := os.Stat(fl.Path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	if !os.SameFile(st, fl.info) {
		// Whatever the writer put into the old file before switching
		// still belongs to the stream.
		if err := fl.readAvailable(); err != nil {
			return err
		}
		fl.flushPartial()
		_ = fl.f.Close()
		if err := fl.open(); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				// Replaced and removed again between Stat and Open:
				// reopen the old name on the next tick.
				return fl.reopenLater()
			}
			return err
		}
		if fl.OnReopen != nil {
			fl.OnReopen("rotated")
		}
		return nil
	}
	if st.Size() < fl.off {
		if _, err := fl.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		fl.off, fl.n, fl.partial = 0, 0, fl.partial[:0]
		if fl.OnReopen != nil {
			fl.OnReopen("truncated")
		}
	}
	return nil
}

// reopenLater keeps the closed file's identity so that the next check sees
// a different file and opens it.
func (fl *Follower) reopenLater() error {
	f, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	fl.f, fl.off = f, 0
	return nil
}

func (fl *Follower) readAvailable() error {
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

func (fl *Follower) split(data []byte) {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			fl.partial = append(fl.partial, data...)
			return
		}
		var text []byte
		if len(fl.partial) > 0 {
			fl.partial = append(fl.partial, data[:i]...)
			text = fl.partial
		} else {
			text = data[:i]
		}
		fl.emit(text)
		fl.partial = fl.partial[:0]
		data = data[i+1:]
	}
}

func (fl *Follower) flushPartial() {
	if len(fl.partial) > 0 {
		fl.emit(fl.partial)
		fl.partial = fl.partial[:0]
	}
}

func (fl *Follower) emit(text []byte) {
	fl.n++
	fl.OnLine(Line{Source: fl.Path, N: fl.n, Text: bytes.TrimSuffix(text, []byte("\r"))})
}
