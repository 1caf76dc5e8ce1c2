package api

import (
	"bytes"
	"fmt"
	"go/token"
	"os"
	"path"
	"strings"

	yaml "go.yaml.in/yaml/v2"
)

// Mapping is the parsed mapping file (event/mapping.yaml). The format is
// documented in the package doc of github.com/eventrecorder/eventrecorder/gen.
type Mapping struct {
	// Package is the import path of the package the files are generated
	// into; its last element is the package name.
	Package string `yaml:"package"`
	// PackageName is the package clause of the generated files, when it
	// is not the import path's last element (event/v2 is package
	// eventrecorder, the name Alertmanager's code calls it by).
	PackageName string `yaml:"package_name"`
	// Names overrides the names of generated functions, for a package
	// whose exported API is written by hand around them.
	Names Names `yaml:"names"`
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

// Names are the names of the generated functions that are not named in
// the mapping's entries. Empty fields keep the defaults.
type Names struct {
	// Constructor is a fmt pattern for a constructor's default name, its
	// %s the payload message's name with "Event" appended when it lacks
	// it (default "New%s": NewAlertCreatedEvent).
	Constructor string `yaml:"constructor"`
	// EventTypeName names func(*EventData) string (default
	// EventTypeName).
	EventTypeName string `yaml:"event_type_name"`
	// EventTypeNames names func() []string (default EventTypeNames).
	EventTypeNames string `yaml:"event_type_names"`
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
	// Function asks for a function of its own for an unexported converter
	// that nothing generated calls as one, for hand-written code to call.
	Function bool `yaml:"function"`
	// Result is a message name, "repeated <message>" for a slice, or
	// "map<K, V>" (proto scalar types) for a map field's value.
	Result string `yaml:"result"`

	// The body, as for a Spec: Fields/Omit for a message result,
	// Range/Key/As/Var/SortBy/When/Value for a repeated one,
	// Range/Key/As/When/MapKey/Value for a map.
	Fields map[string]*Spec `yaml:"fields"`
	Omit   []string         `yaml:"omit"`
	Range  string           `yaml:"range"`
	Key    string           `yaml:"key"`
	As     string           `yaml:"as"`
	Var    string           `yaml:"var"`
	SortBy string           `yaml:"sort_by"`
	When   string           `yaml:"when"`
	MapKey string           `yaml:"map_key"`
	Value  *Spec            `yaml:"value"`
}

func (c *Converter) spec() *Spec {
	return &Spec{Fields: c.Fields, Omit: c.Omit, Range: c.Range, Key: c.Key, As: c.As, Var: c.Var, SortBy: c.SortBy, When: c.When, MapKey: c.MapKey, Value: c.Value}
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
// loop; key makes it a loop over a map). A map field is filled by a loop
// too, with map_key and value the expressions of each entry. when skips
// the values for which it is false.
type Spec struct {
	Expr   string
	Fields map[string]*Spec
	Omit   []string
	Range  string
	Key    string
	As     string
	Var    string
	SortBy string
	When   string
	MapKey string
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
	When   string           `yaml:"when"`
	MapKey string           `yaml:"map_key"`
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
	*s = Spec{Fields: p.Fields, Omit: p.Omit, Range: p.Range, Key: p.Key, As: p.As, Var: p.Var, SortBy: p.SortBy, When: p.When, MapKey: p.MapKey, Value: p.Value}
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
	m.setDefaults()
	if strings.Count(m.Names.Constructor, "%s") != 1 || strings.Count(m.Names.Constructor, "%") != 1 {
		return nil, fmt.Errorf("names: constructor: %q must hold %%s exactly once and no other verb", m.Names.Constructor)
	}
	for _, n := range []struct{ key, name string }{
		{"package_name", m.PackageName}, {"names: event_type_name", m.Names.EventTypeName}, {"names: event_type_names", m.Names.EventTypeNames},
	} {
		if n.name != "" && !token.IsIdentifier(n.name) {
			return nil, fmt.Errorf("%s: %q is not a Go identifier", n.key, n.name)
		}
	}
	return &m, nil
}

// eventTypeList is the private variable holding the event-type names,
// which the generated event-type functions and the schema description
// share; it must not collide with a function's configured name.
func (m *Mapping) eventTypeList() string {
	if list := "eventTypeNames"; list != m.Names.EventTypeNames && list != m.Names.EventTypeName {
		return list
	}
	return "allEventTypeNames"
}

// setDefaults fills in what the mapping leaves out.
func (m *Mapping) setDefaults() {
	if m.Envelope == "" {
		m.Envelope = "Event"
	}
	if m.EventData == "" {
		m.EventData = "EventData"
	}
	if m.Names.Constructor == "" {
		m.Names.Constructor = "New%s"
	}
	if m.Names.EventTypeName == "" {
		m.Names.EventTypeName = "EventTypeName"
	}
	if m.Names.EventTypeNames == "" {
		m.Names.EventTypeNames = "EventTypeNames"
	}
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
func (m *Mapping) packageName() string {
	if m.PackageName != "" {
		return m.PackageName
	}
	return path.Base(m.Package)
}
