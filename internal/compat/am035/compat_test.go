package am035_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	amv2 "github.com/prometheus/alertmanager/eventrecorder/events/v2"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	v1 "github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	pb "github.com/eventrecorder/eventrecorder/event/v2/eventsv2pb"
	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
	"github.com/eventrecorder/eventrecorder/internal/protoschema"
)

// Linking the three schema packages is the first test: had two of them
// the same proto package or file path, protobuf-go would panic registering
// the second, before TestMain runs.
func TestMain(m *testing.M) {
	leakcheck.VerifyTestMain(m)
}

// goldenDir holds the second-generation golden events, one fully populated
// event per type, as JSON and as binary (see
// event/v2/eventsv2pb/golden_test.go).
const goldenDir = "../../../event/v2/eventsv2pb/testdata/golden"

// conflictEnv is protobuf-go's escape hatch for registration conflicts: set
// to "warn" or "ignore", a binary with colliding schemas starts anyway. The
// point here is that no one has to set it.
const conflictEnv = "GOLANG_PROTOBUF_REGISTRATION_CONFLICT"

var (
	ours   = (&pb.Event{}).ProtoReflect().Descriptor()
	theirs = (&amv2.Event{}).ProtoReflect().Descriptor()
	first  = (&v1.Event{}).ProtoReflect().Descriptor()
)

// TestAllSchemasRegistered checks that each schema's Event and file
// resolve, by name and by path, to that schema's own descriptors, which
// would not hold had one registration been skipped as a conflict.
func TestAllSchemasRegistered(t *testing.T) {
	if v := os.Getenv(conflictEnv); v != "" && v != "panic" {
		t.Fatalf("%s=%q is set; the schemas must coexist without it", conflictEnv, v)
	}
	mds := []protoreflect.MessageDescriptor{ours, theirs, first}
	packages, paths := map[protoreflect.FullName]bool{}, map[string]bool{}
	for _, md := range mds {
		packages[md.ParentFile().Package()] = true
		paths[md.ParentFile().Path()] = true
	}
	if len(packages) != len(mds) || len(paths) != len(mds) {
		t.Fatalf("proto packages %v and file paths %v: want %d distinct of each", packages, paths, len(mds))
	}
	for _, md := range mds {
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

// TestSchemasMatch compares our second-generation schema with
// Alertmanager's events.v2 element by element: every message and enum of
// one exists in the other under the same name (relative to its package),
// with the same fields (name, number, kind, cardinality, map key and value
// types, JSON name, oneof, presence, type) and enum values. TestCrossDecode
// exercises what the golden events set; this also covers what only the
// other side might write.
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
// checks, in both directions, that Alertmanager v0.35 reads it as the same
// event: the binary encoding decodes on either side without unknown
// fields, Alertmanager re-encodes it (deterministically) as exactly the
// same bytes, and the JSON of both sides (protojson on each side, and this
// module's generated encoder) is, without insignificant spaces, byte for
// byte the golden JSON, and is read back by the other side as the same
// event.
func TestCrossDecode(t *testing.T) {
	arms := (&pb.EventData{}).ProtoReflect().Descriptor().Oneofs().ByName("event_type").Fields()
	if arms.Len() != 10 {
		t.Fatalf("EventData has %d event types, want 10", arms.Len())
	}
	for i := 0; i < arms.Len(); i++ {
		name := string(arms.Get(i).Name())
		t.Run(name, func(t *testing.T) {
			bin := readGoldenHex(t, filepath.Join(goldenDir, name+".pb.hex"))
			wantJSON := readGoldenJSON(t, filepath.Join(goldenDir, name+".json"))

			ourEv := &pb.Event{}
			if err := proto.Unmarshal(bin, ourEv); err != nil {
				t.Fatalf("this module cannot decode its golden bytes: %v", err)
			}
			requireNoUnknown(t, "this module", ourEv.ProtoReflect())
			if got := ourEv.GetData().ProtoReflect().WhichOneof(arms.Get(i).ContainingOneof()); got == nil || string(got.Name()) != name {
				t.Fatalf("golden event for %s holds %v", name, got)
			}

			amEv := &amv2.Event{}
			if err := proto.Unmarshal(bin, amEv); err != nil {
				t.Fatalf("Alertmanager cannot decode our bytes: %v", err)
			}
			requireNoUnknown(t, "Alertmanager", amEv.ProtoReflect())
			if got := amEv.GetData().ProtoReflect().WhichOneof(amEv.GetData().ProtoReflect().Descriptor().Oneofs().ByName("event_type")); got == nil || string(got.Name()) != name {
				t.Fatalf("Alertmanager reads the %s event as %v", name, got)
			}

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
				if got := compact(t, c.b); !bytes.Equal(got, wantJSON) {
					t.Errorf("%s differs from %s.json:\n got %s\nwant %s", c.who, name, got, wantJSON)
				}
			}

			amFromOurs := &amv2.Event{}
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

// readGoldenJSON returns the golden JSON file without its indentation.
func readGoldenJSON(t *testing.T, file string) []byte {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return compact(t, raw)
}

// compact removes insignificant spaces, which protojson deliberately
// varies.
func compact(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	return out.Bytes()
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
