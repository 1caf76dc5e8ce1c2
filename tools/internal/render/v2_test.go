package render_test

import (
	"os"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/event/v2/eventsv2pb"
	"github.com/eventrecorder/eventrecorder/tools/internal/jsonl"
	"github.com/eventrecorder/eventrecorder/tools/internal/render"
)

// The CLI's v1 fixture and its v2 counterpart hold the same lifecycle in
// each generation's shape: the v1 view of every v2 event is exactly the v1
// event (label maps as sorted pairs, fingerprint as hash).
func TestFromV2IsTheV1Event(t *testing.T) {
	read := func(path string) []string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	}
	v1 := read("../../cmd/eventrecorder/testdata/lifecycle.jsonl")
	v2 := read("../../cmd/eventrecorder/testdata/lifecycle-v2.jsonl")
	if len(v1) != 13 || len(v2) != 13 {
		t.Fatalf("%d and %d lines, want 13 each", len(v1), len(v2))
	}
	for i := range v1 {
		want, err := jsonl.Decode([]byte(v1[i]))
		if err != nil {
			t.Fatal(err)
		}
		ev2, err := jsonl.DecodeV2([]byte(v2[i]))
		if err != nil {
			t.Fatal(err)
		}
		if got := render.FromV2(ev2); !proto.Equal(got, want) {
			t.Errorf("line %d:\n got %v\nwant %v", i+1, got, want)
		}
	}
}

// What v1 cannot hold is left out or cut, as FromV2 says.
func TestFromV2Drops(t *testing.T) {
	ev := &eventsv2pb.Event{
		ClusterPosition: 1<<32 + 5,
		Data: &eventsv2pb.EventData{EventType: &eventsv2pb.EventData_SilenceCreated{SilenceCreated: &eventsv2pb.SilenceCreatedEvent{
			Silence: &eventsv2pb.Silence{
				Id:                  "s",
				Annotations:         map[string]string{"b": "2", "a": "1"},
				ReceiverMatcherSets: []*eventsv2pb.MatcherSet{{Matchers: []*eventsv2pb.Matcher{{Name: "receiver", Pattern: "x"}}}},
			},
		}}},
	}
	want := &eventrecorderpb.Event{
		ClusterPosition: 5,
		Data: &eventrecorderpb.EventData{EventType: &eventrecorderpb.EventData_SilenceCreated{SilenceCreated: &eventrecorderpb.SilenceCreatedEvent{
			Silence: &eventrecorderpb.Silence{Id: "s", Annotations: labels("a", "1", "b", "2")},
		}}},
	}
	if got := render.FromV2(ev); !proto.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}
