package event_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/alert"
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/alertmanager/silence/silencepb"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/eventrecorder/eventrecorder/event"
	pb "github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/internal/bench"
)

// TestConstructionAllocations pins how many allocations each generated
// constructor and converter makes. The generated code allocates one
// call's messages together (a block for those outside loops, a slab per
// message type for those in loops, the first slab in the block), so every
// count is exact and a regression, one object per message creeping back,
// fails here. Counts above the generated ones come from helpers: matcher
// renderings, the sorted equal-label names, the fingerprint slice.
func TestConstructionAllocations(t *testing.T) {
	ref := bench.ReferenceAlert()
	group := benchGroupInfo()
	matchers := labels.Matchers{
		mustMatcher(t, labels.MatchEqual, "team", "a"),
		mustMatcher(t, labels.MatchRegexp, "env", "prod|stage"),
		mustMatcher(t, labels.MatchNotEqual, "severity", "info"),
	}
	storeSilence := &silencepb.Silence{
		Id:          "s1",
		StartsAt:    timestamppb.New(ref.StartsAt),
		EndsAt:      timestamppb.New(ref.EndsAt),
		UpdatedAt:   timestamppb.New(ref.StartsAt),
		Annotations: map[string]string{"ticket": "OPS-1", "change": "CHG-2"},
		MatcherSets: []*silencepb.MatcherSet{
			{Matchers: []*silencepb.Matcher{{Type: silencepb.Matcher_EQUAL, Name: "service", Pattern: "db"}}},
			{Matchers: []*silencepb.Matcher{{Type: silencepb.Matcher_NOT_EQUAL, Name: "team", Pattern: "web"}}},
		},
	}
	sil := event.SilenceAsProto(storeSilence)
	rule := event.InhibitRuleAsProto(matchers[:1], matchers[1:], nil)
	big := model.LabelSet{}
	for i := range 200 {
		big[model.LabelName(fmt.Sprintf("l%03d", i))] = "v"
	}
	rules, inhibiting := []*pb.InhibitRule{rule}, []model.Fingerprint{2, 3}
	equal := map[model.LabelName]struct{}{"cluster": {}, "service": {}}
	var sinkAny any // pointers only: a slice in an interface would allocate its header
	var sinkMatchers []*pb.Matcher
	var sinkString string
	// Rendering a matcher (String) allocates what Alertmanager's code
	// allocates; what the converters add on top is pinned.
	render := func(ms ...*labels.Matcher) float64 {
		var n float64
		for _, m := range ms {
			n += testing.AllocsPerRun(100, func() { sinkString = m.String() })
		}
		return n
	}

	type allocCase struct {
		name string
		want float64
		f    func()
		// renders: the count includes matcher renderings, which allocate
		// differently under the race detector; not checked there.
		renders bool
	}
	cases := []allocCase{
		// One allocation: the block, with the label pairs and their
		// pointers in it.
		{"NewAlertCreatedEvent(reference alert)", 1, func() { sinkData = event.NewAlertCreatedEvent(ref) }, false},
		{"NewAlertCreatedEvent(nil)", 1, func() { sinkData = event.NewAlertCreatedEvent(nil) }, false},
		{"NewAlertResolvedEvent", 1, func() { sinkData = event.NewAlertResolvedEvent(ref, 1, group) }, false},
		{"NewAlertGroupedEvent", 1, func() { sinkData = event.NewAlertGroupedEvent(ref, 1, group) }, false},
		{"NewAlertmanagerStartupEvent", 1, func() { sinkData = event.NewAlertmanagerStartupEvent("0.33.1", "go1.26") }, false},
		{"NewAlertmanagerShutdownEvent", 1, func() { sinkData = event.NewAlertmanagerShutdownEvent() }, false},
		{"NewSilenceCreatedEvent", 1, func() { sinkData = event.NewSilenceCreatedEvent(sil) }, false},
		{"NewSilenceUpdatedEvent", 1, func() { sinkData = event.NewSilenceUpdatedEvent(sil) }, false},
		{"NewSilenceMutedAlertEvent", 1, func() { sinkData = event.NewSilenceMutedAlertEvent(sil, 1, ref.Labels) }, false},
		{"NewNotificationEvent", 1, func() {
			sinkData = event.NewNotificationEvent(notificationParams(nil, group))
		}, false},
		// The block, and the []uint64 of inhibiting fingerprints.
		{"NewInhibitionMutedAlertEvent", 2, func() {
			sinkData = event.NewInhibitionMutedAlertEvent(rules, 1, ref.Labels, inhibiting)
		}, false},
		{"AlertAsProto", 1, func() { sinkAny = event.AlertAsProto(ref) }, false},
		{"GroupedAlertAsProto", 1, func() { sinkAny = event.GroupedAlertAsProto(ref, 1) }, false},
		{"LabelSetAsProto(10 labels)", 1, func() { sinkAny = event.LabelSetAsProto(ref.Labels) }, false},
		{"LabelSetAsProto(empty)", 1, func() { sinkAny = event.LabelSetAsProto(model.LabelSet{}) }, false},
		// Above the last capacity class: the block, the pairs and the
		// pointers apart.
		{"LabelSetAsProto(200 labels)", 3, func() { sinkAny = event.LabelSetAsProto(big) }, false},
		// The matcher, and its rendering.
		{"MatcherAsProto", 1 + render(matchers[0]), func() { sinkAny = event.MatcherAsProto(matchers[0]) }, true},
		// One slab for the three matchers, and their renderings.
		{"MatchersAsProto(3)", 1 + render(matchers...), func() { sinkMatchers = event.MatchersAsProto(matchers) }, true},
		// The block with the matchers, the sorted equal labels, and the
		// renderings.
		{"InhibitRuleAsProto", 2 + render(matchers...), func() {
			sinkAny = event.InhibitRuleAsProto(matchers[:1], matchers[1:], equal)
		}, true},
	}
	// Rendering a silence matcher builds a labels.Matcher, whose cost is
	// Alertmanager's; what the converters add on top is pinned.
	silenceRender := testing.AllocsPerRun(100, func() { sinkAny = event.SilenceMatcherAsProto(storeSilence.MatcherSets[0].Matchers[0]) }) - 1
	// The block with the matchers, a slab of label pairs, a slab of
	// matcher sets, and the three matchers' renderings (the first set is
	// converted twice: Silence.matchers repeats it).
	cases = append(cases, allocCase{"SilenceAsProto", 3 + 3*silenceRender, func() { sinkAny = event.SilenceAsProto(storeSilence) }, true})
	for _, tc := range cases {
		if tc.renders && raceEnabled {
			continue
		}
		if got := testing.AllocsPerRun(200, tc.f); got != tc.want {
			t.Errorf("%s: %v allocations, want %v", tc.name, got, tc.want)
		}
	}
	_, _, _ = sinkAny, sinkMatchers, sinkString
}

// TestNotificationAllocationsPerAlert: a notification's allocations grow
// by one per alert, the alert's own (GroupedAlertAsProto's block).
func TestNotificationAllocationsPerAlert(t *testing.T) {
	group := benchGroupInfo()
	count := func(n int) float64 {
		alerts := groupOfAlerts(n)
		return testing.AllocsPerRun(50, func() { sinkData = generatedNotification(alerts, group) })
	}
	one, hundred := count(1), count(100)
	// The slice of grouped alerts, the event's block, and one per alert.
	if one != 3 || hundred != 102 {
		t.Fatalf("allocations: %v for 1 alert, %v for 100, want 3 and 102", one, hundred)
	}
	if perAlert := (hundred - one) / 99; perAlert > 1 {
		t.Fatalf("%v allocations per alert, want at most 1", perAlert)
	}
}

// TestAlertFingerprintIsModels: the fingerprint the converters hash from
// the sorted pairs is model's LabelSet.Fingerprint, for sets of every size
// up to past the sorting and capacity thresholds, with names and values
// of any bytes (the separator 0xff included).
func TestAlertFingerprintIsModels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "Z", "_", "0", "é", "\xff", "\x00", "-"}
	word := func() string {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for size := range 140 {
		ls := model.LabelSet{}
		for len(ls) < size {
			ls[model.LabelName(word())] = model.LabelValue(word())
		}
		a := &alert.Alert{}
		a.Labels = ls
		if got, want := event.AlertAsProto(a).GetFingerprint(), uint64(ls.Fingerprint()); got != want {
			t.Fatalf("%d labels %v: fingerprint %#x, model's %#x", size, ls, got, want)
		}
	}
	if got, want := event.AlertAsProto(&alert.Alert{}).GetFingerprint(), uint64(model.LabelSet(nil).Fingerprint()); got != want {
		t.Fatalf("nil labels: fingerprint %#x, model's %#x", got, want)
	}
}

// TestConvertedSetsMatchPerMessageBuilds: label sets of every size up to
// past the insertion-sort and capacity-class limits convert to what the
// one-object-per-message baseline builds, in the same order.
func TestConvertedSetsMatchPerMessageBuilds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for size := range 200 {
		ls := model.LabelSet{}
		for len(ls) < size {
			ls[model.LabelName(fmt.Sprintf("n%d", rng.IntN(1000)))] = model.LabelValue(fmt.Sprintf("v%d", rng.IntN(10)))
		}
		got, want := event.LabelSetAsProto(ls), literalLabelSet(ls)
		requireProto(t, fmt.Sprintf("%d labels", size), got, want)
		if !slices.IsSortedFunc(got.GetLabels(), func(x, y *pb.LabelPair) int { return strings.Compare(x.Key, y.Key) }) {
			t.Fatalf("%d labels: not sorted", size)
		}
	}
	// An empty set keeps an empty, non-nil slice, as make gave before.
	if empty := event.LabelSetAsProto(model.LabelSet{}); empty.Labels == nil {
		t.Error("empty set: Labels is nil, want an empty slice")
	}
}

// TestTimestampsAndDurationsAreProtobufs: the timestamps and durations the
// converters build in their block are what timestamppb.New and
// durationpb.New give, also before 1970, at the zero time and at the
// limits.
func TestTimestampsAndDurationsAreProtobufs(t *testing.T) {
	for _, ts := range []time.Time{
		{},
		time.Unix(0, 0),
		time.Unix(-1, 999999999),
		time.Unix(-62135596800, 1),
		time.Date(2026, 3, 1, 9, 58, 0, 123456789, time.FixedZone("x", 3600)),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	} {
		a := &alert.Alert{}
		a.StartsAt, a.EndsAt = ts, ts.Add(time.Nanosecond)
		got := event.AlertAsProto(a)
		requireProto(t, fmt.Sprintf("starts at %v", ts), got.GetStartsAt(), timestamppb.New(a.StartsAt))
		requireProto(t, fmt.Sprintf("ends at %v", ts), got.GetEndsAt(), timestamppb.New(a.EndsAt))
	}
	for _, d := range []time.Duration{0, 1, -1, 1500 * time.Millisecond, -1500 * time.Millisecond, 4 * time.Hour, math.MaxInt64, math.MinInt64} {
		got := event.NewNotificationEvent(event.NotificationParams{RepeatInterval: d}).GetNotification().GetRepeatInterval()
		requireProto(t, fmt.Sprintf("repeat interval %v", d), got, durationpb.New(d))
	}
	// A silence's timestamps are copies, and a missing one stays missing.
	store := &silencepb.Silence{StartsAt: timestamppb.New(time.Unix(1, 2))}
	got := event.SilenceAsProto(store)
	if got.StartsAt == store.StartsAt || got.GetStartsAt().GetSeconds() != 1 || got.GetStartsAt().GetNanos() != 2 {
		t.Errorf("starts_at %v is not a copy of %v", got.StartsAt, store.StartsAt)
	}
	if got.EndsAt != nil || got.UpdatedAt != nil {
		t.Errorf("missing timestamps became %v and %v", got.EndsAt, got.UpdatedAt)
	}
}

// TestCallsShareNothing: what two calls return shares no memory, and a
// repeated field built from a slab is capped, so that a caller appending
// to one copies it instead of overwriting the next field's elements.
func TestCallsShareNothing(t *testing.T) {
	ref := bench.ReferenceAlert()
	first, second := event.AlertAsProto(ref), event.AlertAsProto(ref)
	first.Labels.Labels[0].Value = "changed"
	first.StartsAt.Seconds = 1
	if second.Labels.Labels[0].Value == "changed" || second.StartsAt.Seconds == 1 {
		t.Fatal("a change to one converted alert shows in another")
	}
	wantAnnotations := literalLabelSet(ref.Annotations)
	for _, set := range []*pb.LabelSet{second.Labels, second.Annotations} {
		if len(set.Labels) != cap(set.Labels) {
			t.Fatalf("labels: len %d, cap %d: an append would write into the slab", len(set.Labels), cap(set.Labels))
		}
	}
	second.Labels.Labels = append(second.Labels.Labels, &pb.LabelPair{Key: "zz", Value: "appended"})
	requireProto(t, "annotations after an append to the labels", second.Annotations, wantAnnotations)

	matchers := labels.Matchers{mustMatcher(t, labels.MatchEqual, "a", "1"), mustMatcher(t, labels.MatchEqual, "b", "2")}
	rule := event.InhibitRuleAsProto(matchers[:1], matchers[1:], nil)
	rule.SourceMatchers = append(rule.SourceMatchers, &pb.Matcher{Name: "appended"})
	if got := rule.TargetMatchers[0].GetName(); got != "b" {
		t.Fatalf("target matcher after an append to the source matchers: %q", got)
	}
}
