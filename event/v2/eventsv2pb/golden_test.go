package eventsv2pb

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/golden/ from the current encodings")

const (
	goldenDir       = "testdata/golden"
	goldenJSONExt   = ".json"
	goldenBinaryExt = ".pb.hex"
	goldenHint      = "run `go test ./event/v2/eventsv2pb/ -run TestGolden -update` and review the diff"
)

// eventTypes are the arms of EventData.event_type, which name the event
// types, in declaration order.
func eventTypes() []protoreflect.FieldDescriptor {
	arms := (&EventData{}).ProtoReflect().Descriptor().Oneofs().ByName("event_type").Fields()
	out := make([]protoreflect.FieldDescriptor, arms.Len())
	for i := range out {
		out[i] = arms.Get(i)
	}
	return out
}

// goldenEvents builds one fully populated event of each type, keyed by its
// event-type name, as Alertmanager v0.35 fills them: alerts carry their
// label fingerprint, a notification lists every alert with details and the
// firing, resolved and muted ones as references, silences have annotations
// and receiver matcher sets. They are literals, so that the encodings are
// pinned apart from the constructors; event/v2's
// TestConstructorsWriteSchemaGolden requires the generated constructors to
// build these same events, and internal/compat/am035 requires Alertmanager
// v0.35's own recorder to write them, from the same inputs.
func goldenEvents(t testing.TB) map[string]*Event {
	t.Helper()
	at := func(s string) *timestamppb.Timestamp {
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return timestamppb.New(ts)
	}
	newAlert := func(name string, starts, ends string, resolved bool) *Alert {
		ls := model.LabelSet{"alertname": model.LabelValue(name), "service": "api", "team": "a", "env": "prod"}
		labels := map[string]string{}
		for k, v := range ls {
			labels[string(k)] = string(v)
		}
		return &Alert{
			Fingerprint: uint64(ls.Fingerprint()),
			Name:        name,
			Labels:      labels,
			Annotations: map[string]string{
				"summary":     name + ` on "api"`,
				"runbook_url": "https://runbooks.example.net/" + name + "?env=prod&team=a",
			},
			StartsAt: at(starts),
			EndsAt:   at(ends),
			Resolved: resolved,
		}
	}
	firing := newAlert("HighLatency", "2026-03-01T09:58:00Z", "2200-01-01T00:00:00Z", false)
	resolved := newAlert("HighErrorRate", "2026-03-01T09:40:00Z", "2026-03-01T09:55:30.5Z", true)
	muted := newAlert("DiskFull", "2026-03-01T09:00:00Z", "2026-03-01T09:59:00.000123Z", true)
	grouped := func(a *Alert) *GroupedAlert { return &GroupedAlert{Fingerprint: a.Fingerprint, Details: a} }
	reference := func(a *Alert) *GroupedAlert { return &GroupedAlert{Fingerprint: a.Fingerprint} }

	groupKey := `{}/{team="a"}:{alertname="HighLatency"}`
	group := &AlertGroupInfo{
		GroupKey:     groupKey,
		GroupLabels:  map[string]string{"alertname": "HighLatency", "team": "a"},
		GroupId:      fmt.Sprintf("%x", sha256.Sum256([]byte(groupKey))),
		ReceiverName: "team-a-pager",
		Matchers:     []*Matcher{{Type: Matcher_TYPE_EQUAL, Name: "team", Pattern: "a", Rendered: `team="a"`}},
		GroupUuid:    "0f8c1d1e-5c55-4f1c-9a43-6f1e5b7f1e20",
	}
	set1 := &MatcherSet{Matchers: []*Matcher{
		{Type: Matcher_TYPE_EQUAL, Name: "service", Pattern: "db", Rendered: `service="db"`},
		{Type: Matcher_TYPE_REGEXP, Name: "env", Pattern: "prod|stage", Rendered: `env=~"prod|stage"`},
	}}
	set2 := &MatcherSet{Matchers: []*Matcher{
		{Type: Matcher_TYPE_NOT_REGEXP, Name: "severity", Pattern: "info|debug", Rendered: `severity!~"info|debug"`},
		{Type: Matcher_TYPE_NOT_EQUAL, Name: "team", Pattern: "web", Rendered: `team!="web"`},
	}}
	silence := &Silence{
		Id:          "6c1b5d0e-8a4f-4f0b-b2a5-3f6c5d1e2f30",
		Matchers:    set1.Matchers,
		Annotations: map[string]string{"ticket": "OPS-1234", "change": "CHG-77"},
		StartsAt:    at("2026-03-01T09:00:00Z"),
		EndsAt:      at("2026-03-01T13:00:00Z"),
		UpdatedAt:   at("2026-03-01T09:00:01.25Z"),
		CreatedBy:   "alice@example.net",
		Comment:     "database maintenance",
		MatcherSets: []*MatcherSet{set1, set2},
		ReceiverMatcherSets: []*MatcherSet{{Matchers: []*Matcher{
			{Type: Matcher_TYPE_REGEXP, Name: "receiver", Pattern: "team-a-.*", Rendered: `receiver=~"team-a-.*"`},
		}}},
	}
	mutedFiring := &MutedAlert{Labels: firing.Labels, Fingerprint: firing.Fingerprint}

	data := []*EventData{
		{EventType: &EventData_AlertmanagerStartupEvent{AlertmanagerStartupEvent: &AlertmanagerStartupEvent{
			Version:      "0.35.0",
			BuildContext: "go=go1.26.7, platform=linux/amd64, user=root@build, date=20260301-09:00:00",
		}}},
		{EventType: &EventData_AlertmanagerShutdownEvent{AlertmanagerShutdownEvent: &AlertmanagerShutdownEvent{}}},
		{EventType: &EventData_AlertCreated{AlertCreated: &AlertCreatedEvent{Alert: resolved}}},
		{EventType: &EventData_AlertResolved{AlertResolved: &AlertResolvedEvent{Alert: grouped(resolved), GroupInfo: group}}},
		{EventType: &EventData_AlertGrouped{AlertGrouped: &AlertGroupedEvent{Alert: grouped(firing), GroupInfo: group}}},
		{EventType: &EventData_Notification{Notification: &NotificationEvent{
			Alerts:         []*GroupedAlert{grouped(firing), grouped(resolved), grouped(muted)},
			FiringAlerts:   []*GroupedAlert{reference(firing)},
			ResolvedAlerts: []*GroupedAlert{reference(resolved)},
			MutedAlerts:    []*GroupedAlert{reference(muted)},
			GroupInfo:      group,
			RepeatInterval: durationpb.New(4 * time.Hour),
			Reason:         NotifyReason_NOTIFY_REASON_NEW_RESOLVED_ALERTS,
			FlushId:        18446744073709551615,
			Integration:    &Integration{Name: "webhook", Index: 1},
		}}},
		{EventType: &EventData_SilenceCreated{SilenceCreated: &SilenceCreatedEvent{Silence: silence}}},
		{EventType: &EventData_SilenceUpdated{SilenceUpdated: &SilenceUpdatedEvent{Silence: silence}}},
		{EventType: &EventData_SilenceMutedAlert{SilenceMutedAlert: &SilenceMutedAlertEvent{Silence: silence, MutedAlert: mutedFiring}}},
		{EventType: &EventData_InhibitionMutedAlert{InhibitionMutedAlert: &InhibitionMutedAlertEvent{
			InhibitRules: []*InhibitRule{{
				SourceMatchers: []*Matcher{{Type: Matcher_TYPE_EQUAL, Name: "severity", Pattern: "critical", Rendered: `severity="critical"`}},
				TargetMatchers: []*Matcher{{Type: Matcher_TYPE_REGEXP, Name: "severity", Pattern: "warning|info", Rendered: `severity=~"warning|info"`}},
				EqualLabels:    []string{"cluster", "service"},
				Name:           "critical-inhibits-warning",
			}},
			MutedAlert:             mutedFiring,
			InhibitingFingerprints: []uint64{resolved.Fingerprint, muted.Fingerprint},
		}}},
	}
	out := map[string]*Event{}
	for _, d := range data {
		arm := d.ProtoReflect().WhichOneof(d.ProtoReflect().Descriptor().Oneofs().ByName("event_type"))
		out[string(arm.Name())] = &Event{
			Timestamp:       at("2026-03-01T10:00:05.25Z"),
			Instance:        "am-0.example.net:9093",
			Data:            d,
			ClusterPosition: 2,
		}
	}
	return out
}

// notPopulated lists, per event type, fields whose natural value in the
// golden event is the zero value (which neither encoding writes), by name
// relative to the schema's package.
var notPopulated = map[string][]string{
	// An alert joining a group is firing.
	"alert_grouped": {"Alert.resolved"},
}

// TestGolden pins, for every event type, both encodings consumers read.
// JSON: protojson's bytes (without its deliberately random spaces) and the
// generated encoder's must be identical, and equal testdata/golden/<type>.json
// once that file's indentation is removed; the comparison is of bytes, so
// map keys must come in protojson's sorted order. Binary: a deterministic
// marshal (sorted map entries) must equal <type>.pb.hex byte for byte. Each
// file must decode back to the golden event, so what is pinned stays
// readable, and no file mentions the proto package (there is no Any), so a
// wire-neutral rename leaves them all as they are.
func TestGolden(t *testing.T) {
	events := goldenEvents(t)
	if got, want := len(events), len(eventTypes()); got != want || want != 10 {
		t.Fatalf("%d golden events for %d event types, want 10", got, want)
	}
	for _, arm := range eventTypes() {
		name := string(arm.Name())
		t.Run(name, func(t *testing.T) {
			ev, ok := events[name]
			if !ok {
				t.Fatalf("no golden event for %s", name)
			}
			// The golden event is the reference envelope, which has no
			// id: outputs write one only with include_id (covered in
			// event/runtime's tests).
			requireFullyPopulated(t, ev, append(notPopulated[name], "Event.id")...)

			gen, err := ev.AppendJSON(nil)
			if err != nil {
				t.Fatal(err)
			}
			pj, err := protojson.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			var pjCompact bytes.Buffer
			if err := json.Compact(&pjCompact, pj); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(gen, pjCompact.Bytes()) {
				t.Errorf("generated encoder and protojson differ\n generated: %s\n protojson: %s", gen, pjCompact.Bytes())
			}
			checkGoldenJSON(t, filepath.Join(goldenDir, name+goldenJSONExt), ev, gen)

			bin, err := proto.MarshalOptions{Deterministic: true}.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			checkGoldenBinary(t, filepath.Join(goldenDir, name+goldenBinaryExt), ev, bin)
		})
	}
}

// TestGoldenWireForm checks, on the golden alert_created event, what sets
// this generation's JSON apart from the first: labels and annotations are
// objects, not {"labels": [...]}, and cluster position and fingerprints are
// 64-bit, so strings.
func TestGoldenWireForm(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(goldenDir, "alert_created"+goldenJSONExt))
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Timestamp       string `json:"@timestamp"`
		ClusterPosition any    `json:"clusterPosition"`
		Data            struct {
			AlertCreated struct {
				Alert struct {
					Fingerprint any            `json:"fingerprint"`
					Labels      map[string]any `json:"labels"`
					Annotations map[string]any `json:"annotations"`
				} `json:"alert"`
			} `json:"alertCreated"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	a := ev.Data.AlertCreated.Alert
	want := model.LabelSet{"alertname": "HighErrorRate", "env": "prod", "service": "api", "team": "a"}
	if ev.Timestamp != "2026-03-01T10:00:05.250Z" || ev.ClusterPosition != "2" || a.Fingerprint != fmt.Sprint(uint64(want.Fingerprint())) {
		t.Errorf("@timestamp %q, clusterPosition %#v, fingerprint %#v", ev.Timestamp, ev.ClusterPosition, a.Fingerprint)
	}
	if len(a.Labels) != len(want) {
		t.Errorf("labels %v, want %v", a.Labels, want)
	}
	for k, v := range want {
		if a.Labels[string(k)] != string(v) {
			t.Errorf("labels %v, want %v", a.Labels, want)
		}
	}
	if a.Annotations["summary"] != `HighErrorRate on "api"` {
		t.Errorf("annotations %v", a.Annotations)
	}
}

// checkGoldenJSON compares the JSON encoding b of ev with file, byte for
// byte once the file's indentation is removed (rewriting the file from b
// first under -update), and decodes the file back into ev.
func checkGoldenJSON(t *testing.T, file string, ev *Event, b []byte) {
	t.Helper()
	if *updateGolden {
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, b, "", "  "); err != nil {
			t.Fatalf("encoding is not JSON: %v\n%s", err, b)
		}
		pretty.WriteByte('\n')
		writeGolden(t, file, pretty.Bytes())
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (%s)", err, goldenHint)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if !bytes.Equal(compact.Bytes(), b) {
		at := 0
		for at < min(compact.Len(), len(b)) && compact.Bytes()[at] == b[at] {
			at++
		}
		t.Errorf("%s differs from the encoding from byte %d of its compact form on (%s):\n file:     ...%s\n encoding: ...%s",
			file, at, goldenHint, excerpt(compact.Bytes(), at), excerpt(b, at))
	}
	back := &Event{}
	if err := protojson.Unmarshal(raw, back); err != nil {
		t.Fatalf("protojson cannot read %s: %v", file, err)
	}
	if !proto.Equal(back, ev) {
		t.Errorf("%s decodes to a different event:\n got %v\nwant %v", file, back, ev)
	}
}

func excerpt(b []byte, at int) []byte {
	return b[at:min(len(b), at+80)]
}

// checkGoldenBinary compares the binary encoding b of ev with file
// (rewriting the file first under -update), and decodes the file back into
// ev.
func checkGoldenBinary(t *testing.T, file string, ev *Event, b []byte) {
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
	back := &Event{}
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

// formatGoldenHex writes b as lowercase hex, 32 bytes a line, so that a
// change shows in a review diff.
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
	for _, arm := range eventTypes() {
		want = append(want, string(arm.Name())+goldenJSONExt, string(arm.Name())+goldenBinaryExt)
	}
	slices.Sort(want)
	if !slices.Equal(files, want) {
		t.Errorf("golden files %v, want %v", files, want)
	}
}

// requireFullyPopulated fails when some field of a message type of this
// schema reachable from ev is never set anywhere in ev, except the exempt
// ones (named relative to the package), so that a field added to the
// schema shows up in the golden files instead of passing unnoticed.
func requireFullyPopulated(t *testing.T, ev *Event, exempt ...string) {
	t.Helper()
	pkg := File_eventsv2pb_events_proto.Package()
	set := map[protoreflect.FullName]bool{}
	for _, name := range exempt {
		full := protoreflect.FullName(string(pkg) + "." + name)
		if d, err := protoregistry.GlobalFiles.FindDescriptorByName(full); err != nil {
			t.Errorf("exemption %q names nothing in the schema: %v", name, err)
		} else if _, ok := d.(protoreflect.FieldDescriptor); !ok {
			t.Errorf("exemption %q names no field", name)
		}
		set[full] = true
	}
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			set[fd.FullName()] = true
			switch {
			case fd.IsMap():
				if fd.MapValue().Message() != nil {
					v.Map().Range(func(_ protoreflect.MapKey, v protoreflect.Value) bool {
						walk(v.Message())
						return true
					})
				}
			case fd.IsList() && fd.Message() != nil:
				for i := 0; i < v.List().Len(); i++ {
					walk(v.List().Get(i).Message())
				}
			case fd.Message() != nil:
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
		if seen[md.FullName()] || md.ParentFile().Package() != pkg || md.IsMapEntry() {
			return // well-known types and map entries are encoded by the libraries
		}
		seen[md.FullName()] = true
		for i := 0; i < md.Fields().Len(); i++ {
			fd := md.Fields().Get(i)
			if o := fd.ContainingOneof(); o != nil && !o.IsSynthetic() {
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
	if arm := data.WhichOneof(data.Descriptor().Oneofs().ByName("event_type")); arm != nil {
		check(arm.Message())
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("golden event leaves fields unset: %s", strings.Join(missing, ", "))
	}
}

// TestAppendJSONNoAllocs: with a buffer that has room, encoding a golden
// event allocates nothing, maps included (they are sorted on the stack).
func TestAppendJSONNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	for name, ev := range goldenEvents(t) {
		buf, err := ev.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(100, func() {
			buf, err = ev.AppendJSON(buf[:0])
		})
		if err != nil || allocs != 0 {
			t.Errorf("%s: %v allocations per encode (err %v)", name, allocs, err)
		}
	}
}
