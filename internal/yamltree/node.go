// Package yamltree is how this module's UnmarshalYAML methods read YAML,
// so that they behave the same whichever yaml.v2 driver calls them:
// gopkg.in/yaml.v2, which Alertmanager up to v0.34 decodes its
// configuration with, or its fork go.yaml.in/yaml/v2, which this module
// and prometheus/common use.
//
// The two drivers are the same code under two import paths, so each knows
// only its own MapSlice and TypeError: a method that asks gopkg.in's
// unmarshal function for a go.yaml.in MapSlice gets an error instead of
// the mapping. A method therefore captures its node as a Node, a tree built
// only from Go's own types and this package's (Node.UnmarshalYAML passes
// the driver nothing else), and decodes that tree strictly with
// go.yaml.in (Unmarshal, Node.Decode). Every decode of ours thus runs the
// same path whoever called it, and rejects unknown fields and repeated
// keys even for a caller that used the non-strict yaml.Unmarshal.
//
// Merge keys ("<<: *defaults") are expanded by the driver before a Node
// sees the mapping, so nothing tells a merged entry from a written one:
// writing a key that a merge also brings counts as a repeated key, where
// yaml.v2 would let the later one win. (go.yaml.in's MapSlice, which
// event.Config used to decode into, dropped merged entries altogether.)
package yamltree

import (
	"cmp"
	"fmt"
	"slices"
	"sync/atomic"

	"go.yaml.in/yaml/v2"

	"github.com/eventrecorder/eventrecorder/sink"
)

// MaxDepth is how deeply mappings and lists may nest in one captured
// node. Configurations nest about eight levels; the cap keeps the work of
// locating an error's field (which re-decodes each level's subtree)
// bounded, where the drivers' own limit is 10000 levels.
const MaxDepth = 64

// ErrTooDeep is returned for a node nested more than MaxDepth levels.
var ErrTooDeep = fmt.Errorf("mappings and lists nest more than %d levels deep", MaxDepth)

// Kind is the kind of a Node.
type Kind uint8

// Node kinds.
const (
	Null Kind = iota
	Scalar
	Mapping
	Sequence
)

// Node is one YAML node: null, a scalar, a mapping (keys in document
// order, repeated keys kept) or a sequence. The zero Node is null.
type Node struct {
	kind Kind
	// scalar is the value as the driver resolved it: string, int, int64,
	// uint64, float64 or bool; the same under both drivers.
	scalar any
	// text is a number's or boolean's text as written (0640, 0x1F, yes),
	// which its value alone does not give back: it is what a nested
	// decoder that reads the scalar as a string sees, and what messages
	// quote.
	text  string
	pairs []Pair
	items []Node
	// height counts the mappings and lists from this node down to its
	// deepest leaf.
	height int
	// mark tells a value explain replaced with null (see withNull) from
	// one written so, to find its line in the document decoded next.
	mark int
}

// Pair is one entry of a mapping.
type Pair struct{ Key, Value Node }

// Kind returns the node's kind.
func (n Node) Kind() Kind { return n.kind }

// Pairs returns a mapping's entries in document order, nil for other
// kinds.
func (n Node) Pairs() []Pair { return n.pairs }

// Items returns a sequence's items, nil for other kinds.
func (n Node) Items() []Node { return n.items }

// Scalar returns a scalar's value, nil for other kinds.
func (n Node) Scalar() any { return n.scalar }

// Text returns a scalar as written: a string's value, or a number's or
// boolean's text (0640 rather than 416); "" for other kinds.
func (n Node) Text() string {
	if s, ok := n.scalar.(string); ok {
		return s
	}
	return n.text
}

// Describe names the kind of node for messages that say what was found
// where something else was wanted: "a mapping", "a list", "a string"...
func (n Node) Describe() string {
	switch n.kind {
	case Mapping:
		return "a mapping"
	case Sequence:
		return "a list"
	}
	return sink.YAMLKind(n.scalar)
}

// EmptyMapping is a mapping without entries.
func EmptyMapping() Node { return Node{kind: Mapping, height: 1} }

// Value returns the node in go.yaml.in's generic form: yaml.MapSlice for
// a mapping (so that order and repeated keys survive re-encoding), []any
// for a sequence, the scalar itself, or nil.
func (n Node) Value() any {
	switch n.kind {
	case Mapping:
		m := make(yaml.MapSlice, len(n.pairs))
		for i, p := range n.pairs {
			m[i] = yaml.MapItem{Key: p.Key.Value(), Value: p.Value.Value()}
		}
		return m
	case Sequence:
		s := make([]any, len(n.items))
		for i, it := range n.items {
			s[i] = it.Value()
		}
		return s
	}
	return n.scalar
}

// mapping is what a Node asks the driver for first. Its key type is ours,
// so that the driver calls orderedKey.UnmarshalYAML for every key and
// never compares two keys: repeated keys stay distinct entries, and the
// keys' sequence numbers give back their order.
//
// A scalar offered to a mapping goes to its UnmarshalText, which sets the
// mapping to isScalar: so a scalar is told apart without the driver
// formatting a type error for it.
type mapping map[orderedKey]Node

// isScalar is the mapping UnmarshalText sets; it is shared and never
// written. No key the driver decodes has scalarKey's pointer.
var (
	scalarKey = orderedKey{key: &Node{}}
	isScalar  = mapping{scalarKey: {}}
)

// UnmarshalText receives a scalar offered to a mapping (see mapping).
func (m *mapping) UnmarshalText([]byte) error {
	*m = isScalar
	return nil
}

func (m mapping) scalar() bool {
	_, ok := m[scalarKey]
	return ok && len(m) == 1
}

// orderedKey is one key of a mapping: the key node, and when it was
// decoded. A driver decodes a mapping's keys one after another, so
// sorting by seq restores document order; other goroutines decoding at
// the same time only leave gaps. The zero orderedKey is a null key, for
// which the drivers do not call UnmarshalYAML.
type orderedKey struct {
	seq uint64
	key *Node
}

var keySeq atomic.Uint64

// UnmarshalYAML records the key and its sequence number.
func (k *orderedKey) UnmarshalYAML(unmarshal func(any) error) error {
	var n Node
	if err := unmarshal(&n); err != nil {
		return err
	}
	*k = orderedKey{seq: keySeq.Add(1), key: &n}
	return nil
}

// UnmarshalText receives a quoted "null" or "~" key from gopkg.in/yaml.v2
// (see text).
func (k *orderedKey) UnmarshalText(b []byte) error {
	return k.UnmarshalYAML(text(b))
}

// GoString is how a strict driver names a key in "key null already set in
// map", which only two null keys in one mapping can cause.
func (k orderedKey) GoString() string {
	if k.key == nil {
		return "null"
	}
	return fmt.Sprintf("%#v", k.key.scalar)
}

// UnmarshalYAML captures the node. It asks for a mapping, which a scalar
// answers through mapping.UnmarshalText (the scalar is then asked for its
// value, and a number or boolean for its text), then for a list. A driver
// allocates the map or slice before it decodes any child, and fails at
// once when the node is of another kind, so a nil result means "not this
// kind" and a non-nil one with an error means a child failed: that error
// is returned rather than the node decoded again another way. Each
// collection is thus decoded once, and errors (MaxDepth included) travel
// up in time linear in the document.
func (n *Node) UnmarshalYAML(unmarshal func(any) error) error {
	var m mapping
	err := unmarshal(&m)
	if err == nil && m.scalar() {
		var v any
		if err := unmarshal(&v); err != nil {
			return err
		}
		*n = Node{kind: Scalar, scalar: v}
		switch v.(type) {
		case nil:
			n.kind = Null
		case string:
		default:
			// Decoding a number or a boolean into a string gives its
			// text.
			if err := unmarshal(&n.text); err != nil {
				return err
			}
		}
		return nil
	}
	if m != nil {
		if err != nil {
			return err
		}
		keys := make([]orderedKey, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b orderedKey) int { return cmp.Compare(a.seq, b.seq) })
		*n = Node{kind: Mapping, pairs: make([]Pair, len(keys))}
		for i, k := range keys {
			var key Node
			if k.key != nil {
				key = *k.key
			}
			n.pairs[i] = Pair{Key: key, Value: m[k]}
			n.height = max(n.height, key.height, m[k].height)
		}
		return n.grow()
	}
	var s []Node
	err = unmarshal(&s)
	if s != nil {
		if err != nil {
			return err
		}
		*n = Node{kind: Sequence, items: s}
		for _, it := range s {
			n.height = max(n.height, it.height)
		}
		return n.grow()
	}
	var v any
	if err := unmarshal(&v); err != nil {
		return err
	}
	*n = Node{kind: Scalar, scalar: v}
	if v == nil {
		n.kind = Null
	}
	return nil
}

// UnmarshalText receives a quoted "null" or "~" from gopkg.in/yaml.v2 (see
// text).
func (n *Node) UnmarshalText(b []byte) error {
	return text(b)(n)
}

// text returns an unmarshal function that captures b as a string scalar.
// gopkg.in/yaml.v2, unlike go.yaml.in, takes a quoted "null" or "~" for
// null and does not call UnmarshalYAML for it; it then offers the text to
// an UnmarshalText method, which Node and orderedKey have so that both
// drivers capture the same string.
//
// Our configuration types cannot do the same for a whole document that
// is a quoted "null" (gopkg.in then says "cannot unmarshal !!str `null`
// into event.Config", where go.yaml.in gets "must be a mapping"): a
// TextUnmarshaler is one encoding/json refuses to decode a JSON object
// into.
func text(b []byte) func(any) error {
	return func(v any) error {
		*v.(*Node) = Node{kind: Scalar, scalar: string(b)}
		return nil
	}
}

// grow counts this collection's own level and enforces MaxDepth.
func (n *Node) grow() error {
	n.height++
	if n.height > MaxDepth {
		return ErrTooDeep
	}
	return nil
}

// withoutRepeats returns n without the second and later entries of each
// repeated scalar key in its mappings, and appends an error for each at
// its path (a.b[2].c). yaml.v2 keeps the last of two equal keys without a
// word unless decoding strictly, and then names a Go type and a line of
// the re-encoded document.
func (n Node) withoutRepeats(path string, errs []error) (Node, []error) {
	switch n.kind {
	case Mapping:
		seen := make(map[any]bool, len(n.pairs))
		pairs := make([]Pair, 0, len(n.pairs))
		for _, p := range n.pairs {
			sub := joinPath(path, pathSegment(p.Key))
			if p.Key.kind == Scalar || p.Key.kind == Null {
				if seen[p.Key.scalar] {
					errs = append(errs, sink.Errorf(sub, "key appears more than once"))
					continue
				}
				seen[p.Key.scalar] = true
			}
			p.Value, errs = p.Value.withoutRepeats(sub, errs)
			pairs = append(pairs, p)
		}
		n.pairs = pairs
	case Sequence:
		items := make([]Node, len(n.items))
		for i, it := range n.items {
			items[i], errs = it.withoutRepeats(fmt.Sprintf("%s[%d]", path, i), errs)
		}
		n.items = items
	}
	return n, errs
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
