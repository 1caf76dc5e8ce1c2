// Package stdout is the output kind that writes events as JSON lines to
// the process's standard output, for containers whose log collector reads
// stdout.
package stdout

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/eventrecorder/eventrecorder/internal/yamltree"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/internal/lines"
)

// Config configures the stdout output; it has no settings of its own
// (stdout_outputs: [{}]) beyond the event-type filter and the name. Two
// stdout outputs (with different filters, say) need distinct names.
type Config struct {
	sink.Filter `yaml:",inline"`
	// Name identifies the output in metric labels and logs (see
	// sink.Naming); a facade may require it (event/v2 does, as
	// Alertmanager v0.35 does).
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// IncludeID puts each event's id in the envelope the output gets
	// (include_id; see sink.Identity).
	IncludeID bool `yaml:"include_id,omitempty" json:"include_id,omitempty"`
}

// ConfiguredName implements sink.Named.
func (c Config) ConfiguredName() string { return c.Name }

// IncludesID implements sink.IDIncluder.
func (c Config) IncludesID() bool { return c.IncludeID }

// UnmarshalYAML decodes strictly, whether or not the caller's decoder is
// strict, and the same under either yaml.v2 driver (see
// internal/yamltree), so that "stdout_outputs: [{format: yaml}]" fails
// wherever the configuration is embedded.
func (c *Config) UnmarshalYAML(unmarshal func(any) error) error {
	type plain Config
	*c = Config{}
	return yamltree.Unmarshal(unmarshal, (*plain)(c), yamltree.DeepestKey)
}

// Kind is the table row for stdout outputs: YAML key stdout_outputs, JSON
// format.
func Kind[T any]() sink.Kind[T] {
	return sink.KindOf[T, Config]{
		Name: "stdout",
		New: func(cfg Config, env sink.Env[T]) (sink.Sink[T], error) {
			return New(cfg, env)
		},
		Format:     func(Config) sink.Format { return sink.JSON },
		OutputName: func(Config) string { return "stdout" },
		// Deliver writes the batch and reports it before returning.
		Synchronous: true,
	}.Kind()
}

// ErrClosed is reported for messages delivered after Close.
var ErrClosed = errors.New("stdout output is closed")

// writeMu serialises every stdout output's writes. It is one lock for the
// package rather than one per output because two outputs (say, one per
// event-type filter) share the same standard output, and a batch written
// by one must not land in the middle of a line of the other.
var writeMu sync.Mutex

// Sink writes each batch with one Write call, on a goroutine of its own
// (see lines.Writer): standard output piped into a process that stopped
// reading (| sleep 60) blocks the write, and that must not stall the
// recorder or hold up its Close.
type Sink[T any] struct {
	w    io.Writer
	env  sink.Env[T]
	name string
	lw   *lines.Writer[T]

	torn bool          // a failed write stopped inside a line (the goroutine's)
	done chan struct{} // closed when the goroutine ends

	closeOnce sync.Once
	closeErr  error
}

// New returns an output that writes to os.Stdout.
func New[T any](cfg Config, env sink.Env[T]) (*Sink[T], error) {
	s := NewWriter(os.Stdout, env)
	s.name = sink.NameOr(cfg, s.name)
	return s, nil
}

// NewWriter returns an output that writes to w instead of standard output.
// Writes go through the same package-wide lock as stdout's, so w need not
// be safe for concurrent use.
func NewWriter[T any](w io.Writer, env sink.Env[T]) *Sink[T] {
	env = env.WithDefaults()
	s := &Sink[T]{w: w, env: env, name: "stdout", done: make(chan struct{})}
	s.lw = lines.NewWriter(env.Reporter, "to stdout", ErrClosed)
	go s.run()
	return s
}

func (s *Sink[T]) run() {
	defer close(s.done)
	for {
		select {
		case <-s.lw.Stopping():
			return
		case job := <-s.lw.Jobs():
			s.lw.Finish(s.write(job))
		}
	}
}

// Name is "stdout", or the name the configuration sets.
func (s *Sink[T]) Name() string { return s.name }

// Deliver writes the batch and reports it before returning; a write that
// does not return within lines.StallTimeout fails the batch.
func (s *Sink[T]) Deliver(batch []sink.Message[T]) { s.lw.Deliver(batch) }

// DeliverLines is Deliver for a batch laid out as lines already (see
// sink.Lines): the output writes the recorder's bytes, copying nothing.
func (s *Sink[T]) DeliverLines(batch []sink.Message[T], l *sink.Lines) { s.lw.DeliverLines(batch, l) }

func (s *Sink[T]) write(job []byte) (n, prefix int, err error) {
	buf, prefix := lines.Lead(job, s.torn)
	writeMu.Lock()
	n, err = s.w.Write(buf)
	writeMu.Unlock()
	if err == nil && n < len(buf) {
		err = io.ErrShortWrite
	}
	if err == nil {
		s.torn = false
		return n, prefix, nil
	}
	s.torn = (s.torn && n == 0) || (n > 0 && buf[n-1] != '\n')
	return n, prefix, fmt.Errorf("write to stdout: %w", err)
}

// Close marks the output closed. It does not close the writer: standard
// output belongs to the process. A write still blocked is given up on
// after Env.CloseTimeout (its batch was reported failed when it stalled);
// the goroutine ends when the write returns.
func (s *Sink[T]) Close() error {
	s.closeOnce.Do(func() {
		s.lw.Stop()
		t := time.NewTimer(s.env.CloseTimeout)
		defer t.Stop()
		select {
		case <-s.done:
		case <-t.C:
			s.closeErr = fmt.Errorf("close stdout: a write was still blocked after the close budget of %v; giving up on it", s.env.CloseTimeout)
		}
	})
	return s.closeErr
}
