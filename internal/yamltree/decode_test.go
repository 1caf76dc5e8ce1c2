package yamltree_test

import (
	"fmt"
	"strings"
	"testing"

	commoncfg "github.com/prometheus/common/config"

	"github.com/eventrecorder/eventrecorder/internal/yamltree"
)

// Every problem is reported, in document order: those the driver finds
// (type errors, unknown fields) and those a nested type's decoder finds,
// which stop the driver and are found by probing; after such a value the
// rest of the node is still decoded.
func TestDecodeReportsEveryProblem(t *testing.T) {
	for _, tc := range []struct {
		doc, want string
		paths     yamltree.Paths
	}{
		{doc: "tls: {min_version: TLS99}\ncolour: red\ncount: x",
			want: "tls.min_version: unknown TLS version: TLS99\ncolour: unknown field\ncount: must be an integer, got \"x\""},
		{doc: "colour: red\ntls: {min_version: TLS99, max_version: TLS98, bogus: 1}\nname: [a]",
			want: "colour: unknown field\ntls.min_version: unknown TLS version: TLS99\ntls.max_version: unknown TLS version: TLS98\ntls.bogus: unknown field\nname: must be a string, got a list"},
		{doc: "tls: {min_version: TLS99, bogus: 1}", paths: yamltree.TopKey,
			want: "tls: unknown TLS version: TLS99\ntls.bogus: unknown field"},
		// A check of a block as a whole is named at the block.
		{doc: "tls: {ca: x, ca_file: y}\ncount: 1",
			want: "tls: at most one of ca, ca_file & ca_ref must be configured"},
		{doc: "list: [{id: a}, {id: {x: 1}}, {idd: c}]",
			want: "list[1].id: must be a string, got a mapping\nlist[2].idd: unknown field"},
		// Keys and values as written.
		{doc: "sub: {deep: {leaf: 0x1G}}", want: `sub.deep.leaf: must be an integer, got "0x1G"`},
		{doc: "sub: {deep: {leaf: true}}", want: "sub.deep.leaf: must be an integer, got true"},
		{doc: "sub: {deep: {leaf: yes}}", want: "sub.deep.leaf: must be an integer, got yes"},
		{doc: "name: a\n? " + strings.Repeat("k", 2000) + "\n: 1", want: strings.Repeat("k", 2000) + ": unknown field"},
		{doc: "sub: {0x10: 1}", want: "sub.0x10: unknown field"},
		{doc: "count: '" + strings.Repeat("9", 100) + "'", want: `count: must be an integer, got "` + strings.Repeat("9", 80) + `"... (100 bytes)`},
	} {
		_, err := decode(t, tc.doc, tc.paths)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%.60q: error\n%v\nwant\n%s", tc.doc, err, tc.want)
		}
	}
}

// A number or boolean reaches a nested decoder, or a string field, as
// written: re-encoding the node must not turn 0x1F into 31.
func TestScalarsKeepTheirText(t *testing.T) {
	v, err := decode(t, "name: 0x1F\nlist: [{id: 0640}, {id: yes}, {id: 1e3}]", yamltree.DeepestKey)
	if err != nil {
		t.Fatal(err)
	}
	if v.Name != "0x1F" || len(v.List) != 3 || v.List[0].ID != "0640" || v.List[1].ID != "yes" || v.List[2].ID != "1e3" {
		t.Errorf("decoded %+v", v)
	}
}

type versions struct {
	V []commoncfg.TLSVersion `yaml:"v"`
}

// A nested decoder's failures are found by probing runs of entries, so
// many of them cost about linear work: twice the failing entries, about
// twice the allocations.
func TestManyNestedFailuresAreLocatedInLinearTime(t *testing.T) {
	cost := func(n int) float64 {
		var items []string
		for i := range n {
			if i%3 == 0 {
				items = append(items, fmt.Sprintf("TLS%d", 90+i))
			} else {
				items = append(items, "TLS12")
			}
		}
		node, err := capture(t, "v: ["+strings.Join(items, ", ")+"]")
		if err != nil {
			t.Fatal(err)
		}
		return allocs(t, func() {
			var v versions
			err := node.Decode(&v, yamltree.DeepestKey)
			if err == nil || strings.Count(err.Error(), "unknown TLS version") != (n+2)/3 || !strings.HasPrefix(err.Error(), "v[0]: unknown TLS version: TLS90\nv[3]: unknown TLS version: TLS93\n") {
				t.Fatalf("%d entries: %.200v", n, err)
			}
		})
	}
	a, b := cost(300), cost(600)
	if b > 2.5*a {
		t.Errorf("%v allocations for 300 entries, %v for 600: not linear", a, b)
	}
}
