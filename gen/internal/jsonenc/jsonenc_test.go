package jsonenc

import (
	"bytes"
	"go/format"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/gen/internal/jsonenc/kindspb"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// run runs the generator as protoc or buf would, on the given files (the
// last one is generated, the others are its imports).
func run(t *testing.T, files ...*descriptorpb.FileDescriptorProto) (*pluginpb.CodeGeneratorResponse, error) {
	t.Helper()
	target := files[len(files)-1]
	req := &pluginpb.CodeGeneratorRequest{
		FileToGenerate: []string{target.GetName()},
		Parameter:      proto.String("paths=source_relative"),
		ProtoFile:      files,
	}
	plugin, err := protogen.Options{}.New(req)
	if err != nil {
		t.Fatalf("protogen: %v", err)
	}
	if err := Generate(plugin); err != nil {
		return nil, err
	}
	return plugin.Response(), nil
}

func fileProto(fd protoreflect.FileDescriptor) *descriptorpb.FileDescriptorProto {
	return protodesc.ToFileDescriptorProto(fd)
}

func eventSchema() []*descriptorpb.FileDescriptorProto {
	return []*descriptorpb.FileDescriptorProto{
		fileProto(timestamppb.File_google_protobuf_timestamp_proto),
		fileProto(durationpb.File_google_protobuf_duration_proto),
		fileProto(eventrecorderpb.File_eventrecorderpb_eventrecorder_proto),
	}
}

func TestGenerateEventSchema(t *testing.T) {
	got := checkGenerated(t, eventSchema(), "eventrecorderpb/eventrecorder_json.gen.go", "../../../event/eventrecorderpb/eventrecorder_json.gen.go")
	for _, want := range []string{
		"func (x *Event) AppendJSON(b []byte) ([]byte, error)",
		"func (x *AlertmanagerShutdownEvent) AppendJSON(b []byte) ([]byte, error)",
		"func (x *MatcherSet) AppendJSON(b []byte) ([]byte, error)",
		"`\"@timestamp\":`",
		"func jsonencEnum_eventrecorder_v1_Matcher_Type(",
	} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("generated code lacks %s", want)
		}
	}
}

func TestGenerateKindsSchema(t *testing.T) {
	checkGenerated(t, []*descriptorpb.FileDescriptorProto{
		fileProto(timestamppb.File_google_protobuf_timestamp_proto),
		fileProto(durationpb.File_google_protobuf_duration_proto),
		fileProto(kindspb.File_kinds_proto),
	}, "kinds_json.gen.go", "kindspb/kinds_json.gen.go")
}

// checkGenerated runs the generator twice on files and checks that the
// output is one file, named name, identical across runs, with the header,
// gofmt'ed, and equal to the checked-in file at committed (the same check
// as `make check-generated`, without running buf).
func checkGenerated(t *testing.T, files []*descriptorpb.FileDescriptorProto, name, committed string) []byte {
	t.Helper()
	var outputs [2][]byte
	for i := range outputs {
		resp, err := run(t, files...)
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetError() != "" {
			t.Fatalf("plugin error: %s", resp.GetError())
		}
		if resp.GetSupportedFeatures()&uint64(pluginpb.CodeGeneratorResponse_FEATURE_PROTO3_OPTIONAL) == 0 {
			t.Fatalf("supported features %b lack proto3 optional", resp.GetSupportedFeatures())
		}
		if len(resp.File) != 1 || resp.File[0].GetName() != name {
			t.Fatalf("generated files: %v", resp.File)
		}
		outputs[i] = []byte(resp.File[0].GetContent())
	}
	got := outputs[0]
	if !bytes.Equal(got, outputs[1]) {
		t.Fatal("two runs of the generator produced different output")
	}
	if first, _, _ := strings.Cut(string(got), "\n"); first != "// "+Header {
		t.Fatalf("first line %q, want the generated-code header", first)
	}
	formatted, err := format.Source(got)
	if err != nil {
		t.Fatalf("generated code does not parse: %v", err)
	}
	if !bytes.Equal(formatted, got) {
		t.Fatal("generated code is not gofmt'ed")
	}
	onDisk, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, got) {
		t.Fatalf("%s is stale: run `go generate` in its directory", committed)
	}
	return got
}

// schemaFile builds a proto3 file "test.proto" in Go package
// example.com/testpb with one message Msg holding the given fields.
func schemaFile(syntax string, deps []string, fields ...*descriptorpb.FieldDescriptorProto) *descriptorpb.FileDescriptorProto {
	return &descriptorpb.FileDescriptorProto{
		Name:       proto.String("test.proto"),
		Package:    proto.String("testpb"),
		Syntax:     proto.String(syntax),
		Dependency: deps,
		Options:    &descriptorpb.FileOptions{GoPackage: proto.String("example.com/testpb")},
		MessageType: []*descriptorpb.DescriptorProto{{
			Name:  proto.String("Msg"),
			Field: fields,
			NestedType: []*descriptorpb.DescriptorProto{{
				Name: proto.String("EntryEntry"),
				Field: []*descriptorpb.FieldDescriptorProto{
					{Name: proto.String("key"), Number: proto.Int32(1), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(), JsonName: proto.String("key")},
					{Name: proto.String("value"), Number: proto.Int32(2), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(), JsonName: proto.String("value")},
				},
				Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
			}},
		}},
	}
}

func messageField(name, typeName string, label descriptorpb.FieldDescriptorProto_Label) *descriptorpb.FieldDescriptorProto {
	return &descriptorpb.FieldDescriptorProto{
		Name: proto.String(name), Number: proto.Int32(1), Label: label.Enum(),
		Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), TypeName: proto.String(typeName), JsonName: proto.String(name),
	}
}

// withMapValue makes the values of f's map EntryEntry messages of type
// typeName.
func withMapValue(f *descriptorpb.FileDescriptorProto, typeName string) *descriptorpb.FileDescriptorProto {
	v := f.MessageType[0].NestedType[0].Field[1]
	v.Type = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum()
	v.TypeName = proto.String(typeName)
	return f
}

func TestGenerateRejectsWhatItCannotReproduce(t *testing.T) {
	repeated := descriptorpb.FieldDescriptorProto_LABEL_REPEATED
	optional := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
	otherPkg := &descriptorpb.FileDescriptorProto{
		Name: proto.String("other.proto"), Package: proto.String("otherpb"), Syntax: proto.String("proto3"),
		Options:     &descriptorpb.FileOptions{GoPackage: proto.String("example.com/otherpb")},
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("Other")}},
	}
	cases := []struct {
		name  string
		files []*descriptorpb.FileDescriptorProto
		want  string
	}{
		{"map of Any", []*descriptorpb.FileDescriptorProto{
			fileProto(anypb.File_google_protobuf_any_proto),
			withMapValue(schemaFile("proto3", []string{"google/protobuf/any.proto"}, messageField("entry", ".testpb.Msg.EntryEntry", repeated)), ".google.protobuf.Any"),
		}, "testpb.Msg.entry: map value: testpb.Msg.EntryEntry.value: google.protobuf.Any are not supported"},
		{"map of another package's messages", []*descriptorpb.FileDescriptorProto{
			otherPkg,
			withMapValue(schemaFile("proto3", []string{"other.proto"}, messageField("entry", ".testpb.Msg.EntryEntry", repeated)), ".otherpb.Other"),
		}, "testpb.Msg.entry: map value: testpb.Msg.EntryEntry.value: messages of another Go package (example.com/otherpb) are not supported"},
		{"any", []*descriptorpb.FileDescriptorProto{
			fileProto(anypb.File_google_protobuf_any_proto),
			schemaFile("proto3", []string{"google/protobuf/any.proto"}, messageField("payload", ".google.protobuf.Any", optional)),
		}, "testpb.Msg.payload: google.protobuf.Any are not supported"},
		{"struct", []*descriptorpb.FileDescriptorProto{
			fileProto(structpb.File_google_protobuf_struct_proto),
			schemaFile("proto3", []string{"google/protobuf/struct.proto"}, messageField("payload", ".google.protobuf.Struct", optional)),
		}, "testpb.Msg.payload: google.protobuf.Struct are not supported"},
		{"other package", []*descriptorpb.FileDescriptorProto{
			otherPkg,
			schemaFile("proto3", []string{"other.proto"}, messageField("other", ".otherpb.Other", optional)),
		}, "testpb.Msg.other: messages of another Go package (example.com/otherpb) are not supported"},
		{"proto2", []*descriptorpb.FileDescriptorProto{
			schemaFile("proto2", nil),
		}, "test.proto: only proto3 files are supported, not proto2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := run(t, c.files...)
			if err == nil {
				t.Fatalf("generation succeeded, producing %d files", len(resp.File))
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestQuoteMatchesProtojsonEscaping(t *testing.T) {
	for in, want := range map[string]string{
		"@timestamp":             `"@timestamp"`,
		"a\"b\\c":                `"a\"b\\c"`,
		"\b\f\n\r\t\x00\x1f\x7f": `"\b\f\n\r\t\u0000\u001f` + "\x7f\"",
		"<&>\u2028\u2029é":       "\"<&>\u2028\u2029é\"",
	} {
		got, err := quote(in)
		if err != nil || got != want {
			t.Errorf("quote(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := quote("\xff"); err == nil {
		t.Error("quote accepted invalid UTF-8")
	}
}

// TestGenerateSharesHelpersAcrossFiles: two proto files of one Go package
// each get their encoders, and the helpers they share are declared once,
// in the first file, so that the package compiles.
func TestGenerateSharesHelpersAcrossFiles(t *testing.T) {
	str := func(name string) *descriptorpb.FieldDescriptorProto {
		return &descriptorpb.FieldDescriptorProto{
			Name: proto.String(name), Number: proto.Int32(1), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
			Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(), JsonName: proto.String(name),
		}
	}
	entry := func(number int32) *descriptorpb.FieldDescriptorProto {
		f := messageField("entry", "EntryEntry", descriptorpb.FieldDescriptorProto_LABEL_REPEATED)
		f.Number = proto.Int32(number)
		return f
	}
	a := schemaFile("proto3", nil, str("s"), entry(2))
	a.MessageType[0].Field[1].TypeName = proto.String(".testpb.Msg.EntryEntry")
	a.Name = proto.String("a.proto")
	a.EnumType = []*descriptorpb.EnumDescriptorProto{{Name: proto.String("Kind"), Value: []*descriptorpb.EnumValueDescriptorProto{
		{Name: proto.String("KIND_UNSPECIFIED"), Number: proto.Int32(0)},
	}}}
	b := schemaFile("proto3", []string{"a.proto"}, str("t"), &descriptorpb.FieldDescriptorProto{
		Name: proto.String("msg"), Number: proto.Int32(2), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
		Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), TypeName: proto.String(".testpb.Msg"), JsonName: proto.String("msg"),
	}, &descriptorpb.FieldDescriptorProto{
		Name: proto.String("kind"), Number: proto.Int32(3), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
		Type: descriptorpb.FieldDescriptorProto_TYPE_ENUM.Enum(), TypeName: proto.String(".testpb.Kind"), JsonName: proto.String("kind"),
	})
	b.Name = proto.String("b.proto")
	b.MessageType[0].Name = proto.String("Other")
	b.MessageType[0].Field = append(b.MessageType[0].Field, entry(4))
	b.MessageType[0].Field[3].TypeName = proto.String(".testpb.Other.EntryEntry")
	plugin, err := protogen.Options{}.New(&pluginpb.CodeGeneratorRequest{
		FileToGenerate: []string{"a.proto", "b.proto"},
		Parameter:      proto.String("paths=source_relative"),
		ProtoFile:      []*descriptorpb.FileDescriptorProto{a, b},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := Generate(plugin); err != nil {
		t.Fatal(err)
	}
	resp := plugin.Response()
	if resp.GetError() != "" || len(resp.File) != 2 || resp.File[0].GetName() != "a_json.gen.go" || resp.File[1].GetName() != "b_json.gen.go" {
		t.Fatalf("response: error %q, files %v", resp.GetError(), resp.File)
	}
	fa, fb := resp.File[0].GetContent(), resp.File[1].GetContent()
	for _, decl := range []string{"func jsonencString(", "func jsonencEnum_testpb_Kind(", "func jsonencMap_string_string(", "type jsonencEntry["} {
		if strings.Count(fa, decl) != 1 || strings.Contains(fb, decl) {
			t.Errorf("%s: %d declarations in a_json.gen.go, %v in b_json.gen.go; want 1 and none", decl, strings.Count(fa, decl), strings.Contains(fb, decl))
		}
	}
	for _, want := range []string{"func (x *Other) AppendJSON(", "x.Msg.appendJSON(b)", "jsonencEnum_testpb_Kind(b, x.Kind)",
		`jsonencMap_string_string(b, x.Entry, "testpb.Other.EntryEntry.value")`} {
		if !strings.Contains(fb, want) {
			t.Errorf("b_json.gen.go lacks %s", want)
		}
	}
}
