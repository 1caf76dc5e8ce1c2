package eventsv2pb

import (
	"bytes"
	"encoding/json"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// TestEventIDField checks the envelope's id field, which Alertmanager
// v0.35's events.v2 lacks: the generated JSON encoder writes it as
// protojson does ("id", after clusterPosition) for every golden event,
// writes nothing for an empty id, and in protobuf the id is field 15 and
// nothing else: without those bytes the encoding is the reference's, so
// a v0.35 reader, which skips field 15 as unknown, reads the same event.
func TestEventIDField(t *testing.T) {
	fd := (&Event{}).ProtoReflect().Descriptor().Fields().ByName("id")
	if fd == nil || fd.Number() != 15 || fd.Kind() != protoreflect.StringKind || fd.JSONName() != "id" {
		t.Fatalf("Event.id is %v, want string id = 15", fd)
	}
	const id = "019ad9c4-3e1a-7b2c-8d4e-5f6a7b8c9d0e"
	for name, ev := range goldenEvents(t) {
		without, err := ev.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(without, &top); err != nil {
			t.Fatal(err)
		}
		if _, ok := top["id"]; ok {
			t.Fatalf("%s: an empty id is written: %s", name, without)
		}
		with := proto.Clone(ev).(*Event)
		with.Id = id
		gen, err := with.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		pj, err := protojson.Marshal(with)
		if err != nil {
			t.Fatal(err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, pj); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(gen, compact.Bytes()) {
			t.Fatalf("%s: generated and protojson differ\n generated: %s\n protojson: %s", name, gen, compact.Bytes())
		}
		if want := string(without[:len(without)-1]) + `,"id":"` + id + `"}`; string(gen) != want {
			t.Fatalf("%s: with an id\n %s\nwant the reference with the id last\n %s", name, gen, want)
		}
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(with)
		if err != nil {
			t.Fatal(err)
		}
		var old Event
		if err := (proto.UnmarshalOptions{}).Unmarshal(b, &old); err != nil {
			t.Fatal(err)
		}
		if old.GetId() != id {
			t.Fatalf("%s: id %q after a protobuf round trip", name, old.GetId())
		}
		tag := []byte{15<<3 | 2, byte(len(id))}
		if !bytes.Contains(b, append(tag, id...)) {
			t.Fatalf("%s: the protobuf encoding lacks field 15 as a string", name)
		}
		plain, _ := proto.MarshalOptions{Deterministic: true}.Marshal(ev)
		if !bytes.Equal(bytes.Replace(b, append(tag, id...), nil, 1), plain) {
			t.Fatalf("%s: with the id field removed the encoding is not the reference's", name)
		}
	}
}
