package buffer

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/eventrecorder/eventrecorder/sink"
)

// Buffer types.
const (
	// TypeMemory keeps the output's own in-memory queue (the default). Set
	// alone, it changes nothing; with max_bytes or when_full it puts a
	// byte-bounded memory buffer in front of the output.
	TypeMemory = "memory"
	// TypeDisk puts a disk buffer (package queue's Disk) in front of the
	// output: an outage fills the disk, not memory, and what the buffer
	// holds at Close or a crash is delivered by the next start.
	TypeDisk = "disk"
)

// when_full values.
const (
	// DropNewest reports the events that do not fit as Dropped.
	DropNewest = "drop_newest"
	// Block makes Deliver wait for room, which holds up the recorder's
	// consumer (never RecordEvent's caller: the recorder's own queue then
	// drops and counts). Close ends the wait.
	Block = "block"
)

// fsync values; see package queue for what each guarantees.
const (
	FsyncNone   = "none"
	FsyncBatch  = "batch"
	FsyncAlways = "always"
)

// Defaults and bounds of max_bytes.
const (
	// DefaultDiskMaxBytes is a disk buffer's max_bytes when unset: hours
	// of events at any rate Alertmanager records them.
	DefaultDiskMaxBytes = 1 << 30
	// DefaultMemoryMaxBytes is a memory buffer's max_bytes when unset.
	DefaultMemoryMaxBytes = 64 << 20
	// MinMaxBytes: a disk buffer is at least two segments of queue's
	// smallest (64 KiB), the largest event it takes.
	MinMaxBytes = 128 << 10
	// DiskMaxBytesLimit bounds a disk buffer: 1 TiB.
	DiskMaxBytesLimit = 1 << 40
	// MemoryMaxBytesLimit bounds a memory buffer, which is held in the
	// process's heap: 4 GiB.
	MemoryMaxBytesLimit = 4 << 30
	// MaxPathBytes bounds path.
	MaxPathBytes = 4096
)

// Config is an output's buffer block:
//
//	buffer: {type: memory | disk, path: DIR, max_bytes: 1GiB, when_full: drop_newest | block, fsync: none | batch | always}
//
// The zero Config is no buffer beyond the output's own queue, exactly as
// before buffers existed. Validate fills the defaults of a set block.
type Config struct {
	// Type is "memory" (the default) or "disk".
	Type string `yaml:"type,omitempty" json:"type,omitempty"`
	// Path is the disk buffer's directory, created if missing; required
	// for disk, rejected for memory. Two outputs cannot share one, and a
	// directory another process holds is an error.
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
	// MaxBytes bounds what the buffer holds (default 1GiB on disk, 64MiB
	// in memory; MinMaxBytes to DiskMaxBytesLimit or MemoryMaxBytesLimit).
	MaxBytes Size `yaml:"max_bytes,omitempty" json:"max_bytes,omitempty"`
	// WhenFull is "drop_newest" (the default) or "block".
	WhenFull string `yaml:"when_full,omitempty" json:"when_full,omitempty"`
	// Fsync is the disk buffer's fsync policy: "none", "batch" (the
	// default) or "always". Rejected for memory.
	Fsync string `yaml:"fsync,omitempty" json:"fsync,omitempty"`
}

// Enabled reports whether the configuration puts a buffer in front of the
// output: a disk buffer, or a memory buffer with a setting of its own.
func (c Config) Enabled() bool {
	return c.Type == TypeDisk || c.MaxBytes != 0 || c.WhenFull != ""
}

// Validate fills defaults and checks every field, returning a
// *sink.FieldError per problem with a path relative to the block
// ("max_bytes"); outputs prefix it with "buffer". It is idempotent.
func (c *Config) Validate() error {
	if *c == (Config{}) {
		return nil
	}
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, sink.Errorf(field, format, args...))
	}
	if c.Type == "" {
		c.Type = TypeMemory
	}
	limit := int64(0)
	switch c.Type {
	case TypeMemory:
		limit = MemoryMaxBytesLimit
		if c.Path != "" {
			add("path", "%q is set but type is %q; a path is for type %q", c.Path, c.Type, TypeDisk)
		}
		if c.Fsync != "" {
			add("fsync", "%q is set but type is %q; fsync is for type %q", c.Fsync, c.Type, TypeDisk)
		}
		if !c.Enabled() {
			// memory alone is the output's own queue: nothing to fill.
			return errors.Join(errs...)
		}
		if c.MaxBytes == 0 {
			c.MaxBytes = DefaultMemoryMaxBytes
		}
	case TypeDisk:
		limit = DiskMaxBytesLimit
		switch {
		case c.Path == "":
			add("path", "a directory is required for type %q", TypeDisk)
		case len(c.Path) > MaxPathBytes:
			add("path", "is longer than %d bytes", MaxPathBytes)
		case strings.ContainsRune(c.Path, 0):
			add("path", "%q holds a NUL byte", c.Path)
		}
		if c.MaxBytes == 0 {
			c.MaxBytes = DefaultDiskMaxBytes
		}
		switch c.Fsync {
		case "":
			c.Fsync = FsyncBatch
		case FsyncNone, FsyncBatch, FsyncAlways:
		default:
			add("fsync", "%q is not one of %q, %q, %q", c.Fsync, FsyncNone, FsyncBatch, FsyncAlways)
		}
	default:
		add("type", "%q is not one of %q, %q", c.Type, TypeMemory, TypeDisk)
	}
	switch {
	case limit == 0:
		// an unknown type: its bounds are unknown too
	case c.MaxBytes < 0:
		add("max_bytes", "%q is negative", c.MaxBytes.String())
	case c.MaxBytes < MinMaxBytes:
		add("max_bytes", "%q is below the minimum %q", c.MaxBytes.String(), Size(MinMaxBytes).String())
	case int64(c.MaxBytes) > limit:
		add("max_bytes", "%q is above the maximum %q for type %q", c.MaxBytes.String(), Size(limit).String(), c.Type)
	}
	switch c.WhenFull {
	case "":
		c.WhenFull = DropNewest
	case DropNewest, Block:
	default:
		add("when_full", "%q is not one of %q, %q", c.WhenFull, DropNewest, Block)
	}
	return errors.Join(errs...)
}

// Equal reports whether two buffer blocks are the same once defaults are
// filled, so that a reload keeps an output whose block only spelt the
// defaults differently, and rebuilds one whose buffer changed.
func Equal(a, b Config) bool {
	_ = a.Validate()
	_ = b.Validate()
	if !a.Enabled() && !b.Enabled() {
		return true
	}
	if a.Path != "" && b.Path != "" {
		a.Path, b.Path = CanonicalDir(a.Path), CanonicalDir(b.Path)
	}
	return a == b
}

// CanonicalDir is dir as buffers compare and lock it: absolute and
// cleaned.
func CanonicalDir(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return filepath.Clean(p)
}

// Configured is implemented by output configurations that have a buffer
// block, so that a configuration's outputs can be checked for shared
// directories (see CheckDistinct).
type Configured interface {
	BufferConfig() Config
}

// Output is one output for CheckDistinct: its path in the configuration
// ("webhook_outputs[0]") and its configuration.
type Output struct {
	Path   string
	Config any
}

// CheckDistinct returns a *sink.FieldError, at the later output's
// buffer.path, for every disk buffer directory that two outputs share.
// Directories are compared as absolute, cleaned paths (not through
// symbolic links: two outputs in one process that reach one directory
// another way still meet at New, which holds a lock per directory).
func CheckDistinct(outputs []Output) []error {
	seen := map[string]string{}
	var errs []error
	for _, o := range outputs {
		c, ok := o.Config.(Configured)
		if !ok {
			continue
		}
		b := c.BufferConfig()
		if b.Type != TypeDisk || b.Path == "" {
			continue
		}
		dir := CanonicalDir(b.Path)
		if first, ok := seen[dir]; ok {
			errs = append(errs, sink.AtPath(o.Path, sink.Errorf("buffer.path", "%q is also the buffer directory of %s; two outputs cannot share one", b.Path, first)))
			continue
		}
		seen[dir] = o.Path
	}
	return errs
}

// Size is a number of bytes, written as a plain number or with a unit:
// 512KiB, 64MiB, 1GiB, 1TiB (powers of 1024), kB, MB, GB, TB (powers of
// 1000) or B.
type Size int64

var units = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
}

// ParseSize parses a size as Size documents it.
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || t == "" || t[0] == '+' {
		return 0, fmt.Errorf("%q is not a size; want bytes or a number with a unit such as 512MiB or 1GiB", s)
	}
	if n > math.MaxInt64/mult || n < math.MinInt64/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return Size(n * mult), nil
}

// String writes the size with the largest binary unit that divides it.
func (s Size) String() string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if s != 0 && int64(s)%u.mult == 0 {
			return strconv.FormatInt(int64(s)/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(s), 10)
}

// UnmarshalYAML accepts a number of bytes or a string with a unit. Its
// error names the one field a Size is, max_bytes, so that the output's
// decoder reports it there (buffer.max_bytes) whichever paths it reports
// for nested decoders' errors.
func (s *Size) UnmarshalYAML(unmarshal func(any) error) error {
	var v any
	if err := unmarshal(&v); err != nil {
		return err
	}
	if err := s.set(v); err != nil {
		return &sink.FieldError{Path: "max_bytes", Err: err}
	}
	return nil
}

func (s *Size) set(v any) error {
	switch n := v.(type) {
	case int:
		*s = Size(n)
	case int64:
		*s = Size(n)
	case uint64:
		if n > math.MaxInt64 {
			return fmt.Errorf("%d is too large", n)
		}
		*s = Size(n)
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return fmt.Errorf("%v is not a whole number of bytes", n)
		}
		*s = Size(n)
	case string:
		p, err := ParseSize(n)
		if err != nil {
			return err
		}
		*s = p
	default:
		return fmt.Errorf("want a size such as 1GiB, got %s", sink.YAMLKind(v))
	}
	return nil
}

// MarshalYAML writes the size as String does.
func (s Size) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalJSON writes the size as String does.
func (s Size) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON accepts what UnmarshalYAML accepts.
func (s *Size) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	return s.set(v)
}
