// Package amrender holds the rules by which Alertmanager renders label
// names and matchers as text, for the converters of every schema
// generation (event, event/v2). They differ in their schema's types, not
// in these rules, so the rules live once, here.
package amrender

import (
	"slices"

	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/common/model"
)

// SortedNames returns the names of a label-name set as sorted strings,
// nil for an empty set.
func SortedNames(set map[model.LabelName]struct{}) []string {
	if len(set) == 0 {
		return nil
	}
	names := make([]string, 0, len(set))
	for name := range set {
		names = append(names, string(name))
	}
	slices.Sort(names)
	return names
}

// Matcher renders a matcher the way Alertmanager would, by building the
// labels.Matcher, so that quoting and escaping stay Alertmanager's. It
// returns "" when no matcher can be built (an invalid regular
// expression), since such a matcher has no rendering.
func Matcher(t labels.MatchType, name, pattern string) string {
	m, err := labels.NewMatcher(t, name, pattern)
	if err != nil {
		return ""
	}
	return m.String()
}
