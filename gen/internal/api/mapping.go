package api

import (
	"bytes"
	"fmt"
	"os"
	"path"

	yaml "go.yaml.in/yaml/v2"
)

// Mapping is the parsed mapping file (event/mapping.yaml). The format is
// documented in the package doc of github.com/eventrecorder/eventrecorder/gen.
type Mapping struct {
	// Package is the import path of the package the files are generated
	// into; its last element is the package name.
	Package string `yaml:"package"`
	// EventData names the message whose single oneof lists the event types.
	EventData string `yaml:"event_data"`
	// Envelope names the message recorders write: timestamp, instance,
	// data (an EventData) and cluster_position.
	Envelope string `yaml:"envelope"`
	// FileIgnore lists staticcheck checks to silence in the generated files,
	// each "CHECK reason", emitted as //lint:file-ignore directives.
	FileIgnore []string `yaml:"lint_file_ignore"`
	// Imports maps the package names used in expressions and types to
	// their import paths. The schema's own Go package is added implicitly.
	Imports map[string]string `yaml:"imports"`
	// Structs are plain Go struct types, for constructors that take too
	// many parameters to read well positionally.
	Structs []Struct `yaml:"structs"`
	// Enums are switch functions from a Go value to a proto enum.
	Enums []Enum `yaml:"enums"`
	// Converters are functions from domain values to schema messages.
	Converters []Converter `yaml:"converters"`
	// Constructors customise the constructor of an EventData arm, keyed by
	// the arm's field name. Arms without an entry get a default
	// constructor taking the payload's fields as parameters.
	Constructors map[string]Constructor `yaml:"constructors"`
}

// Struct is a generated Go struct type.
type Struct struct {
	Name   string        `yaml:"name"`
	Doc    string        `yaml:"doc"`
	Fields []StructField `yaml:"fields"`
}

// StructField is one field of a generated struct.
type StructField struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"`
	Doc  string `yaml:"doc"`
}

// Enum is a generated switch from Go values to the values of a proto enum.
type Enum struct {
	Name string `yaml:"name"`
	Doc  string `yaml:"doc"`
	// From is the Go type switched on.
	From string `yaml:"from"`
	// To is the proto enum, named relative to the schema's package
	// (Matcher.Type) or fully qualified.
	To string `yaml:"to"`
	// Values maps proto enum value names to the Go expression that
	// selects them. Unlisted Go values map to the enum's zero value.
	Values map[string]string `yaml:"values"`
	// Inverse, when set, also generates the reverse function with this
	// name, returning the Go value and whether there is one.
	Inverse    string `yaml:"inverse"`
	InverseDoc string `yaml:"inverse_doc"`
}

// Converter is a generated function from domain values to a message (or a
// slice of messages).
type Converter struct {
	Name string `yaml:"name"`
	Doc  string `yaml:"doc"`
	// Params is a Go parameter list, e.g. "ls model.LabelSet".
	Params string `yaml:"params"`
	// Nil names a parameter; when it is nil the converter returns nil.
	Nil string `yaml:"nil"`
	// Result is a message name, or "repeated <message>" for a slice.
	Result string `yaml:"result"`

	// The body, as for a Spec: Fields/Omit for a message result,
	// Range/Key/As/Var/SortBy/Value for a repeated one.
	Fields map[string]*Spec `yaml:"fields"`
	Omit   []string         `yaml:"omit"`
	Range  string           `yaml:"range"`
	Key    string           `yaml:"key"`
	As     string           `yaml:"as"`
	Var    string           `yaml:"var"`
	SortBy string           `yaml:"sort_by"`
	Value  *Spec            `yaml:"value"`
}

func (c *Converter) spec() *Spec {
	return &Spec{Fields: c.Fields, Omit: c.Omit, Range: c.Range, Key: c.Key, As: c.As, Var: c.Var, SortBy: c.SortBy, Value: c.Value}
}

// Constructor customises the constructor of one EventData arm.
type Constructor struct {
	// Name overrides the default New<Payload> (with an Event suffix added
	// when the payload's name lacks one).
	Name string `yaml:"name"`
	Doc  string `yaml:"doc"`
	// Params is a Go parameter list. Without it the constructor takes the
	// payload's fields in order, and Fields/Omit must be empty.
	Params string           `yaml:"params"`
	Fields map[string]*Spec `yaml:"fields"`
	Omit   []string         `yaml:"omit"`
}

// Spec says how one field's value is built. In YAML it is either a plain
// string (a Go expression) or a mapping with fields/omit (a nested message
// literal) or range/key/as/var/sort_by/value (a repeated field filled by a
// loop; key makes it a loop over a map).
type Spec struct {
	Expr   string
	Fields map[string]*Spec
	Omit   []string
	Range  string
	Key    string
	As     string
	Var    string
	SortBy string
	Value  *Spec
}

type plainSpec struct {
	Fields map[string]*Spec `yaml:"fields"`
	Omit   []string         `yaml:"omit"`
	Range  string           `yaml:"range"`
	Key    string           `yaml:"key"`
	As     string           `yaml:"as"`
	Var    string           `yaml:"var"`
	SortBy string           `yaml:"sort_by"`
	Value  *Spec            `yaml:"value"`
}

// UnmarshalYAML accepts the scalar (expression) and the mapping form.
func (s *Spec) UnmarshalYAML(unmarshal func(any) error) error {
	var expr string
	if err := unmarshal(&expr); err == nil {
		*s = Spec{Expr: expr}
		return nil
	}
	var p plainSpec
	if err := unmarshal(&p); err != nil {
		return err
	}
	*s = Spec{Fields: p.Fields, Omit: p.Omit, Range: p.Range, Key: p.Key, As: p.As, Var: p.Var, SortBy: p.SortBy, Value: p.Value}
	return nil
}

// ParseMapping decodes a mapping file strictly: unknown keys are errors,
// so a typo cannot silently drop a mapping.
func ParseMapping(data []byte) (*Mapping, error) {
	var m Mapping
	if err := yaml.UnmarshalStrict(data, &m); err != nil {
		return nil, err
	}
	if m.Package == "" {
		return nil, fmt.Errorf("package: must be set to the import path of the generated package")
	}
	if m.Envelope == "" {
		m.Envelope = "Event"
	}
	if m.EventData == "" {
		m.EventData = "EventData"
	}
	return &m, nil
}

// LoadMapping reads and parses a mapping file.
func LoadMapping(file string) (*Mapping, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	m, err := ParseMapping(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return m, nil
}

// packageName is the Go package name of the generated package.
func (m *Mapping) packageName() string { return path.Base(m.Package) }
