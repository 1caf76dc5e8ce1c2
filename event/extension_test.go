package event_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/internal/testtool"
)

// TestExtensionProof makes "add an event type = edit the schema + go
// generate" executable: in a copy of the repository it adds an event type
// to the schema, runs `go generate ./event/` (buf from the gen module,
// protoc-gen-go and our plugins, all via go tool or go run from the module
// cache), then builds and runs a program that uses the generated
// constructor. Nothing else is edited.
func TestExtensionProof(t *testing.T) {
	if testing.Short() {
		t.Skip("copies the repository and runs buf; skipped with -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	root := testtool.RepoRoot(t)
	work := filepath.Join(t.TempDir(), "repo")
	testtool.CopyRepo(t, root, work)

	// 1. Edit the schema: a payload message and an arm with the next number.
	protoPath := filepath.Join(work, "event", "eventrecorderpb", "eventrecorder.proto")
	src, err := os.ReadFile(protoPath)
	if err != nil {
		t.Fatal(err)
	}
	const lastArm = "    InhibitionMutedAlertEvent inhibition_muted_alert = 10;\n"
	if !bytes.Contains(src, []byte(lastArm)) {
		t.Fatalf("schema no longer ends its oneof with %q; update this test", lastArm)
	}
	src = bytes.Replace(src, []byte(lastArm), []byte(lastArm+"    ConfigReloadedEvent config_reloaded = 11;\n"), 1)
	src = append(src, []byte(`
// ConfigReloadedEvent is recorded after the configuration was reloaded.
message ConfigReloadedEvent {
  string config_hash = 1;
  bool success = 2;
}
`)...)
	if err := os.WriteFile(protoPath, src, 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	// buf and the generators are pinned in gen/go.mod (protoc-gen-go in
	// go.mod) and run with go tool and go run, so with a warm module cache
	// this works offline; GOWORK=off keeps a workspace outside the copy
	// from redirecting the build.
	env := append(os.Environ(), "GOWORK=off")
	run := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, goBin, args...)
		cmd.Dir = dir
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("go %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
		}
		return stdout.String()
	}

	// 2. Regenerate.
	run(work, "generate", "./event/")
	gen, err := os.ReadFile(filepath.Join(work, "event", "constructors.gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(gen, []byte("func NewConfigReloadedEvent(configHash string, success bool) *eventrecorderpb.EventData")) {
		t.Fatalf("generated constructors lack NewConfigReloadedEvent:\n%s", gen)
	}

	// 3. Use it from a program, as a library user would.
	mainDir := filepath.Join(work, "internal", "extensionproof")
	if err := os.MkdirAll(mainDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The program records the new event through a real recorder into a
	// JSONL file whose output is filtered to the new type, so the filter's
	// check against the generated type list is exercised too.
	if err := os.WriteFile(filepath.Join(mainDir, "main.go"), []byte(`package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/eventrecorder/eventrecorder/event"
)

func main() {
	d := event.NewConfigReloadedEvent("abc", true)
	fmt.Println(event.EventTypeName(d))
	names := event.EventTypeNames()
	fmt.Println(names[len(names)-1])

	path := filepath.Join(os.Args[1], "events.jsonl")
	cfg, err := event.LoadConfig([]byte("file_outputs: [{path: " + path + ", event_types: [config_reloaded]}]"))
	if err != nil {
		panic(err)
	}
	rec, err := event.New(cfg, event.Options{Instance: "proof"})
	if err != nil {
		panic(err)
	}
	ctx := event.WithEventRecording(context.Background())
	rec.RecordEvent(ctx, event.NewAlertmanagerShutdownEvent()) // filtered out
	rec.RecordEvent(ctx, d)
	if err := rec.Close(); err != nil {
		panic(err)
	}
	f, err := os.Open(path)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fmt.Println(sc.Text())
	}
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := strings.Split(strings.TrimSpace(run(work, "run", "./internal/extensionproof", t.TempDir())), "\n")
	if len(out) != 3 {
		t.Fatalf("program printed %d lines, want 3 (two names and one JSONL line): %q", len(out), out)
	}
	if out[0] != "config_reloaded" {
		t.Errorf("EventTypeName = %q, want config_reloaded", out[0])
	}
	if out[1] != "config_reloaded" {
		t.Errorf("last of EventTypeNames = %q, want config_reloaded", out[1])
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(out[2]), &line); err != nil {
		t.Fatalf("JSONL line %q: %v", out[2], err)
	}
	want := map[string]any{"configReloaded": map[string]any{"configHash": "abc", "success": true}}
	if !reflect.DeepEqual(line["data"], want) || line["instance"] != "proof" || line["@timestamp"] == nil {
		t.Errorf("JSONL line = %s, want data %v from instance proof with a timestamp", out[2], want)
	}
}
