package eventsv2pb

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// FuzzAppendJSON puts fuzzed strings into every map of each golden event
// (as keys and values, beside the existing labels, so that their order
// among them is checked) and fuzzed 64-bit integers into the envelope, and
// requires the generated encoder to write protojson's bytes, or to fail
// with protojson's error and leave the buffer as it was.
func FuzzAppendJSON(f *testing.F) {
	for _, s := range []string{"", "alertname", "a\"b", "\u2028", "\xff", "zz", "\x00", "é"} {
		f.Add(s, "v", uint64(7), int64(1772359205))
	}
	events := goldenEvents(f)
	names := make([]string, 0, len(events))
	for _, arm := range eventTypes() {
		names = append(names, string(arm.Name()))
	}
	f.Fuzz(func(t *testing.T, k, v string, u uint64, secs int64) {
		for _, name := range names {
			ev := proto.Clone(events[name]).(*Event)
			ev.ClusterPosition = u
			ev.Timestamp = &timestamppb.Timestamp{Seconds: secs}
			forEachMap(ev, func(m map[string]string) {
				m[k], m[v] = v, k
			})
			checkSameAsProtojson(t, ev)
		}
	})
}

// forEachMap calls fn with every label or annotation map of ev (which
// the golden events fill).
func forEachMap(ev *Event, each func(map[string]string)) {
	fn := func(m map[string]string) {
		if m != nil {
			each(m)
		}
	}
	alert := func(a *Alert) {
		if a != nil {
			fn(a.Labels)
			fn(a.Annotations)
		}
	}
	group := func(g *AlertGroupInfo) { fn(g.GetGroupLabels()) }
	silence := func(s *Silence) { fn(s.GetAnnotations()) }
	d := ev.GetData()
	alert(d.GetAlertCreated().GetAlert())
	for _, g := range []*GroupedAlert{d.GetAlertResolved().GetAlert(), d.GetAlertGrouped().GetAlert()} {
		alert(g.GetDetails())
	}
	group(d.GetAlertResolved().GetGroupInfo())
	group(d.GetAlertGrouped().GetGroupInfo())
	group(d.GetNotification().GetGroupInfo())
	for _, g := range d.GetNotification().GetAlerts() {
		alert(g.GetDetails())
	}
	silence(d.GetSilenceCreated().GetSilence())
	silence(d.GetSilenceUpdated().GetSilence())
	silence(d.GetSilenceMutedAlert().GetSilence())
	fn(d.GetSilenceMutedAlert().GetMutedAlert().GetLabels())
	fn(d.GetInhibitionMutedAlert().GetMutedAlert().GetLabels())
}

func checkSameAsProtojson(t *testing.T, ev *Event) {
	t.Helper()
	want, wantErr := protojson.Marshal(ev)
	const prefix = "prefix:"
	got, err := ev.AppendJSON([]byte(prefix))
	if wantErr != nil {
		// protojson randomly writes U+00A0 after "proto:"; ours a space.
		if w := strings.ReplaceAll(wantErr.Error(), "\u00a0", " "); err == nil || err.Error() != w {
			t.Fatalf("protojson fails with %q, AppendJSON with %v", w, err)
		}
		if string(got) != prefix {
			t.Fatalf("on error AppendJSON returned %q", got)
		}
		return
	}
	if err != nil {
		t.Fatalf("AppendJSON: %v (protojson succeeds with %s)", err, want)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, append([]byte(prefix), compact.Bytes()...)) {
		t.Fatalf("bytes differ from protojson's\n ours:      %s\n protojson: %s", got, compact.Bytes())
	}
}

// TestForEachMapReachesEveryMap keeps the fuzz target honest: for each
// golden event, forEachMap visits as many maps as the event holds.
func TestForEachMapReachesEveryMap(t *testing.T) {
	for name, ev := range goldenEvents(t) {
		want := 0
		var walk func(m protoreflect.Message)
		walk = func(m protoreflect.Message) {
			m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
				switch {
				case fd.IsMap():
					want++
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
		got := 0
		forEachMap(ev, func(map[string]string) { got++ })
		if got != want {
			t.Errorf("%s: forEachMap visits %d maps, the event holds %d", name, got, want)
		}
	}
}
