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
type Sink[T any] struct {
	path  string // as configured, for errors
	name  string
	abs   string // what is opened and stat'ed
	mode  os.FileMode
	fsync bool
	env   sink.Env[T]

	mu     sync.Mutex
	f      *os.File
	fi     os.FileInfo // of f, to tell whether path still names it
	buf    []byte
	torn   os.FileInfo // the file a short write left a partial line in
	closed bool
	// renamedAt is when the open file was first seen renamed away from
	// the path; zero while the path names it.
	renamedAt time.Time
	grace     time.Duration

	// write is the one write call per batch and sync the fsync; tests
	// replace them to count calls and to inject failures.
	write func(f *os.File, b []byte) (int, error)
	sync  func(f *os.File) error

	events    chan notify.EventInfo // nil when the directory is not watched
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// New opens (creating if needed) the file at cfg.Path and starts watching
// its directory for rotation. It fails when the file cannot be opened for
// appending, such as when its directory does not exist.
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
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	if err := s.open(true); err != nil {
		return nil, sink.Errorf("path", "%w", err)
	}
	if s.fsync {
		// /dev/null and pipes cannot be fsynced: every batch would fail.
		if err := s.sync(s.f); err != nil {
			s.closeFile()
			return nil, sink.Errorf("fsync", "is %q, but %q cannot be fsynced (%v); use %q for it", FsyncBatch, cfg.Path, unwrapPath(err), FsyncNone)
		}
	}

	// The watcher only speeds things up: every batch also checks that the
	// path still names the open file, so a watch that cannot be set up
	// (inotify limits) costs promptness, not correctness.
	events := make(chan notify.EventInfo, 16)
	if err := notify.Watch(filepath.Dir(abs), events, notify.Rename, notify.Remove, notify.Create); err != nil {
		env.Logger.Warn("cannot watch the directory of the event file; rotation is noticed at the next write", "path", cfg.Path, "err", err)
		close(s.done)
		return s, nil
	}
	s.events = events
	go s.watch()
	return s, nil
}

// Name is "file:" followed by the path as configured, or the name the
// configuration sets.
func (s *Sink[T]) Name() string { return s.name }

// Deliver appends the batch and reports it delivered, or failed when the
// file cannot be opened or written.
func (s *Sink[T]) Deliver(batch []sink.Message[T]) {
	if len(batch) == 0 {
		return
	}
	delivered, err := s.deliver(batch)
	lines.Report(s.env.Reporter, batch, delivered, err)
}

// deliver writes the batch and returns how many of its messages made it
// into the file whole, and the error that stopped the rest.
func (s *Sink[T]) deliver(batch []sink.Message[T]) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	if err := s.ensureOpen(); err != nil {
		return 0, err
	}

	// A fragment a short write left is ended only if it is in this file.
	buf, prefix := lines.Join(&s.buf, batch, s.torn != nil && os.SameFile(s.torn, s.fi))
	s.torn = nil

	n, err := s.write(s.f, buf)
	if err == nil && n < len(buf) {
		err = fmt.Errorf("short write (%d of %d bytes)", n, len(buf))
	}
	if err != nil {
		// Count the lines that landed whole; the rest failed.
		if (n == 0 && prefix > 0) || (n > 0 && buf[n-1] != '\n') {
			s.torn = s.fi
		}
		whole := lines.Whole(batch, prefix, n)
		// Reopen for the next batch: the descriptor may be what broke.
		s.closeFile()
		return whole, fmt.Errorf("write %s: %w", s.path, unwrapPath(err))
	}
	if s.fsync {
		if err := s.sync(s.f); err != nil {
			s.closeFile()
			return 0, fmt.Errorf("fsync %s: %w", s.path, unwrapPath(err))
		}
	}
	return len(batch), nil
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

// open opens the path for appending. With create, a missing file is
// created with the configured mode (chmod'ed, so the umask does not
// narrow it).
func (s *Sink[T]) open(create bool) error {
	var f *os.File
	err := fs.ErrExist
	if create {
		f, err = os.OpenFile(s.abs, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, s.mode)
		if err == nil {
			if err := f.Chmod(s.mode); err != nil {
				f.Close()
				return fmt.Errorf("cannot set the mode of %q to %04o: %w", s.path, uint32(s.mode), unwrapPath(err))
			}
		}
	}
	if errors.Is(err, fs.ErrExist) {
		f, err = os.OpenFile(s.abs, os.O_WRONLY|os.O_APPEND, 0)
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// A dangling symbolic link makes O_EXCL fail and the open
			// without O_CREATE find nothing.
			if target, lerr := os.Readlink(s.abs); lerr == nil {
				return fmt.Errorf("cannot open %q: it is a symbolic link to %q, which does not exist", s.path, target)
			}
			return fmt.Errorf("cannot open %q: directory %q does not exist: %w", s.path, filepath.Dir(s.path), unwrapPath(err))
		}
		return fmt.Errorf("cannot open %q for appending: %w", s.path, unwrapPath(err))
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("cannot stat %q: %w", s.path, unwrapPath(err))
	}
	s.f, s.fi = f, fi
	s.renamedAt = time.Time{}
	return nil
}

func (s *Sink[T]) closeFile() {
	if s.f != nil {
		if err := s.f.Close(); err != nil {
			s.env.Logger.Warn("closing event file", "path", s.path, "err", err)
		}
		s.f, s.fi = nil, nil
	}
}

// watch follows a rotation as soon as the directory changes rather than
// at the next batch: it switches to a file put in place of the open one
// and lets go of a removed one, so that its space is freed. It never
// creates the file, so as not to race a rotation tool that does.
func (s *Sink[T]) watch() {
	defer close(s.done)
	for {
		select {
		case <-s.stop:
			return
		case <-s.events:
			s.mu.Lock()
			s.follow()
			s.mu.Unlock()
		}
	}
}

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
// is nothing to flush.
func (s *Sink[T]) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.events != nil {
			notify.Stop(s.events)
			close(s.stop)
		}
		<-s.done
		s.mu.Lock()
		defer s.mu.Unlock()
		s.closed = true
		if s.f != nil {
			if cerr := s.f.Close(); cerr != nil {
				err = fmt.Errorf("close %s: %w", s.path, unwrapPath(cerr))
			}
			s.f, s.fi = nil, nil
		}
		s.buf = nil
	})
	return err
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
