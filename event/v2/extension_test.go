package eventrecorder

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/internal/testtool"
)

// TestExtensionProof is package event's extension proof on the second
// schema: in a copy of the repository it adds an event type to
// eventsv2pb/events.proto (with a 64-bit integer and a map, the two things
// this schema's JSON has that the first's does not), runs `go generate`
// in event/v2, and runs, in the copy's package, a test that uses the
// generated constructor and event-type names and encodes the event with
// the generated JSON encoder, checked against protojson. Nothing else is
// edited.
//
// It stops at the encoder: event/v2 has no recorder yet (its v0.35 facade
// over the generic runtime comes later), so the event is not recorded
// through outputs as package event's proof does.
func TestExtensionProof(t *testing.T) {
	if testing.Short() {
		t.Skip("copies the repository and runs buf; skipped with -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	work := filepath.Join(t.TempDir(), "repo")
	testtool.CopyRepo(t, testtool.RepoRoot(t), work)

	// 1. Edit the schema: a payload message and an arm with the next number.
	protoPath := filepath.Join(work, "event", "v2", "eventsv2pb", "events.proto")
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
  uint64 generation = 3;
  map<string, string> sources = 4;
}
`)...)
	if err := os.WriteFile(protoPath, src, 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	out := filepath.Join(t.TempDir(), "event.json")
	// GOWORK=off keeps a workspace outside the copy from redirecting the
	// build; GOFLAGS is cleared so that -short does not reach the inner test.
	env := append(os.Environ(), "GOWORK=off", "GOFLAGS=", "EXTENSION_PROOF_OUT="+out)
	run := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.CommandContext(ctx, goBin, args...)
		cmd.Dir = dir
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("go %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
		}
	}

	// 2. Regenerate, as `make generate` does for this directory.
	run(filepath.Join(work, "event", "v2"), "generate", "./...")
	gen, err := os.ReadFile(filepath.Join(work, "event", "v2", "constructors.gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	const sig = "func newConfigReloadedEventData(configHash string, success bool, generation uint64, sources map[string]string) *eventsv2pb.EventData"
	if !bytes.Contains(gen, []byte(sig)) {
		t.Fatalf("generated constructors lack %s:\n%s", sig, gen)
	}

	// 3. Use it in the package, as the facade would.
	if err := os.WriteFile(filepath.Join(work, "event", "v2", "proof_test.go"), []byte(`package eventrecorder

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/eventrecorder/eventrecorder/event/v2/eventsv2pb"
)

func TestProof(t *testing.T) {
	d := newConfigReloadedEventData("abc", true, 18446744073709551615, map[string]string{"b": "2", "a\"": "1", "": "0"})
	if got := eventTypeName(d); got != EventTypeConfigReloaded || EventTypeConfigReloaded != "config_reloaded" {
		t.Fatalf("eventTypeName = %q", got)
	}
	if names := eventTypeNames(); names[len(names)-1] != "config_reloaded" {
		t.Fatalf("eventTypeNames = %v", names)
	}
	ev := &eventsv2pb.Event{Timestamp: &timestamppb.Timestamp{Seconds: 1}, Instance: "proof", Data: d, ClusterPosition: 7}
	b, err := ev.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	pj, err := protojson.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, pj); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, compact.Bytes()) {
		t.Fatalf("generated encoder %s, protojson %s", b, compact.Bytes())
	}
	if err := os.WriteFile(os.Getenv("EXTENSION_PROOF_OUT"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	run(work, "test", "-count=1", "-run", "^TestProof$", "./event/v2/")
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"@timestamp":"1970-01-01T00:00:01Z","instance":"proof","data":{"configReloaded":{"configHash":"abc","success":true,` +
		`"generation":"18446744073709551615","sources":{"":"0","a\"":"1","b":"2"}}},"clusterPosition":"7"}`
	if string(got) != want {
		t.Errorf("event JSON\n got  %s\n want %s", got, want)
	}
}
