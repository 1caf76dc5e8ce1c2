package yamltree_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	commoncfg "github.com/prometheus/common/config"
	"go.uber.org/goleak"
	"go.yaml.in/yaml/v2"

	"github.com/eventrecorder/eventrecorder/internal/yamltest"
	"github.com/eventrecorder/eventrecorder/internal/yamltree"
	"github.com/eventrecorder/eventrecorder/sink"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// capture decodes doc into a Node with every driver, strict and not, and
// fails unless they all capture the same tree.
func capture(t *testing.T, doc string) (yamltree.Node, error) {
	t.Helper()
	var first yamltree.Node
	var firstErr error
	for i, d := range yamltest.Drivers {
		for j, unmarshal := range []func([]byte, any) error{d.UnmarshalStrict, d.Unmarshal} {
			var n yamltree.Node
			err := unmarshal([]byte(doc), &n)
			if i == 0 && j == 0 {
				first, firstErr = n, err
				continue
			}
			if (err == nil) != (firstErr == nil) || err != nil && err.Error() != firstErr.Error() {
				t.Fatalf("%q: %s (strict %v) error %v, go.yaml.in strict %v", doc, d.Name, j == 0, err, firstErr)
			}
			if !reflect.DeepEqual(n, first) {
				t.Fatalf("%q: %s (strict %v) captured %#v\ngo.yaml.in strict captured %#v", doc, d.Name, j == 0, n, first)
			}
		}
	}
	return first, firstErr
}

// The captured tree is the document as go.yaml.in's own generic decoding
// (MapSlice) sees it, key order and repeated keys included, under both
// drivers.
func TestCaptureKeepsOrderRepeatsAndScalars(t *testing.T) {
	for _, doc := range []string{
		"b: 1\na: 2\nc: 3\nb: 4",
		"z: {y: [1, two, 3.5, true, null, ~, '', '0640', 0640, 0x1F, 1e3, -7]}\na: []",
		"big: 18446744073709551615\nneg: -9223372036854775808\nf: .inf\nts: 2001-12-14t21:59:43.10-05:00\nbin: !!binary aGVsbG8=",
		"list:\n- {k: v, k: w}\n- - nested\n  - [deeper, {x: 1}]\n- plain",
		"base: &b {x: 1, w: 2}\nuse: *b",
		"? [a, b]\n: complex\n? {k: v}\n: also",
		"~: null key\nq: \"null\"\nt: '~'\n\"null\": quoted key\n'~': other",
		"1: int key\ntrue: bool key\n1.5: float key",
		"tagged: !custom value\nstr: !!str 123",
		"multi: |\n  line one\n  line two\nfolded: >\n  a\n  b",
	} {
		n, err := capture(t, doc)
		if err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		var want yaml.MapSlice
		if err := yaml.Unmarshal([]byte(doc), &want); err != nil {
			t.Fatal(err)
		}
		if got := n.Value(); !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\ncaptured %#v\nMapSlice %#v", doc, got, want)
		}
	}
}

// Merge keys are expanded where "<<" stands. (go.yaml.in's MapSlice
// decoding loses them, which is why the test above has none.) The drivers
// do not say which entries a merge brought, so overriding one counts as a
// repeated key.
func TestMergeKeys(t *testing.T) {
	n, err := capture(t, "base: &b {x: 1, w: 2}\nmerged:\n  a: 0\n  <<: *b\n  z: 3\n")
	if err != nil {
		t.Fatal(err)
	}
	want := yaml.MapSlice{{Key: "a", Value: 0}, {Key: "x", Value: 1}, {Key: "w", Value: 2}, {Key: "z", Value: 3}}
	if got := n.Pairs()[1].Value.Value(); !reflect.DeepEqual(got, want) {
		t.Errorf("merged %#v, want %#v", got, want)
	}
	_, err = decode(t, "base: &b {name: a}\nsub:\n  <<: {deep: {leaf: 1}}\n  deep: {leaf: 2}", yamltree.DeepestKey)
	if err == nil || err.Error() != "sub.deep: key appears more than once\nbase: unknown field" {
		t.Errorf("overriding a merged key: %v", err)
	}
}

// A whole document that is a list or a scalar is captured as such.
func TestCaptureKinds(t *testing.T) {
	for doc, want := range map[string]string{
		"[a, {b: c}]": "a list",
		"{}":          "a mapping",
		"text":        "a string",
		"12":          "a number",
		"false":       "a boolean",
		"'null'":      "a string",
	} {
		n, err := capture(t, doc)
		if err != nil || n.Describe() != want {
			t.Errorf("%q: %s, %v; want %s", doc, n.Describe(), err, want)
		}
	}
	var n yamltree.Node
	if n.Kind() != yamltree.Null || n.Describe() != "null" {
		t.Errorf("the zero Node is %v %q, want null", n.Kind(), n.Describe())
	}
}

// gopkg.in/yaml.v2 takes a quoted "null" for null and would leave the
// Node unset; Node.UnmarshalText receives the string instead.
func TestQuotedNullIsAString(t *testing.T) {
	n, err := capture(t, "a: 'null'\nb: \"~\"\n'null': c")
	if err != nil {
		t.Fatal(err)
	}
	want := yaml.MapSlice{{Key: "a", Value: "null"}, {Key: "b", Value: "~"}, {Key: "null", Value: "c"}}
	if !reflect.DeepEqual(n.Value(), want) {
		t.Fatalf("captured %#v, want %#v", n.Value(), want)
	}
}

// Two null keys in one mapping are the one case where the drivers compare
// our keys: strictly they reject it, naming the key as written.
func TestTwoNullKeys(t *testing.T) {
	for _, d := range yamltest.Drivers {
		var n yamltree.Node
		err := d.UnmarshalStrict([]byte("~: 1\nnull: 2\n"), &n)
		if err == nil || err.Error() != "yaml: unmarshal errors:\n  line 2: key null already set in map" {
			t.Errorf("%s: %v", d.Name, err)
		}
	}
}

// Every value the captured tree holds is a Go built-in or a yamltree type,
// whichever driver captured it.
func TestCapturedTreeHoldsNoDriverType(t *testing.T) {
	doc := "a: [1, x, 2.5, true, ~, {b: c}]\n? {k: v}\n: [[1]]\nbig: 18446744073709551615\n"
	for _, d := range yamltest.Drivers {
		var n yamltree.Node
		if err := d.Unmarshal([]byte(doc), &n); err != nil {
			t.Fatal(err)
		}
		if types := yamltest.DriverTypesInValue(n); len(types) > 0 {
			t.Errorf("%s: the tree holds %v", d.Name, types)
		}
		var walk func(yamltree.Node)
		walk = func(n yamltree.Node) {
			switch v := n.Scalar().(type) {
			case nil, string, int, int64, uint64, float64, bool:
			default:
				t.Errorf("%s: scalar of type %T", d.Name, v)
			}
			for _, p := range n.Pairs() {
				walk(p.Key)
				walk(p.Value)
			}
			for _, it := range n.Items() {
				walk(it)
			}
		}
		walk(n)
	}
}

// Node.UnmarshalYAML asks the driver only for values of its own types:
// for a mapping, a list and a scalar (it tries them in that order), under
// both drivers.
func TestNodeOffersTheDriverNoDriverType(t *testing.T) {
	for _, d := range yamltest.Drivers {
		for _, doc := range []string{"{a: [b]}", "[a, {b: c}]", "scalar"} {
			var s yamltest.Spy[yamltree.Node, *yamltree.Node]
			if err := d.UnmarshalStrict([]byte(doc), &s); err != nil {
				t.Fatal(err)
			}
			if len(s.Types) == 0 {
				t.Fatalf("%s %q: UnmarshalYAML asked for nothing", d.Name, doc)
			}
			for _, typ := range s.Types {
				if bad := yamltest.DriverTypesIn(typ); len(bad) > 0 {
					t.Errorf("%s %q: asked for a %v, which holds %v", d.Name, doc, typ, bad)
				}
			}
		}
	}
	// The check can fail: go.yaml.in's MapSlice is what event.Config used
	// to ask gopkg.in for.
	if bad := yamltest.DriverTypesIn(reflect.TypeOf(&yaml.MapSlice{})); len(bad) == 0 {
		t.Error("DriverTypesIn found nothing in *yaml.MapSlice")
	}
}

func nested(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

func TestMaxDepth(t *testing.T) {
	if _, err := capture(t, nested(yamltree.MaxDepth)); err != nil {
		t.Fatalf("%d levels: %v", yamltree.MaxDepth, err)
	}
	block := strings.Repeat("a:\n", 0)
	for i := range yamltree.MaxDepth + 1 {
		block += strings.Repeat("  ", i) + "k:\n"
	}
	for _, doc := range []string{nested(yamltree.MaxDepth + 1), block + strings.Repeat("  ", yamltree.MaxDepth+1) + "v", nested(5000)} {
		_, err := capture(t, doc)
		if !errors.Is(err, yamltree.ErrTooDeep) || err.Error() != "mappings and lists nest more than 64 levels deep" {
			t.Errorf("%.20q...: %v, want ErrTooDeep", doc, err)
		}
	}
}

// allocs counts the allocations of one decode, which, unlike its time,
// does not depend on the machine's load.
func allocs(t *testing.T, f func()) float64 {
	t.Helper()
	return testing.AllocsPerRun(3, f)
}

// Capturing deep nesting does the work of one decode: the driver
// allocates the map or slice before decoding a child, so a Node never
// decodes its node twice, and MaxDepth's error travels up without a
// retry at each level. Twice the depth costs about twice the allocations
// (a retry per level would make it four times).
func TestDeepNestingIsLinear(t *testing.T) {
	for _, d := range yamltest.Drivers {
		cost := func(depth int) float64 {
			doc := []byte(nested(depth))
			return allocs(t, func() {
				var n yamltree.Node
				if err := d.Unmarshal(doc, &n); !errors.Is(err, yamltree.ErrTooDeep) {
					t.Fatalf("depth %d: %v", depth, err)
				}
			})
		}
		a, b := cost(2000), cost(4000)
		if b > 2.5*a {
			t.Errorf("%s: %v allocations at depth 2000, %v at 4000: not linear", d.Name, a, b)
		}
	}
}

type target struct {
	Name  string              `yaml:"name"`
	Count int                 `yaml:"count"`
	List  []item              `yaml:"list"`
	TLS   commoncfg.TLSConfig `yaml:"tls"`
	Sub   struct {
		Deep struct {
			Leaf int `yaml:"leaf"`
		} `yaml:"deep"`
	} `yaml:"sub"`
}

type item struct {
	ID string `yaml:"id"`
}

func decode(t *testing.T, doc string, paths yamltree.Paths) (target, error) {
	t.Helper()
	n, err := capture(t, doc)
	if err != nil {
		t.Fatal(err)
	}
	var v target
	err = n.Decode(&v, paths)
	return v, err
}

// Decode names the field of every problem, at its full path.
func TestDecodeErrorPaths(t *testing.T) {
	for _, tc := range []struct {
		doc, want string
		paths     yamltree.Paths
	}{
		{doc: "name: a\ncolour: red", want: "colour: unknown field"},
		{doc: "name: a\ncolour: {name: x}", want: "colour: unknown field"},
		{doc: "sub: {deep: {leaf: 1, sub: 2}}", want: "sub.deep.sub: unknown field"},
		{doc: "sub: {deep: {leaf: x}}", want: `sub.deep.leaf: must be an integer, got "x"`},
		{doc: "list: [{id: a}, {id: b, idd: c}]", want: "list[1].idd: unknown field"},
		{doc: "list: [{id: a}, {id: [b]}]", want: "list[1].id: must be a string, got a list"},
		{doc: "count: x\nname: [a]", want: "count: must be an integer, got \"x\"\nname: must be a string, got a list"},
		{doc: "name: a\nname: b\nsub: {deep: {leaf: 1, leaf: 2}}\nlist: [{id: a, id: b}]",
			want: "name: key appears more than once\nsub.deep.leaf: key appears more than once\nlist[0].id: key appears more than once"},
		// A nested type's own check is named at the key that alone
		// triggers it, or with TopKey at the block.
		{doc: "tls: {min_version: TLS99}", want: "tls.min_version: unknown TLS version: TLS99"},
		{doc: "tls: {cert_file: c.pem}", want: "tls.cert_file: exactly one of key or key_file must be configured when a client certificate is configured"},
		{doc: "tls: {cert_file: c.pem}", paths: yamltree.TopKey, want: "tls: exactly one of key or key_file must be configured when a client certificate is configured"},
		{doc: "tls: {cert_file: c.pem, bogus: 1}", paths: yamltree.TopKey, want: "tls.bogus: unknown field"},
	} {
		_, err := decode(t, tc.doc, tc.paths)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: error\n%v\nwant\n%s", tc.doc, err, tc.want)
			continue
		}
		var fe *sink.FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%q: %T is not a *sink.FieldError", tc.doc, err)
		}
	}
	v, err := decode(t, "name: a\nlist: [{id: x}]\nsub: {deep: {leaf: 3}}", yamltree.DeepestKey)
	if err != nil || v.Name != "a" || len(v.List) != 1 || v.List[0].ID != "x" || v.Sub.Deep.Leaf != 3 {
		t.Fatalf("decoded %+v, %v", v, err)
	}
}

// Probing for the key of each problem costs one probe per entry, however
// many problems there are: twice the unknown keys, about twice the work
// (probing each key once per problem would make it four times).
func TestManyProblemsAreLocatedInLinearTime(t *testing.T) {
	cost := func(keys int) float64 {
		var b strings.Builder
		b.WriteString("name: a\n")
		for i := range keys {
			b.WriteString("unknown" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "_" + strings.Repeat("k", i/26) + ": 1\n")
		}
		n, err := capture(t, b.String())
		if err != nil {
			t.Fatal(err)
		}
		return allocs(t, func() {
			var v target
			err := n.Decode(&v, yamltree.DeepestKey)
			if err == nil || strings.Count(err.Error(), "unknown field") != keys {
				t.Fatalf("%d unknown keys: %v", keys, err)
			}
		})
	}
	a, b := cost(100), cost(200)
	if b > 2.5*a {
		t.Errorf("%v allocations for 100 unknown keys, %v for 200: not linear", a, b)
	}
}

// URL credentials that an error echoes are masked.
func TestCredentialsMasked(t *testing.T) {
	var v struct {
		Proxy commoncfg.URL `yaml:"proxy"`
	}
	n, err := capture(t, "proxy: 'http://user:hunter2@[bad/'")
	if err != nil {
		t.Fatal(err)
	}
	err = n.Decode(&v, yamltree.DeepestKey)
	if err == nil || err.Error() != `proxy: parse "http://xxxxx@[bad/": missing ']' in host` {
		t.Fatalf("error %v", err)
	}
	masked := yamltree.MaskCredentials(errors.Join(sink.Errorf("url", "bad %s", "https://a:b@h/"), errors.New("see ftp://c:d@e")))
	if masked.Error() != "url: bad https://xxxxx@h/\nsee ftp://xxxxx@e" {
		t.Errorf("masked %q", masked)
	}
}

// Unmarshal, the body of our UnmarshalYAML methods, wants a mapping.
func TestUnmarshalWantsAMapping(t *testing.T) {
	for _, d := range yamltest.Drivers {
		var s struct {
			T plain `yaml:"t"`
		}
		err := d.UnmarshalStrict([]byte("t: [a]"), &s)
		if err == nil || err.Error() != "must be a mapping, got a list" {
			t.Errorf("%s: %v", d.Name, err)
		}
		err = d.Unmarshal([]byte("t: {name: x, extra: 1}"), &s)
		if err == nil || err.Error() != "extra: unknown field" {
			t.Errorf("%s, not strict: %v", d.Name, err)
		}
	}
}

type plain struct{ Name string }

func (p *plain) UnmarshalYAML(unmarshal func(any) error) error {
	type raw plain
	return yamltree.Unmarshal(unmarshal, (*raw)(p), yamltree.DeepestKey)
}
