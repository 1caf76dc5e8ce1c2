package event_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/alert"
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/alertmanager/silence/silencepb"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/eventrecorder/eventrecorder/event"
	pb "github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/golden/ from the current encodings")

const goldenDir = "testdata/golden"

// goldenEvents builds one fully populated event of each type, with fixed
// times so the JSON is stable. Alerts that must read as firing end in
// 2200; everything else is in the past.
func goldenEvents(t *testing.T) map[string]*pb.Event {
	t.Helper()
	at := func(s string) time.Time {
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	matcher := func(typ labels.MatchType, name, value string) *labels.Matcher {
		m, err := labels.NewMatcher(typ, name, value)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	// Built as literals (alert.New is v0.35 only), so fingerprints come
	// from the labels: a.Fingerprint() is 0 for these on v0.35.
	newAlert := func(name string, starts, ends time.Time) *alert.Alert {
		a := &alert.Alert{}
		a.Labels = model.LabelSet{"alertname": model.LabelValue(name), "service": "api", "team": "a"}
		a.Annotations = model.LabelSet{"summary": model.LabelValue(name + " on api"), "runbook_url": "https://runbooks.example.net/" + model.LabelValue(name)}
		a.StartsAt, a.EndsAt = starts, ends
		return a
	}
	firing := newAlert("HighLatency", at("2026-03-01T09:58:00Z"), at("2200-01-01T00:00:00Z"))
	resolved := newAlert("HighErrorRate", at("2026-03-01T09:40:00Z"), at("2026-03-01T09:55:30.5Z"))
	muted := newAlert("DiskFull", at("2026-03-01T09:00:00Z"), at("2026-03-01T09:59:00Z"))

	group := &pb.AlertGroupInfo{
		GroupKey:     `{}/{team="a"}:{alertname="HighLatency"}`,
		GroupLabels:  event.LabelSetAsProto(model.LabelSet{"alertname": "HighLatency"}),
		GroupId:      "{}/{team=\"a\"}",
		ReceiverName: "team-a-pager",
		Matchers:     event.MatchersAsProto(labels.Matchers{matcher(labels.MatchEqual, "team", "a")}),
		GroupUuid:    "0f8c1d1e-5c55-4f1c-9a43-6f1e5b7f1e20",
	}
	sil := event.SilenceAsProto(&silencepb.Silence{
		Id:        "6c1b5d0e-8a4f-4f0b-b2a5-3f6c5d1e2f30",
		StartsAt:  timestamppb.New(at("2026-03-01T09:00:00Z")),
		EndsAt:    timestamppb.New(at("2026-03-01T13:00:00Z")),
		UpdatedAt: timestamppb.New(at("2026-03-01T09:00:01.25Z")),
		CreatedBy: "alice@example.net",
		Comment:   "database maintenance",
		Annotations: map[string]string{
			"ticket": "OPS-1234",
			"change": "CHG-77",
		},
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
	})
	rule := event.InhibitRuleAsProto(
		labels.Matchers{matcher(labels.MatchEqual, "severity", "critical")},
		labels.Matchers{matcher(labels.MatchRegexp, "severity", "warning|info")},
		map[model.LabelName]struct{}{"service": {}, "cluster": {}},
	)
	rule.Name = "critical-inhibits-warning" // not among InhibitRuleAsProto's inputs

	data := []*pb.EventData{
		event.NewAlertmanagerStartupEvent("0.33.1", "go=go1.26.7, platform=linux/amd64, user=root@build, date=20260301-09:00:00"),
		event.NewAlertmanagerShutdownEvent(),
		event.NewAlertCreatedEvent(resolved),
		event.NewAlertResolvedEvent(resolved, 11400714785074694791, group),
		event.NewAlertGroupedEvent(firing, 1, group),
		event.NewNotificationEvent(event.NotificationParams{
			GroupInfo:        group,
			Integration:      "webhook",
			IntegrationIndex: 1,
			Reason:           pb.NotifyReason_NOTIFY_REASON_NEW_RESOLVED_ALERTS,
			FlushID:          18446744073709551615,
			RepeatInterval:   4 * time.Hour,
			Alerts:           []*pb.GroupedAlert{event.GroupedAlertAsProto(firing, 1), event.GroupedAlertAsProto(resolved, 2)},
			FiringAlerts:     []*pb.GroupedAlert{event.GroupedAlertAsProto(firing, 1)},
			ResolvedAlerts:   []*pb.GroupedAlert{event.GroupedAlertAsProto(resolved, 2)},
			MutedAlerts:      []*pb.GroupedAlert{event.GroupedAlertAsProto(muted, 3)},
		}),
		event.NewSilenceCreatedEvent(sil),
		event.NewSilenceUpdatedEvent(sil),
		event.NewSilenceMutedAlertEvent(sil, firing.Labels.Fingerprint(), firing.Labels),
		event.NewInhibitionMutedAlertEvent([]*pb.InhibitRule{rule}, firing.Labels.Fingerprint(), firing.Labels,
			[]model.Fingerprint{resolved.Labels.Fingerprint(), muted.Labels.Fingerprint()}),
	}
	out := map[string]*pb.Event{}
	for _, d := range data {
		out[event.EventTypeName(d)] = &pb.Event{
			Timestamp:       timestamppb.New(at("2026-03-01T10:00:05.25Z")),
			Instance:        "am-0.example.net:9093",
			Data:            d,
			ClusterPosition: 2,
		}
	}
	return out
}

// Golden files, one pair per event type: the JSON encoding as indented
// JSON, and the deterministic binary encoding as hex, 32 bytes a line, so
// that a change to either shows in a review diff.
const (
	goldenJSONExt   = ".json"
	goldenBinaryExt = ".pb.hex"
)

// TestGolden pins, for every event type, the two encodings consumers read.
// JSON, from protojson and from the generated encoder that outputs use by
// default, must equal testdata/golden/<type>.json, a file reviewed by hand
// against the wire reference (schema.md): "@timestamp", lowerCamelCase keys,
// 64-bit integers as strings, enums by name. It is compared as a decoded
// value, key by key, because protojson deliberately varies its whitespace.
// The binary encoding must equal <type>.pb.hex byte for byte; it comes from
// a deterministic marshal, so a map field, should one be added, cannot make
// it vary. Each file must also decode back to the golden event, so what was
// pinned stays readable.
//
// Neither encoding mentions the proto package (the schema has no Any), so a
// change meant to be wire-neutral, such as renaming the package, must leave
// every file as it is.
func TestGolden(t *testing.T) {
	events := goldenEvents(t)
	if got, want := len(events), len(event.EventTypeNames()); got != want {
		t.Fatalf("%d golden events for %d event types", got, want)
	}
	for _, name := range event.EventTypeNames() {
		t.Run(name, func(t *testing.T) {
			ev, ok := events[name]
			if !ok {
				t.Fatalf("no golden event for %s", name)
			}
			// The golden event is the reference envelope, which has no
			// id: outputs write one only with include_id (covered in
			// event/runtime's tests).
			requireFullyPopulated(t, ev, append(notPopulated[name], "Event.id")...)
			jsonFile := filepath.Join(goldenDir, name+goldenJSONExt)
			// protojson runs first: with -update it rewrites the file the
			// generated encoder is then compared with.
			t.Run("protojson", func(t *testing.T) {
				b, err := protojson.Marshal(ev)
				if err != nil {
					t.Fatal(err)
				}
				checkGoldenJSON(t, jsonFile, ev, b, *updateGolden)
			})
			t.Run("generated", func(t *testing.T) {
				b, err := ev.AppendJSON(nil)
				if err != nil {
					t.Fatal(err)
				}
				checkGoldenJSON(t, jsonFile, ev, b, false)
			})
			t.Run("binary", func(t *testing.T) {
				b, err := proto.MarshalOptions{Deterministic: true}.Marshal(ev)
				if err != nil {
					t.Fatal(err)
				}
				checkGoldenBinary(t, filepath.Join(goldenDir, name+goldenBinaryExt), ev, b)
			})
		})
	}
}

const goldenHint = "run `go test ./event/ -run TestGolden -update` and review the diff"

// checkGoldenJSON compares the JSON encoding b of ev with file (rewriting
// the file first when update is set), and decodes the file back into ev.
func checkGoldenJSON(t *testing.T, file string, ev *pb.Event, b []byte, update bool) {
	t.Helper()
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("encoding is not JSON: %v\n%s", err, b)
	}
	if update {
		pretty, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		writeGolden(t, file, append(pretty, '\n'))
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (%s)", err, goldenHint)
	}
	var want map[string]any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s differs from the encoding (%s):\n%s", file, goldenHint, strings.Join(jsonDiff("", want, got), "\n"))
	}
	back := &pb.Event{}
	if err := protojson.Unmarshal(raw, back); err != nil {
		t.Fatalf("protojson cannot read %s: %v", file, err)
	}
	if !proto.Equal(back, ev) {
		t.Errorf("%s decodes to a different event:\n got %v\nwant %v", file, back, ev)
	}
}

// checkGoldenBinary compares the binary encoding b of ev with file
// (rewriting the file first under -update), and decodes the file back into
// ev.
func checkGoldenBinary(t *testing.T, file string, ev *pb.Event, b []byte) {
	t.Helper()
	if *updateGolden {
		writeGolden(t, file, formatGoldenHex(b))
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (%s)", err, goldenHint)
	}
	want, err := hex.DecodeString(strings.Join(strings.Fields(string(raw)), ""))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	back := &pb.Event{}
	if err := proto.Unmarshal(want, back); err != nil {
		t.Fatalf("%s does not decode as an Event: %v", file, err)
	}
	decodesToEvent := proto.Equal(back, ev)
	if !bytes.Equal(b, want) {
		at := 0
		for at < min(len(b), len(want)) && b[at] == want[at] {
			at++
		}
		t.Errorf("%s differs from the encoding from byte %d on (file %d bytes, encoding %d; the file decodes to the same event: %t) (%s)",
			file, at, len(want), len(b), decodesToEvent, goldenHint)
	}
	if !decodesToEvent {
		t.Errorf("%s decodes to a different event:\n got %v\nwant %v", file, back, ev)
	}
}

// formatGoldenHex writes b as lowercase hex, 32 bytes a line.
func formatGoldenHex(b []byte) []byte {
	var out []byte
	for len(b) > 0 {
		n := min(32, len(b))
		out = hex.AppendEncode(out, b[:n])
		out = append(out, '\n')
		b = b[n:]
	}
	return out
}

func writeGolden(t *testing.T, file string, content []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, content, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestGoldenFilesMatchEventTypes keeps testdata/golden to exactly one JSON
// and one binary file per event type, none for types that no longer exist
// (or were renamed).
func TestGoldenFilesMatchEventTypes(t *testing.T) {
	entries, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		files = append(files, e.Name())
	}
	var want []string
	for _, name := range event.EventTypeNames() {
		want = append(want, name+goldenJSONExt, name+goldenBinaryExt)
	}
	slices.Sort(want)
	if !slices.Equal(files, want) {
		t.Errorf("golden files %v, want %v", files, want)
	}
}

// schemaPackage is the schema's proto package, read from its descriptor
// rather than spelled again here.
var schemaPackage = pb.File_eventrecorderpb_eventrecorder_proto.Package()

// notPopulated lists, per event type, fields whose natural value in the
// golden event is the zero value (which protojson omits), by name relative
// to schemaPackage.
var notPopulated = map[string][]string{
	// An alert joining a group is firing.
	event.EventTypeAlertGrouped: {"Alert.resolved"},
}

// requireFullyPopulated fails when some field of a message type reachable
// from ev is never set anywhere in ev, so a field added to the schema (or
// lost by a converter) shows up in the golden files instead of passing
// unnoticed.
func requireFullyPopulated(t *testing.T, ev *pb.Event, exempt ...string) {
	t.Helper()
	set := map[protoreflect.FullName]bool{}
	for _, name := range exempt {
		full := protoreflect.FullName(string(schemaPackage) + "." + name)
		if _, err := protoregistry.GlobalFiles.FindDescriptorByName(full); err != nil {
			t.Errorf("exemption %q names no field of the schema: %v", name, err)
		}
		set[full] = true
	}
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			set[fd.FullName()] = true
			switch {
			case fd.IsList() && fd.Message() != nil:
				for i := 0; i < v.List().Len(); i++ {
					walk(v.List().Get(i).Message())
				}
			case fd.Message() != nil && !fd.IsMap():
				walk(v.Message())
			}
			return true
		})
	}
	walk(ev.ProtoReflect())

	var missing []string
	seen := map[protoreflect.FullName]bool{}
	var check func(md protoreflect.MessageDescriptor)
	check = func(md protoreflect.MessageDescriptor) {
		if seen[md.FullName()] || md.ParentFile().Package() != schemaPackage {
			return // well-known types are encoded by protojson, not by us
		}
		seen[md.FullName()] = true
		for i := 0; i < md.Fields().Len(); i++ {
			fd := md.Fields().Get(i)
			if fd.ContainingOneof() != nil && !fd.ContainingOneof().IsSynthetic() {
				continue // only one arm per event
			}
			if !set[fd.FullName()] {
				missing = append(missing, string(fd.FullName()))
				continue
			}
			if fd.Message() != nil {
				check(fd.Message())
			}
		}
	}
	check(ev.ProtoReflect().Descriptor())
	data := ev.GetData().ProtoReflect()
	if arm := data.WhichOneof(data.Descriptor().Oneofs().Get(0)); arm != nil {
		check(arm.Message())
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("golden event leaves fields unset: %s", strings.Join(missing, ", "))
	}
}

// jsonDiff lists the paths at which two decoded JSON values differ.
func jsonDiff(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want object, got %v", path, got)}
		}
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		var sorted []string
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		var out []string
		for _, k := range sorted {
			wv, wok := w[k]
			gv, gok := g[k]
			switch {
			case !wok:
				out = append(out, fmt.Sprintf("%s.%s: unexpected, got %v", path, k, gv))
			case !gok:
				out = append(out, fmt.Sprintf("%s.%s: missing, want %v", path, k, wv))
			default:
				out = append(out, jsonDiff(path+"."+k, wv, gv)...)
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: want %v, got %v", path, want, got)}
		}
		var out []string
		for i := range w {
			out = append(out, jsonDiff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{fmt.Sprintf("%s: want %#v, got %#v", path, want, got)}
		}
		return nil
	}
}
