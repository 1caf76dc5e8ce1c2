package eventrecorder

import (
	"slices"

	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/alertmanager/silence/silencepb"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/eventrecorder/eventrecorder/event/v2/eventsv2pb"
	"github.com/eventrecorder/eventrecorder/internal/amrender"
)

// The helpers below hold the little logic the generated converters need
// that is not a field mapping (sorting, Alertmanager's rendering rules,
// v0.35's choice of a silence's matchers, a field older silencepb lacks).
// mapping.yaml names them; everything else in convert.gen.go comes from
// the schema.

// sortedLabelNameSet returns the names of a label-name set as sorted
// strings, nil for an empty set.
func sortedLabelNameSet(set map[model.LabelName]struct{}) []string { return amrender.SortedNames(set) }

// matcherString is m.String() for the match types the schema knows.
// String panics on any other, and recording an event must never crash the
// code that records it.
func matcherString(m *labels.Matcher) string {
	if matchTypeAsProto(m.Type) == eventsv2pb.Matcher_TYPE_UNSPECIFIED {
		return ""
	}
	return m.String()
}

// renderMatcher renders a matcher as Alertmanager would (see
// amrender.Matcher); "" for a type the schema does not know.
func renderMatcher(t eventsv2pb.Matcher_Type, name, pattern string) string {
	mt, ok := labelsMatchType(t)
	if !ok {
		return ""
	}
	return amrender.Matcher(mt, name, pattern)
}

// silenceMatchers is what v0.35 records as a silence's matchers: its own
// (the field silences had before matcher sets) when it has any, otherwise
// its first matcher set's. Nil entries do not count; the converter skips
// them.
func silenceMatchers(sil *silencepb.Silence) []*silencepb.Matcher {
	if slices.ContainsFunc(sil.GetMatchers(), func(m *silencepb.Matcher) bool { return m != nil }) {
		return sil.GetMatchers()
	}
	for _, set := range sil.GetMatcherSets() {
		if set != nil {
			return set.GetMatchers()
		}
	}
	return nil
}

// receiverMatcherSets returns a silence's receiver matcher sets (silencepb
// field receiver_matcher_sets, since Alertmanager v0.35). It reads them
// through the message's descriptor because this module builds with
// Alertmanager v0.33, whose silencepb has no such field: there it returns
// nil, and with v0.35 (selected by any module requiring it) the sets. Only
// silence events pay for the reflection, and only for a silence that has
// such sets, the slice.
func receiverMatcherSets(sil *silencepb.Silence) []*silencepb.MatcherSet {
	m := sil.ProtoReflect()
	fd := m.Descriptor().Fields().ByName("receiver_matcher_sets")
	if fd == nil || !fd.IsList() || fd.Message() == nil || fd.Message().FullName() != matcherSetName {
		return nil
	}
	list := m.Get(fd).List()
	if list.Len() == 0 {
		return nil
	}
	sets := make([]*silencepb.MatcherSet, list.Len())
	for i := range sets {
		sets[i], _ = list.Get(i).Message().Interface().(*silencepb.MatcherSet)
	}
	return sets
}

// matcherSetName is silencepb.MatcherSet's full name, which the receiver
// matcher sets' elements must have for the type assertion above to hold.
var matcherSetName protoreflect.FullName = (*silencepb.MatcherSet)(nil).ProtoReflect().Descriptor().FullName()
