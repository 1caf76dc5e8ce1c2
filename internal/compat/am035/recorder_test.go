package am035_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/alert"
	"github.com/prometheus/alertmanager/eventrecorder"

	facade "github.com/eventrecorder/eventrecorder/event/v2"
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/alertmanager/silence/silencepb"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// fixtures are the inputs every event is built from, the same for
// v0.35's constructors and event/v2's.
type fixtures struct {
	firing, resolved, muted *alert.Alert
	// The group's arguments to NewAlertGroup.
	groupKey, groupID, receiver, groupUUID string
	groupLabels                            model.LabelSet
	groupMatchers                          labels.Matchers
	sil                                    *silencepb.Silence
	ruleSource, ruleTarget                 labels.Matchers
	ruleEqual                              map[model.LabelName]struct{}
}

func newFixtures(t *testing.T) fixtures {
	t.Helper()
	at := func(s string) time.Time {
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	matcher := func(mt labels.MatchType, name, value string) *labels.Matcher {
		m, err := labels.NewMatcher(mt, name, value)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	newAlert := func(name, starts, ends string) *alert.Alert {
		return alert.New(model.Alert{
			Labels: model.LabelSet{"alertname": model.LabelValue(name), "service": "api", "team": "a", "env": "prod"},
			Annotations: model.LabelSet{
				"summary":     model.LabelValue(name + ` on "api"`),
				"runbook_url": model.LabelValue("https://runbooks.example.net/" + name + "?env=prod&team=a"),
			},
			StartsAt: at(starts),
			EndsAt:   at(ends),
		}, time.Time{}, false)
	}
	firing := newAlert("HighLatency", "2026-03-01T09:58:00Z", "2200-01-01T00:00:00Z")
	resolved := newAlert("HighErrorRate", "2026-03-01T09:40:00Z", "2026-03-01T09:55:30.5Z")
	muted := newAlert("DiskFull", "2026-03-01T09:00:00Z", "2026-03-01T09:59:00.000123Z")
	groupKey := `{}/{team="a"}:{alertname="HighLatency"}`
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
		ReceiverMatcherSets: []*silencepb.MatcherSet{{Matchers: []*silencepb.Matcher{
			{Type: silencepb.Matcher_REGEXP, Name: "receiver", Pattern: "team-a-.*"},
		}}},
		Annotations: map[string]string{"ticket": "OPS-1234", "change": "CHG-77"},
		StartsAt:    timestamppb.New(at("2026-03-01T09:00:00Z")),
		EndsAt:      timestamppb.New(at("2026-03-01T13:00:00Z")),
		UpdatedAt:   timestamppb.New(at("2026-03-01T09:00:01.25Z")),
		CreatedBy:   "alice@example.net",
		Comment:     "database maintenance",
	}
	return fixtures{
		firing: firing, resolved: resolved, muted: muted,
		groupKey: groupKey, groupID: fmt.Sprintf("%x", sha256.Sum256([]byte(groupKey))), receiver: "team-a-pager",
		groupUUID: "0f8c1d1e-5c55-4f1c-9a43-6f1e5b7f1e20", groupLabels: model.LabelSet{"alertname": "HighLatency", "team": "a"},
		groupMatchers: labels.Matchers{matcher(labels.MatchEqual, "team", "a")},
		sil:           sil,
		ruleSource:    labels.Matchers{matcher(labels.MatchEqual, "severity", "critical")},
		ruleTarget:    labels.Matchers{matcher(labels.MatchRegexp, "severity", "warning|info")},
		ruleEqual:     map[model.LabelName]struct{}{"service": {}, "cluster": {}},
	}
}

// v035Builders builds each event type with Alertmanager v0.35's API.
func v035Builders(f fixtures) map[string]func() eventrecorder.EventData {
	group := eventrecorder.NewAlertGroup(f.groupKey, f.groupLabels, f.groupID, f.receiver, f.groupMatchers, f.groupUUID)
	return map[string]func() eventrecorder.EventData{
		"alertmanager_startup_event": func() eventrecorder.EventData {
			return eventrecorder.NewAlertmanagerStartupEvent("0.35.0", "go=go1.26.7, platform=linux/amd64, user=root@build, date=20260301-09:00:00")
		},
		"alertmanager_shutdown_event": eventrecorder.NewAlertmanagerShutdownEvent,
		"alert_created":               func() eventrecorder.EventData { return eventrecorder.NewAlertCreatedEvent(f.resolved) },
		"alert_resolved": func() eventrecorder.EventData {
			return eventrecorder.NewAlertResolvedEvent(group, eventrecorder.NewGroupedAlert(f.resolved))
		},
		"alert_grouped": func() eventrecorder.EventData {
			return eventrecorder.NewAlertGroupedEvent(group, eventrecorder.NewGroupedAlert(f.firing))
		},
		"notification": func() eventrecorder.EventData {
			return eventrecorder.NewNotificationEvent(eventrecorder.Notification{
				Alerts:         []eventrecorder.GroupedAlert{eventrecorder.NewGroupedAlert(f.firing), eventrecorder.NewGroupedAlert(f.resolved), eventrecorder.NewGroupedAlert(f.muted)},
				FiringAlerts:   []eventrecorder.GroupedAlert{eventrecorder.NewGroupedAlertReference(f.firing.Fingerprint())},
				ResolvedAlerts: []eventrecorder.GroupedAlert{eventrecorder.NewGroupedAlertReference(f.resolved.Fingerprint())},
				MutedAlerts:    []eventrecorder.GroupedAlert{eventrecorder.NewGroupedAlertReference(f.muted.Fingerprint())},
				Group:          group,
				RepeatInterval: 4 * time.Hour,
				Reason:         eventrecorder.NotificationReasonNewResolvedAlerts,
				FlushID:        math.MaxUint64,
				Integration:    "webhook",
				IntegrationIdx: 1,
			})
		},
		"silence_created": func() eventrecorder.EventData { return eventrecorder.NewSilenceCreatedEvent(f.sil) },
		"silence_updated": func() eventrecorder.EventData { return eventrecorder.NewSilenceUpdatedEvent(f.sil) },
		"silence_muted_alert": func() eventrecorder.EventData {
			return eventrecorder.NewSilenceMutedAlertEvent(f.sil, f.firing.Fingerprint(), f.firing.Labels)
		},
		"inhibition_muted_alert": func() eventrecorder.EventData {
			return eventrecorder.NewInhibitionMutedAlertEvent(
				[]eventrecorder.InhibitRule{eventrecorder.NewInhibitRule("critical-inhibits-warning", f.ruleSource, f.ruleTarget, f.ruleEqual)},
				f.firing.Fingerprint(), f.firing.Labels,
				[]model.Fingerprint{f.resolved.Fingerprint(), f.muted.Fingerprint()})
		},
	}
}

// ourBuilders makes the same calls to event/v2's.
func ourBuilders(f fixtures) map[string]func() facade.EventData {
	group := facade.NewAlertGroup(f.groupKey, f.groupLabels, f.groupID, f.receiver, f.groupMatchers, f.groupUUID)
	return map[string]func() facade.EventData{
		"alertmanager_startup_event": func() facade.EventData {
			return facade.NewAlertmanagerStartupEvent("0.35.0", "go=go1.26.7, platform=linux/amd64, user=root@build, date=20260301-09:00:00")
		},
		"alertmanager_shutdown_event": facade.NewAlertmanagerShutdownEvent,
		"alert_created":               func() facade.EventData { return facade.NewAlertCreatedEvent(f.resolved) },
		"alert_resolved": func() facade.EventData {
			return facade.NewAlertResolvedEvent(group, facade.NewGroupedAlert(f.resolved))
		},
		"alert_grouped": func() facade.EventData {
			return facade.NewAlertGroupedEvent(group, facade.NewGroupedAlert(f.firing))
		},
		"notification": func() facade.EventData {
			return facade.NewNotificationEvent(facade.Notification{
				Alerts:         []facade.GroupedAlert{facade.NewGroupedAlert(f.firing), facade.NewGroupedAlert(f.resolved), facade.NewGroupedAlert(f.muted)},
				FiringAlerts:   []facade.GroupedAlert{facade.NewGroupedAlertReference(f.firing.Fingerprint())},
				ResolvedAlerts: []facade.GroupedAlert{facade.NewGroupedAlertReference(f.resolved.Fingerprint())},
				MutedAlerts:    []facade.GroupedAlert{facade.NewGroupedAlertReference(f.muted.Fingerprint())},
				Group:          group,
				RepeatInterval: 4 * time.Hour,
				Reason:         facade.NotificationReasonNewResolvedAlerts,
				FlushID:        math.MaxUint64,
				Integration:    "webhook",
				IntegrationIdx: 1,
			})
		},
		"silence_created": func() facade.EventData { return facade.NewSilenceCreatedEvent(f.sil) },
		"silence_updated": func() facade.EventData { return facade.NewSilenceUpdatedEvent(f.sil) },
		"silence_muted_alert": func() facade.EventData {
			return facade.NewSilenceMutedAlertEvent(f.sil, f.firing.Fingerprint(), f.firing.Labels)
		},
		"inhibition_muted_alert": func() facade.EventData {
			return facade.NewInhibitionMutedAlertEvent(
				[]facade.InhibitRule{facade.NewInhibitRule("critical-inhibits-warning", f.ruleSource, f.ruleTarget, f.ruleEqual)},
				f.firing.Fingerprint(), f.firing.Labels,
				[]model.Fingerprint{f.resolved.Fingerprint(), f.muted.Fingerprint()})
		},
	}
}

// TestAlertmanagerWritesSchemaGolden records, through Alertmanager v0.35's
// own recorder into a JSONL file, one event of each type built by its own
// constructors from the inputs event/v2's TestConstructorsWriteSchemaGolden
// gives the generated constructors, and requires every line's data to be
// the schema's golden event's, as JSON: the goldens are what v0.35 writes.
// TestConformance compares v0.35 with event/v2's facade directly.
func TestAlertmanagerWritesSchemaGolden(t *testing.T) {
	built := v035Builders(newFixtures(t))
	// The golden files, by the key of their data's one event.
	golden := map[string]any{}
	for name := range built {
		raw, err := os.ReadFile(filepath.Join(goldenDir, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var ev struct {
			Instance string         `json:"instance"`
			Data     map[string]any `json:"data"`
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		if len(ev.Data) != 1 || ev.Instance != "am-0.example.net:9093" {
			t.Fatalf("%s: unexpected golden event %s", name, raw)
		}
		golden[name] = ev.Data
	}
	if len(golden) != 10 {
		t.Fatalf("%d golden events, want 10", len(golden))
	}

	path := filepath.Join(t.TempDir(), "events.jsonl")
	rec := eventrecorder.NewRecorderFromConfig(eventrecorder.Config{
		FileOutputs: []eventrecorder.FileOutputConfig{{Name: "golden", Path: path}},
	}, "am-0.example.net:9093", nil, nil)
	ctx := eventrecorder.WithEventRecording(context.Background())
	var order []string
	for name := range golden {
		order = append(order, name)
		rec.RecordEvent(ctx, built[name])
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	i := 0
	for ; sc.Scan(); i++ {
		if i >= len(order) {
			t.Fatalf("more lines than the %d events recorded: %s", len(order), sc.Bytes())
		}
		var line struct {
			Instance string         `json:"instance"`
			Data     map[string]any `json:"data"`
		}
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		if err := dec.Decode(&line); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, sc.Bytes())
		}
		name := order[i]
		if line.Instance != "am-0.example.net:9093" {
			t.Errorf("%s: instance %q", name, line.Instance)
		}
		if want := golden[name]; !reflect.DeepEqual(line.Data, want) {
			got, _ := json.Marshal(line.Data)
			w, _ := json.Marshal(want)
			t.Errorf("%s: Alertmanager v0.35 writes data\n %s\nthe golden event has\n %s", name, got, w)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if i != len(order) {
		t.Fatalf("%d lines for %d events", i, len(order))
	}
}
