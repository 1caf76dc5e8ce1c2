package event_test

import (
	"slices"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/alert"
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/alertmanager/silence/silencepb"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/eventrecorder/eventrecorder/event"
	pb "github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
)

// The expectations below are written out literally, field by field, rather
// than derived from the code under test.

func requireProto(t *testing.T, what string, got, want proto.Message) {
	t.Helper()
	if !proto.Equal(got, want) {
		t.Errorf("%s:\n got: %s\nwant: %s", what, prototext.Format(got), prototext.Format(want))
	}
}

func pair(k, v string) *pb.LabelPair { return &pb.LabelPair{Key: k, Value: v} }

func mustMatcher(t *testing.T, typ labels.MatchType, name, value string) *labels.Matcher {
	t.Helper()
	m, err := labels.NewMatcher(typ, name, value)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLabelSetAsProto(t *testing.T) {
	if got := event.LabelSetAsProto(nil); got != nil {
		t.Errorf("nil set: got %v, want nil", got)
	}
	empty := event.LabelSetAsProto(model.LabelSet{})
	if empty == nil || len(empty.GetLabels()) != 0 {
		t.Errorf("empty set: got %v, want an empty LabelSet", empty)
	}
	// Byte order: upper case before '_' before lower case.
	got := event.LabelSetAsProto(model.LabelSet{
		"service":   "api",
		"alertname": "HighLatency",
		"__name__":  "up",
		"Zone":      "eu-1",
		"env":       "",
	})
	requireProto(t, "sorted set", got, &pb.LabelSet{Labels: []*pb.LabelPair{
		pair("Zone", "eu-1"),
		pair("__name__", "up"),
		pair("alertname", "HighLatency"),
		pair("env", ""),
		pair("service", "api"),
	}})
}

func TestMatcherAsProto(t *testing.T) {
	cases := []struct {
		m    *labels.Matcher
		want *pb.Matcher
	}{
		{mustMatcher(t, labels.MatchEqual, "env", "prod"),
			&pb.Matcher{Type: pb.Matcher_TYPE_EQUAL, Name: "env", Pattern: "prod", Rendered: `env="prod"`}},
		{mustMatcher(t, labels.MatchNotEqual, "env", "prod"),
			&pb.Matcher{Type: pb.Matcher_TYPE_NOT_EQUAL, Name: "env", Pattern: "prod", Rendered: `env!="prod"`}},
		{mustMatcher(t, labels.MatchRegexp, "env", "prod.*"),
			&pb.Matcher{Type: pb.Matcher_TYPE_REGEXP, Name: "env", Pattern: "prod.*", Rendered: `env=~"prod.*"`}},
		{mustMatcher(t, labels.MatchNotRegexp, "env", "prod.*"),
			&pb.Matcher{Type: pb.Matcher_TYPE_NOT_REGEXP, Name: "env", Pattern: "prod.*", Rendered: `env!~"prod.*"`}},
		// Alertmanager quotes names with reserved characters and escapes values.
		{mustMatcher(t, labels.MatchEqual, "foo bar", `a"b`),
			&pb.Matcher{Type: pb.Matcher_TYPE_EQUAL, Name: "foo bar", Pattern: `a"b`, Rendered: `"foo bar"="a\"b"`}},
		// labels.Matcher.String panics on an unknown type; the converter
		// must not, and has no rendering to offer.
		{&labels.Matcher{Type: labels.MatchType(42), Name: "env", Value: "prod"},
			&pb.Matcher{Type: pb.Matcher_TYPE_UNSPECIFIED, Name: "env", Pattern: "prod", Rendered: ""}},
	}
	for _, tc := range cases {
		requireProto(t, tc.want.GetRendered(), event.MatcherAsProto(tc.m), tc.want)
	}
	if got := event.MatcherAsProto(nil); got != nil {
		t.Errorf("nil matcher: got %v, want nil", got)
	}
}

func TestMatchersAsProto(t *testing.T) {
	if got := event.MatchersAsProto(nil); got != nil {
		t.Errorf("nil matchers: got %v, want nil", got)
	}
	if got := event.MatchersAsProto(labels.Matchers{}); got == nil || len(got) != 0 {
		t.Errorf("empty matchers: got %v, want an empty slice", got)
	}
	// Order is kept, not sorted: matchers are AND'ed, and the caller's order
	// is what operators wrote.
	got := event.MatchersAsProto(labels.Matchers{
		mustMatcher(t, labels.MatchRegexp, "service", "api|web"),
		mustMatcher(t, labels.MatchEqual, "alertname", "Down"),
	})
	want := []*pb.Matcher{
		{Type: pb.Matcher_TYPE_REGEXP, Name: "service", Pattern: "api|web", Rendered: `service=~"api|web"`},
		{Type: pb.Matcher_TYPE_EQUAL, Name: "alertname", Pattern: "Down", Rendered: `alertname="Down"`},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d matchers, want %d", len(got), len(want))
	}
	for i := range want {
		requireProto(t, want[i].GetRendered(), got[i], want[i])
	}
}

func TestSilenceMatcherAsProto(t *testing.T) {
	cases := []struct {
		name string
		m    *silencepb.Matcher
		want *pb.Matcher
	}{
		{"equal", &silencepb.Matcher{Type: silencepb.Matcher_EQUAL, Name: "env", Pattern: "prod"},
			&pb.Matcher{Type: pb.Matcher_TYPE_EQUAL, Name: "env", Pattern: "prod", Rendered: `env="prod"`}},
		{"regexp", &silencepb.Matcher{Type: silencepb.Matcher_REGEXP, Name: "env", Pattern: "prod.*"},
			&pb.Matcher{Type: pb.Matcher_TYPE_REGEXP, Name: "env", Pattern: "prod.*", Rendered: `env=~"prod.*"`}},
		{"not equal", &silencepb.Matcher{Type: silencepb.Matcher_NOT_EQUAL, Name: "env", Pattern: "prod"},
			&pb.Matcher{Type: pb.Matcher_TYPE_NOT_EQUAL, Name: "env", Pattern: "prod", Rendered: `env!="prod"`}},
		{"not regexp", &silencepb.Matcher{Type: silencepb.Matcher_NOT_REGEXP, Name: "env", Pattern: "prod.*"},
			&pb.Matcher{Type: pb.Matcher_TYPE_NOT_REGEXP, Name: "env", Pattern: "prod.*", Rendered: `env!~"prod.*"`}},
		{"quoted name", &silencepb.Matcher{Type: silencepb.Matcher_EQUAL, Name: "foo bar", Pattern: `a"b`},
			&pb.Matcher{Type: pb.Matcher_TYPE_EQUAL, Name: "foo bar", Pattern: `a"b`, Rendered: `"foo bar"="a\"b"`}},
		// No labels.Matcher can be built from these: no rendering, but the
		// raw parts are still recorded.
		{"bad regexp", &silencepb.Matcher{Type: silencepb.Matcher_REGEXP, Name: "env", Pattern: "prod("},
			&pb.Matcher{Type: pb.Matcher_TYPE_REGEXP, Name: "env", Pattern: "prod(", Rendered: ""}},
		{"bad negative regexp", &silencepb.Matcher{Type: silencepb.Matcher_NOT_REGEXP, Name: "env", Pattern: "[z-a]"},
			&pb.Matcher{Type: pb.Matcher_TYPE_NOT_REGEXP, Name: "env", Pattern: "[z-a]", Rendered: ""}},
		{"unknown type", &silencepb.Matcher{Type: silencepb.Matcher_Type(9), Name: "env", Pattern: "prod"},
			&pb.Matcher{Type: pb.Matcher_TYPE_UNSPECIFIED, Name: "env", Pattern: "prod", Rendered: ""}},
	}
	for _, tc := range cases {
		requireProto(t, tc.name, event.SilenceMatcherAsProto(tc.m), tc.want)
	}
	if got := event.SilenceMatcherAsProto(nil); got != nil {
		t.Errorf("nil matcher: got %v, want nil", got)
	}
}

func TestSilenceAsProto(t *testing.T) {
	starts := timestamppb.New(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	ends := timestamppb.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	updated := timestamppb.New(time.Date(2026, 3, 1, 10, 0, 5, 500, time.UTC))
	sil := &silencepb.Silence{
		Id: "7b1f0c9e",
		// Legacy field: the converter derives matchers from the sets.
		Matchers:  []*silencepb.Matcher{{Type: silencepb.Matcher_EQUAL, Name: "legacy", Pattern: "x"}},
		StartsAt:  starts,
		EndsAt:    ends,
		UpdatedAt: updated,
		CreatedBy: "alice",
		Comment:   "maintenance",
		Annotations: map[string]string{
			"ticket": "OPS-1",
			"Owner":  "sre",
		},
		MatcherSets: []*silencepb.MatcherSet{
			{Matchers: []*silencepb.Matcher{
				{Type: silencepb.Matcher_EQUAL, Name: "service", Pattern: "api"},
				{Type: silencepb.Matcher_REGEXP, Name: "env", Pattern: "prod|stage"},
			}},
			{Matchers: []*silencepb.Matcher{
				{Type: silencepb.Matcher_NOT_EQUAL, Name: "team", Pattern: "db"},
			}},
		},
	}
	first := []*pb.Matcher{
		{Type: pb.Matcher_TYPE_EQUAL, Name: "service", Pattern: "api", Rendered: `service="api"`},
		{Type: pb.Matcher_TYPE_REGEXP, Name: "env", Pattern: "prod|stage", Rendered: `env=~"prod|stage"`},
	}
	// Built separately from first on purpose: the converter must not make
	// the two fields share matcher messages either.
	firstAgain := []*pb.Matcher{
		{Type: pb.Matcher_TYPE_EQUAL, Name: "service", Pattern: "api", Rendered: `service="api"`},
		{Type: pb.Matcher_TYPE_REGEXP, Name: "env", Pattern: "prod|stage", Rendered: `env=~"prod|stage"`},
	}
	want := &pb.Silence{
		Id:          "7b1f0c9e",
		Matchers:    first,
		Annotations: &pb.LabelSet{Labels: []*pb.LabelPair{pair("Owner", "sre"), pair("ticket", "OPS-1")}},
		StartsAt:    &timestamppb.Timestamp{Seconds: 1772359200},
		EndsAt:      &timestamppb.Timestamp{Seconds: 1772366400},
		UpdatedAt:   &timestamppb.Timestamp{Seconds: 1772359205, Nanos: 500},
		CreatedBy:   "alice",
		Comment:     "maintenance",
		MatcherSets: []*pb.MatcherSet{
			{Matchers: firstAgain},
			{Matchers: []*pb.Matcher{{Type: pb.Matcher_TYPE_NOT_EQUAL, Name: "team", Pattern: "db", Rendered: `team!="db"`}}},
		},
	}
	got := event.SilenceAsProto(sil)
	requireProto(t, "silence with two sets", got, want)
	if got.GetStartsAt() == sil.GetStartsAt() || got.GetEndsAt() == sil.GetEndsAt() || got.GetUpdatedAt() == sil.GetUpdatedAt() {
		t.Error("timestamps are shared with the store's silence, not copied")
	}
	if len(got.GetMatchers()) > 0 && len(got.GetMatcherSets()) > 0 && got.GetMatchers()[0] == got.GetMatcherSets()[0].GetMatchers()[0] {
		t.Error("matchers and matcher_sets[0] share messages")
	}

	// No sets: matchers is empty, even with the legacy field set.
	noSets := event.SilenceAsProto(&silencepb.Silence{
		Id:       "no-sets",
		Matchers: []*silencepb.Matcher{{Type: silencepb.Matcher_EQUAL, Name: "legacy", Pattern: "x"}},
	})
	requireProto(t, "silence without sets", noSets, &pb.Silence{Id: "no-sets"})
	if n := len(noSets.GetMatchers()); n != 0 {
		t.Errorf("silence without sets has %d matchers, want 0", n)
	}

	// Empty first set, nil timestamps and annotations stay empty.
	emptyFirst := event.SilenceAsProto(&silencepb.Silence{
		Id:          "empty-first",
		MatcherSets: []*silencepb.MatcherSet{{}, {Matchers: []*silencepb.Matcher{{Name: "a", Pattern: "b"}}}},
	})
	requireProto(t, "silence with an empty first set", emptyFirst, &pb.Silence{
		Id: "empty-first",
		MatcherSets: []*pb.MatcherSet{
			{},
			{Matchers: []*pb.Matcher{{Type: pb.Matcher_TYPE_EQUAL, Name: "a", Pattern: "b", Rendered: `a="b"`}}},
		},
	})
	if emptyFirst.StartsAt != nil || emptyFirst.Annotations != nil {
		t.Errorf("unset timestamps/annotations became %v / %v", emptyFirst.StartsAt, emptyFirst.Annotations)
	}

	if got := event.SilenceAsProto(nil); got != nil {
		t.Errorf("nil silence: got %v, want nil", got)
	}
}

func TestInhibitRuleAsProto(t *testing.T) {
	got := event.InhibitRuleAsProto(
		labels.Matchers{mustMatcher(t, labels.MatchEqual, "severity", "critical")},
		labels.Matchers{mustMatcher(t, labels.MatchRegexp, "severity", "warning|info"), mustMatcher(t, labels.MatchNotEqual, "team", "")},
		map[model.LabelName]struct{}{"zone": {}, "cluster": {}, "alertname": {}, "Region": {}},
	)
	requireProto(t, "rule", got, &pb.InhibitRule{
		SourceMatchers: []*pb.Matcher{{Type: pb.Matcher_TYPE_EQUAL, Name: "severity", Pattern: "critical", Rendered: `severity="critical"`}},
		TargetMatchers: []*pb.Matcher{
			{Type: pb.Matcher_TYPE_REGEXP, Name: "severity", Pattern: "warning|info", Rendered: `severity=~"warning|info"`},
			{Type: pb.Matcher_TYPE_NOT_EQUAL, Name: "team", Pattern: "", Rendered: `team!=""`},
		},
		EqualLabels: []string{"Region", "alertname", "cluster", "zone"},
	})

	empty := event.InhibitRuleAsProto(nil, nil, nil)
	requireProto(t, "empty rule", empty, &pb.InhibitRule{})
	if empty.SourceMatchers != nil || empty.TargetMatchers != nil || empty.EqualLabels != nil {
		t.Errorf("empty rule has non-nil lists: %v", empty)
	}
}

// InhibitRuleAsProtoNamed is the v0.34 form: the same rule as
// InhibitRuleAsProto with the name filled, and nothing else different.
func TestInhibitRuleAsProtoNamed(t *testing.T) {
	source := labels.Matchers{mustMatcher(t, labels.MatchEqual, "severity", "critical")}
	target := labels.Matchers{mustMatcher(t, labels.MatchEqual, "severity", "warning")}
	equal := map[model.LabelName]struct{}{"zone": {}, "cluster": {}}

	want := event.InhibitRuleAsProto(source, target, equal)
	want.Name = "critical-inhibits-warning"
	requireProto(t, "named rule", event.InhibitRuleAsProtoNamed("critical-inhibits-warning", source, target, equal), want)

	requireProto(t, "unnamed rule", event.InhibitRuleAsProtoNamed("", source, target, equal), event.InhibitRuleAsProto(source, target, equal))
}

const (
	// Fingerprint of {alertname="HighLatency", service="api"}: 64-bit FNV-1a
	// over "alertname\xffHighLatency\xffservice\xffapi\xff", computed outside
	// Go. Pinned so that a change in how it is computed (which would break
	// consumers joining on it) fails here.
	highLatencyFP = 0x93eac4546640fef5
)

func TestAlertAsProto(t *testing.T) {
	lset := model.LabelSet{"service": "api", "alertname": "HighLatency"}
	if fp := uint64(lset.Fingerprint()); fp != highLatencyFP {
		t.Fatalf("fingerprint of %v is %#x, the pinned value %#x is stale", lset, fp, uint64(highLatencyFP))
	}
	starts := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

	firing := &alert.Alert{}
	firing.Labels = lset
	firing.Annotations = model.LabelSet{"summary": "p99 > 1s", "runbook": "https://runbooks/latency"}
	firing.StartsAt = starts
	firing.EndsAt = time.Now().Add(24 * time.Hour) // in the future: firing
	requireProto(t, "firing alert", event.AlertAsProto(firing), &pb.Alert{
		Fingerprint: highLatencyFP,
		Name:        "HighLatency",
		Labels:      &pb.LabelSet{Labels: []*pb.LabelPair{pair("alertname", "HighLatency"), pair("service", "api")}},
		Annotations: &pb.LabelSet{Labels: []*pb.LabelPair{pair("runbook", "https://runbooks/latency"), pair("summary", "p99 > 1s")}},
		StartsAt:    &timestamppb.Timestamp{Seconds: 1772359200},
		EndsAt:      timestamppb.New(firing.EndsAt),
		Resolved:    false,
	})

	resolved := &alert.Alert{}
	resolved.Labels = lset
	resolved.StartsAt = starts
	resolved.EndsAt = starts.Add(90 * time.Second) // in the past: resolved
	requireProto(t, "resolved alert", event.AlertAsProto(resolved), &pb.Alert{
		Fingerprint: highLatencyFP,
		Name:        "HighLatency",
		Labels:      &pb.LabelSet{Labels: []*pb.LabelPair{pair("alertname", "HighLatency"), pair("service", "api")}},
		StartsAt:    &timestamppb.Timestamp{Seconds: 1772359200},
		EndsAt:      &timestamppb.Timestamp{Seconds: 1772359290},
		Resolved:    true,
	})

	// No alertname: the name is empty; an empty label set fingerprints to
	// the FNV-1a offset basis.
	nameless := event.AlertAsProto(&alert.Alert{})
	if nameless.GetName() != "" || nameless.GetFingerprint() != 0xcbf29ce484222325 {
		t.Errorf("alert without labels: name %q fingerprint %#x", nameless.GetName(), nameless.GetFingerprint())
	}

	if got := event.AlertAsProto(nil); got != nil {
		t.Errorf("nil alert: got %v, want nil", got)
	}
}

func TestGroupedAlertAsProto(t *testing.T) {
	a := &alert.Alert{}
	a.Labels = model.LabelSet{"alertname": "HighLatency", "service": "api"}
	got := event.GroupedAlertAsProto(a, 42)
	if got.GetHash() != 42 || got.GetDetails().GetName() != "HighLatency" || got.GetDetails().GetFingerprint() != highLatencyFP {
		t.Errorf("got %v", got)
	}
	if got := event.GroupedAlertAsProto(nil, 7); got.GetHash() != 7 || got.Details != nil {
		t.Errorf("nil alert: got %v, want hash 7 and no details", got)
	}
}

func TestConstructors(t *testing.T) {
	sil := &pb.Silence{Id: "s1"}
	group := &pb.AlertGroupInfo{GroupKey: "{}:{alertname=\"HighLatency\"}", ReceiverName: "team-a"}
	am := &alert.Alert{}
	am.Labels = model.LabelSet{"alertname": "HighLatency", "service": "api"}
	am.StartsAt = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	am.EndsAt = am.StartsAt.Add(time.Minute)
	wantAlert := &pb.Alert{
		Fingerprint: highLatencyFP,
		Name:        "HighLatency",
		Labels:      &pb.LabelSet{Labels: []*pb.LabelPair{pair("alertname", "HighLatency"), pair("service", "api")}},
		StartsAt:    &timestamppb.Timestamp{Seconds: 1772359200},
		EndsAt:      &timestamppb.Timestamp{Seconds: 1772359260},
		Resolved:    true,
	}
	rule := &pb.InhibitRule{EqualLabels: []string{"zone"}}
	ga := &pb.GroupedAlert{Hash: 1}

	cases := []struct {
		name string
		got  *pb.EventData
		want *pb.EventData
	}{
		{event.EventTypeAlertmanagerStartupEvent, event.NewAlertmanagerStartupEvent("0.33.1", "go1.26"),
			&pb.EventData{EventType: &pb.EventData_AlertmanagerStartupEvent{AlertmanagerStartupEvent: &pb.AlertmanagerStartupEvent{Version: "0.33.1", BuildContext: "go1.26"}}}},
		{event.EventTypeAlertmanagerShutdownEvent, event.NewAlertmanagerShutdownEvent(),
			&pb.EventData{EventType: &pb.EventData_AlertmanagerShutdownEvent{AlertmanagerShutdownEvent: &pb.AlertmanagerShutdownEvent{}}}},
		{event.EventTypeAlertCreated, event.NewAlertCreatedEvent(am),
			&pb.EventData{EventType: &pb.EventData_AlertCreated{AlertCreated: &pb.AlertCreatedEvent{Alert: wantAlert}}}},
		{event.EventTypeAlertResolved, event.NewAlertResolvedEvent(am, 99, group),
			&pb.EventData{EventType: &pb.EventData_AlertResolved{AlertResolved: &pb.AlertResolvedEvent{
				Alert: &pb.GroupedAlert{Hash: 99, Details: wantAlert}, GroupInfo: group}}}},
		{event.EventTypeAlertGrouped, event.NewAlertGroupedEvent(am, 98, group),
			&pb.EventData{EventType: &pb.EventData_AlertGrouped{AlertGrouped: &pb.AlertGroupedEvent{
				Alert: &pb.GroupedAlert{Hash: 98, Details: wantAlert}, GroupInfo: group}}}},
		{event.EventTypeNotification, event.NewNotificationEvent(event.NotificationParams{
			GroupInfo: group, Integration: "webhook", IntegrationIndex: 2, Reason: pb.NotifyReason_NOTIFY_REASON_REPEAT_INTERVAL_ELAPSED,
			FlushID: 17, RepeatInterval: 4 * time.Hour,
			Alerts: []*pb.GroupedAlert{ga}, FiringAlerts: []*pb.GroupedAlert{ga},
		}),
			&pb.EventData{EventType: &pb.EventData_Notification{Notification: &pb.NotificationEvent{
				Alerts: []*pb.GroupedAlert{{Hash: 1}}, FiringAlerts: []*pb.GroupedAlert{{Hash: 1}},
				GroupInfo: group, RepeatInterval: &durationpb.Duration{Seconds: 14400},
				Reason: pb.NotifyReason_NOTIFY_REASON_REPEAT_INTERVAL_ELAPSED, FlushId: 17,
				Integration: &pb.Integration{Name: "webhook", Index: 2},
			}}}},
		{event.EventTypeSilenceCreated, event.NewSilenceCreatedEvent(sil),
			&pb.EventData{EventType: &pb.EventData_SilenceCreated{SilenceCreated: &pb.SilenceCreatedEvent{Silence: &pb.Silence{Id: "s1"}}}}},
		{event.EventTypeSilenceUpdated, event.NewSilenceUpdatedEvent(sil),
			&pb.EventData{EventType: &pb.EventData_SilenceUpdated{SilenceUpdated: &pb.SilenceUpdatedEvent{Silence: &pb.Silence{Id: "s1"}}}}},
		{event.EventTypeSilenceMutedAlert, event.NewSilenceMutedAlertEvent(sil, 0xabc, model.LabelSet{"b": "2", "a": "1"}),
			&pb.EventData{EventType: &pb.EventData_SilenceMutedAlert{SilenceMutedAlert: &pb.SilenceMutedAlertEvent{
				Silence:    &pb.Silence{Id: "s1"},
				MutedAlert: &pb.MutedAlert{Fingerprint: 0xabc, Labels: &pb.LabelSet{Labels: []*pb.LabelPair{pair("a", "1"), pair("b", "2")}}},
			}}}},
		{event.EventTypeInhibitionMutedAlert, event.NewInhibitionMutedAlertEvent([]*pb.InhibitRule{rule}, 0xdef, model.LabelSet{"a": "1"}, []model.Fingerprint{3, 1, 2}),
			&pb.EventData{EventType: &pb.EventData_InhibitionMutedAlert{InhibitionMutedAlert: &pb.InhibitionMutedAlertEvent{
				InhibitRules:           []*pb.InhibitRule{{EqualLabels: []string{"zone"}}},
				MutedAlert:             &pb.MutedAlert{Fingerprint: 0xdef, Labels: &pb.LabelSet{Labels: []*pb.LabelPair{pair("a", "1")}}},
				InhibitingFingerprints: []uint64{3, 1, 2}, // as given: the order says which inhibited first
			}}}},
	}
	if len(cases) != len(event.EventTypeNames()) {
		t.Fatalf("%d constructors tested, %d event types exist", len(cases), len(event.EventTypeNames()))
	}
	for _, tc := range cases {
		requireProto(t, tc.name, tc.got, tc.want)
		if got := event.EventTypeName(tc.got); got != tc.name {
			t.Errorf("EventTypeName = %q, want %q", got, tc.name)
		}
	}

	// Nil and empty inputs build events with empty parts, never panic.
	requireProto(t, "nil alert", event.NewAlertCreatedEvent(nil),
		&pb.EventData{EventType: &pb.EventData_AlertCreated{AlertCreated: &pb.AlertCreatedEvent{}}})
	requireProto(t, "zero notification", event.NewNotificationEvent(event.NotificationParams{}),
		&pb.EventData{EventType: &pb.EventData_Notification{Notification: &pb.NotificationEvent{
			RepeatInterval: &durationpb.Duration{}, Integration: &pb.Integration{}}}})
	requireProto(t, "no inhibiting alerts", event.NewInhibitionMutedAlertEvent(nil, 1, nil, nil),
		&pb.EventData{EventType: &pb.EventData_InhibitionMutedAlert{InhibitionMutedAlert: &pb.InhibitionMutedAlertEvent{
			MutedAlert: &pb.MutedAlert{Fingerprint: 1}}}})
}

func TestEventTypeName(t *testing.T) {
	want := []string{
		"alertmanager_startup_event", "alertmanager_shutdown_event", "alert_created", "alert_resolved",
		"alert_grouped", "notification", "silence_created", "silence_updated", "silence_muted_alert",
		"inhibition_muted_alert",
	}
	names := event.EventTypeNames()
	if !slices.Equal(names, want) {
		t.Fatalf("EventTypeNames() = %v, want %v", names, want)
	}
	names[0] = "changed"
	if again := event.EventTypeNames(); again[0] != want[0] {
		t.Error("EventTypeNames returned its internal slice; a caller changed it")
	}

	if event.EventTypeUnknown != "unknown" {
		t.Errorf("EventTypeUnknown = %q", event.EventTypeUnknown)
	}
	if got := event.EventTypeName(nil); got != "unknown" {
		t.Errorf("nil: %q", got)
	}
	if got := event.EventTypeName(&pb.EventData{}); got != "unknown" {
		t.Errorf("unset: %q", got)
	}
	// An arm set to a nil payload is still that arm.
	if got := event.EventTypeName(&pb.EventData{EventType: &pb.EventData_Notification{}}); got != "notification" {
		t.Errorf("arm with nil payload: %q", got)
	}

	d := event.NewAlertmanagerShutdownEvent()
	if allocs := testing.AllocsPerRun(100, func() { _ = event.EventTypeName(d) }); allocs != 0 {
		t.Errorf("EventTypeName allocates %.0f times per call, want 0", allocs)
	}
}

func BenchmarkEventTypeName(b *testing.B) {
	d := event.NewSilenceCreatedEvent(nil)
	b.ReportAllocs()
	for b.Loop() {
		if event.EventTypeName(d) != event.EventTypeSilenceCreated {
			b.Fatal("wrong name")
		}
	}
}
