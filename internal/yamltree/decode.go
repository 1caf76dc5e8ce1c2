package yamltree

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v2"

	"github.com/eventrecorder/eventrecorder/sink"
)

// Paths says how far down an error's path goes when a nested type's own
// decoder rejects a value.
type Paths int

const (
	// DeepestKey names the deepest key whose value alone makes decoding
	// fail the same way: kafka_outputs[0].tls_config.min_version.
	DeepestKey Paths = iota
	// TopKey names the top-level key of the block whose decoder failed
	// (http_config), for types whose nested blocks check themselves as a
	// whole, so that a rule about two fields is not pinned on the one that
	// happened to be probed. Unknown fields are still named in full.
	TopKey
)

// Unmarshal is the body of an UnmarshalYAML method: it captures the node
// with the calling driver's unmarshal function and decodes it with
// Node.Decode. v points to a struct type without an UnmarshalYAML method
// of its own (the usual `type plain T`), so the node must be a mapping.
func Unmarshal(unmarshal func(any) error, v any, paths Paths) error {
	var n Node
	if err := unmarshal(&n); err != nil {
		return err
	}
	if n.kind != Mapping && n.kind != Null {
		return fmt.Errorf("must be a mapping, got %s", n.Describe())
	}
	return n.Decode(v, paths)
}

// Decode decodes n into v, a pointer, with go.yaml.in/yaml/v2's
// UnmarshalStrict: repeated keys (the second and later of which are left
// out of the decode, so that its other problems are reported too) and
// unknown fields are errors. Every
// error that can be tied to a key is a *sink.FieldError at its path
// (relative to n) without the line numbers, which would refer to the
// re-encoded node rather than the user's file; URL credentials that a
// message quotes are masked.
func (n Node) Decode(v any, paths Paths) error {
	n, errs := n.withoutRepeats("", nil)
	b, err := yaml.Marshal(n.Value())
	if err != nil {
		return err
	}
	if err := yaml.UnmarshalStrict(b, v); err != nil {
		errs = append(errs, explain(reflect.TypeOf(v).Elem(), n, err, paths))
	}
	return errors.Join(errs...)
}

var linePrefix = regexp.MustCompile(`^line \d+: `)

// messages splits a decoding error into its problems, without the line
// markers: one per entry of a *yaml.TypeError, else the error's text.
func messages(err error) []string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return []string{err.Error()}
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		msgs[i] = linePrefix.ReplaceAllString(m, "")
	}
	return msgs
}

// explain gives every problem a field path. Errors that already have one
// (a nested type's *sink.FieldError) are kept. yaml.v2's own complaints
// ("field colour not found in type file.plain", "cannot unmarshal !!str
// `soon` into int") and errors from nested types' decoders (a TLS version,
// a proxy URL) have none: the key is found by decoding the node's entries
// one at a time, descending into nested mappings and lists, until the
// same complaint reappears.
func explain(t reflect.Type, n Node, err error, paths Paths) error {
	var fe *sink.FieldError
	if errors.As(err, &fe) {
		return MaskCredentials(err)
	}
	l := &locator{t: t, levels: map[string]*level{}}
	var errs []error
	for _, msg := range messages(err) {
		unknown, _ := sink.YAMLUnknownField(msg)
		path := l.locate(nil, func(v any) any { return v }, n.Value(), msg, unknown != "" || paths == DeepestKey)
		switch {
		case unknown != "":
			if len(path) == 0 || path[len(path)-1] != unknown {
				path = append(path, unknown)
			}
			errs = append(errs, sink.Errorf(joinSegments(path), "unknown field"))
		case len(path) > 0:
			errs = append(errs, sink.Errorf(joinSegments(path), "%s", maskURLCredentials(msg)))
		default:
			errs = append(errs, errors.New(maskURLCredentials(msg)))
		}
	}
	return errors.Join(errs...)
}

// A locator finds the entries problems are about by probing: decoding
// the whole node's type from a document that holds only one entry (and
// the keys above it). Each level's entries are probed once, whatever the
// number of problems, so a mapping with many unknown keys costs one probe
// per key; with MaxDepth bounding the levels, the work is linear in the
// node's size.
type locator struct {
	t      reflect.Type
	levels map[string]*level
}

// entry is one key of a mapping or item of a list: its path segment, the
// probe document holding only it, and its value.
type entry struct {
	seg   string
	wrap  func(any) any
	value any
}

// level is what probing one mapping's or list's entries found.
type level struct {
	entries []entry
	// first maps each problem an entry's probe reports to the first such
	// entry.
	first map[string]int
	// texts are the probes' whole error texts ("" when one decodes), for
	// problems whose text depends on their neighbours.
	texts []string
}

// probe decodes the type from doc and returns its problems, nil if none.
func (l *locator) probe(doc any) (msgs []string, text string) {
	b, err := yaml.Marshal(doc)
	if err != nil {
		return nil, ""
	}
	if err := yaml.UnmarshalStrict(b, reflect.New(l.t).Interface()); err != nil {
		return messages(err), err.Error()
	}
	return nil, ""
}

func (l *locator) fails(doc any, msg string) bool {
	_, text := l.probe(doc)
	return text != "" && strings.Contains(text, msg)
}

func (l *locator) level(path []string, wrap func(any) any, v any) *level {
	id := strings.Join(path, "\x00")
	if lv, ok := l.levels[id]; ok {
		return lv
	}
	lv := &level{first: map[string]int{}}
	switch v := v.(type) {
	case yaml.MapSlice:
		for _, kv := range v {
			lv.entries = append(lv.entries, entry{keySegment(kv.Key), func(x any) any { return wrap(yaml.MapSlice{{Key: kv.Key, Value: x}}) }, kv.Value})
		}
	case []any:
		for i, it := range v {
			lv.entries = append(lv.entries, entry{"[" + strconv.Itoa(i) + "]", func(x any) any { return wrap([]any{x}) }, it})
		}
	}
	for i, e := range lv.entries {
		msgs, text := l.probe(e.wrap(e.value))
		for _, m := range msgs {
			if _, ok := lv.first[m]; !ok {
				lv.first[m] = i
			}
		}
		lv.texts = append(lv.texts, text)
	}
	l.levels[id] = lv
	return lv
}

// locate returns the path, below v (at path in the node), of the entry
// that alone makes decoding fail with msg, or nil. wrap puts a value back
// where v is in the node. With deep, locate descends into the entry's
// value unless the entry fails even with an empty value there (an
// unknown key, a list where a string belongs).
func (l *locator) locate(path []string, wrap func(any) any, v any, msg string, deep bool) []string {
	lv := l.level(path, wrap, v)
	i, ok := lv.first[msg]
	if !ok {
		i = slices.IndexFunc(lv.texts, func(text string) bool { return text != "" && strings.Contains(text, msg) })
		if i < 0 {
			return nil
		}
	}
	e := lv.entries[i]
	found := []string{e.seg}
	var empty any
	switch e.value.(type) {
	case yaml.MapSlice:
		empty = yaml.MapSlice{}
	case []any:
		empty = []any{}
	default:
		return found
	}
	if !deep || l.fails(e.wrap(empty), msg) {
		return found
	}
	return append(found, l.locate(append(slices.Clip(path), e.seg), e.wrap, e.value, msg, deep)...)
}

func keySegment(k any) string { return fmt.Sprint(k) }

// joinSegments joins keys with dots and list indexes without:
// http_config.tls_config, brokers[1].
func joinSegments(segs []string) string {
	var b strings.Builder
	for i, s := range segs {
		if i > 0 && !strings.HasPrefix(s, "[") {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

// urlUserinfo matches the userinfo of a URL inside free text.
var urlUserinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s"]*@`)

// maskURLCredentials replaces the userinfo of any URL in s with "xxxxx"
// (as url.URL.Redacted and the webhook output do), since parse errors
// quote the URL they could not parse, password included.
func maskURLCredentials(s string) string {
	return urlUserinfo.ReplaceAllString(s, "${1}xxxxx@")
}

// MaskCredentials masks URL credentials in an error's text, keeping
// field paths and the joined structure.
func MaskCredentials(err error) error {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var errs []error
		for _, e := range joined.Unwrap() {
			errs = append(errs, MaskCredentials(e))
		}
		return errors.Join(errs...)
	}
	var fe *sink.FieldError
	if errors.As(err, &fe) && fe == err {
		if masked := maskURLCredentials(fe.Err.Error()); masked != fe.Err.Error() {
			return &sink.FieldError{Path: fe.Path, Err: errors.New(masked)}
		}
		return err
	}
	if masked := maskURLCredentials(err.Error()); masked != err.Error() {
		return errors.New(masked)
	}
	return err
}
