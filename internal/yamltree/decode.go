package yamltree

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

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
	// happened to be probed. Type errors and unknown fields, which the
	// driver reports itself, are still named in full.
	TopKey
)

// Unmarshal is the body of an UnmarshalYAML method: it captures the node
// with the calling driver's unmarshal function and decodes it with
// Node.Decode. v points to a struct type without an UnmarshalYAML method
// of its own (the usual `type plain T`), so the node must be a mapping.
func Unmarshal(unmarshal func(any) error, v any, paths Paths) error {
	return UnmarshalAndCheck(unmarshal, v, paths, nil)
}

// UnmarshalAndCheck is Unmarshal followed by check (which fills the
// caller's type from v and validates it), even when decoding found
// problems, so that every problem is reported: check's problems at the
// paths of decoding's (a field that failed to decode looks unset) are
// left out. A node that is not a mapping is not checked.
func UnmarshalAndCheck(unmarshal func(any) error, v any, paths Paths, check func() error) error {
	var n Node
	if err := unmarshal(&n); err != nil {
		return err
	}
	if n.kind != Mapping && n.kind != Null {
		return fmt.Errorf("must be a mapping, got %s", n.Describe())
	}
	err := n.Decode(v, paths)
	if check != nil {
		err = sink.JoinUnreported(err, check())
	}
	return err
}

// Decode decodes n into v, a pointer, with go.yaml.in/yaml/v2's
// UnmarshalStrict: repeated keys (the second and later of which are left
// out of the decode, so that its other problems are reported too) and
// unknown fields are errors. Every problem is reported, each that can be
// tied to a key as a *sink.FieldError at its path (relative to n, as
// written) in document order, without the line numbers, which would refer
// to the re-encoded node rather than the user's file; URL credentials
// that a message quotes are masked.
//
// The work is linear in the size of n: the driver's own problems (type
// errors, unknown fields) come with a line, which the document's layout
// turns back into a path (see document). A nested type's decoder that
// fails stops the driver, with no line: such values are found by probing
// (see decoder.scan), replaced with null, and the node decoded again for
// the rest.
func (n Node) Decode(v any, paths Paths) error {
	if u, ok := v.(yaml.Unmarshaler); ok {
		// Called the way a driver calls it, but handed n itself, rather
		// than n written out for the driver to read back: the type's
		// method captures a Node (see Unmarshal) and decodes that.
		if n.kind == Null {
			reflect.ValueOf(v).Elem().SetZero()
			return nil
		}
		return u.UnmarshalYAML(func(x any) error {
			if p, ok := x.(*Node); ok {
				*p = n
				return nil
			}
			return n.Decode(x, paths)
		})
	}
	n, errs := n.withoutRepeats("", nil)
	d := &decoder{t: reflect.TypeOf(v).Elem(), paths: paths}
	return errors.Join(append(errs, d.decode(n, v)...)...)
}

// maxRounds bounds how often one node is decoded again after nested
// decoders failed. Each round replaces every value that fails alone, so
// another round is needed only for a check of a block as a whole that
// fails once the values it holds are gone.
const maxRounds = 8

type decoder struct {
	t     reflect.Type
	paths Paths
	marks int
}

// problem is one error and where it stands in the document.
type problem struct {
	line int
	err  error
}

// culprit is a value whose nested decoder failed.
type culprit struct {
	idx  []int // entry indexes from the root, to replace it
	mark int
	err  error // at its path
}

func (d *decoder) decode(n Node, v any) []error {
	var found []culprit
	for round := 0; ; round++ {
		doc := emit(n)
		if round > 0 {
			reflect.ValueOf(v).Elem().SetZero()
		}
		err := yaml.UnmarshalStrict(doc.text, v)
		var te *yaml.TypeError
		switch {
		case err == nil:
			return d.order(doc, found, nil)
		case errors.As(err, &te) && error(te) == err:
			return d.order(doc, found, d.typeErrors(doc, te))
		}
		var more []culprit
		if round < maxRounds {
			more, _ = d.scan(n, func(x Node) Node { return x }, nil, nil)
		}
		if len(more) == 0 {
			return d.order(doc, found, []problem{{line: len(doc.lines) + 1, err: errors.New(maskURLCredentials(err.Error()))}})
		}
		for _, c := range more {
			n = n.withNull(c.idx, c.mark)
		}
		found = append(found, more...)
	}
}

// order lists the culprits and the other problems by line.
func (d *decoder) order(doc *document, found []culprit, probs []problem) []error {
	for _, c := range found {
		probs = append(probs, problem{line: doc.marks[c.mark], err: c.err})
	}
	slices.SortStableFunc(probs, func(a, b problem) int { return cmp.Compare(a.line, b.line) })
	errs := make([]error, len(probs))
	for i, p := range probs {
		errs[i] = p.err
	}
	return errs
}

// probe decodes the type from doc and returns the error of a nested
// decoder, nil if there is none (type errors do not count).
func (d *decoder) probe(doc Node) error {
	err := yaml.UnmarshalStrict(emit(doc).text, reflect.New(d.t).Interface())
	var te *yaml.TypeError
	if err == nil || errors.As(err, &te) && error(te) == err {
		return nil
	}
	return err
}

// entries counts a collection's entries.
func entries(c Node) int {
	if c.kind == Mapping {
		return len(c.pairs)
	}
	return len(c.items)
}

// slice is the collection c with only its entries i to j.
func slice(c Node, i, j int) Node {
	if c.kind == Mapping {
		return Node{kind: Mapping, pairs: c.pairs[i:j]}
	}
	return Node{kind: Sequence, items: c.items[i:j]}
}

// scan finds the entries of collection c whose decoding alone fails in a
// nested decoder, descending into their values for the deepest such
// entry. wrap puts a replacement for c back where c is, in a document
// that holds only the keys above it; at and idx are c's path and entry
// indexes. A probe decodes the type from such a document holding a run of
// c's entries: runs double in length until one fails, which is then
// halved down to the entry, so that the work is linear in c's size. It
// also returns the error of a run that fails although none of its entries
// does alone: a check of c as a whole.
func (d *decoder) scan(c Node, wrap func(Node) Node, at []string, idx []int) ([]culprit, error) {
	var found []culprit
	count := entries(c)
	run := func(i, j int) error { return d.probe(wrap(slice(c, i, j))) }
	for i, size := 0, 1; i < count; {
		j := min(i+size, count)
		whole := run(i, j)
		if whole == nil {
			i, size = j, 2*size
			continue
		}
		// Halve [lo, hi), whose run fails with err (nil: not probed).
		lo, hi, err := i, j, whole
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			if e := run(lo, mid); e != nil {
				hi, err = mid, e
			} else {
				lo, err = mid, nil
			}
		}
		if err == nil {
			err = run(lo, hi)
		}
		k := lo
		if err == nil {
			return found, whole
		}
		found = append(found, d.culprit(c, wrap, at, idx, k, err)...)
		i, size = k+1, 1
	}
	return found, nil
}

// culprit handles entry k of c, whose decoding alone fails with err: it
// is the culprit, unless its value is a collection that decodes when
// empty, whose entries are then scanned in turn.
func (d *decoder) culprit(c Node, wrap func(Node) Node, at []string, idx []int, k int, err error) []culprit {
	var seg string
	var val Node
	var put func(Node) Node
	if c.kind == Mapping {
		p := c.pairs[k]
		seg, val = pathSegment(p.Key), p.Value
		put = func(x Node) Node { return wrap(Node{kind: Mapping, pairs: []Pair{{Key: p.Key, Value: x}}}) }
	} else {
		seg, val = "["+strconv.Itoa(k)+"]", c.items[k]
		put = func(x Node) Node { return wrap(Node{kind: Sequence, items: []Node{x}}) }
	}
	path := append(slices.Clip(at), seg)
	here := append(slices.Clip(idx), k)
	if entries(val) > 0 && d.probe(put(Node{kind: val.kind})) == nil {
		deeper, whole := d.scan(val, put, path, here)
		if len(deeper) > 0 {
			return deeper
		}
		if whole != nil {
			err = whole
		}
	}
	d.marks++
	report := path
	if d.paths == TopKey {
		report = path[:1]
	}
	return []culprit{{idx: here, mark: d.marks, err: atPath(report, err)}}
}

// atPath puts a nested decoder's error at the path of the value it
// failed on. A *sink.FieldError names its own field: at the end of the
// path (a FileMode's "mode"), or from the top of the type being decoded;
// otherwise it is taken to be below the value.
func atPath(segs []string, err error) error {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var errs []error
		for _, e := range joined.Unwrap() {
			errs = append(errs, atPath(segs, e))
		}
		return errors.Join(errs...)
	}
	err = MaskCredentials(err)
	path := joinSegments(segs)
	var fe *sink.FieldError
	if errors.As(err, &fe) && fe == err {
		switch {
		case path == fe.Path || strings.HasSuffix(path, "."+fe.Path):
			return &sink.FieldError{Path: path, Err: fe.Err}
		case fe.Path == segs[0] || strings.HasPrefix(fe.Path, segs[0]+".") || strings.HasPrefix(fe.Path, segs[0]+"["):
			return err
		}
	}
	return sink.AtPath(path, err)
}

// withNull returns n with the value at idx replaced by a null that
// carries mark.
func (n Node) withNull(idx []int, mark int) Node {
	if len(idx) == 0 {
		return Node{kind: Null, mark: mark}
	}
	k := idx[0]
	switch n.kind {
	case Mapping:
		pairs := slices.Clone(n.pairs)
		pairs[k].Value = pairs[k].Value.withNull(idx[1:], mark)
		n.pairs = pairs
	case Sequence:
		items := slices.Clone(n.items)
		items[k] = items[k].withNull(idx[1:], mark)
		n.items = items
	}
	return n
}

// splitLine splits "line 12: msg" into 12 and msg; 0 and msg without a
// line marker.
func splitLine(msg string) (int, string) {
	rest, ok := strings.CutPrefix(msg, "line ")
	if !ok {
		return 0, msg
	}
	num, text, ok := strings.Cut(rest, ": ")
	n, err := strconv.Atoi(num)
	if !ok || err != nil {
		return 0, msg
	}
	return n, text
}

// typeErrors gives each of the driver's problems its path.
func (d *decoder) typeErrors(doc *document, te *yaml.TypeError) []problem {
	probs := make([]problem, 0, len(te.Errors))
	for _, msg := range te.Errors {
		line, msg := splitLine(msg)
		if line < 1 || line > len(doc.lines) {
			probs = append(probs, problem{line: line, err: errors.New(maskURLCredentials(msg))})
			continue
		}
		info := doc.lines[line-1]
		var err error
		switch {
		case strings.HasPrefix(msg, "field ") && strings.Contains(msg, " not found in type "):
			err = pathError(info.at, "unknown field")
		case strings.HasPrefix(msg, "field ") && strings.Contains(msg, " already set in type "),
			strings.HasPrefix(msg, "key ") && strings.HasSuffix(msg, " already set in map"):
			err = pathError(info.at, "key appears more than once")
		case strings.HasPrefix(msg, "cannot unmarshal "):
			err = d.mismatch(doc, info, msg)
		default:
			err = pathError(info.at, maskURLCredentials(msg))
		}
		probs = append(probs, problem{line: line, err: err})
	}
	return probs
}

// pathError is a problem at the node of st, or of the whole document when
// st is nil.
func pathError(st *step, msg string) error {
	if st == nil {
		return errors.New(msg)
	}
	return sink.Errorf(joinSegments(st.path()), "%s", msg)
}

// mismatch rewrites "cannot unmarshal !!seq into config.plain", which
// names a Go type and hides the value, as "must be a string, got a list"
// at the path of the node it is about.
func (d *decoder) mismatch(doc *document, info lineInfo, msg string) error {
	rest := strings.TrimPrefix(msg, "cannot unmarshal ")
	tag, _, _ := strings.Cut(rest, " ")
	into := rest[strings.LastIndex(rest, " into ")+len(" into "):]
	// The node is the entry's value or, if that is not what the message
	// shows, its key (on the root's line, the root).
	st := info.at
	var got string
	switch tag {
	case "!!map", "!!seq":
		kind := Mapping
		if tag == "!!seq" {
			kind = Sequence
		}
		got = describe(Node{kind: kind})
	case "":
	default:
		if st == nil {
			got = quote(doc.root)
			break
		}
		n := st.val
		shown, _, _ := strings.Cut(strings.TrimPrefix(rest, tag+" `"), "` into ")
		if n.kind != Scalar || !shows(shown, st.val) && shows(shown, st.key) {
			n = st.key
		}
		got = quote(n)
	}
	var segs []string
	if st != nil {
		segs = st.path()
	}
	want := describeType(into, fieldType(d.t, segs))
	if want == "" {
		return pathError(st, maskURLCredentials(msg))
	}
	return pathError(st, "must be "+want+", got "+maskURLCredentials(got))
}

// shows reports whether a driver's message, which shows a scalar's text
// up to 10 bytes and the first 7 and "..." beyond, shows n's.
func shows(shown string, n Node) bool {
	text := n.Text()
	if prefix, ok := strings.CutSuffix(shown, "..."); ok && len(text) > 10 {
		return strings.HasPrefix(text, prefix)
	}
	return n.kind == Scalar && text == shown
}

// describe names a collection's kind for "got ...".
func describe(n Node) string {
	if n.kind == Mapping {
		return "a mapping"
	}
	return "a list"
}

// maxQuoted bounds how much of a string a message quotes.
const maxQuoted = 80

// quote renders a scalar as written, for messages.
func quote(n Node) string {
	switch v := n.scalar.(type) {
	case nil:
		return "null"
	case string:
		if len(v) > maxQuoted {
			cut := maxQuoted
			for cut > 0 && !utf8.RuneStart(v[cut]) {
				cut--
			}
			return strconv.Quote(v[:cut]) + fmt.Sprintf("... (%d bytes)", len(v))
		}
		return strconv.Quote(v)
	}
	if n.text != "" {
		return n.text
	}
	return fmt.Sprint(n.scalar)
}

// describeType says what a value decoded into the Go type named in a
// driver's message must be. A type of its own (config.plain) is looked up
// by the path instead, in t.
func describeType(goType string, t reflect.Type) string {
	switch {
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case goType == "float32" || goType == "float64":
		return "a number"
	case slices.Contains([]string{"int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "uintptr"}, goType):
		return "an integer"
	case strings.HasPrefix(goType, "[]") || strings.HasPrefix(goType, "["):
		return "a list"
	case strings.HasPrefix(goType, "map["):
		return "a mapping"
	}
	if t == nil {
		return ""
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return ""
}

// fieldType follows a path of keys and indexes through t as yaml.v2 maps
// them to fields, elements and map values; nil where it cannot.
func fieldType(t reflect.Type, segs []string) reflect.Type {
	for _, seg := range segs {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Struct:
			if t = structField(t, seg); t == nil {
				return nil
			}
		case reflect.Slice, reflect.Array:
			if !strings.HasPrefix(seg, "[") {
				return nil
			}
			t = t.Elem()
		case reflect.Map:
			t = t.Elem()
		default:
			return nil
		}
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// structFields caches, per struct type, the type of each field by key
// (and under "" an inline map's values), which messages about many
// entries of one block would otherwise work out again for each.
var structFields sync.Map // reflect.Type -> map[string]reflect.Type

// structField is the type of the field of struct t that yaml.v2 decodes
// key into, looking into inline structs and maps.
func structField(t reflect.Type, key string) reflect.Type {
	fields, ok := structFields.Load(t)
	if !ok {
		m := map[string]reflect.Type{}
		addFields(m, t)
		fields, _ = structFields.LoadOrStore(t, m)
	}
	m := fields.(map[string]reflect.Type)
	if ft, ok := m[key]; ok && key != "" {
		return ft
	}
	return m[""]
}

func addFields(m map[string]reflect.Type, t reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.PkgPath != "" && !f.Anonymous {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if slices.Contains(strings.Split(opts, ","), "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch ft.Kind() {
			case reflect.Struct:
				addFields(m, ft)
			case reflect.Map:
				m[""] = ft.Elem()
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if _, ok := m[name]; !ok {
			m[name] = f.Type
		}
	}
}

// keySegment is a key as written; pathSegment is how a path shows it.
func keySegment(k Node) string {
	switch k.kind {
	case Null:
		return "null"
	case Scalar:
		if s := k.Text(); s != "" || k.scalar == "" {
			return s
		}
		return fmt.Sprint(k.scalar)
	}
	return fmt.Sprint(k.Value())
}

// pathSegment is keySegment as it appears in an error's path: quoted
// when the key holds a character that would not print as itself (a
// newline, which YAML folds out of "0\r\r0", would split the error's
// line in two and leave its second half naming no field).
func pathSegment(k Node) string {
	s := keySegment(k)
	if strings.IndexFunc(s, func(r rune) bool { return !strconv.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

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

// maskURLCredentials masks the userinfo of any URL in s by the module's
// one masking rule (sink.MaskURLsIn), since parse errors quote the URL
// they could not parse, password included.
func maskURLCredentials(s string) string { return sink.MaskURLsIn(s) }

// MaskCredentials masks URL credentials in an error's text, keeping
// field paths and the joined structure.
func MaskCredentials(err error) error {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		members := joined.Unwrap()
		var errs []error // nil while no member changed
		for i, e := range members {
			m := MaskCredentials(e)
			if m != e && errs == nil {
				errs = append(make([]error, 0, len(members)), members[:i]...)
			}
			if errs != nil {
				errs = append(errs, m)
			}
		}
		if errs == nil {
			return err
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
