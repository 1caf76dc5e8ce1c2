package main_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/eventrecorder/eventrecorder/event/v2/eventsv2pb"
	"github.com/eventrecorder/eventrecorder/internal/kafkatest"
	"github.com/eventrecorder/eventrecorder/tools/internal/convert"
	"github.com/eventrecorder/eventrecorder/tools/internal/jsonl"
	"github.com/eventrecorder/eventrecorder/tools/internal/lifecycle"
)

// readV2 decodes a JSONL file strictly as schema v2, failing on any line
// that is not.
func readV2(t *testing.T, path string) []*eventsv2pb.Event {
	t.Helper()
	var out []*eventsv2pb.Event
	for i, l := range fileLines(t, path) {
		ev, err := jsonl.DecodeV2([]byte(l))
		if err != nil {
			t.Fatalf("%s:%d: not v2: %v", path, i+1, err)
		}
		out = append(out, ev)
	}
	return out
}

func fileLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func sameV2(t *testing.T, what string, got, want []*eventsv2pb.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d events, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("%s: event %d differs:\n got %v\nwant %v", what, i+1, got[i], want[i])
		}
	}
}

// A real v0.35.0 file replays through event/v2's recorder: the file
// output writes every event as it was (v2 JSON, labels as objects), the
// Kafka output the same events in v2 protobuf, and the summary names the
// outputs kind:name and says the schema and the line that told it.
func TestReplayV2IntoFileAndKafka(t *testing.T) {
	t.Parallel()
	want := readV2(t, v035Path)
	cluster := kafkatest.Start(t)
	topic := cluster.NewTopic(t, 1)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.jsonl")
	cfg := writeFile(t, filepath.Join(dir, "v2.yaml"), `
file_outputs:
  - name: backfill
    path: `+out+`
kafka_outputs:
  - name: bus
    brokers: [`+strings.Join(cluster.Brokers, ", ")+`]
    topic: `+topic+`
    format: protobuf
    acks: all
`)
	r := run(t, dir, "", "replay", "--config", cfg, v035Path)
	if r.code != 0 {
		t.Fatalf("replay failed: %v", r)
	}
	for _, s := range []string{
		"replayed 24 events from 1 input to 2 outputs:\n",
		"  schema v2, detected at " + v035Path + `:2 (not v1: (line 1:166): unknown field "alertname")` + "\n",
	} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("summary lacks %q:\n%s", s, r.stderr)
		}
	}
	got := summary(t, r.stderr)
	if len(got) != 2 || got["file:backfill"].delivered != 24 || got["kafka:bus"].delivered != 24 {
		t.Errorf("summary %+v, want file:backfill and kafka:bus with 24 delivered each:\n%s", got, r.stderr)
	}
	sameV2(t, "file output", readV2(t, out), want)

	recs := cluster.Read(t, topic)
	var fromKafka []*eventsv2pb.Event
	for i, rec := range recs.Records {
		ev := &eventsv2pb.Event{}
		if err := proto.Unmarshal(rec.Value, ev); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		fromKafka = append(fromKafka, ev)
	}
	sameV2(t, "kafka output", fromKafka, want)
}

// v2's configuration semantics apply to a v2 input: a configuration
// without output names is refused before anything is sent, naming the
// field and the schema. The same configuration replays a v1 file.
func TestReplayV2ConfigNeedsNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "out.jsonl")
	cfg := writeFile(t, filepath.Join(dir, "unnamed.yaml"), "file_outputs:\n  - path: "+out+"\n")
	r := run(t, dir, "", "replay", "--config", cfg, v035Path)
	want := cfg + ": invalid configuration for schema v2, 1 problem:\n" +
		"  " + cfg + ": file_outputs[0].name: is required: every file output needs a name, unique among the file outputs (it labels the output's metrics as file:<name>)\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("want exit 1 and stderr\n%s\ngot %v", want, r)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the refused configuration's output exists: %v", err)
	}
	if r := run(t, dir, "", "replay", "--config", cfg, fixturePath); r.code != 0 || len(readEvents(t, out)) != 13 {
		t.Errorf("the v1 file with the same configuration: %v", r)
	}
}

var refusedLine = regexp.MustCompile(`(?m)^.+:\d+: line of another schema generation skipped: `)

// A file mixing generations replays the lines of its first deciding
// line's generation (and those fitting both) and refuses the others, one
// error each naming file:line, counted in the summary, exit 1.
func TestReplayMixedGenerations(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mixed := writeFile(t, filepath.Join(dir, "mixed.jsonl"),
		strings.Join(fileLines(t, fixturePath), "\n")+"\n"+strings.Join(fileLines(t, v035Path), "\n")+"\n")
	out := filepath.Join(dir, "out.jsonl")
	cfg := writeFile(t, filepath.Join(dir, "c.yaml"), "file_outputs:\n  - name: f\n    path: "+out+"\n")
	r := run(t, dir, "", "replay", "--config", cfg, mixed)
	if r.code != 1 {
		t.Fatalf("want exit 1: %v", r)
	}
	if n := len(refusedLine.FindAllString(r.stderr, -1)); n != 20 {
		t.Errorf("%d lines refused, want 20:\n%s", n, r.stderr)
	}
	for _, s := range []string{
		mixed + ":15: line of another schema generation skipped: expected a v1 event (the input's schema generation, detected at " + mixed + ":2), got a v2 one",
		"replayed 17 events from 1 input to 1 output:\n",
		"  schema v1, detected at " + mixed + ":2",
		"  20 lines of another schema generation skipped (listed above)\n",
	} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
	if got := readEvents(t, out); len(got) != 17 {
		t.Errorf("output holds %d v1 events, want the 13 v1 ones and 4 fitting both", len(got))
	}
}

// Events that carry no label set fit both generations: with nothing else
// in the input, replay assumes v1 and says so; --schema v2 replays them
// through event/v2. The cluster position shows which recorder wrote them:
// v1's is a 32-bit JSON number, v2's a 64-bit JSON string.
func TestReplayAmbiguousOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := writeFile(t, filepath.Join(dir, "in.jsonl"),
		`{"@timestamp":"2026-12-02T01:00:20Z","instance":"vm","data":{"alertmanagerStartupEvent":{"version":"0.35.0"}},"clusterPosition":"7"}`+"\n"+
			`{"@timestamp":"2026-12-02T01:00:23Z","instance":"vm","data":{"alertmanagerShutdownEvent":{}},"clusterPosition":"7"}`+"\n")
	for _, tc := range []struct {
		args   []string
		note   string
		suffix string
	}{
		{nil, "  schema v1 (assumed: no event tells the generations apart; --schema chooses)\n", `"clusterPosition":7}`},
		{[]string{"--schema", "v2"}, "  schema v2 (--schema v2)\n", `"clusterPosition":"7"}`},
	} {
		out := filepath.Join(dir, "out"+strings.Join(tc.args, "")+".jsonl")
		cfg := writeFile(t, filepath.Join(dir, "c.yaml"+strings.Join(tc.args, "")), "file_outputs:\n  - name: f\n    path: "+out+"\n")
		r := run(t, dir, "", append(append([]string{"replay", "--config", cfg}, tc.args...), in)...)
		if r.code != 0 || !strings.Contains(r.stderr, tc.note) || !strings.Contains(r.stderr, "replayed 2 events") {
			t.Errorf("%v: want exit 0 and %q: %v", tc.args, tc.note, r)
		}
		lines := fileLines(t, out)
		if len(lines) != 2 || !strings.HasSuffix(lines[0], tc.suffix) || !strings.HasSuffix(lines[1], tc.suffix) {
			t.Errorf("%v: output lines %q, want 2 ending %s", tc.args, lines, tc.suffix)
		}
	}
}

// demo --schema v2 records the lifecycle through event/v2: every line is
// v2 (label sets as objects), the same events as the v1 demo in v2's
// shape, on the file and on stdout alike.
func TestDemoV2(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	before := time.Now()
	r := run(t, dir, "", "demo", "--schema", "v2")
	if r.code != 0 {
		t.Fatalf("demo --schema v2: %v", r)
	}
	path := filepath.Join(dir, "events.jsonl")
	got := readV2(t, path)
	steps := lifecycle.Steps(before)
	if len(got) != len(steps) {
		t.Fatalf("%d events, want %d", len(got), len(steps))
	}
	v1Readable := 0
	for i, ev := range got {
		if !proto.Equal(withoutTimes(ev.GetData()), withoutTimes(convert.V2Data(steps[i].Data))) {
			t.Errorf("event %d: %v, want the lifecycle's %s in v2", i+1, ev.GetData(), steps[i].What)
		}
		if ev.GetInstance() != "demo-alertmanager:9093" {
			t.Errorf("event %d: instance %q", i+1, ev.GetInstance())
		}
		if _, err := jsonl.Decode([]byte(fileLines(t, path)[i])); err == nil {
			v1Readable++
		}
	}
	// Only the startup and shutdown events, which carry no label set, read
	// as v1 too.
	if v1Readable != 2 {
		t.Errorf("%d of the lines decode as v1, want 2", v1Readable)
	}
	if b, _ := os.ReadFile(path); r.stdout != string(b) {
		t.Errorf("stdout differs from the file:\n%s", r.stdout)
	}
	s := summary(t, r.stderr)
	if len(s) != 2 || s["file:events"].delivered != 13 || s["stdout:echo"].delivered != 13 {
		t.Errorf("summary %+v:\n%s", s, r.stderr)
	}
	if !strings.Contains(r.stderr, "recorded 13 events as instance demo-alertmanager:9093 in schema v2:\n") {
		t.Errorf("the summary does not say the schema:\n%s", r.stderr)
	}
	if r := run(t, dir, "", "demo", "--schema", "v3"); r.code != 2 || !strings.Contains(r.stderr, `--schema "v3" is not v1 or v2`) {
		t.Errorf("demo --schema v3: %v", r)
	}
}

// withoutTimes is m with every Timestamp cleared: the lifecycle's times
// follow the clock, so the demo's events and a later call of Steps differ
// in them only.
func withoutTimes(m proto.Message) proto.Message {
	m = proto.Clone(m)
	var clear func(protoreflect.Message)
	clear = func(m protoreflect.Message) {
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.Message() == nil || fd.IsMap():
			case fd.Message().FullName() == "google.protobuf.Timestamp":
				m.Clear(fd)
			case fd.IsList():
				for i := 0; i < v.List().Len(); i++ {
					clear(v.List().Get(i).Message())
				}
			default:
				clear(v.Message())
			}
			return true
		})
	}
	clear(m.ProtoReflect())
	return m
}

// check-config --schema v2 applies v2's semantics: the demo's v1
// configuration lacks the names every v2 output needs; its v2 one has
// them, and the listing shows the kind:name they run under.
func TestCheckConfigV2(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	v1cfg, _ := filepath.Abs("demo.yaml")
	v2cfg, _ := filepath.Abs("demo-v2.yaml")
	r := run(t, dir, "", "check-config", "--schema", "v2", v1cfg)
	want := v1cfg + ": invalid configuration for schema v2, 2 problems:\n" +
		"  " + v1cfg + ": file_outputs[0].name: is required: every file output needs a name, unique among the file outputs (it labels the output's metrics as file:<name>)\n" +
		"  " + v1cfg + ": stdout_outputs[0].name: is required: every stdout output needs a name, unique among the stdout outputs (it labels the output's metrics as stdout:<name>)\n"
	if r.code != 1 || r.stderr != want || r.stdout != "" {
		t.Errorf("want exit 1 and stderr\n%s\ngot %v", want, r)
	}
	r = run(t, dir, "", "check-config", "--schema", "v2", v2cfg)
	lines := outLines(r)
	if r.code != 0 || len(lines) != 3 || lines[0] != v2cfg+": valid for schema v2 (every output named, names unique per kind), 2 outputs" ||
		!slices.Equal(strings.Fields(lines[1]), []string{"file_outputs[0]", "file:events", "json", "all", "event", "types"}) ||
		!slices.Equal(strings.Fields(lines[2]), []string{"stdout_outputs[0]", "stdout:echo", "json", "all", "event", "types"}) {
		t.Errorf("check-config --schema v2 of demo-v2.yaml: %v", r)
	}
	// Both are valid v1 configurations: names are optional there.
	for _, cfg := range []string{v1cfg, v2cfg} {
		if r := run(t, dir, "", "check-config", cfg); r.code != 0 || !strings.HasPrefix(r.stdout, cfg+": valid for schema v1 (output names optional), 2 outputs\n") {
			t.Errorf("check-config %s: %v", cfg, r)
		}
	}
	if r := run(t, dir, "", "check-config", "--schema", "auto", v1cfg); r.code != 2 || !strings.Contains(r.stderr, `--schema "auto" is not v1 or v2`) {
		t.Errorf("check-config --schema auto: %v", r)
	}
}

// Replay holds back at most 1000 events fitting both generations; past
// that it assumes v1, says before which line, and a v2 line after is
// refused.
func TestReplayAssumesV1PastThePendingBound(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	v2 := fileLines(t, v035Path)
	shutdown, created := v2[len(v2)-1], v2[1]
	in := writeFile(t, filepath.Join(dir, "in.jsonl"), strings.Repeat(shutdown+"\n", 1001)+created+"\n")
	out := filepath.Join(dir, "out.jsonl")
	cfg := writeFile(t, filepath.Join(dir, "c.yaml"), "file_outputs:\n  - name: f\n    path: "+out+"\n")
	r := run(t, dir, "", "replay", "--config", cfg, in)
	for _, s := range []string{
		in + ":1002: line of another schema generation skipped: expected a v1 event (assumed: the 1000 events before " + in + ":1001 fit both generations; --schema chooses), got a v2 one",
		"replayed 1001 events from 1 input to 1 output:\n",
		"  1 line of another schema generation skipped (listed above)\n",
	} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
	if got := readEvents(t, out); r.code != 1 || len(got) != 1001 {
		t.Errorf("exit %d, %d events written; want 1 and 1001", r.code, len(got))
	}
}
