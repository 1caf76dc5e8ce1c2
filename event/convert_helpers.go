package event

import (
	"slices"

	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/alertmanager/silence/silencepb"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
)

// The helpers below hold the little logic the generated converters need
// that is not a field mapping (sorting, copying, Alertmanager's rendering
// rules). event/mapping.yaml names them; everything else in convert.gen.go
// comes from the schema.

// sortedLabelNames returns the label names in order, because a Go map's
// iteration order would make equal label sets encode differently.
func sortedLabelNames(ls model.LabelSet) []model.LabelName {
	names := make([]model.LabelName, 0, len(ls))
	for name := range ls {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// sortedLabelNameSet returns the names of a label-name set as sorted
// strings, nil for an empty set.
func sortedLabelNameSet(set map[model.LabelName]struct{}) []string {
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

// labelSetFromMap lets a silence's annotations go through LabelSetAsProto,
// so they are sorted exactly like alert labels.
func labelSetFromMap(m map[string]string) model.LabelSet {
	if m == nil {
		return nil
	}
	ls := make(model.LabelSet, len(m))
	for k, v := range m {
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	return ls
}

// matcherString is m.String() for the match types the schema knows.
// String panics on any other, and recording an event must never crash the
// code that records it.
func matcherString(m *labels.Matcher) string {
	if matchTypeAsProto(m.Type) == eventrecorderpb.Matcher_TYPE_UNSPECIFIED {
		return ""
	}
	return m.String()
}

// renderMatcher renders a matcher the way Alertmanager would, by building
// the labels.Matcher: quoting and escaping rules then stay Alertmanager's.
// It returns "" when no matcher can be built (unknown type, invalid regular
// expression), since such a matcher has no rendering.
func renderMatcher(t eventrecorderpb.Matcher_Type, name, pattern string) string {
	mt, ok := labelsMatchType(t)
	if !ok {
		return ""
	}
	m, err := labels.NewMatcher(mt, name, pattern)
	if err != nil {
		return ""
	}
	return m.String()
}

// firstMatcherSet is the matchers of a silence's first matcher set, which
// the schema repeats in Silence.matchers; nil when there are no sets.
func firstMatcherSet(sil *silencepb.Silence) []*silencepb.Matcher {
	if len(sil.GetMatcherSets()) == 0 {
		return nil
	}
	return sil.GetMatcherSets()[0].GetMatchers()
}

// cloneTimestamp copies a timestamp so that an event never aliases the
// silence store's messages; nil stays nil.
func cloneTimestamp(ts *timestamppb.Timestamp) *timestamppb.Timestamp {
	if ts == nil {
		return nil
	}
	return &timestamppb.Timestamp{Seconds: ts.GetSeconds(), Nanos: ts.GetNanos()}
}
