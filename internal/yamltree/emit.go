package yamltree

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// A document is a Node written out as YAML for go.yaml.in to decode,
// with a record of what each line holds: the driver's type errors give
// only a line number, and the record turns it back into the path of the
// node the error is about.
//
// The layout makes that unambiguous: flow style, one entry of a mapping
// or list per line, without indentation (which, for a deep document,
// would outgrow the document itself). A line thus holds one entry: its
// key, and its value or the opening bracket of the collection that is its
// value, whose own entries follow on lines of their own. A key that is
// not a short scalar is written explicitly ("? key: value"). Strings are
// double-quoted; numbers and booleans are written with their tag and
// their text as written (!!int 0640), so that a nested decoder that reads
// one as a string sees what the user wrote.
type document struct {
	root  Node
	text  []byte
	lines []lineInfo // lines[i] is line i+1
	// marks maps the mark of a value withNull replaced to its line.
	marks map[int]int
}

type lineInfo struct {
	at *step // the entry that starts on the line; nil on the root's line
}

// step is one entry on the way down from the document's root.
type step struct {
	up  *step
	seg string // the key as written, or "[i]"
	key Node   // the entry's key; null for list items
	val Node
}

// path returns the segments from the root down to s.
func (s *step) path() []string {
	var segs []string
	for ; s != nil; s = s.up {
		segs = append(segs, s.seg)
	}
	slices.Reverse(segs)
	return segs
}

// maxSimpleKey keeps implicit keys under YAML's limit of 1024 characters.
const maxSimpleKey = 1000

func emit(n Node) *document {
	d := &document{root: n, lines: []lineInfo{{}}}
	d.value(n, nil)
	d.text = append(d.text, '\n')
	return d
}

// value writes n, a collection's entries each on a line of its own.
func (d *document) value(n Node, up *step) {
	if n.mark != 0 {
		if d.marks == nil {
			d.marks = map[int]int{}
		}
		d.marks[n.mark] = len(d.lines)
	}
	switch n.kind {
	case Mapping:
		if len(n.pairs) == 0 {
			d.text = append(d.text, "{}"...)
			return
		}
		d.text = append(d.text, '{')
		for i, p := range n.pairs {
			if i > 0 {
				d.text = append(d.text, ',')
			}
			st := &step{up: up, seg: pathSegment(p.Key), key: p.Key, val: p.Value}
			d.newline(st)
			start := len(d.text)
			if p.Key.kind == Scalar || p.Key.kind == Null {
				d.text = appendScalar(d.text, p.Key)
			}
			if len(d.text) == start || len(d.text)-start > maxSimpleKey {
				d.text = append(d.text[:start], "? "...)
				d.text = appendFlow(d.text, p.Key)
			}
			d.text = append(d.text, ": "...)
			d.value(p.Value, st)
		}
		d.text = append(d.text, '}')
	case Sequence:
		if len(n.items) == 0 {
			d.text = append(d.text, "[]"...)
			return
		}
		d.text = append(d.text, '[')
		for i, it := range n.items {
			if i > 0 {
				d.text = append(d.text, ',')
			}
			d.newline(&step{up: up, seg: "[" + strconv.Itoa(i) + "]", val: it})
			d.value(it, d.lines[len(d.lines)-1].at)
		}
		d.text = append(d.text, ']')
	default:
		d.text = appendScalar(d.text, n)
	}
}

// newline starts the line of entry st.
func (d *document) newline(st *step) {
	d.text = append(d.text, '\n')
	d.lines = append(d.lines, lineInfo{at: st})
}

// appendFlow writes n on one line, for an explicit key.
func appendFlow(b []byte, n Node) []byte {
	switch n.kind {
	case Mapping:
		b = append(b, '{')
		for i, p := range n.pairs {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, "? "...)
			b = appendFlow(b, p.Key)
			b = append(b, ": "...)
			b = appendFlow(b, p.Value)
		}
		return append(b, '}')
	case Sequence:
		b = append(b, '[')
		for i, it := range n.items {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendFlow(b, it)
		}
		return append(b, ']')
	}
	return appendScalar(b, n)
}

// appendScalar writes a scalar so that it decodes to the same value and,
// for a number or boolean, the same text.
func appendScalar(b []byte, n Node) []byte {
	switch v := n.scalar.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		// Go's escapes are a subset of YAML's, and what Go leaves
		// unescaped YAML takes as printable.
		return strconv.AppendQuote(b, v)
	case bool:
		if plainText(n.text) {
			return append(append(b, "!!bool "...), n.text...)
		}
		return strconv.AppendBool(b, v)
	case float64:
		if plainText(n.text) {
			return append(append(b, "!!float "...), n.text...)
		}
		switch {
		case math.IsNaN(v):
			return append(b, ".nan"...)
		case math.IsInf(v, 1):
			return append(b, ".inf"...)
		case math.IsInf(v, -1):
			return append(b, "-.inf"...)
		}
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEn") {
			s += ".0"
		}
		return append(b, s...)
	case int, int64, uint64:
		if plainText(n.text) {
			return append(append(b, "!!int "...), n.text...)
		}
		switch v := v.(type) {
		case int:
			return strconv.AppendInt(b, int64(v), 10)
		case int64:
			return strconv.AppendInt(b, v, 10)
		case uint64:
			return strconv.AppendUint(b, v, 10)
		}
	}
	// Not a type the drivers resolve a scalar to.
	return strconv.AppendQuote(b, keySegment(n))
}

// plainText reports whether a number's or boolean's text can be written
// as it is after its tag: the characters such texts have, and none that
// YAML would read otherwise.
func plainText(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case strings.ContainsRune("+-._", r):
		default:
			return false
		}
	}
	return true
}
