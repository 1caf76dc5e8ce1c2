// Package protoschema describes protobuf schemas element by element, so
// that tests can compare this module's schemas with Alertmanager's
// (internal/compat): each message and enum of a file becomes one line of
// text, keyed by its name relative to the file's package.
package protoschema

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Elements describes each message and enum of f, keyed by its name
// relative to f's package, leaving out the fields in skip. A message is
// its fields in order: cardinality, type (map key and value types for a
// map), name, number, JSON name, presence and oneof (synthetic or not);
// an enum is its values. Type references are relative too, so two
// packages of the same schema describe alike.
func Elements(f protoreflect.FileDescriptor, skip map[protoreflect.FullName]bool) map[string]string {
	rel := func(n protoreflect.FullName) string {
		return strings.TrimPrefix(string(n), string(f.Package())+".")
	}
	typeOf := func(fd protoreflect.FieldDescriptor) string {
		switch {
		case fd.Message() != nil:
			return rel(fd.Message().FullName())
		case fd.Enum() != nil:
			return rel(fd.Enum().FullName())
		}
		return fd.Kind().String()
	}
	out := map[string]string{}
	enum := func(e protoreflect.EnumDescriptor) {
		var vals []string
		for i := 0; i < e.Values().Len(); i++ {
			v := e.Values().Get(i)
			vals = append(vals, fmt.Sprintf("%s=%d", v.Name(), v.Number()))
		}
		out[rel(e.FullName())] = "enum {" + strings.Join(vals, " ") + "}"
	}
	var message func(m protoreflect.MessageDescriptor)
	message = func(m protoreflect.MessageDescriptor) {
		var fields []string
		for i := 0; i < m.Fields().Len(); i++ {
			fd := m.Fields().Get(i)
			if skip[fd.FullName()] {
				continue
			}
			typ := typeOf(fd)
			if fd.IsMap() {
				typ = fmt.Sprintf("map<%s, %s>", typeOf(fd.MapKey()), typeOf(fd.MapValue()))
			}
			oneof := ""
			if o := fd.ContainingOneof(); o != nil {
				oneof = fmt.Sprintf(" oneof=%s synthetic=%t", o.Name(), o.IsSynthetic())
			}
			fields = append(fields, fmt.Sprintf("%s %s %s=%d json=%s presence=%t%s",
				fd.Cardinality(), typ, fd.Name(), fd.Number(), fd.JSONName(), fd.HasPresence(), oneof))
		}
		out[rel(m.FullName())] = "message {" + strings.Join(fields, "; ") + "}"
		for i := 0; i < m.Messages().Len(); i++ {
			if !m.Messages().Get(i).IsMapEntry() { // described with the map field
				message(m.Messages().Get(i))
			}
		}
		for i := 0; i < m.Enums().Len(); i++ {
			enum(m.Enums().Get(i))
		}
	}
	for i := 0; i < f.Messages().Len(); i++ {
		message(f.Messages().Get(i))
	}
	for i := 0; i < f.Enums().Len(); i++ {
		enum(f.Enums().Get(i))
	}
	return out
}

// Diff compares the elements of ours (leaving out the fields in skip)
// with theirs, Alertmanager's, and returns what differs, sorted: an
// element only one side has, or one described differently; and, should
// ours describe nothing at all, that.
func Diff(ours, theirs protoreflect.FileDescriptor, skip map[protoreflect.FullName]bool) []string {
	a, b := Elements(ours, skip), Elements(theirs, nil)
	if len(a) == 0 {
		return []string{"no messages found in this module's schema"}
	}
	var diffs []string
	for name, desc := range a {
		if other, ok := b[name]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: only in this module's schema", name))
		} else if desc != other {
			diffs = append(diffs, fmt.Sprintf("%s differs:\n this module:  %s\n alertmanager: %s", name, desc, other))
		}
	}
	for name := range b {
		if _, ok := a[name]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: only in Alertmanager's schema", name))
		}
	}
	slices.Sort(diffs)
	return diffs
}
