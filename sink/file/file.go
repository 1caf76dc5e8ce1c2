// Package file is the output kind that appends events as JSON lines to a
// local file, and keeps doing so across log rotation. When another file is
// put at the configured path (logrotate's create) the output switches to
// it; when its file is removed it creates a new one; when its file is
// renamed and nothing replaces it within a second it creates a new one,
// having appended to the renamed file meanwhile, so nothing is lost and a
// rotation tool's own create is not raced. copytruncate works because the
// file is opened with O_APPEND.
package file

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rjeczalik/notify"

	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/internal/lines"
)

// Kind is the table row for file outputs: YAML key file_outputs, JSON
// format.
func Kind[T any]() sink.Kind[T] {
	return sink.KindOf[T, Config]{
		Name: "file",
		New: func(cfg Config, env sink.Env[T]) (sink.Sink[T], error) {
			return New(cfg, env)
		},
		Equal:      Equal,
		Format:     func(Config) sink.Format { return sink.JSON },
		OutputName: func(cfg Config) string { return "file:" + cfg.Path },
		// Deliver writes the batch and reports it before returning.
		Synchronous: true,
	}.Kind()
}

// ErrClosed is reported for messages delivered after Close.
var ErrClosed = errors.New("file output is closed")

// Sink appends each delivered batch to the file with a single write(2),
// so that concurrent writers and rotation tools never see half a batch
// interleaved with something else, and reports the batch before Deliver
// returns: it holds no events between calls.
//
// Every filesystem call — open, stat, write, fsync — runs on the sink's
// own goroutine, which also follows rotation, so that a file that blocks
// them (a FIFO nobody reads, a hung NFS mount) stalls that goroutine
// rather than the recorder: see lines.Writer.
type Sink[T any] struct {
	path  string // as configured, for errors
	name  string
	abs   string // what is opened and stat'ed
	mode  os.FileMode
	fsync bool
	env   sink.Env[T]
	w     *lines.Writer[T]

	// mu guards what the goroutine owns against the test hooks; the
	// goroutine holds it for each job and each rotation it follows, and
	// Close takes it only once the goroutine has ended.
	mu   sync.Mutex
	f    *os.File
	fi   os.FileInfo // of f, to tell whether path still names it
	torn os.FileInfo // the file a short write left a partial line in
	// cur is f, for Close to interrupt a write that is stuck: closing a
	// FIFO or pipe ends a blocked write(2) on it.
	cur atomic.Pointer[os.File]
	// renamedAt is when the open file was first seen renamed away from
	// the path; zero while the path names it.
	renamedAt time.Time
	grace     time.Duration
	// write is the one write call per batch and sync the fsync; tests
	// replace them to count calls and to inject failures.
	write func(f *os.File, b []byte) (int, error)
	sync  func(f *os.File) error

	events    chan notify.EventInfo // nil when the directory is not watched
	done      chan struct{}         // closed when the goroutine ends
	finalErr  error                 // what closing the file said, once done
	closeOnce sync.Once
	closeErr  error
}

// New opens (creating if needed) the file at cfg.Path and starts watching
// its directory for rotation. It fails when the file cannot be opened for
// appending, such as when its directory does not exist. It does not wait
// for a reader: a FIFO that nobody reads yet is opened by the first batch
// after a reader appears, the batches before it failing. Nor does it
// wait longer than lines.StallTimeout for an open that does not return
// (a hung NFS mount): the output then starts, failing batches until the
// open completes.
func New[T any](cfg Config, env sink.Env[T]) (*Sink[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	env = env.WithDefaults()
	abs, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, sink.Errorf("path", "cannot resolve %q: %w", cfg.Path, err)
	}
	s := &Sink[T]{
		path:  cfg.Path,
		name:  sink.NameOr(cfg, "file:"+cfg.Path),
		abs:   abs,
		mode:  os.FileMode(cfg.Mode),
		fsync: cfg.Fsync == FsyncBatch,
		env:   env,
		write: (*os.File).Write,
		sync:  (*os.File).Sync,
		grace: renameGrace,
		done:  make(chan struct{}),
	}
	s.w = lines.NewWriter(env.Reporter, s.path, ErrClosed)
	// The watcher only speeds things up: every batch also checks that the
	// path still names the open file, so a watch that cannot be set up
	// (inotify limits) costs promptness, not correctness.
	events := make(chan notify.EventInfo, 16)
	if err := notify.Watch(filepath.Dir(abs), events, notify.Rename, notify.Remove, notify.Create); err != nil {
		env.Logger.Warn("cannot watch the directory of the event file; rotation is noticed at the next write", "path", cfg.Path, "err", err)
	} else {
		s.events = events
	}
	s.w.Begin("opening the file")
	go s.run()
	done, err := s.w.WaitBegun(s.w.Stall)
	switch {
	case !done:
		env.Logger.Warn("opening the event file is taking too long; batches fail until it completes", "path", cfg.Path, "waited", s.w.Stall)
	case err != nil:
		s.stop()
		<-s.done
		var fe *sink.FieldError
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, sink.Errorf("path", "%w", err)
	}
	return s, nil
}

// run is the sink's goroutine: it opens the file, then writes the jobs
// Deliver hands it and follows rotation as soon as the directory changes,
// until Close.
func (s *Sink[T]) run() {
	defer close(s.done)
	s.mu.Lock()
	err := s.open(true)
	if errors.Is(err, errNoReader) {
		s.env.Logger.Warn("event file is a FIFO with no reader yet; batches fail until one opens it", "path", s.path)
		err = nil
	}
	if err == nil && s.fsync && s.f != nil {
		// /dev/null and pipes cannot be fsynced: every batch would fail.
		if serr := s.sync(s.f); serr != nil {
			s.closeFile()
			err = sink.Errorf("fsync", "is %q, but %q cannot be fsynced (%v); use %q for it", FsyncBatch, s.path, unwrapPath(serr), FsyncNone)
		}
	}
	s.mu.Unlock()
	s.w.Finish(0, 0, err)
	for {
		select {
		case <-s.w.Stopping():
			s.mu.Lock()
			s.finalErr = s.closeFinal()
			s.mu.Unlock()
			return
		case job := <-s.w.Jobs():
			s.mu.Lock()
			n, prefix, err := s.deliver(job)
			s.mu.Unlock()
			s.w.Finish(n, prefix, err)
		case <-s.events:
			s.mu.Lock()
			s.follow()
			s.mu.Unlock()
		}
	}
}

// Name is "file:" followed by the path as configured, or the name the
// configuration sets.
func (s *Sink[T]) Name() string { return s.name }

// Deliver appends the batch and reports it delivered, or failed when the
// file cannot be opened or written, or the write does not return within
// lines.StallTimeout.
func (s *Sink[T]) Deliver(batch []sink.Message[T]) { s.w.Deliver(batch) }

// DeliverLines is Deliver for a batch laid out as lines already (see
// sink.Lines): the output writes the recorder's bytes, copying nothing.
func (s *Sink[T]) DeliverLines(batch []sink.Message[T], l *sink.Lines) { s.w.DeliverLines(batch, l) }

// deliver writes one job (see lines.Writer) and returns how many of its
// bytes made it into the file, the length of the lead-in they start with,
// and the error that stopped the rest.
func (s *Sink[T]) deliver(job []byte) (n, prefix int, err error) {
	if err := s.ensureOpen(); err != nil {
		return 0, 0, err
	}
	// A fragment a short write left is ended only if it is in this file.
	buf, prefix := lines.Lead(job, s.torn != nil && os.SameFile(s.torn, s.fi))
	s.torn = nil
	n, err = s.write(s.f, buf)
	if err == nil && n < len(buf) {
		err = fmt.Errorf("short write (%d of %d bytes)", n, len(buf))
	}
	if err != nil {
		if (n == 0 && prefix > 0) || (n > 0 && buf[n-1] != '\n') {
			s.torn = s.fi
		}
		// Reopen for the next batch: the descriptor may be what broke.
		s.closeFile()
		return n, prefix, fmt.Errorf("write %s: %w", s.path, unwrapPath(err))
	}
	if s.fsync {
		if err := s.sync(s.f); err != nil {
			s.closeFile()
			return 0, prefix, fmt.Errorf("fsync %s: %w", s.path, unwrapPath(err))
		}
	}
	return n, prefix, nil
}

// renameGrace is how long the output keeps appending to its file after
// the file was renamed away, waiting for the rotation tool to put a new
// one in place. Creating the path at once would race the tool:
// logrotate's create opens the new file with O_EXCL and, finding one,
// moves it aside as a ".backup" and reports an error.
const renameGrace = time.Second

// ensureOpen makes sure the open file is the one the path names now. The
// stat is one syscall per batch and makes rotation handling independent of
// when the watcher's events arrive.
func (s *Sink[T]) ensureOpen() error {
	if s.f != nil {
		fi, err := os.Stat(s.abs)
		switch {
		case err == nil && os.SameFile(fi, s.fi):
			s.renamedAt = time.Time{}
			return nil
		case err == nil:
			s.env.Logger.Info("event file was replaced; reopening", "path", s.path)
		case errors.Is(err, fs.ErrNotExist) && s.waitForReplacement():
			return nil
		default:
			s.env.Logger.Info("event file was rotated; creating a new one", "path", s.path)
		}
		s.closeFile()
	}
	return s.open(true)
}

// waitForReplacement reports whether to go on appending to the open file
// although the path no longer names it: yes while the file still exists
// under another name and the grace period since it was noticed runs.
// A removed file gets no grace: what is written to it is lost.
func (s *Sink[T]) waitForReplacement() bool {
	fi, err := s.f.Stat()
	if err != nil || !linked(fi) {
		return false
	}
	if s.renamedAt.IsZero() {
		s.renamedAt = time.Now()
		s.env.Logger.Info("event file was renamed; appending to it until a new one appears", "path", s.path, "grace", s.grace)
	}
	return time.Since(s.renamedAt) < s.grace
}

// openFile is os.OpenFile; a test replaces it with an open that hangs.
var openFile = os.OpenFile

// errNoReader means the path is a FIFO that no process has open for
// reading: opening it for writing would block until one does.
var errNoReader = errors.New("no process has the FIFO open for reading")

// open opens the path for appending. With create, a missing file is
// created with the configured mode (chmod'ed, so the umask does not
// narrow it). The path is opened non-blocking (openFlags), so that a
// FIFO without a reader fails with errNoReader instead of blocking.
func (s *Sink[T]) open(create bool) error {
	var f *os.File
	err := fs.ErrExist
	if create {
		f, err = openFile(s.abs, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL|openFlags, s.mode)
		if err == nil {
			if err := f.Chmod(s.mode); err != nil {
				f.Close()
				return fmt.Errorf("cannot set the mode of %q to %04o: %w", s.path, uint32(s.mode), unwrapPath(err))
			}
		}
	}
	if errors.Is(err, fs.ErrExist) {
		f, err = openFile(s.abs, os.O_WRONLY|os.O_APPEND|openFlags, 0)
	}
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// A dangling symbolic link makes O_EXCL fail and the open
			// without O_CREATE find nothing.
			if target, lerr := os.Readlink(s.abs); lerr == nil {
				return fmt.Errorf("cannot open %q: it is a symbolic link to %q, which does not exist", s.path, target)
			}
			return fmt.Errorf("cannot open %q: directory %q does not exist: %w", s.path, filepath.Dir(s.path), unwrapPath(err))
		case isNoReader(err):
			return fmt.Errorf("cannot open %q: %w", s.path, errNoReader)
		}
		return fmt.Errorf("cannot open %q for appending: %w", s.path, unwrapPath(err))
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("cannot stat %q: %w", s.path, unwrapPath(err))
	}
	s.f, s.fi = f, fi
	s.cur.Store(f)
	s.renamedAt = time.Time{}
	return nil
}

func (s *Sink[T]) closeFile() {
	if s.f != nil {
		// Close may have closed it already, to interrupt a stuck write.
		if err := s.f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
			s.env.Logger.Warn("closing event file", "path", s.path, "err", err)
		}
		s.f, s.fi = nil, nil
		s.cur.Store(nil)
	}
}

// follow follows a rotation as soon as the directory changes rather than
// at the next batch: it switches to a file put in place of the open one
// and lets go of a removed one, so that its space is freed. It never
// creates the file, so as not to race a rotation tool that does.
func (s *Sink[T]) follow() {
	if s.f == nil {
		return
	}
	fi, err := os.Stat(s.abs)
	switch {
	case err == nil && os.SameFile(fi, s.fi):
	case err == nil:
		s.env.Logger.Info("event file was replaced; reopening", "path", s.path)
		s.closeFile()
		if err := s.open(false); err != nil {
			s.env.Logger.Warn("cannot open the new event file; trying again at the next batch", "path", s.path, "err", err)
		}
	default:
		if cur, err := s.f.Stat(); err != nil || !linked(cur) {
			s.env.Logger.Info("event file was removed; closing it", "path", s.path)
			s.closeFile()
		}
	}
}

// Close stops watching and closes the file. Nothing is buffered, so there
// is nothing to flush; but a write that is stuck is given up on: Close
// waits for it at most Env.CloseTimeout, then closes the file under it,
// which ends a write blocked on a FIFO or pipe. A write blocked in the
// kernel on a regular file (a hung NFS mount) cannot be ended; Close
// returns regardless, with an error, and the goroutine ends when the
// write does.
func (s *Sink[T]) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

// closeGrace is how long Close waits for the goroutine after closing the
// file under a stuck write: the write then returns at once, unless the
// kernel holds it.
const closeGrace = 100 * time.Millisecond

func (s *Sink[T]) close() error {
	s.stop()
	budget := s.env.CloseTimeout
	t := time.NewTimer(budget)
	defer t.Stop()
	select {
	case <-s.done:
		return s.finalErr
	case <-t.C:
	}
	if f := s.cur.Load(); f != nil {
		_ = f.Close()
	}
	t.Reset(closeGrace)
	select {
	case <-s.done:
		return fmt.Errorf("close %s: a write was still blocked after the close budget of %v; the file was closed under it", s.path, budget)
	case <-t.C:
		return fmt.Errorf("close %s: a write was still blocked after the close budget of %v, and closing the file did not end it; giving up on it", s.path, budget)
	}
}

// stop ends the goroutine (after its current job) and the directory watch.
func (s *Sink[T]) stop() {
	if s.events != nil {
		notify.Stop(s.events)
	}
	s.w.Stop()
}

// closeFinal closes the file when the goroutine ends, and returns what
// closing it said.
func (s *Sink[T]) closeFinal() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f, s.fi = nil, nil
	s.cur.Store(nil)
	if err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("close %s: %w", s.path, unwrapPath(err))
	}
	return nil
}

// unwrapPath drops an *fs.PathError's operation and absolute path, which
// the messages here already say in the configured form.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
