// Package yamltest holds the test helpers that decode and encode our
// configuration types every way a program may: with gopkg.in/yaml.v2
// (Alertmanager's driver up to v0.34) or go.yaml.in/yaml/v2, strictly or
// not, as the whole document or as a field of a larger struct (as
// Alertmanager embeds event_recorder). They fail the test unless every
// way gives the same value and the same error message, so a config test
// that decodes through Decode checks both drivers for each of its cases.
package yamltest

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	gopkgyaml "gopkg.in/yaml.v2"

	"go.yaml.in/yaml/v2"
)

// Driver is one yaml.v2 implementation.
type Driver struct {
	Name            string
	Unmarshal       func([]byte, any) error
	UnmarshalStrict func([]byte, any) error
	Marshal         func(any) ([]byte, error)
}

// Drivers are the two yaml.v2 drivers: go.yaml.in first, as LoadConfig
// uses it.
var Drivers = []Driver{
	{"go.yaml.in/yaml/v2", yaml.Unmarshal, yaml.UnmarshalStrict, yaml.Marshal},
	{"gopkg.in/yaml.v2", gopkgyaml.Unmarshal, gopkgyaml.UnmarshalStrict, gopkgyaml.Marshal},
}

// embedded is the larger struct a configuration sits in, with neighbours
// before and after it so that a decode that stopped or spilled over at
// our field would show.
type embedded[T any] struct {
	Before string `yaml:"before"`
	Field  T      `yaml:"field"`
	After  int    `yaml:"after"`
}

// embedPrefix and embedSuffix surround the indented document; the
// document's line n becomes line n+embedLines.
const (
	embedPrefix = "before: b\nfield:\n"
	embedSuffix = "after: 1\n"
	embedLines  = 2
)

// Embed returns doc as the value of "field" in a larger document.
func Embed(doc string) string {
	var b strings.Builder
	b.WriteString(embedPrefix)
	for _, line := range strings.Split(strings.TrimRight(doc, "\n"), "\n") {
		if line != "" {
			b.WriteString("    ")
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	b.WriteString(embedSuffix)
	return b.String()
}

var lineNumber = regexp.MustCompile(`\bline (\d+)\b`)

// unembedLines turns line numbers in an error about the larger document
// back into the numbers of the lines in doc.
func unembedLines(msg string) string {
	return lineNumber.ReplaceAllStringFunc(msg, func(s string) string {
		n, _ := strconv.Atoi(lineNumber.FindStringSubmatch(s)[1])
		return "line " + strconv.Itoa(n-embedLines)
	})
}

// Way is a further way to decode a document, such as event.LoadConfig.
type Way[T any] struct {
	Name   string
	Decode func([]byte) (T, error)
}

// outcome is what one way of decoding gave.
type outcome[T any] struct {
	way string
	v   T
	err error
}

// Decode decodes doc into a new T with each driver, strict and not, at
// the top level and embedded, and with each extra way; it fails t unless
// all of them agree (deeply equal values, or the same error message, line
// numbers of embedded documents counted from the document), and returns
// go.yaml.in's strict top-level result.
func Decode[T any](t testing.TB, doc string, extra ...Way[T]) (T, error) {
	t.Helper()
	if !Embeddable(doc) {
		t.Fatalf("%q means something else indented under a key: a test document must be embeddable", doc)
	}
	return DecodeAnyDoc(t, doc, extra...)
}

// DecodeAnyDoc is Decode for documents that may not survive Embed (such
// as a fuzzer's: "0\r\r0" parses differently indented), which are then
// decoded at the top level only.
func DecodeAnyDoc[T any](t testing.TB, doc string, extra ...Way[T]) (T, error) {
	t.Helper()
	outs := decodeEveryWay(doc, Embeddable(doc), extra...)
	if err := agree(outs); err != nil {
		t.Fatalf("decoding %q: %v", doc, err)
	}
	return outs[0].v, outs[0].err
}

// Embeddable reports whether Embed(doc) holds, under "field", the same
// YAML as doc: true for the documents tests write by hand. It is false for
// a document that does not parse.
func Embeddable(doc string) bool {
	var top yaml.MapSlice
	var topAny any
	var e struct {
		Field yaml.MapSlice `yaml:"field"`
	}
	var eAny struct {
		Field any `yaml:"field"`
	}
	if yaml.Unmarshal([]byte(doc), &top) == nil && yaml.Unmarshal([]byte(Embed(doc)), &e) == nil {
		return reflect.DeepEqual(top, e.Field)
	}
	if yaml.Unmarshal([]byte(doc), &topAny) == nil && yaml.Unmarshal([]byte(Embed(doc)), &eAny) == nil {
		return reflect.DeepEqual(topAny, eAny.Field)
	}
	return false
}

// quotedNull reports whether doc is a quoted "null" or "~". gopkg.in/yaml.v2
// takes those for null and does not call the UnmarshalYAML method of the
// type they are decoded into (go.yaml.in fixed that), so for a whole
// document that is one the drivers disagree; see yamltree's text. Inside
// a document both drivers agree.
func quotedNull(doc string) bool {
	var v any
	return yaml.Unmarshal([]byte(doc), &v) == nil && (v == "null" || v == "~")
}

// decodeEveryWay returns the outcomes Decode compares, go.yaml.in's strict
// top-level one first.
func decodeEveryWay[T any](doc string, embed bool, extra ...Way[T]) []outcome[T] {
	var outs []outcome[T]
	for _, d := range Drivers {
		if d.Name == "gopkg.in/yaml.v2" && quotedNull(doc) {
			continue
		}
		for _, strict := range []bool{true, false} {
			unmarshal, mode := d.UnmarshalStrict, "UnmarshalStrict"
			if !strict {
				unmarshal, mode = d.Unmarshal, "Unmarshal"
			}
			var top T
			err := unmarshal([]byte(doc), &top)
			outs = append(outs, outcome[T]{d.Name + " " + mode, top, err})
			if !embed {
				continue
			}

			var e embedded[T]
			err = unmarshal([]byte(Embed(doc)), &e)
			if err != nil {
				err = fmt.Errorf("%s", unembedLines(err.Error()))
			} else if e.Before != "b" || e.After != 1 {
				err = fmt.Errorf("the neighbours of the embedded field decoded as %q, %d", e.Before, e.After)
			}
			outs = append(outs, outcome[T]{d.Name + " " + mode + " embedded", e.Field, err})
		}
	}
	for _, w := range extra {
		v, err := w.Decode([]byte(doc))
		outs = append(outs, outcome[T]{w.Name, v, err})
	}
	return outs
}

// agree reports how the outcomes differ from the first, or nil.
func agree[T any](outs []outcome[T]) error {
	want := outs[0]
	for _, o := range outs[1:] {
		switch {
		case (o.err == nil) != (want.err == nil):
			return fmt.Errorf("%s: error %v, but %s: error %v", want.way, want.err, o.way, o.err)
		case o.err != nil && o.err.Error() != want.err.Error():
			return fmt.Errorf("error messages differ:\n%s:\n%v\n%s:\n%v", want.way, want.err, o.way, o.err)
		case o.err == nil && !reflect.DeepEqual(o.v, want.v):
			return fmt.Errorf("values differ:\n%s: %#v\n%s: %#v", want.way, want.v, o.way, o.v)
		}
	}
	return nil
}

// Marshal encodes v with each driver, at the top level and embedded, fails
// t unless every driver writes the same text, and returns it.
func Marshal(t testing.TB, v any) string {
	t.Helper()
	var want string
	for i, d := range Drivers {
		b, err := d.Marshal(v)
		if err != nil {
			t.Fatalf("%s: Marshal: %v", d.Name, err)
		}
		if i == 0 {
			want = string(b)
		} else if string(b) != want {
			t.Fatalf("Marshal differs:\n%s:\n%s\n%s:\n%s", Drivers[0].Name, want, d.Name, b)
		}
		e, err := d.Marshal(struct {
			Field any `yaml:"field"`
		}{v})
		if err != nil {
			t.Fatalf("%s: Marshal embedded: %v", d.Name, err)
		}
		wantE := "field:\n" + indent(want)
		if !strings.Contains(want, "\n") || strings.Count(want, "\n") == 1 && strings.HasPrefix(want, "{") {
			wantE = "field: " + want // {} and scalars stay on the key's line
		}
		if string(e) != wantE {
			t.Fatalf("%s: Marshal embedded:\n%s\nwant:\n%s", d.Name, e, wantE)
		}
	}
	return want
}

func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if line != "" && line != "\n" {
			b.WriteString("  ")
		}
		b.WriteString(line)
	}
	return b.String()
}

// driverPackages are the import paths of the drivers' own types.
var driverPackages = []string{"go.yaml.in/yaml/v2", "gopkg.in/yaml.v2"}

func isDriverType(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	for _, p := range driverPackages {
		if t.PkgPath() == p {
			return true
		}
	}
	return false
}

// DriverTypesIn lists the types from either driver's package (MapSlice,
// MapItem, ...) that a value of type t can hold, following pointers,
// slices, maps and struct fields. A type handed to a driver's unmarshal
// function must have none, since the other driver would not know it.
// Interface-typed parts are not followed: check the values they hold
// with DriverTypesInValue.
func DriverTypesIn(t reflect.Type) []string {
	var out []string
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		if seen[t] {
			return
		}
		seen[t] = true
		if isDriverType(t) {
			out = append(out, t.String())
			return
		}
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(t.Elem())
		case reflect.Map:
			walk(t.Key())
			walk(t.Elem())
		case reflect.Struct:
			for i := range t.NumField() {
				walk(t.Field(i).Type)
			}
		}
	}
	walk(t)
	return out
}

// DriverTypesInValue lists the driver types in v's dynamic value, looking
// inside interfaces, pointers, slices, maps and struct fields: what a
// MarshalYAML method returns must have none.
func DriverTypesInValue(v any) []string {
	var out []string
	var walk func(reflect.Value, int)
	walk = func(v reflect.Value, depth int) {
		if !v.IsValid() || depth > 100 {
			return
		}
		if isDriverType(v.Type()) {
			out = append(out, v.Type().String())
			return
		}
		switch v.Kind() {
		case reflect.Interface, reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem(), depth+1)
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i), depth+1)
			}
		case reflect.Map:
			it := v.MapRange()
			for it.Next() {
				walk(it.Key(), depth+1)
				walk(it.Value(), depth+1)
			}
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i), depth+1)
			}
		}
	}
	walk(reflect.ValueOf(v), 0)
	return out
}

// Spy records the types an UnmarshalYAML method hands the driver's
// unmarshal function: decode into a Spy[T] and it calls T's method with
// a recording unmarshal.
type Spy[T any, PT interface {
	*T
	UnmarshalYAML(func(any) error) error
}] struct {
	Value T
	Types []reflect.Type
}

// UnmarshalYAML calls the spied type's UnmarshalYAML, recording the type
// of each value it asks unmarshal to fill.
func (s *Spy[T, PT]) UnmarshalYAML(unmarshal func(any) error) error {
	return PT(&s.Value).UnmarshalYAML(func(v any) error {
		s.Types = append(s.Types, reflect.TypeOf(v))
		return unmarshal(v)
	})
}
