package eventrecorder_test

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/alert"
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/alertmanager/silence/silencepb"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"

	eventrecorder "github.com/eventrecorder/eventrecorder/event/v2"
)

// The reference API is Alertmanager v0.35.0's eventrecorder package
// (testdata/eventrecorder-v0.35.0-api.txt, its `go doc -all`): code
// written against it must build unchanged with its import path swapped
// for this package's. pinned holds every exported name of the reference,
// each converted to the reference's signature, so that a change of any
// signature fails to compile; TestReferenceAPIComplete checks that no
// name of the reference is missing from it.
//
// Two deliberate differences, both invisible to a caller:
//   - SetClusterPeer takes ClusterPeer, an interface *cluster.Peer
//     satisfies, not *cluster.Peer, so that this module does not build
//     Alertmanager's cluster package (memberlist) into its users'
//     binaries; internal/compat/am035 passes a real *cluster.Peer.
//   - KafkaOutputConfig's Format, Acks and Compression and
//     WebhookOutputConfig's URL are this module's types (sink/kafka,
//     sink/webhook), which accept the same YAML.
var pinned = map[string]any{
	"EventRecordingEnabled": (func(context.Context) bool)(eventrecorder.EventRecordingEnabled),
	"WithEventRecording":    (func(context.Context) context.Context)(eventrecorder.WithEventRecording),

	"AlertGroup":    eventrecorder.AlertGroup{},
	"NewAlertGroup": (func(string, model.LabelSet, string, string, labels.Matchers, string) eventrecorder.AlertGroup)(eventrecorder.NewAlertGroup),

	"Config":               eventrecorder.Config{},
	"Config.UnmarshalYAML": (func(*eventrecorder.Config, func(any) error) error)((*eventrecorder.Config).UnmarshalYAML),

	"Destination":                  (*eventrecorder.Destination)(nil),
	"Destination.Name":             (func(eventrecorder.Destination) string)(eventrecorder.Destination.Name),
	"Destination.SendEvent":        (func(eventrecorder.Destination, eventrecorder.Event) (int, error))(eventrecorder.Destination.SendEvent),
	"Event":                        eventrecorder.Event{},
	"Event.MarshalJSON":            (func(eventrecorder.Event) ([]byte, error))(eventrecorder.Event.MarshalJSON),
	"Event.MarshalProtobuf":        (func(eventrecorder.Event) ([]byte, error))(eventrecorder.Event.MarshalProtobuf),
	"EventData":                    eventrecorder.EventData{},
	"NewAlertCreatedEvent":         (func(*alert.Alert) eventrecorder.EventData)(eventrecorder.NewAlertCreatedEvent),
	"NewAlertGroupedEvent":         (func(eventrecorder.AlertGroup, eventrecorder.GroupedAlert) eventrecorder.EventData)(eventrecorder.NewAlertGroupedEvent),
	"NewAlertResolvedEvent":        (func(eventrecorder.AlertGroup, eventrecorder.GroupedAlert) eventrecorder.EventData)(eventrecorder.NewAlertResolvedEvent),
	"NewAlertmanagerShutdownEvent": (func() eventrecorder.EventData)(eventrecorder.NewAlertmanagerShutdownEvent),
	"NewAlertmanagerStartupEvent":  (func(string, string) eventrecorder.EventData)(eventrecorder.NewAlertmanagerStartupEvent),
	"NewInhibitionMutedAlertEvent": (func([]eventrecorder.InhibitRule, model.Fingerprint, model.LabelSet, []model.Fingerprint) eventrecorder.EventData)(eventrecorder.NewInhibitionMutedAlertEvent),
	"NewNotificationEvent":         (func(eventrecorder.Notification) eventrecorder.EventData)(eventrecorder.NewNotificationEvent),
	"NewSilenceCreatedEvent":       (func(*silencepb.Silence) eventrecorder.EventData)(eventrecorder.NewSilenceCreatedEvent),
	"NewSilenceMutedAlertEvent":    (func(*silencepb.Silence, model.Fingerprint, model.LabelSet) eventrecorder.EventData)(eventrecorder.NewSilenceMutedAlertEvent),
	"NewSilenceUpdatedEvent":       (func(*silencepb.Silence) eventrecorder.EventData)(eventrecorder.NewSilenceUpdatedEvent),

	"FileOutput":                     (*eventrecorder.FileOutput)(nil),
	"NewFileOutput":                  (func(eventrecorder.FileOutputConfig, *slog.Logger) (*eventrecorder.FileOutput, error))(eventrecorder.NewFileOutput),
	"FileOutput.Close":               (func(*eventrecorder.FileOutput) error)((*eventrecorder.FileOutput).Close),
	"FileOutput.Name":                (func(*eventrecorder.FileOutput) string)((*eventrecorder.FileOutput).Name),
	"FileOutput.SendEvent":           (func(*eventrecorder.FileOutput, eventrecorder.Event) (int, error))((*eventrecorder.FileOutput).SendEvent),
	"FileOutputConfig":               eventrecorder.FileOutputConfig{Name: "archive", Path: "/var/log/events.jsonl"},
	"FileOutputConfig.UnmarshalYAML": (func(*eventrecorder.FileOutputConfig, func(any) error) error)((*eventrecorder.FileOutputConfig).UnmarshalYAML),

	"GroupedAlert":             eventrecorder.GroupedAlert{},
	"NewGroupedAlert":          (func(*alert.Alert) eventrecorder.GroupedAlert)(eventrecorder.NewGroupedAlert),
	"NewGroupedAlertReference": (func(model.Fingerprint) eventrecorder.GroupedAlert)(eventrecorder.NewGroupedAlertReference),
	"InhibitRule":              eventrecorder.InhibitRule{},
	"NewInhibitRule":           (func(string, labels.Matchers, labels.Matchers, map[model.LabelName]struct{}) eventrecorder.InhibitRule)(eventrecorder.NewInhibitRule),

	"KafkaOutput":                     (*eventrecorder.KafkaOutput)(nil),
	"NewKafkaOutput":                  (func(eventrecorder.KafkaOutputConfig, string, *prometheus.CounterVec, *prometheus.CounterVec, *slog.Logger) (*eventrecorder.KafkaOutput, error))(eventrecorder.NewKafkaOutput),
	"KafkaOutput.Close":               (func(*eventrecorder.KafkaOutput) error)((*eventrecorder.KafkaOutput).Close),
	"KafkaOutput.Name":                (func(*eventrecorder.KafkaOutput) string)((*eventrecorder.KafkaOutput).Name),
	"KafkaOutput.SendEvent":           (func(*eventrecorder.KafkaOutput, eventrecorder.Event) (int, error))((*eventrecorder.KafkaOutput).SendEvent),
	"KafkaOutputConfig":               eventrecorder.KafkaOutputConfig{Name: "bus", Brokers: []string{"kafka-1:9093"}, Topic: "events", ClientID: "alertmanager", Format: "json", Acks: "leader", Compression: "gzip", BufferSize: 1024, TLSConfig: nil},
	"KafkaOutputConfig.UnmarshalYAML": (func(*eventrecorder.KafkaOutputConfig, func(any) error) error)((*eventrecorder.KafkaOutputConfig).UnmarshalYAML),

	"Notification": eventrecorder.Notification{
		Alerts: []eventrecorder.GroupedAlert{}, FiringAlerts: []eventrecorder.GroupedAlert{}, ResolvedAlerts: []eventrecorder.GroupedAlert{}, MutedAlerts: []eventrecorder.GroupedAlert{},
		Group: eventrecorder.AlertGroup{}, RepeatInterval: time.Hour, Reason: eventrecorder.NotificationReasonFirstNotification,
		FlushID: uint64(1), Integration: "webhook", IntegrationIdx: int64(0),
	},
	"NotificationReason":                      eventrecorder.NotificationReason(0),
	"NotificationReasonUnspecified":           [1]struct{}{}[eventrecorder.NotificationReasonUnspecified], // == 0
	"NotificationReasonFirstNotification":     eventrecorder.NotificationReason(eventrecorder.NotificationReasonFirstNotification),
	"NotificationReasonNewAlertsInGroup":      eventrecorder.NotificationReason(eventrecorder.NotificationReasonNewAlertsInGroup),
	"NotificationReasonNewResolvedAlerts":     eventrecorder.NotificationReason(eventrecorder.NotificationReasonNewResolvedAlerts),
	"NotificationReasonAllAlertsResolved":     eventrecorder.NotificationReason(eventrecorder.NotificationReasonAllAlertsResolved),
	"NotificationReasonRepeatIntervalElapsed": [1]struct{}{}[eventrecorder.NotificationReasonRepeatIntervalElapsed-5], // == 5

	"Recorder":                (eventrecorder.Recorder{}),
	"NewRecorderFromConfig":   (func(eventrecorder.Config, string, *slog.Logger, prometheus.Registerer) eventrecorder.Recorder)(eventrecorder.NewRecorderFromConfig),
	"NopRecorder":             (func() eventrecorder.Recorder)(eventrecorder.NopRecorder),
	"Recorder.ApplyConfig":    (func(eventrecorder.Recorder, eventrecorder.Config))(eventrecorder.Recorder.ApplyConfig),
	"Recorder.Close":          (func(eventrecorder.Recorder) error)(eventrecorder.Recorder.Close),
	"Recorder.RecordEvent":    (func(eventrecorder.Recorder, context.Context, func() eventrecorder.EventData))(eventrecorder.Recorder.RecordEvent),
	"Recorder.SetClusterPeer": func(r eventrecorder.Recorder, p *alertmanagerPeer) { r.SetClusterPeer(p) },

	"StdoutOutput":                     (*eventrecorder.StdoutOutput)(nil),
	"NewStdoutOutput":                  (func(eventrecorder.StdoutOutputConfig) (*eventrecorder.StdoutOutput, error))(eventrecorder.NewStdoutOutput),
	"StdoutOutput.Close":               (func(*eventrecorder.StdoutOutput) error)((*eventrecorder.StdoutOutput).Close),
	"StdoutOutput.Name":                (func(*eventrecorder.StdoutOutput) string)((*eventrecorder.StdoutOutput).Name),
	"StdoutOutput.SendEvent":           (func(*eventrecorder.StdoutOutput, eventrecorder.Event) (int, error))((*eventrecorder.StdoutOutput).SendEvent),
	"StdoutOutputConfig":               eventrecorder.StdoutOutputConfig{Name: "console"},
	"StdoutOutputConfig.UnmarshalYAML": (func(*eventrecorder.StdoutOutputConfig, func(any) error) error)((*eventrecorder.StdoutOutputConfig).UnmarshalYAML),

	"WebhookOutput":           (*eventrecorder.WebhookOutput)(nil),
	"NewWebhookOutput":        (func(eventrecorder.WebhookOutputConfig, *prometheus.CounterVec, *slog.Logger) (*eventrecorder.WebhookOutput, error))(eventrecorder.NewWebhookOutput),
	"WebhookOutput.Close":     (func(*eventrecorder.WebhookOutput) error)((*eventrecorder.WebhookOutput).Close),
	"WebhookOutput.Name":      (func(*eventrecorder.WebhookOutput) string)((*eventrecorder.WebhookOutput).Name),
	"WebhookOutput.SendEvent": (func(*eventrecorder.WebhookOutput, eventrecorder.Event) (int, error))((*eventrecorder.WebhookOutput).SendEvent),
	"WebhookOutputConfig": eventrecorder.WebhookOutputConfig{
		Name: "primary", URL: nil, HTTPConfig: nil, Timeout: model.Duration(0), Workers: 4, MaxRetries: 3,
		RetryBackoff: model.Duration(0), Batch: true, BatchMaxEvents: 100, BatchMaxBytes: 1 << 20, BatchFlushInterval: model.Duration(0),
	},
	"WebhookOutputConfig.UnmarshalYAML": (func(*eventrecorder.WebhookOutputConfig, func(any) error) error)((*eventrecorder.WebhookOutputConfig).UnmarshalYAML),
}

// The four output lists keep their names and element types.
var _ = eventrecorder.Config{
	FileOutputs:    []eventrecorder.FileOutputConfig{},
	WebhookOutputs: []eventrecorder.WebhookOutputConfig{},
	KafkaOutputs:   []eventrecorder.KafkaOutputConfig{},
	StdoutOutputs:  []eventrecorder.StdoutOutputConfig{},
}

// alertmanagerPeer has the one method of *cluster.Peer the recorder uses
// (func (p *Peer) Position() int, Alertmanager v0.35.0's cluster.go).
type alertmanagerPeer struct{}

func (*alertmanagerPeer) Position() int { return 0 }

const referenceAPI = "testdata/eventrecorder-v0.35.0-api.txt"

var (
	refFunc   = regexp.MustCompile(`^func (?:\((?:\w+ )?\*?(\w+)\) )?(\w+)\(`)
	refType   = regexp.MustCompile(`^type (\w+) `)
	refConst  = regexp.MustCompile(`^\t(NotificationReason\w+)\b`)
	refMethod = regexp.MustCompile(`^\t(\w+)\(`) // an interface's method
	refField  = regexp.MustCompile("^\\t(\\w+) +[^`]+`yaml:\"([^\"]*)\" json:\"([^\"]*)\"`")
)

// referenceNames lists the exported names the reference declares:
// functions, types, methods and interface methods as "Type.Method", and
// constants; and, for each struct with tagged fields, "Type.Field" with
// its yaml and json tags.
func referenceNames(t *testing.T) (names []string, tags map[string][2]string) {
	t.Helper()
	f, err := os.Open(referenceAPI)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tags = map[string][2]string{}
	var typ string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m := refType.FindStringSubmatch(line); m != nil {
			typ = m[1]
			names = append(names, typ)
			continue
		}
		if m := refFunc.FindStringSubmatch(line); m != nil {
			if m[1] != "" {
				names = append(names, m[1]+"."+m[2])
			} else {
				names = append(names, m[2])
			}
			continue
		}
		if m := refConst.FindStringSubmatch(line); m != nil {
			names = append(names, m[1])
			continue
		}
		if m := refField.FindStringSubmatch(line); m != nil && typ != "" {
			tags[typ+"."+m[1]] = [2]string{m[2], m[3]}
			continue
		}
		if m := refMethod.FindStringSubmatch(line); m != nil && typ == "Destination" {
			names = append(names, typ+"."+m[1])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return names, tags
}

func TestReferenceAPIComplete(t *testing.T) {
	names, _ := referenceNames(t)
	// The reference declares 71 names (types, functions, methods,
	// interface methods and constants); a parse that finds another
	// number is broken, whichever way the comparison below would go.
	if len(names) != 71 {
		t.Fatalf("parsed only %d names from %s: %q", len(names), referenceAPI, names)
	}
	for _, n := range names {
		if _, ok := pinned[n]; !ok {
			t.Errorf("%s declares %s, which pinned does not pin", referenceAPI, n)
		}
	}
	for n := range pinned {
		if !slices.Contains(names, n) {
			t.Errorf("pinned pins %s, which %s does not declare", n, referenceAPI)
		}
	}
}

// TestReferenceConfigTags: every configuration field of the reference has
// the reference's YAML and JSON keys. The tags' options may differ only in
// "name",omitempty: the field is shared with package event, whose outputs
// need no name, and is never empty in a configuration this package
// accepts, so it renders the same.
func TestReferenceConfigTags(t *testing.T) {
	_, tags := referenceNames(t)
	types := map[string]reflect.Type{
		"Config":              reflect.TypeFor[eventrecorder.Config](),
		"FileOutputConfig":    reflect.TypeFor[eventrecorder.FileOutputConfig](),
		"WebhookOutputConfig": reflect.TypeFor[eventrecorder.WebhookOutputConfig](),
		"KafkaOutputConfig":   reflect.TypeFor[eventrecorder.KafkaOutputConfig](),
		"StdoutOutputConfig":  reflect.TypeFor[eventrecorder.StdoutOutputConfig](),
	}
	// 4 lists, and 2 + 11 + 9 + 1 fields of the four output kinds.
	if len(tags) != 27 {
		t.Fatalf("parsed only %d tagged fields from %s", len(tags), referenceAPI)
	}
	for key, want := range tags {
		typName, field, _ := strings.Cut(key, ".")
		typ, ok := types[typName]
		if !ok {
			t.Errorf("%s: the reference's %s has tagged fields this test does not check", key, typName)
			continue
		}
		f, ok := typ.FieldByName(field)
		if !ok || len(f.Index) != 1 {
			t.Errorf("%s: no such field of its own (settable in a composite literal)", key)
			continue
		}
		got := [2]string{f.Tag.Get("yaml"), f.Tag.Get("json")}
		if field == "Name" && got == [2]string{"name,omitempty", "name,omitempty"} {
			got = [2]string{"name", "name"}
		}
		if got != want {
			t.Errorf("%s: tags yaml:%q json:%q, the reference has yaml:%q json:%q", key, got[0], got[1], want[0], want[1])
		}
	}
}
