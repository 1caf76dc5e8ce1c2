package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/eventrecorder/eventrecorder/gen/internal/schematest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestPluginIsDeterministic runs the real plugin binary, as buf does, twice
// on one CodeGeneratorRequest: the responses must be byte-identical, or
// CI's regenerate-and-diff check would flap.
func TestPluginIsDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin binary")
	}
	bin := buildPlugin(t)
	// As event/buf.gen.yaml runs it: from gen/, naming the mapping file.
	req, err := proto.Marshal(schematest.Request(t, schematest.Schema(t), "mapping=../event/mapping.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	run := func() []byte {
		cmd := exec.Command(bin)
		cmd.Dir = filepath.Join(schematest.RepoRoot(t), "gen")
		cmd.Stdin = bytes.NewReader(req)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("plugin: %v\n%s", err, stderr.Bytes())
		}
		return out
	}
	first, second := run(), run()
	if !bytes.Equal(first, second) {
		t.Fatal("two runs on the same request gave different responses")
	}

	var resp pluginpb.CodeGeneratorResponse
	if err := proto.Unmarshal(first, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Error != nil {
		t.Fatalf("plugin reported: %s", resp.GetError())
	}
	if want := uint64(pluginpb.CodeGeneratorResponse_FEATURE_PROTO3_OPTIONAL); resp.GetSupportedFeatures() != want {
		t.Errorf("supported features = %d, want %d (proto3 optional)", resp.GetSupportedFeatures(), want)
	}
	var names []string
	for _, f := range resp.File {
		names = append(names, f.GetName())
	}
	slices.Sort(names)
	if want := []string{"constructors.gen.go", "convert.gen.go", "eventtype.gen.go", "schema.gen.go"}; !slices.Equal(names, want) {
		t.Errorf("files = %v, want %v", names, want)
	}
}

// TestMissingMappingIsReported: a wrong mapping= option must surface as a
// plugin error naming the file, not as empty output.
func TestMissingMappingIsReported(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin binary")
	}
	bin := buildPlugin(t)
	req, err := proto.Marshal(schematest.Request(t, schematest.Schema(t), "mapping=does-not-exist.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Dir = t.TempDir()
	cmd.Stdin = bytes.NewReader(req)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("plugin: %v", err)
	}
	// protogen reports plugin errors in the response, for buf to print.
	var resp pluginpb.CodeGeneratorResponse
	if err := proto.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Error == nil {
		t.Fatalf("plugin succeeded without its mapping file, generating %d files", len(resp.File))
	}
	if !strings.Contains(resp.GetError(), "does-not-exist.yaml") {
		t.Errorf("error %q does not name the mapping file", resp.GetError())
	}
}

// buildPlugin builds this command, so the tests exercise the same binary
// buf runs (stdin/stdout, options, supported features).
func buildPlugin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "protoc-gen-eventrecorder")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
