package amrender_test

import (
	"testing"

	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/common/model"
	"go.uber.org/goleak"

	"github.com/eventrecorder/eventrecorder/internal/amrender"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSortedNames(t *testing.T) {
	if got := amrender.SortedNames(nil); got != nil {
		t.Errorf("SortedNames(nil) = %q, want nil", got)
	}
	got := amrender.SortedNames(map[model.LabelName]struct{}{"b": {}, "a": {}, "c": {}})
	if len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Errorf("SortedNames = %q, want [a b c]", got)
	}
}

func TestMatcher(t *testing.T) {
	for _, tc := range []struct {
		t             labels.MatchType
		name, pattern string
		want          string
	}{
		{labels.MatchEqual, "job", "api", `job="api"`},
		{labels.MatchNotRegexp, "env", "prod|stage", `env!~"prod|stage"`},
		{labels.MatchEqual, "quote", `a"b`, `quote="a\"b"`},
		{labels.MatchRegexp, "bad", "(", ""}, // no matcher can be built
	} {
		if got := amrender.Matcher(tc.t, tc.name, tc.pattern); got != tc.want {
			t.Errorf("Matcher(%v, %q, %q) = %q, want %q", tc.t, tc.name, tc.pattern, got, tc.want)
		}
	}
}
