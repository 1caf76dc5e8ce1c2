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

	"github.com/eventrecorder/eventrecorder/internal/yamltree"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/internal/lines"
)

// Config configures the stdout output; it has no settings of its own
// (stdout_outputs: [{}]) beyond the event-type filter and the name. Two
// stdout outputs (with different filters, say) need distinct names.
type Config struct {
	sink.Filter `yaml:",inline"`
	sink.Naming `yaml:",inline"`
}

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

// Sink writes each batch with one Write call.
type Sink[T any] struct {
	w    io.Writer
	env  sink.Env[T]
	name string

	mu     sync.Mutex // guards buf, torn and closed
	buf    []byte
	torn   bool // a failed write stopped inside a line
	closed bool
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
	return &Sink[T]{w: w, env: env.WithDefaults(), name: "stdout"}
}

// Name is "stdout", or the name the configuration sets.
func (s *Sink[T]) Name() string { return s.name }

// Deliver writes the batch and reports it before returning.
func (s *Sink[T]) Deliver(batch []sink.Message[T]) {
	if len(batch) == 0 {
		return
	}
	delivered, err := s.deliver(batch)
	lines.Report(s.env.Reporter, batch, delivered, err)
}

func (s *Sink[T]) deliver(batch []sink.Message[T]) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	buf, prefix := lines.Join(&s.buf, batch, s.torn)

	writeMu.Lock()
	n, err := s.w.Write(buf)
	writeMu.Unlock()
	if err == nil && n < len(buf) {
		err = io.ErrShortWrite
	}
	if err == nil {
		s.torn = false
		return len(batch), nil
	}
	s.torn = (s.torn && n == 0) || (n > 0 && buf[n-1] != '\n')
	return lines.Whole(batch, prefix, n), fmt.Errorf("write to stdout: %w", err)
}

// Close marks the output closed. It does not close the writer: standard
// output belongs to the process.
func (s *Sink[T]) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.buf = nil
	return nil
}
