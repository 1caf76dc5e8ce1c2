package convert_test

import (
	"os"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/event/v2/eventsv2pb"
	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
	"github.com/eventrecorder/eventrecorder/tools/internal/convert"
	"github.com/eventrecorder/eventrecorder/tools/internal/jsonl"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

// The CLI's v1 fixture and its v2 counterpart hold the same lifecycle in
// each generation's shape: each converts exactly into the other, line by
// line (label maps as sorted pairs and back, fingerprint as hash and back).
func TestFixturesConvertIntoEachOther(t *testing.T) {
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
		ev1, err := jsonl.Decode([]byte(v1[i]))
		if err != nil {
			t.Fatal(err)
		}
		ev2, err := jsonl.DecodeV2([]byte(v2[i]))
		if err != nil {
			t.Fatal(err)
		}
		if got := convert.V1(ev2); !proto.Equal(got, ev1) {
			t.Errorf("line %d to v1:\n got %v\nwant %v", i+1, got, ev1)
		}
		if got := convert.V2Data(ev1.GetData()); !proto.Equal(got, ev2.GetData()) {
			t.Errorf("line %d to v2:\n got %v\nwant %v", i+1, got, ev2.GetData())
		}
	}
}

// What v1 cannot hold is left out or cut, as the package doc says.
func TestV1Drops(t *testing.T) {
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
			Silence: &eventrecorderpb.Silence{Id: "s", Annotations: &eventrecorderpb.LabelSet{Labels: []*eventrecorderpb.LabelPair{
				{Key: "a", Value: "1"}, {Key: "b", Value: "2"},
			}}},
		}}},
	}
	if got := convert.V1(ev); !proto.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}
