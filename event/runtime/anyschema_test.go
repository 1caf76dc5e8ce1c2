package runtime_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v2"

	"github.com/eventrecorder/eventrecorder/event/runtime"
	"github.com/eventrecorder/eventrecorder/sink"
)

// A schema that is not protobuf at all, written by hand the way gen/
// writes schema.gen.go: the runtime needs nothing of a schema but its
// description, and a facade nothing but Bind and forwards. Its envelope
// position is 64-bit, as events.v2's is.

type toyData struct {
	Kind string `json:"kind"`
	N    int    `json:"n"`
	Pad  string `json:"pad,omitempty"` // makes an event as large as a test needs
}

type toyEvent struct {
	Sec      int64    `json:"sec"`
	Nsec     int32    `json:"nsec"`
	Instance string   `json:"instance"`
	Data     *toyData `json:"data"`
	Position uint64   `json:"position"`
}

var toySchema = runtime.Schema[*toyEvent, *toyData]{
	Name:       "toy.v1",
	EventTypes: []string{"a", "b"},
	TypeName: func(d *toyData) string {
		if d == nil || (d.Kind != "a" && d.Kind != "b") {
			return runtime.EventTypeUnknown
		}
		return d.Kind
	},
	Envelope: func(d *toyData, sec int64, nsec int32, instance string, pos uint64) *toyEvent {
		return &toyEvent{Sec: sec, Nsec: nsec, Instance: instance, Data: d, Position: pos}
	},
	Data:     func(e *toyEvent) *toyData { return e.Data },
	Instance: func(e *toyEvent) string { return e.Instance },
	Time:     func(e *toyEvent) time.Time { return time.Unix(e.Sec, int64(e.Nsec)) },
	AppendJSON: func(e *toyEvent, dst []byte) ([]byte, error) {
		b, err := json.Marshal(e)
		return append(dst, b...), err
	},
	AppendProtobuf: func(*toyEvent, []byte) ([]byte, error) { return nil, errors.New("toy events have no protobuf form") },
}

type bigPeer struct{}

// Position is beyond 32 bits: the runtime's position is 64-bit.
func (bigPeer) Position() int { return 1 << 40 }

// TestAnySchemaRecordsThroughBuiltinKinds records events of the toy
// schema into a real file output (a built-in kind, there for every
// schema), through its event-type filter, and reads the lines back.
func TestAnySchemaRecordsThroughBuiltinKinds(t *testing.T) {
	rt := runtime.Bind(toySchema)
	path := filepath.Join(t.TempDir(), "toy.jsonl")
	cfg := runtime.Config{FileOutputs: []runtime.FileOutputConfig{{Path: path, Filter: sink.Filter{EventTypes: []string{"a"}}}}}
	rec, err := rt.New(cfg, runtime.Options{Instance: "toy-1"})
	if err != nil {
		t.Fatal(err)
	}
	rec.SetClusterPeer(bigPeer{})
	ctx := runtime.WithEventRecording(context.Background())
	before := time.Now().Add(-time.Second)
	for i, kind := range []string{"a", "b", "a"} {
		rec.RecordEvent(ctx, &toyData{Kind: kind, N: i})
	}
	rec.RecordEvent(context.Background(), &toyData{Kind: "a", N: 99}) // not enabled: not recorded
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var got []toyEvent
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var ev toyEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, ev)
	}
	if len(got) != 2 {
		t.Fatalf("file holds %d events, want the 2 of type a: %+v", len(got), got)
	}
	for i, ev := range got {
		if ev.Data == nil || ev.Data.Kind != "a" || ev.Data.N != 2*i || ev.Instance != "toy-1" || ev.Position != 1<<40 {
			t.Errorf("event %d is %+v, want kind a, n %d, instance toy-1, position 1<<40", i, ev, 2*i)
		}
		if at := time.Unix(ev.Sec, int64(ev.Nsec)); at.Before(before) || at.After(time.Now()) {
			t.Errorf("event %d stamped %s, not now", i, at)
		}
	}
	st := rec.Stats()
	if len(st) != 1 || st[0].Delivered != 2 || st[0].Accounted() != 2 {
		t.Fatalf("stats %+v, want one output that delivered 2", st)
	}
}

type nopConfig struct{}

type nopSink struct{ env sink.Env[*toyEvent] }

func (nopSink) Name() string { return "nop" }
func (s nopSink) Deliver(batch []sink.Message[*toyEvent]) {
	s.env.Reporter.Report(batch, sink.Delivered, nil)
}
func (nopSink) Close() error { return nil }

// Each bound schema has its own kind table: a kind registered for one is
// configurable there and unknown to another, while the built-in kinds
// and the schema's event types are checked in both.
func TestKindTablesArePerSchema(t *testing.T) {
	one, other := runtime.Bind(toySchema), runtime.Bind(toySchema)
	err := one.RegisterKind(sink.KindOf[*toyEvent, nopConfig]{
		Name: "nop",
		New:  func(_ nopConfig, env sink.Env[*toyEvent]) (sink.Sink[*toyEvent], error) { return nopSink{env}, nil },
	}.Kind())
	if err != nil {
		t.Fatal(err)
	}
	decode := func(rt *runtime.Runtime[*toyEvent, *toyData], doc string) error {
		var c runtime.Config
		return rt.DecodeConfig(&c, func(v any) error { return yaml.UnmarshalStrict([]byte(doc), v) })
	}
	if err := decode(one, "nop_outputs: [{}]"); err != nil {
		t.Errorf("the schema that registered nop rejects it: %v", err)
	}
	if err := decode(other, "nop_outputs: [{}]"); err == nil || !strings.Contains(err.Error(), `"nop_outputs": unknown key`) {
		t.Errorf("the other schema's error is %v, want nop_outputs unknown", err)
	}
	for _, rt := range []*runtime.Runtime[*toyEvent, *toyData]{one, other} {
		err := decode(rt, "stdout_outputs: [{event_types: [a, c]}]")
		if err == nil || !strings.Contains(err.Error(), `stdout_outputs[0].event_types[1]: unknown event type "c" (known: a, b)`) {
			t.Errorf("error %v, want stdout_outputs[0].event_types[1] naming c and the toy types", err)
		}
	}
}

// A schema whose envelope has no id field still gives every event an id
// (sink.Message.ID, for headers), but an output cannot include it in the
// body: include_id is refused, naming the output, the field and the
// schema.
func TestIncludeIDNeedsAnIDField(t *testing.T) {
	rt := runtime.Bind(toySchema)
	var c runtime.Config
	doc := "stdout_outputs: [{include_id: true}]"
	err := rt.DecodeConfig(&c, func(v any) error { return yaml.UnmarshalStrict([]byte(doc), v) })
	if err == nil || !strings.Contains(err.Error(), `stdout_outputs[0].include_id: true: the envelope of schema "toy.v1" has no id field`) {
		t.Fatalf("include_id on the toy schema: error %v", err)
	}
	got := make(chan sink.EventID, 3)
	if err := rt.RegisterKind(sink.KindOf[*toyEvent, nopConfig]{
		Name: "ids",
		New: func(_ nopConfig, env sink.Env[*toyEvent]) (sink.Sink[*toyEvent], error) {
			return idSink{env: env, got: got}, nil
		},
	}.Kind()); err != nil {
		t.Fatal(err)
	}
	rec, err := rt.New(runtime.Config{Outputs: map[string][]any{"ids": {nopConfig{}}}}, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := runtime.WithEventRecording(context.Background())
	for range 3 {
		rec.RecordEvent(ctx, &toyData{Kind: "a"})
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	close(got)
	var prev sink.EventID
	n := 0
	for id := range got {
		if id.IsZero() || id[6]>>4 != 7 || string(id[:]) <= string(prev[:]) {
			t.Fatalf("message %d has id %s after %s, want a growing UUIDv7", n, id, prev)
		}
		prev = id
		n++
	}
	if n != 3 {
		t.Fatalf("%d messages, want 3", n)
	}
}

type idSink struct {
	env sink.Env[*toyEvent]
	got chan sink.EventID
}

func (idSink) Name() string { return "ids" }
func (s idSink) Deliver(batch []sink.Message[*toyEvent]) {
	for _, m := range batch {
		s.got <- m.ID
	}
	s.env.Reporter.Report(batch, sink.Delivered, nil)
}
func (idSink) Close() error { return nil }
