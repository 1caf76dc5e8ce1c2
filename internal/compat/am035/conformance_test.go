package am035_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/prometheus/alertmanager/cluster"
	"github.com/prometheus/alertmanager/eventrecorder"
	amv2 "github.com/prometheus/alertmanager/eventrecorder/events/v2"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	facade "github.com/eventrecorder/eventrecorder/event/v2"
	pb "github.com/eventrecorder/eventrecorder/event/v2/eventsv2pb"
	"github.com/eventrecorder/eventrecorder/sink"
)

// event/v2's SetClusterPeer takes Alertmanager's *cluster.Peer, as v0.35's
// does (through an interface, see event/v2/reference_api_test.go).
var _ = func(r facade.Recorder, p *cluster.Peer) { r.SetClusterPeer(p) }

// conformanceInstance is the instance both recorders stamp.
const conformanceInstance = "am-0.example.net:9093"

// captureKind is an output kind of event/v2 that takes protobuf: its sink
// keeps each value the recorder encoded for it, the bytes a protobuf Kafka
// output would produce. A registered kind rather than a Kafka broker,
// because what is under test is the recorder's encoding, not Kafka's
// transport (sink/kafka's kcat tests cover that).
type captureConfig struct {
	sink.Naming `yaml:",inline"`
}

type captureSink struct {
	env    sink.Env[*pb.Event]
	mu     sync.Mutex
	values [][]byte
}

func (s *captureSink) Name() string { return "capture" }
func (s *captureSink) Deliver(batch []sink.Message[*pb.Event]) {
	s.mu.Lock()
	for _, m := range batch {
		s.values = append(s.values, bytes.Clone(m.Value))
	}
	s.mu.Unlock()
	s.env.Reporter.Report(batch, sink.Delivered, nil)
}
func (s *captureSink) Close() error { return nil }

var captured = &captureSink{}

func init() {
	err := facade.RegisterKind(sink.KindOf[*pb.Event, captureConfig]{
		Name: "capture",
		New: func(_ captureConfig, env sink.Env[*pb.Event]) (sink.Sink[*pb.Event], error) {
			captured.env = env
			return captured, nil
		},
		Format: func(captureConfig) sink.Format { return sink.Protobuf },
	}.Kind())
	if err != nil {
		panic(err)
	}
}

// TestConformance records one event of each type through Alertmanager
// v0.35.0's recorder and through event/v2's, built by the same exported
// calls on the same inputs, into a file output each, and requires every
// line to be the same JSON, timestamps aside; and it requires the protobuf
// event/v2 encodes for each to decode, with v0.35's generated events.v2
// types, to the message v0.35 wrote as JSON.
func TestConformance(t *testing.T) {
	fx := newFixtures(t)
	theirs, ours := v035Builders(fx), ourBuilders(fx)
	var order []string
	for name := range theirs {
		order = append(order, name)
	}
	slices.Sort(order)
	if len(order) != 10 || len(ours) != 10 {
		t.Fatalf("%d and %d event types built, want 10", len(order), len(ours))
	}
	dir := t.TempDir()
	ctx := context.Background()

	theirPath := filepath.Join(dir, "v0.35.0.jsonl")
	am := eventrecorder.NewRecorderFromConfig(eventrecorder.Config{
		FileOutputs: []eventrecorder.FileOutputConfig{{Name: "conformance", Path: theirPath}},
	}, conformanceInstance, nil, nil)
	for _, name := range order {
		am.RecordEvent(eventrecorder.WithEventRecording(ctx), theirs[name])
	}
	if err := am.Close(); err != nil {
		t.Fatal(err)
	}

	ourPath := filepath.Join(dir, "event-v2.jsonl")
	rec, err := facade.New(facade.Config{
		FileOutputs: []facade.FileOutputConfig{{Name: "conformance", Path: ourPath}},
		Outputs:     map[string][]any{"capture": {captureConfig{Naming: sink.Naming{Name: "pb"}}}},
	}, facade.Options{Instance: conformanceInstance})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range order {
		rec.RecordEvent(facade.WithEventRecording(ctx), ours[name])
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}

	want, got := readLines(t, theirPath), readLines(t, ourPath)
	if len(want) != len(order) || len(got) != len(order) {
		t.Fatalf("v0.35.0 wrote %d lines and event/v2 %d, for %d events", len(want), len(got), len(order))
	}
	captured.mu.Lock()
	values := captured.values
	captured.mu.Unlock()
	if len(values) != len(order) {
		t.Fatalf("the protobuf output got %d events, want %d", len(values), len(order))
	}
	for i, name := range order {
		w, g := jsonWithoutTimestamp(t, want[i]), jsonWithoutTimestamp(t, got[i])
		if data, _ := w["data"].(map[string]any); len(data) != 1 {
			t.Fatalf("line %d of v0.35.0's file (%s) holds no event: %s", i+1, name, want[i])
		}
		if !reflect.DeepEqual(w, g) {
			t.Errorf("%s: event/v2 writes\n %s\nAlertmanager v0.35.0 writes\n %s", name, got[i], want[i])
		}

		var theirMsg, fromOurs amv2.Event
		if err := protojson.Unmarshal(want[i], &theirMsg); err != nil {
			t.Fatalf("%s: v0.35.0's line does not parse as its own events.v2: %v", name, err)
		}
		if err := proto.Unmarshal(values[i], &fromOurs); err != nil {
			t.Fatalf("%s: event/v2's protobuf does not decode with v0.35.0's events.v2: %v", name, err)
		}
		if n := len(fromOurs.ProtoReflect().GetUnknown()); n > 0 {
			t.Errorf("%s: %d bytes of event/v2's protobuf are unknown to v0.35.0's events.v2", name, n)
		}
		theirMsg.Timestamp, fromOurs.Timestamp = nil, nil
		if !proto.Equal(&theirMsg, &fromOurs) {
			t.Errorf("%s: event/v2's protobuf decodes with v0.35.0's events.v2 to another event (-v0.35.0 +event/v2):\n%s",
				name, cmpDiff(&theirMsg, &fromOurs))
		}
	}
}

func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, bytes.Clone(sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// jsonWithoutTimestamp decodes a line, dropping the envelope's timestamp
// (each recorder stamps its own clock) after checking it is there.
func jsonWithoutTimestamp(t *testing.T, line []byte) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	if _, ok := m["@timestamp"].(string); !ok {
		t.Fatalf("no @timestamp: %s", line)
	}
	delete(m, "@timestamp")
	return m
}

func cmpDiff(a, b proto.Message) string {
	ja, _ := protojson.Marshal(a)
	jb, _ := protojson.Marshal(b)
	return "- " + string(ja) + "\n+ " + string(jb)
}
