// Package schematest builds plugin requests from the real event schema (or
// an edited copy of it) for the generators' tests. It compiles the .proto
// in process with protocompile, the compiler buf itself uses, so the tests
// see the same descriptors and comments buf would send without running buf.
package schematest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// SchemaPath is the schema's path as buf names it: relative to the buf
// module in event/.
const SchemaPath = "eventrecorderpb/eventrecorder.proto"

// RepoRoot returns the repository's root directory: the parent of the gen
// module, whose go.mod is found by walking up from the test's working
// directory. gen/ is a module nested in the repository, so the first go.mod
// up is gen's own, not the root module's.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
	root := filepath.Dir(dir)
	if _, err := os.Stat(filepath.Join(root, "event", SchemaPath)); err != nil {
		t.Fatalf("%s is not the gen module nested in the repository: %v", dir, err)
	}
	return root
}

// Schema returns the checked-in schema source.
func Schema(t testing.TB) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(RepoRoot(t), "event", SchemaPath))
	if err != nil {
		t.Fatal(err)
	}
	return string(src)
}

// SchemaV2Path is the second-generation schema's path as buf names it:
// relative to the buf module in event/v2/.
const SchemaV2Path = "eventsv2pb/events.proto"

// SchemaV2 returns the checked-in second-generation schema source.
func SchemaV2(t testing.TB) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(RepoRoot(t), "event", "v2", SchemaV2Path))
	if err != nil {
		t.Fatal(err)
	}
	return string(src)
}

// Request compiles src as the schema and returns the request buf would
// send a plugin with opt: paths=source_relative (plus extra parameters).
func Request(t testing.TB, src string, params ...string) *pluginpb.CodeGeneratorRequest {
	t.Helper()
	return RequestAt(t, SchemaPath, src, params...)
}

// RequestAt is Request for a schema file at path (SchemaV2Path for the
// second generation).
func RequestAt(t testing.TB, path, src string, params ...string) *pluginpb.CodeGeneratorRequest {
	t.Helper()
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
			Accessor: protocompile.SourceAccessorFromMap(map[string]string{path: src}),
		}),
		SourceInfoMode: protocompile.SourceInfoStandard,
	}
	files, err := c.Compile(context.Background(), path)
	if err != nil {
		t.Fatalf("compiling the schema: %v", err)
	}
	req := &pluginpb.CodeGeneratorRequest{
		FileToGenerate: []string{path},
		Parameter:      proto.String("paths=source_relative"),
	}
	for _, p := range params {
		*req.Parameter += "," + p
	}
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) { // dependencies first, as protoc orders them
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imports := fd.Imports()
		for i := 0; i < imports.Len(); i++ {
			add(imports.Get(i).FileDescriptor)
		}
		req.ProtoFile = append(req.ProtoFile, protodesc.ToFileDescriptorProto(fd))
	}
	add(files[0])
	req.SourceFileDescriptors = []*descriptorpb.FileDescriptorProto{req.ProtoFile[len(req.ProtoFile)-1]}
	return req
}
