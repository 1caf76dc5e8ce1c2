// Package input opens and reads what the eventrecorder command is given to
// read — JSONL files, configurations, standard input — so that every
// command can be interrupted while it waits on one, and so that a path
// which is not a readable file is refused when it is opened.
//
// Two waits of plain os.Open and Read ignore a cancelled context: opening
// a FIFO blocks until a writer opens its other end, and reading a pipe, a
// FIFO or a terminal blocks until data comes. Open and Reader wait in a
// goroutine and give up when the context ends. The goroutine is left to
// finish its system call: the command is about to exit then, and if the
// wait completes first, the goroutine closes what it opened.
package input

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/eventrecorder/eventrecorder/event"
)

// File is an opened input.
type File struct {
	f    *os.File
	info fs.FileInfo
	r    io.Reader
}

// Open opens path for reading. The open, which for a FIFO waits for a
// writer, ends with ctx's error if ctx ends first. A directory is refused
// here, with an error naming it: reading one would fail only later, making
// it look like a file with a bad line rather than one that cannot be read.
// Reads of anything but a regular file end with ctx's error too.
func Open(ctx context.Context, path string) (*File, error) {
	if err := ctx.Err(); err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened)
	abandoned := make(chan struct{})
	go func() {
		f, err := os.Open(path)
		select {
		case ch <- opened{f, err}:
		case <-abandoned:
			if f != nil {
				_ = f.Close()
			}
		}
	}()
	var o opened
	select {
	case o = <-ch:
	case <-ctx.Done():
		close(abandoned)
		return nil, &fs.PathError{Op: "open", Path: path, Err: ctx.Err()}
	}
	if o.err != nil {
		return nil, o.err
	}
	info, err := o.f.Stat()
	if err != nil {
		_ = o.f.Close()
		return nil, err
	}
	if info.IsDir() {
		_ = o.f.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: syscall.EISDIR}
	}
	return &File{f: o.f, info: info, r: reader(ctx, o.f, info)}, nil
}

// Name is the path given to Open.
func (f *File) Name() string { return f.f.Name() }

// Info describes the opened file (not whatever the path names now).
func (f *File) Info() fs.FileInfo { return f.info }

// Regular reports whether the file is a regular file: one with a size,
// whose reads never wait and which can be read at an offset.
func (f *File) Regular() bool { return f.info.Mode().IsRegular() }

// Read reads from the file; see Open for when it gives up.
func (f *File) Read(p []byte) (int, error) { return f.r.Read(p) }

// ReadAt reads at an offset; only a regular file supports it.
func (f *File) ReadAt(p []byte, off int64) (int, error) { return f.f.ReadAt(p, off) }

// Close closes the file. A read still waiting after its context ended is
// released by it where the file is pollable (pipes and FIFOs on Linux).
func (f *File) Close() error { return f.f.Close() }

// ReadFile reads the configuration file at path as event.ReadConfig
// does (at most event.MaxConfigBytes), giving up when ctx ends.
func ReadFile(ctx context.Context, path string) ([]byte, error) {
	f, err := Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	b, err := event.ReadConfig(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// Reader returns r made to give up waiting for data when ctx ends. A
// regular file is returned as it is: its reads do not wait.
func Reader(ctx context.Context, r io.Reader) io.Reader {
	if f, ok := r.(*os.File); ok {
		if info, err := f.Stat(); err == nil {
			return reader(ctx, f, info)
		}
	}
	return &cancelReader{ctx: ctx, r: r, res: make(chan result, 1)}
}

func reader(ctx context.Context, f *os.File, info fs.FileInfo) io.Reader {
	if info.Mode().IsRegular() {
		return f
	}
	return &cancelReader{ctx: ctx, r: f, res: make(chan result, 1)}
}

// cancelReader does each read in a goroutine, into a buffer of its own so
// that a read abandoned when the context ended never writes to the
// caller's. Once the context has ended every read fails, so the abandoned
// read's buffer is never touched again.
type cancelReader struct {
	ctx context.Context
	r   io.Reader
	buf []byte
	res chan result // buffered: an abandoned read's result is dropped
}

type result struct {
	n   int
	err error
}

func (c *cancelReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if len(c.buf) < len(p) {
		c.buf = make([]byte, len(p))
	}
	buf := c.buf[:len(p)]
	go func() {
		n, err := c.r.Read(buf)
		c.res <- result{n, err}
	}()
	select {
	case r := <-c.res:
		return copy(p, buf[:r.n]), r.err
	case <-c.ctx.Done():
		select {
		case r := <-c.res: // done as the context ended: keep the data
			return copy(p, buf[:r.n]), r.err
		default:
			return 0, c.ctx.Err()
		}
	}
}
