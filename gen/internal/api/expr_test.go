package api

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dave/jennifer/jen"
)

func TestTranslateExpressions(t *testing.T) {
	tr := &translator{imports: map[string]string{
		"model":  "github.com/prometheus/common/model",
		"labels": "github.com/prometheus/alertmanager/pkg/labels",
	}}
	cases := []struct{ src, want string }{
		// pkg.Name from the import table becomes a qualified identifier.
		{"model.LabelName(x)", `model.LabelName(x)`},
		{"labels.MatchEqual", `labels.MatchEqual`},
		// A selector on anything else stays a selector.
		{"sil.MatcherSets[0].GetMatchers()", `sil.MatcherSets[0].GetMatchers()`},
		{"string(ls[name])", `string(ls[name])`},
		{"xs[1:]", `xs[1:]`},
		{"xs[a:b:c]", `xs[a:b:c]`},
		{"-n + 2*m", `-n + 2*m`},
		{"!ok && (a || b)", `!ok && (a || b)`},
		{"f(xs...)", `f(xs...)`},
		{"v.(string)", `v.(string)`},
		{"[]string{\"a\", b}", `[]string{"a", b}`},
		{"map[model.LabelName]struct{}", `map[model.LabelName]struct{}`},
		{"*labels.Matcher", `*labels.Matcher`},
		{"[4]byte", `[4]byte`},
		{"&T{Name: n}", `&T{Name: n}`},
	}
	for _, tc := range cases {
		st, err := tr.expr(tc.src)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		if got := fmt.Sprintf("%#v", st); got != tc.want {
			t.Errorf("%s: rendered %q, want %q", tc.src, got, tc.want)
		}
	}

	for _, bad := range []string{"func() {}", "chan int", "x +", "struct{ a int }"} {
		if _, err := tr.expr(bad); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", bad)) {
			t.Errorf("%s: error %v, want one quoting the expression", bad, err)
		}
	}
}

func TestTranslateParams(t *testing.T) {
	tr := &translator{imports: map[string]string{"labels": "github.com/prometheus/alertmanager/pkg/labels"}}
	ps, err := tr.params("a, b labels.Matchers, n int")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || strings.Join(ps[0].names, ",") != "a,b" || ps[1].names[0] != "n" {
		t.Fatalf("parsed %+v", ps)
	}
	if got, want := fmt.Sprintf("%#v", jen.Var().Id("f").Func().Params(renderParams(ps)...)), "var f func(a, b labels.Matchers, n int)"; got != want {
		t.Errorf("rendered %q, want %q", got, want)
	}
	if _, err := tr.params("labels.Matchers"); err == nil {
		t.Error("an unnamed parameter was accepted")
	}
}

func TestLowerCamel(t *testing.T) {
	for in, want := range map[string]string{
		"version":       "version",
		"build_context": "buildContext",
		"flush_id":      "flushID",
		"group_uuid":    "groupUUID",
		"config_hash":   "configHash",
	} {
		if got := lowerCamel(in); got != want {
			t.Errorf("lowerCamel(%q) = %q, want %q", in, got, want)
		}
	}
}
