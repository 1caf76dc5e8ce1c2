package am034_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	ampb "github.com/prometheus/alertmanager/eventrecorder/eventrecorderpb"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	pb "github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
	"github.com/eventrecorder/eventrecorder/internal/protoschema"
)

// Merely linking both schema packages is the first test: if their proto
// packages or file paths collided, protobuf-go would panic while
// registering the second one, before TestMain runs.
func TestMain(m *testing.M) {
	leakcheck.VerifyTestMain(m)
}

// goldenDir holds the root module's golden events, one fully populated
// event per type, as JSON and as binary (see event/golden_test.go).
const goldenDir = "../../../event/testdata/golden"

// conflictEnv is protobuf-go's escape hatch for registration conflicts: set
// to "warn" or "ignore", a binary with colliding schemas starts anyway. The
// point here is that no one has to set it.
const conflictEnv = "GOLANG_PROTOBUF_REGISTRATION_CONFLICT"

var (
	ours   = (&pb.Event{}).ProtoReflect().Descriptor()
	theirs = (&ampb.Event{}).ProtoReflect().Descriptor()
)

// TestBothSchemasRegistered checks that each schema's messages and file
// resolve, by name and by path, to that schema's own descriptors, which
// would not hold if one registration had been skipped as a conflict.
func TestBothSchemasRegistered(t *testing.T) {
	if v := os.Getenv(conflictEnv); v != "" && v != "panic" {
		t.Fatalf("%s=%q is set; the schemas must coexist without it", conflictEnv, v)
	}
	if ours.ParentFile().Package() == theirs.ParentFile().Package() {
		t.Fatalf("both schemas are in proto package %q", ours.ParentFile().Package())
	}
	if ours.ParentFile().Path() == theirs.ParentFile().Path() {
		t.Fatalf("both schemas are registered as file %q", ours.ParentFile().Path())
	}
	for _, md := range []protoreflect.MessageDescriptor{ours, theirs} {
		mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
		if err != nil {
			t.Errorf("message %s: %v", md.FullName(), err)
		} else if mt.Descriptor() != md {
			t.Errorf("message %s resolves to the type from %s", md.FullName(), mt.Descriptor().ParentFile().Path())
		}
		fd, err := protoregistry.GlobalFiles.FindFileByPath(md.ParentFile().Path())
		if err != nil {
			t.Errorf("file %s: %v", md.ParentFile().Path(), err)
		} else if fd != md.ParentFile() {
			t.Errorf("file %s resolves to package %s", md.ParentFile().Path(), fd.Package())
		}
	}
}

// TestSchemasMatch compares the two schemas field by field: every message
// and enum of one exists in the other under the same name (relative to its
// package), with the same fields (name, number, kind, cardinality, map key
// and value types, JSON name, oneof, presence, type; see
// protoschema.Elements) and enum values. TestCrossDecode exercises the fields
// the golden events set; this also covers fields only the other side might
// write.
func TestSchemasMatch(t *testing.T) {
	// The envelope's id is this module's one addition, by design (event
	// identity for deduplication; written only where an output sets
	// include_id): it must be in this module's schema and not in
	// Alertmanager's, and is left out of the comparison.
	id := ours.Fields().ByName("id")
	if id == nil || theirs.Fields().ByName("id") != nil {
		t.Fatalf("the envelope's id field: ours %v, Alertmanager's %v; want it in ours only", id, theirs.Fields().ByName("id"))
	}
	additions := map[protoreflect.FullName]bool{id.FullName(): true}
	for _, d := range protoschema.Diff(ours.ParentFile(), theirs.ParentFile(), additions) {
		t.Error(d)
	}
}

// TestCrossDecode takes each golden event as this module writes it and
// checks, in both directions, that Alertmanager v0.34 reads it as the same
// event: the binary encoding decodes on either side without unknown fields,
// Alertmanager re-encodes exactly the same bytes, and the JSON of both sides
// (protojson, and this module's generated encoder) is the golden JSON and
// is read back by the other side.
func TestCrossDecode(t *testing.T) {
	arms := (&pb.EventData{}).ProtoReflect().Descriptor().Oneofs().ByName("event_type").Fields()
	if arms.Len() == 0 {
		t.Fatal("EventData has no event types")
	}
	for i := 0; i < arms.Len(); i++ {
		name := string(arms.Get(i).Name())
		t.Run(name, func(t *testing.T) {
			bin := readGoldenHex(t, filepath.Join(goldenDir, name+".pb.hex"))
			wantJSON, err := os.ReadFile(filepath.Join(goldenDir, name+".json"))
			if err != nil {
				t.Fatal(err)
			}

			ourEv := &pb.Event{}
			if err := proto.Unmarshal(bin, ourEv); err != nil {
				t.Fatalf("this module cannot decode its golden bytes: %v", err)
			}
			requireNoUnknown(t, "this module", ourEv.ProtoReflect())
			if got := ourEv.GetData().ProtoReflect().WhichOneof(arms.Get(i).ContainingOneof()); got == nil || string(got.Name()) != name {
				t.Fatalf("golden event for %s holds %v", name, got)
			}

			amEv := &ampb.Event{}
			if err := proto.Unmarshal(bin, amEv); err != nil {
				t.Fatalf("Alertmanager cannot decode our bytes: %v", err)
			}
			requireNoUnknown(t, "Alertmanager", amEv.ProtoReflect())

			amBin, err := proto.MarshalOptions{Deterministic: true}.Marshal(amEv)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(amBin, bin) {
				t.Errorf("Alertmanager re-encodes the event as different bytes:\n got %x\nwant %x", amBin, bin)
			}
			back := &pb.Event{}
			if err := proto.Unmarshal(amBin, back); err != nil {
				t.Fatalf("this module cannot decode Alertmanager's bytes: %v", err)
			}
			requireNoUnknown(t, "this module", back.ProtoReflect())
			if !proto.Equal(back, ourEv) {
				t.Errorf("Alertmanager's bytes decode to a different event:\n got %v\nwant %v", back, ourEv)
			}

			ourJSON, err := protojson.Marshal(ourEv)
			if err != nil {
				t.Fatal(err)
			}
			genJSON, err := ourEv.AppendJSON(nil)
			if err != nil {
				t.Fatal(err)
			}
			amJSON, err := protojson.Marshal(amEv)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				who string
				b   []byte
			}{{"this module's protojson", ourJSON}, {"this module's generated encoder", genJSON}, {"Alertmanager's protojson", amJSON}} {
				if !sameJSON(t, c.b, wantJSON) {
					t.Errorf("%s differs from %s.json:\n got %s\nwant %s", c.who, name, c.b, wantJSON)
				}
			}

			amFromOurs := &ampb.Event{}
			if err := protojson.Unmarshal(genJSON, amFromOurs); err != nil {
				t.Fatalf("Alertmanager cannot read our JSON: %v", err)
			}
			if !proto.Equal(amFromOurs, amEv) {
				t.Errorf("Alertmanager reads our JSON as a different event:\n got %v\nwant %v", amFromOurs, amEv)
			}
			oursFromAM := &pb.Event{}
			if err := protojson.Unmarshal(amJSON, oursFromAM); err != nil {
				t.Fatalf("this module cannot read Alertmanager's JSON: %v", err)
			}
			if !proto.Equal(oursFromAM, ourEv) {
				t.Errorf("Alertmanager's JSON reads as a different event:\n got %v\nwant %v", oursFromAM, ourEv)
			}
		})
	}
}

func readGoldenHex(t *testing.T, file string) []byte {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(string(raw)), ""))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return b
}

// requireNoUnknown fails if the decoder kept any bytes of m it had no field
// for: data the reader would drop.
func requireNoUnknown(t *testing.T, reader string, m protoreflect.Message) {
	t.Helper()
	var walk func(path string, m protoreflect.Message)
	walk = func(path string, m protoreflect.Message) {
		if u := m.GetUnknown(); len(u) > 0 {
			t.Errorf("%s: %s keeps %d bytes it has no field for", reader, path, len(u))
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			p := path + "." + string(fd.Name())
			switch {
			case fd.IsMap():
				if fd.MapValue().Message() != nil {
					v.Map().Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
						walk(fmt.Sprintf("%s[%v]", p, k), v.Message())
						return true
					})
				}
			case fd.IsList():
				if fd.Message() != nil {
					for i := 0; i < v.List().Len(); i++ {
						walk(fmt.Sprintf("%s[%d]", p, i), v.List().Get(i).Message())
					}
				}
			case fd.Message() != nil:
				walk(p, v.Message())
			}
			return true
		})
	}
	walk(string(m.Descriptor().Name()), m)
}

// sameJSON compares two JSON documents as values; protojson deliberately
// varies its whitespace.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("invalid JSON %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}
