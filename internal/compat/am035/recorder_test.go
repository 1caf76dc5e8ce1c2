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
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/alertmanager/silence/silencepb"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestAlertmanagerWritesSchemaGolden records, through Alertmanager v0.35's
// own recorder into a JSONL file, one event of each type built by its own
// constructors from the inputs event/v2's TestConstructorsWriteSchemaGolden
// gives the generated constructors, and requires every line's data to be
// the schema's golden event's, as JSON. Together the two tests say that
// v0.35 and this module build the same events from the same inputs (make
// test-alertmanager-versions runs the other one with v0.35.0). (It
// compares through the golden files because event/v2's own v0.35 API, the
// facade over the generated constructors, is not written yet.)
func TestAlertmanagerWritesSchemaGolden(t *testing.T) {
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
	group := eventrecorder.NewAlertGroup(groupKey, model.LabelSet{"alertname": "HighLatency", "team": "a"},
		fmt.Sprintf("%x", sha256.Sum256([]byte(groupKey))), "team-a-pager",
		labels.Matchers{matcher(labels.MatchEqual, "team", "a")}, "0f8c1d1e-5c55-4f1c-9a43-6f1e5b7f1e20")
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
	built := map[string]func() eventrecorder.EventData{
		"alertmanager_startup_event": func() eventrecorder.EventData {
			return eventrecorder.NewAlertmanagerStartupEvent("0.35.0", "go=go1.26.7, platform=linux/amd64, user=root@build, date=20260301-09:00:00")
		},
		"alertmanager_shutdown_event": eventrecorder.NewAlertmanagerShutdownEvent,
		"alert_created":               func() eventrecorder.EventData { return eventrecorder.NewAlertCreatedEvent(resolved) },
		"alert_resolved": func() eventrecorder.EventData {
			return eventrecorder.NewAlertResolvedEvent(group, eventrecorder.NewGroupedAlert(resolved))
		},
		"alert_grouped": func() eventrecorder.EventData {
			return eventrecorder.NewAlertGroupedEvent(group, eventrecorder.NewGroupedAlert(firing))
		},
		"notification": func() eventrecorder.EventData {
			return eventrecorder.NewNotificationEvent(eventrecorder.Notification{
				Alerts:         []eventrecorder.GroupedAlert{eventrecorder.NewGroupedAlert(firing), eventrecorder.NewGroupedAlert(resolved), eventrecorder.NewGroupedAlert(muted)},
				FiringAlerts:   []eventrecorder.GroupedAlert{eventrecorder.NewGroupedAlertReference(firing.Fingerprint())},
				ResolvedAlerts: []eventrecorder.GroupedAlert{eventrecorder.NewGroupedAlertReference(resolved.Fingerprint())},
				MutedAlerts:    []eventrecorder.GroupedAlert{eventrecorder.NewGroupedAlertReference(muted.Fingerprint())},
				Group:          group,
				RepeatInterval: 4 * time.Hour,
				Reason:         eventrecorder.NotificationReasonNewResolvedAlerts,
				FlushID:        math.MaxUint64,
				Integration:    "webhook",
				IntegrationIdx: 1,
			})
		},
		"silence_created": func() eventrecorder.EventData { return eventrecorder.NewSilenceCreatedEvent(sil) },
		"silence_updated": func() eventrecorder.EventData { return eventrecorder.NewSilenceUpdatedEvent(sil) },
		"silence_muted_alert": func() eventrecorder.EventData {
			return eventrecorder.NewSilenceMutedAlertEvent(sil, firing.Fingerprint(), firing.Labels)
		},
		"inhibition_muted_alert": func() eventrecorder.EventData {
			return eventrecorder.NewInhibitionMutedAlertEvent(
				[]eventrecorder.InhibitRule{eventrecorder.NewInhibitRule("critical-inhibits-warning",
					labels.Matchers{matcher(labels.MatchEqual, "severity", "critical")},
					labels.Matchers{matcher(labels.MatchRegexp, "severity", "warning|info")},
					map[model.LabelName]struct{}{"service": {}, "cluster": {}})},
				firing.Fingerprint(), firing.Labels,
				[]model.Fingerprint{resolved.Fingerprint(), muted.Fingerprint()})
		},
	}

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
