package eventrecorder

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/prometheus/alertmanager/alert"
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/alertmanager/silence/silencepb"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/eventrecorder/eventrecorder/event/v2/eventsv2pb"
	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
)

func TestMain(m *testing.M) {
	leakcheck.VerifyTestMain(m)
}

// schemaGoldenDir holds the schema's golden events, one per event type,
// written as literals the way Alertmanager v0.35 fills them
// (eventsv2pb/golden_test.go).
const schemaGoldenDir = "eventsv2pb/testdata/golden"

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func mustMatcher(t testing.TB, mt labels.MatchType, name, value string) *labels.Matcher {
	t.Helper()
	m, err := labels.NewMatcher(mt, name, value)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// newTestAlert is alert.New(m, time.Time{}, false) with any Alertmanager:
// since v0.35 an alert's Fingerprint() is what New cached in an unexported
// field, 0 for a literal, and this module builds with v0.33, which has no
// New to call. So the field is filled where it exists, through reflect;
// with v0.33, Fingerprint() hashes the labels anyway. The tests run with
// both: .ci/alertmanager-versions (make
// test-alertmanager-versions) runs them with v0.34.2 and v0.35.0 too.
func newTestAlert(m model.Alert) *alert.Alert {
	a := &alert.Alert{}
	a.Alert = m
	if f := reflect.ValueOf(a).Elem().FieldByName("fingerprint"); f.IsValid() && f.Type() == reflect.TypeFor[model.Fingerprint]() {
		reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Set(reflect.ValueOf(m.Labels.Fingerprint()))
	}
	return a
}

// receiverSetsField is silencepb's receiver_matcher_sets, nil with an
// Alertmanager older than v0.35 (this module's go.mod has v0.33).
var receiverSetsField = (&silencepb.Silence{}).ProtoReflect().Descriptor().Fields().ByName("receiver_matcher_sets")

// goldenInputs are the inputs Alertmanager v0.35 passes its constructors
// for the schema's golden events; goldenConstructed builds each event
// type's data from them with the generated constructors.
func goldenConstructed(t testing.TB) map[string]*eventsv2pb.EventData {
	t.Helper()
	newAlert := func(name, starts, ends string) *alert.Alert {
		return newTestAlert(model.Alert{
			Labels: model.LabelSet{"alertname": model.LabelValue(name), "service": "api", "team": "a", "env": "prod"},
			Annotations: model.LabelSet{
				"summary":     model.LabelValue(name + ` on "api"`),
				"runbook_url": model.LabelValue("https://runbooks.example.net/" + name + "?env=prod&team=a"),
			},
			StartsAt: mustTime(t, starts),
			EndsAt:   mustTime(t, ends),
		})
	}
	firing := newAlert("HighLatency", "2026-03-01T09:58:00Z", "2200-01-01T00:00:00Z")
	resolved := newAlert("HighErrorRate", "2026-03-01T09:40:00Z", "2026-03-01T09:55:30.5Z")
	muted := newAlert("DiskFull", "2026-03-01T09:00:00Z", "2026-03-01T09:59:00.000123Z")

	groupKey := `{}/{team="a"}:{alertname="HighLatency"}`
	group := alertGroupAsProto(groupKey, model.LabelSet{"alertname": "HighLatency", "team": "a"},
		fmt.Sprintf("%x", sha256.Sum256([]byte(groupKey))), "team-a-pager",
		labels.Matchers{mustMatcher(t, labels.MatchEqual, "team", "a")}, "0f8c1d1e-5c55-4f1c-9a43-6f1e5b7f1e20")

	ts := func(s string) *timestamppb.Timestamp { return timestamppb.New(mustTime(t, s)) }
	sil := &silencepb.Silence{
		Id: "6c1b5d0e-8a4f-4f0b-b2a5-3f6c5d1e2f30",
		MatcherSets: []*silencepb.MatcherSet{
			{Matchers: []*silencepb.Matcher{
				{Type: silencepb.Matcher_EQUAL, Name: "service", Pattern: "db"},
				{Type: silencepb.Matcher_REGEXP, Name: "env", Pattern: "prod|stage"},
			}},
			{Matchers: []*silencepb.Matcher{
				{Type: silencepb.Matcher_NOT_REGEXP, Name: "severity", Pattern: "info|debug"},
				{Type: silencepb.Matcher_NOT_EQUAL, Name: "team", Pattern: "web"},
			}},
		},
		Annotations: map[string]string{"ticket": "OPS-1234", "change": "CHG-77"},
		StartsAt:    ts("2026-03-01T09:00:00Z"),
		EndsAt:      ts("2026-03-01T13:00:00Z"),
		UpdatedAt:   ts("2026-03-01T09:00:01.25Z"),
		CreatedBy:   "alice@example.net",
		Comment:     "database maintenance",
	}
	if receiverSetsField != nil {
		set := &silencepb.MatcherSet{Matchers: []*silencepb.Matcher{{Type: silencepb.Matcher_REGEXP, Name: "receiver", Pattern: "team-a-.*"}}}
		sil.ProtoReflect().Mutable(receiverSetsField).List().Append(protoreflect.ValueOfMessage(set.ProtoReflect()))
	}

	return map[string]*eventsv2pb.EventData{
		"alertmanager_startup_event":  newAlertmanagerStartupEventData("0.35.0", "go=go1.26.7, platform=linux/amd64, user=root@build, date=20260301-09:00:00"),
		"alertmanager_shutdown_event": newAlertmanagerShutdownEventData(),
		"alert_created":               newAlertCreatedEventData(resolved),
		"alert_resolved":              newAlertResolvedEventData(group, groupedAlertAsProto(resolved)),
		"alert_grouped":               newAlertGroupedEventData(group, groupedAlertAsProto(firing)),
		"notification": newNotificationEventData(notificationParams{
			Alerts:         []*eventsv2pb.GroupedAlert{groupedAlertAsProto(firing), groupedAlertAsProto(resolved), groupedAlertAsProto(muted)},
			FiringAlerts:   []*eventsv2pb.GroupedAlert{groupedAlertReferenceAsProto(firing.Fingerprint())},
			ResolvedAlerts: []*eventsv2pb.GroupedAlert{groupedAlertReferenceAsProto(resolved.Fingerprint())},
			MutedAlerts:    []*eventsv2pb.GroupedAlert{groupedAlertReferenceAsProto(muted.Fingerprint())},
			Group:          group,
			RepeatInterval: 4 * time.Hour,
			Reason:         notifyReasonAsProto(3), // v0.35's NotificationReasonNewResolvedAlerts
			FlushID:        math.MaxUint64,
			Integration:    "webhook",
			IntegrationIdx: 1,
		}),
		"silence_created":     newSilenceCreatedEventData(sil),
		"silence_updated":     newSilenceUpdatedEventData(sil),
		"silence_muted_alert": newSilenceMutedAlertEventData(sil, firing.Fingerprint(), firing.Labels),
		"inhibition_muted_alert": newInhibitionMutedAlertEventData(
			[]*eventsv2pb.InhibitRule{inhibitRuleAsProto("critical-inhibits-warning",
				labels.Matchers{mustMatcher(t, labels.MatchEqual, "severity", "critical")},
				labels.Matchers{mustMatcher(t, labels.MatchRegexp, "severity", "warning|info")},
				map[model.LabelName]struct{}{"service": {}, "cluster": {}})},
			firing.Fingerprint(), firing.Labels,
			[]model.Fingerprint{resolved.Fingerprint(), muted.Fingerprint()}),
	}
}

// goldenEnvelope wraps data as the schema's golden events are wrapped.
func goldenEnvelope(t testing.TB, d *eventsv2pb.EventData) *eventsv2pb.Event {
	return &eventsv2pb.Event{
		Timestamp:       timestamppb.New(mustTime(t, "2026-03-01T10:00:05.25Z")),
		Instance:        "am-0.example.net:9093",
		Data:            d,
		ClusterPosition: 2,
	}
}

// TestConstructorsWriteSchemaGolden: for every event type, the generated
// constructor, given what Alertmanager v0.35 passes its own, builds the
// schema's golden event: equal as messages, and the same JSON bytes (the
// generated encoder's and protojson's). With a silencepb that has no
// receiver matcher sets (Alertmanager before v0.35, this module's
// go.mod), the silence events lack exactly those; make
// test-alertmanager-versions runs this with v0.35.0, where they are there.
// internal/compat/am035 checks that Alertmanager v0.35's own recorder
// writes the golden events for these inputs.
func TestConstructorsWriteSchemaGolden(t *testing.T) {
	built := goldenConstructed(t)
	var names []string
	for name := range built {
		names = append(names, name)
	}
	slices.Sort(names)
	all := eventTypeNames()
	slices.Sort(all)
	if !slices.Equal(names, all) {
		t.Fatalf("constructed event types %v, want every one: %v", names, all)
	}
	for _, name := range eventTypeNames() {
		t.Run(name, func(t *testing.T) {
			d := built[name]
			if got := eventTypeName(d); got != name {
				t.Fatalf("eventTypeName = %q, want %q", got, name)
			}
			raw, err := os.ReadFile(filepath.Join(schemaGoldenDir, name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			want := &eventsv2pb.Event{}
			if err := protojson.Unmarshal(raw, want); err != nil {
				t.Fatal(err)
			}
			var wantJSON bytes.Buffer
			if err := json.Compact(&wantJSON, raw); err != nil {
				t.Fatal(err)
			}
			if receiverSetsField == nil {
				for _, s := range []*eventsv2pb.Silence{
					want.GetData().GetSilenceCreated().GetSilence(), want.GetData().GetSilenceUpdated().GetSilence(),
					want.GetData().GetSilenceMutedAlert().GetSilence(),
				} {
					if s != nil {
						s.ReceiverMatcherSets = nil
					}
				}
				b, err := want.AppendJSON(nil)
				if err != nil {
					t.Fatal(err)
				}
				wantJSON.Reset()
				wantJSON.Write(b)
			}
			ev := goldenEnvelope(t, d)
			if !proto.Equal(ev, want) {
				t.Errorf("constructed event differs from the golden one\n got %v\nwant %v", ev, want)
			}
			got, err := ev.AppendJSON(nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, wantJSON.Bytes()) {
				t.Errorf("JSON differs\n got  %s\n want %s", got, wantJSON.Bytes())
			}
			pj, err := protojson.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			var pjc bytes.Buffer
			if err := json.Compact(&pjc, pj); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, pjc.Bytes()) {
				t.Errorf("generated encoder and protojson differ\n generated %s\n protojson %s", got, pjc.Bytes())
			}
		})
	}
}

// jsonOf is the generated encoder's JSON of a message of the schema.
func jsonOf(t *testing.T, m interface{ AppendJSON([]byte) ([]byte, error) }) string {
	t.Helper()
	b, err := m.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestConvertersV035Semantics pins, case by case, what v0.35's recorder
// does with the inputs the golden events do not exercise.
func TestConvertersV035Semantics(t *testing.T) {
	t.Run("nil alert", func(t *testing.T) {
		if got, want := jsonOf(t, newAlertCreatedEventData(nil)), `{"alertCreated":{}}`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
		if got, want := jsonOf(t, groupedAlertAsProto(nil)), `{}`; got != want {
			t.Errorf("NewGroupedAlert(nil): got %s, want %s (fingerprint 0, no details)", got, want)
		}
		if alertAsProto(nil) != nil {
			t.Error("alertAsProto(nil) is not nil")
		}
	})
	t.Run("empty label sets and zero times", func(t *testing.T) {
		got := alertAsProto(newTestAlert(model.Alert{Labels: model.LabelSet{}}))
		if got.Labels != nil || got.Annotations != nil {
			t.Errorf("empty sets converted to %v, %v; want nil maps", got.Labels, got.Annotations)
		}
		// timestamppb.New(time.Time{}), as v0.35 writes it.
		want := `{"fingerprint":"14695981039346656037","startsAt":"0001-01-01T00:00:00Z","endsAt":"0001-01-01T00:00:00Z"}`
		if s := jsonOf(t, got); s != want {
			t.Errorf("got %s, want %s", s, want)
		}
	})
	t.Run("grouped alert carries the alert's fingerprint", func(t *testing.T) {
		a := newTestAlert(model.Alert{Labels: model.LabelSet{"alertname": "A", "x": "y"}})
		g := groupedAlertAsProto(a)
		if g.Fingerprint != uint64(a.Fingerprint()) || g.Details.GetFingerprint() != g.Fingerprint || g.Details.GetName() != "A" {
			t.Errorf("grouped alert %v, want fingerprint %d with details", g, a.Fingerprint())
		}
		if r := groupedAlertReferenceAsProto(42); r.Fingerprint != 42 || r.Details != nil {
			t.Errorf("reference %v", r)
		}
	})
	t.Run("nil matchers are skipped", func(t *testing.T) {
		m := mustMatcher(t, labels.MatchNotEqual, "a", "b")
		g := alertGroupAsProto("k", nil, "id", "r", labels.Matchers{nil, m, nil}, "u")
		if got, want := jsonOf(t, g), `{"groupKey":"k","groupId":"id","receiverName":"r","matchers":[{"type":"TYPE_NOT_EQUAL","name":"a","pattern":"b","rendered":"a!=\"b\""}],"groupUuid":"u"}`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
		r := inhibitRuleAsProto("n", labels.Matchers{nil}, nil, nil)
		if len(r.SourceMatchers) != 0 || r.EqualLabels != nil || r.Name != "n" {
			t.Errorf("rule %v", r)
		}
	})
	t.Run("unknown match type", func(t *testing.T) {
		g := alertGroupAsProto("", nil, "", "", labels.Matchers{{Type: labels.MatchType(99), Name: "a", Value: "b"}}, "")
		if got, want := jsonOf(t, g.Matchers[0]), `{"name":"a","pattern":"b"}`; got != want {
			t.Errorf("got %s, want %s (TYPE_UNSPECIFIED, no rendering, no panic)", got, want)
		}
	})
	t.Run("silence matchers", func(t *testing.T) {
		own := &silencepb.Matcher{Type: silencepb.Matcher_EQUAL, Name: "own", Pattern: "1"}
		set := &silencepb.MatcherSet{Matchers: []*silencepb.Matcher{nil, {Type: silencepb.Matcher_REGEXP, Name: "bad", Pattern: "("}}}
		for _, c := range []struct {
			name string
			sil  *silencepb.Silence
			want string
		}{
			{"own matchers first", &silencepb.Silence{Matchers: []*silencepb.Matcher{own}, MatcherSets: []*silencepb.MatcherSet{set}},
				`{"matchers":[{"type":"TYPE_EQUAL","name":"own","pattern":"1","rendered":"own=\"1\""}],"matcherSets":[{"matchers":[{"type":"TYPE_REGEXP","name":"bad","pattern":"("}]}]}`},
			{"only nil own matchers: the first non-nil set's", &silencepb.Silence{Matchers: []*silencepb.Matcher{nil}, MatcherSets: []*silencepb.MatcherSet{nil, set}},
				`{"matchers":[{"type":"TYPE_REGEXP","name":"bad","pattern":"("}],"matcherSets":[{"matchers":[{"type":"TYPE_REGEXP","name":"bad","pattern":"("}]}]}`},
			{"unknown silence match type", &silencepb.Silence{Matchers: []*silencepb.Matcher{{Type: silencepb.Matcher_Type(9), Name: "u", Pattern: "v"}}},
				`{"matchers":[{"name":"u","pattern":"v"}]}`},
			{"nothing", &silencepb.Silence{Id: "x"}, `{"id":"x"}`},
		} {
			if got := jsonOf(t, silenceAsProto(c.sil)); got != c.want {
				t.Errorf("%s: got %s, want %s", c.name, got, c.want)
			}
		}
		if silenceAsProto(nil) != nil {
			t.Error("silenceAsProto(nil) is not nil")
		}
		if got, want := jsonOf(t, newSilenceCreatedEventData(nil)), `{"silenceCreated":{}}`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
	t.Run("silence is copied", func(t *testing.T) {
		sil := &silencepb.Silence{Annotations: map[string]string{"a": "1"}, StartsAt: &timestamppb.Timestamp{Seconds: 5, Nanos: 7}}
		s := silenceAsProto(sil)
		sil.Annotations["a"], sil.StartsAt.Seconds = "2", 6
		if s.Annotations["a"] != "1" || s.StartsAt.Seconds != 5 || s.StartsAt.Nanos != 7 || s.EndsAt != nil {
			t.Errorf("event shares the silence's memory or lost a nil: %v", s)
		}
	})
	t.Run("notification reasons", func(t *testing.T) {
		want := []eventsv2pb.NotifyReason{
			eventsv2pb.NotifyReason_NOTIFY_REASON_UNSPECIFIED,
			eventsv2pb.NotifyReason_NOTIFY_REASON_FIRST_NOTIFICATION,
			eventsv2pb.NotifyReason_NOTIFY_REASON_NEW_ALERTS_IN_GROUP,
			eventsv2pb.NotifyReason_NOTIFY_REASON_NEW_RESOLVED_ALERTS,
			eventsv2pb.NotifyReason_NOTIFY_REASON_ALL_ALERTS_RESOLVED,
			eventsv2pb.NotifyReason_NOTIFY_REASON_REPEAT_INTERVAL_ELAPSED,
		}
		for i, w := range want {
			if got := notifyReasonAsProto(i); got != w {
				t.Errorf("notifyReasonAsProto(%d) = %v, want %v", i, got, w)
			}
		}
		for _, i := range []int{-1, 6, 100} {
			if got := notifyReasonAsProto(i); got != eventsv2pb.NotifyReason_NOTIFY_REASON_UNSPECIFIED {
				t.Errorf("notifyReasonAsProto(%d) = %v, want UNSPECIFIED", i, got)
			}
		}
	})
	t.Run("empty notification", func(t *testing.T) {
		// v0.35 always sets the repeat interval and the integration.
		if got, want := jsonOf(t, newNotificationEventData(notificationParams{})), `{"notification":{"repeatInterval":"0s","integration":{}}}`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
	t.Run("event-type names", func(t *testing.T) {
		if got := eventTypeName(nil); got != EventTypeUnknown {
			t.Errorf("eventTypeName(nil) = %q", got)
		}
		names := eventTypeNames()
		names[0] = "changed"
		if eventTypeNames()[0] != EventTypeAlertmanagerStartupEvent {
			t.Error("eventTypeNames shares its list with callers")
		}
		if !strings.HasPrefix(EventTypeInhibitionMutedAlert, "inhibition") || len(eventTypeNames()) != 10 {
			t.Errorf("event types %v", eventTypeNames())
		}
	})
}

// TestConstructorsAllocate pins the allocation the generator promises for
// this schema: the messages of one call together, plus one per non-empty
// map (Go maps are allocated by make: two objects for a small one).
func TestConstructorsAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	a := newTestAlert(model.Alert{Labels: model.LabelSet{"alertname": "A"}, Annotations: model.LabelSet{"s": "t"}})
	for _, c := range []struct {
		name string
		max  float64
		fn   func()
	}{
		{"shutdown", 1, func() { _ = newAlertmanagerShutdownEventData() }},
		{"alert created", 1 + 2*2, func() { _ = newAlertCreatedEventData(a) }},
		{"grouped alert", 1 + 2*2, func() { _ = groupedAlertAsProto(a) }},
	} {
		if got := testing.AllocsPerRun(50, c.fn); got != c.max {
			t.Errorf("%s: %v allocations, want %v", c.name, got, c.max)
		}
	}
}
