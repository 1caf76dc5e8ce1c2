package file

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/eventrecorder/eventrecorder/internal/yamltree"
	"github.com/eventrecorder/eventrecorder/sink"
)

// DefaultMode is the permission a newly created file gets when Mode is
// unset.
const DefaultMode FileMode = 0o644

// Fsync policies.
const (
	// FsyncNone leaves flushing to the kernel: a batch is delivered once
	// write(2) returned, so a power loss can lose what the page cache held.
	FsyncNone = "none"
	// FsyncBatch calls fsync(2) after every batch and reports the batch
	// delivered only once it returned.
	FsyncBatch = "batch"
)

// FileMode is a permission set written in octal, as in chmod: 0640 or
// "0640" in YAML. A plain number is read the way YAML reads it, so an
// unquoted 0640 is octal but 640 is decimal; a quoted string is always
// octal, which is why the string form is what this type marshals to.
type FileMode os.FileMode

// String returns the mode in four-digit octal, such as "0644".
func (m FileMode) String() string { return fmt.Sprintf("%04o", uint32(m)) }

// MarshalYAML writes the quoted octal form so that a dumped configuration
// reads back as the same mode.
func (m FileMode) MarshalYAML() (any, error) { return m.String(), nil }

// UnmarshalYAML accepts an integer (YAML's own octal 0640 included) or an
// octal string.
func (m *FileMode) UnmarshalYAML(unmarshal func(any) error) error {
	// A scalar decodes into a string as written (999, 01777), which
	// messages quote; a mapping or list fails at once, without the
	// driver decoding what it holds.
	var text string
	if err := unmarshal(&text); err != nil {
		kind := "a mapping"
		if strings.Contains(err.Error(), "!!seq") {
			kind = "a list"
		}
		return sink.Errorf("mode", "must be an octal permission such as \"0640\", got %s", kind)
	}
	var v any
	if err := unmarshal(&v); err != nil {
		return err
	}
	if _, isString := v.(string); isString {
		text = ""
	}
	return m.set(v, text)
}

// MarshalJSON writes the octal string, as MarshalYAML does.
func (m FileMode) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }

// UnmarshalJSON accepts an octal string or a (decimal) JSON number.
func (m *FileMode) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	text := ""
	if f, ok := v.(float64); ok {
		text = string(b)
		if f == float64(int64(f)) {
			v = int64(f)
		}
	}
	return m.set(v, text)
}

// set sets the mode from a decoded value; text is a number as written.
func (m *FileMode) set(v any, text string) error {
	if text == "" {
		text = fmt.Sprint(v)
	}
	var n uint64
	switch x := v.(type) {
	case int:
		if x < 0 {
			return sink.Errorf("mode", "must be a permission such as 0640, got %s", text)
		}
		n = uint64(x)
	case int64:
		if x < 0 {
			return sink.Errorf("mode", "must be a permission such as 0640, got %s", text)
		}
		n = uint64(x)
	case uint64:
		n = x
	case string:
		s := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(x), "0o"), "0O")
		u, err := strconv.ParseUint(s, 8, 32)
		if err != nil || s == "" {
			return sink.Errorf("mode", "must be an octal permission such as \"0640\", got %q", x)
		}
		n = u
	case float64, bool:
		return sink.Errorf("mode", "must be an octal permission such as \"0640\", got %s", text)
	default:
		return sink.Errorf("mode", "must be an octal permission such as \"0640\", got %s", sink.YAMLKind(v))
	}
	if n > 0o777 {
		if _, isString := v.(string); isString {
			text = strconv.Quote(v.(string))
		}
		return sink.Errorf("mode", "must be a permission between 0000 and 0777, got %s (write it in octal, such as 0640 or \"0640\")", text)
	}
	*m = FileMode(n)
	return nil
}

// Config configures an output that appends events, one JSON object per
// line, to a file.
type Config struct {
	// Path is the file to append to, created if absent. A relative path is
	// taken relative to the working directory when the output is built.
	Path string `yaml:"path" json:"path"`
	// Mode is the permission of a file the output creates (the umask does
	// not apply). An existing file keeps its mode. Zero means DefaultMode.
	Mode FileMode `yaml:"mode,omitempty" json:"mode,omitempty"`
	// Fsync is "none" (or empty) or "batch".
	Fsync string `yaml:"fsync,omitempty" json:"fsync,omitempty"`

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

// UnmarshalYAML decodes strictly (whether or not the caller's decoder is
// strict, and under either yaml.v2 driver: see internal/yamltree), applies
// the defaults and validates, so a configuration file with a bad file
// output fails at load time with the field named.
func (c *Config) UnmarshalYAML(unmarshal func(any) error) error {
	type plain Config
	var p plain
	return yamltree.UnmarshalAndCheck(unmarshal, &p, yamltree.DeepestKey, func() error {
		*c = Config(p)
		return c.Validate()
	})
}

// Validate checks the configuration and fills in the defaults, so that a
// zero Config with only Path set is usable from Go.
// Every problem is reported.
func (c *Config) Validate() error {
	var errs []error
	switch {
	case c.Path == "":
		errs = append(errs, sink.Errorf("path", "is required"))
	case strings.IndexByte(c.Path, 0) >= 0:
		errs = append(errs, sink.Errorf("path", "must not contain a NUL byte, got %q", c.Path))
	}
	if c.Mode == 0 {
		c.Mode = DefaultMode
	}
	if c.Mode > 0o777 {
		errs = append(errs, sink.Errorf("mode", "must be a permission between 0000 and 0777, got %#o", uint32(c.Mode)))
	}
	switch c.Fsync {
	case "", FsyncNone, FsyncBatch:
	default:
		errs = append(errs, sink.Errorf("fsync", "must be %q or %q, got %q", FsyncNone, FsyncBatch, c.Fsync))
	}
	return errors.Join(errs...)
}

// normalized is c with its defaults applied, for comparing configurations.
func (c Config) normalized() Config {
	if c.Mode == 0 {
		c.Mode = DefaultMode
	}
	if c.Fsync == "" {
		c.Fsync = FsyncNone
	}
	return c
}

// Equal reports whether a and b configure the same output once defaults
// are applied, so that a reload that only spells out a default keeps the
// open file.
func Equal(a, b Config) bool {
	a, b = a.normalized(), b.normalized()
	if a.Path != b.Path || a.Mode != b.Mode || a.Fsync != b.Fsync || a.Name != b.Name || a.IncludeID != b.IncludeID || len(a.EventTypes) != len(b.EventTypes) {
		return false
	}
	for i := range a.EventTypes {
		if a.EventTypes[i] != b.EventTypes[i] {
			return false
		}
	}
	return true
}
