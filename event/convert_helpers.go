package event

import (
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/alertmanager/silence/silencepb"
	"github.com/prometheus/common/model"

	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/internal/amrender"
)

// The helpers below hold the little logic the generated converters need
// that is not a field mapping (sorting, copying, Alertmanager's rendering
// rules). event/mapping.yaml names them; everything else in convert.gen.go
// comes from the schema.

// labelsFingerprint is the Fingerprint of the label set ls was converted
// from: FNV-1a over the names in order, each followed by a separator
// byte, its value and another separator. LabelSetAsProto has sorted the
// pairs by name already, so hashing them in place spares Fingerprint's
// second walk over the map, its sort and the slice it allocates for it.
// A nil set hashes as an empty one, as in model. TestAlertFingerprintIsModels
// pins that the two agree.
func labelsFingerprint(ls *eventrecorderpb.LabelSet) uint64 {
	h := fnvOffset64
	for _, p := range ls.GetLabels() {
		h = fnvAdd(h, p.GetKey())
		h = (h ^ uint64(model.SeparatorByte)) * fnvPrime64
		h = fnvAdd(h, p.GetValue())
		h = (h ^ uint64(model.SeparatorByte)) * fnvPrime64
	}
	return h
}

// The FNV-1a 64-bit parameters, as model's fingerprints use them.
const (
	fnvOffset64 uint64 = 14695981039346656037
	fnvPrime64  uint64 = 1099511628211
)

func fnvAdd(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime64
	}
	return h
}

// sortedLabelNameSet returns the names of a label-name set as sorted
// strings, nil for an empty set.
func sortedLabelNameSet(set map[model.LabelName]struct{}) []string { return amrender.SortedNames(set) }

// matcherString is m.String() for the match types the schema knows.
// String panics on any other, and recording an event must never crash the
// code that records it.
func matcherString(m *labels.Matcher) string {
	if matchTypeAsProto(m.Type) == eventrecorderpb.Matcher_TYPE_UNSPECIFIED {
		return ""
	}
	return m.String()
}

// renderMatcher renders a matcher as Alertmanager would (see
// amrender.Matcher); "" for a type the schema does not know.
func renderMatcher(t eventrecorderpb.Matcher_Type, name, pattern string) string {
	mt, ok := labelsMatchType(t)
	if !ok {
		return ""
	}
	return amrender.Matcher(mt, name, pattern)
}

// firstMatcherSet is the matchers of a silence's first matcher set, which
// the schema repeats in Silence.matchers; nil when there are no sets.
func firstMatcherSet(sil *silencepb.Silence) []*silencepb.Matcher {
	if len(sil.GetMatcherSets()) == 0 {
		return nil
	}
	return sil.GetMatcherSets()[0].GetMatchers()
}
