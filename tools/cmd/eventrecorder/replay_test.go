package main_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/internal/kafkatest"
)

// rotated splits the fixture the way logrotate leaves a log: the oldest
// part compressed, the previous one plain, the live file last. It returns
// the paths oldest first, as a backfill would pass them.
func rotated(t *testing.T, dir string, lines []string) []string {
	t.Helper()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(strings.Join(lines[:4], "\n") + "\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	oldest := writeFile(t, filepath.Join(dir, "events.jsonl.2.gz"), gz.String())
	prev := writeFile(t, filepath.Join(dir, "events.jsonl.1"), strings.Join(lines[4:9], "\n")+"\n")
	live := writeFile(t, filepath.Join(dir, "events.jsonl"), strings.Join(lines[9:], "\n")+"\n")
	return []string{oldest, prev, live}
}

func TestReplayIntoKafkaKeepsEventsIntact(t *testing.T) {
	t.Parallel()
	lines, want := fixture(t)
	cluster := kafkatest.Start(t)
	for _, format := range []string{"json", "protobuf"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			topic := cluster.NewTopic(t, 1)
			cfg := writeFile(t, filepath.Join(dir, "kafka.yaml"), `
kafka_outputs:
  - brokers: [`+strings.Join(cluster.Brokers, ", ")+`]
    topic: `+topic+`
    format: `+format+`
    acks: all
`)
			args := append([]string{"replay", "--config", cfg}, rotated(t, dir, lines)...)
			r := run(t, dir, "", args...)
			if r.code != 0 {
				t.Fatalf("replay failed: %v", r)
			}
			if !strings.Contains(r.stderr, "replayed 13 events from 3 inputs to 1 output") {
				t.Errorf("summary header missing:\n%s", r.stderr)
			}
			var line outputLine
			for name, l := range summary(t, r.stderr) {
				if strings.HasPrefix(name, "kafka") {
					line = l
				}
			}
			if line.delivered != uint64(len(want)) || line.dropped+line.failed != 0 {
				t.Errorf("kafka summary %+v, want %d delivered:\n%s", line, len(want), r.stderr)
			}

			recs := cluster.Read(t, topic)
			if len(recs.Records) != len(want) {
				t.Fatalf("topic holds %d records, want %d", len(recs.Records), len(want))
			}
			got := make([]*eventrecorderpb.Event, len(recs.Records))
			for i, rec := range recs.Records {
				ev := &eventrecorderpb.Event{}
				var err error
				if format == "protobuf" {
					err = proto.Unmarshal(rec.Value, ev)
				} else {
					err = protojson.Unmarshal(rec.Value, ev)
				}
				if err != nil {
					t.Fatalf("record %d: %v", i, err)
				}
				got[i] = ev
				// Keyed by the instance that first recorded the event,
				// not by the replaying process.
				if string(rec.Key) != "am-1:9093" {
					t.Errorf("record %d: key %q, want the event's instance", i, rec.Key)
				}
				if h, _ := kafkatest.Header(rec, "event_type"); h != event.EventTypeName(ev.GetData()) {
					t.Errorf("record %d: event_type header %q for a %s", i, h, event.EventTypeName(ev.GetData()))
				}
			}
			// Original timestamps, instance and payloads, in order.
			sameEvents(t, "kafka", got, want)
		})
	}
}

// check-config and replay must agree on the Kafka output's name too.
func TestCheckConfigNamesKafkaOutputAsReplayDoes(t *testing.T) {
	t.Parallel()
	cluster := kafkatest.Start(t)
	dir := t.TempDir()
	topic := cluster.NewTopic(t, 1)
	cfg := writeFile(t, filepath.Join(dir, "kafka.yaml"), "kafka_outputs:\n  - brokers: ["+strings.Join(cluster.Brokers, ", ")+"]\n    topic: "+topic+"\n")
	c := run(t, dir, "", "check-config", cfg)
	if c.code != 0 {
		t.Fatalf("check-config: %v", c)
	}
	listed := strings.Fields(strings.Split(c.stdout, "\n")[1])[1]
	r := run(t, dir, "", "replay", "--config", cfg, fixturePath)
	if r.code != 0 {
		t.Fatalf("replay: %v", r)
	}
	m := summaryLine.FindStringSubmatch(r.stderr)
	if m == nil || m[1] != listed {
		t.Errorf("check-config names the output %q; replay's summary:\n%s", listed, r.stderr)
	}
}

func fileConfig(t *testing.T, dir string) string {
	return writeFile(t, filepath.Join(dir, "file.yaml"), "file_outputs:\n  - path: out.jsonl\n")
}

func TestReplaySkipsMalformedLinesAndReportsThem(t *testing.T) {
	t.Parallel()
	lines, want := fixture(t)
	dir := t.TempDir()
	bad := writeFile(t, filepath.Join(dir, "bad.jsonl"), strings.Join([]string{
		lines[0],
		`{"@timestamp": "2025-03-14T09:26:53Z", "instance": `, // cut short
		``, // blank lines are not malformed
		lines[1],
		`{"instance":"am-1:9093","surprise":true}`, // a field this schema does not have
		lines[2], // no newline at the end of the file
	}, "\n"))
	r := run(t, dir, "", "replay", "--config", fileConfig(t, dir), bad)
	if r.code != 1 {
		t.Fatalf("replay with malformed lines: want exit 1, got %v", r)
	}
	for _, want := range []string{
		bad + ":2: malformed line skipped: ",
		bad + `:5: malformed line skipped: `,
		"surprise",
		"2 malformed lines skipped",
		"replayed 3 events from 1 input to 1 output",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, ":3:") {
		t.Errorf("a blank line was reported:\n%s", r.stderr)
	}
	sameEvents(t, "out.jsonl", readEvents(t, filepath.Join(dir, "out.jsonl")), want[:3])
	if s := summary(t, r.stderr); s["file:out.jsonl"].delivered != 3 {
		t.Errorf("summary: %+v", s)
	}
}

func TestReplayFromStdin(t *testing.T) {
	t.Parallel()
	lines, want := fixture(t)
	dir := t.TempDir()
	r := run(t, dir, strings.Join(lines, "\n")+"\n", "replay", "--config", fileConfig(t, dir), "-")
	if r.code != 0 {
		t.Fatalf("replay -: %v", r)
	}
	sameEvents(t, "out.jsonl", readEvents(t, filepath.Join(dir, "out.jsonl")), want)
}

func TestReplayRefusesToStartWithAnUnreadableInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := run(t, dir, "", "replay", "--config", fileConfig(t, dir), fixturePath, filepath.Join(dir, "missing.jsonl"))
	if r.code != 2 || !strings.Contains(r.stderr, "cannot read input") || !strings.Contains(r.stderr, "missing.jsonl") {
		t.Errorf("replay with a missing input: want exit 2 naming it, got %v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "out.jsonl")); !os.IsNotExist(err) {
		t.Errorf("replay wrote events although an input was missing")
	}
	r = run(t, dir, "", "replay", "--config", fileConfig(t, dir), fixturePath, dir)
	if r.code != 2 || !strings.Contains(r.stderr, "eventrecorder replay: cannot read input: open "+dir+": is a directory\n") {
		t.Errorf("replay with a directory as input: want exit 2 naming it, got %v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "out.jsonl")); !os.IsNotExist(err) {
		t.Errorf("replay wrote events although an input was a directory")
	}
}

func TestReplayConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := run(t, dir, "", "replay", "--config", filepath.Join(dir, "missing.yaml"), fixturePath)
	if r.code != 2 || !strings.Contains(r.stderr, "cannot read configuration") {
		t.Errorf("missing config: want exit 2, got %v", r)
	}
	bad := writeFile(t, filepath.Join(dir, "bad.yaml"), "file_outputs:\n  - path: out.jsonl\n    fsync: always\n")
	r = run(t, dir, "", "replay", "--config", bad, fixturePath)
	if r.code != 1 || !strings.Contains(r.stderr, `bad.yaml: file_outputs[0].fsync: must be "none" or "batch", got "always"`) {
		t.Errorf("invalid config: want exit 1 naming the field, got %v", r)
	}
	empty := writeFile(t, filepath.Join(dir, "empty.yaml"), "")
	r = run(t, dir, "", "replay", "--config", empty, fixturePath)
	if r.code != 1 || !strings.Contains(r.stderr, "configures no outputs") {
		t.Errorf("config without outputs: want exit 1, got %v", r)
	}
}

func TestReplayExitsNonZeroWhenAnOutputFails(t *testing.T) {
	t.Parallel()
	_, want := fixture(t)
	dir := t.TempDir()
	hook := newWebhookServer(t, http.StatusServiceUnavailable)
	cfg := writeFile(t, filepath.Join(dir, "hook.yaml"), "webhook_outputs:\n  - url: "+hook.URL+"\n    max_retries: 1\n")
	r := run(t, dir, "", "replay", "--config", cfg, fixturePath)
	if r.code != 1 {
		t.Fatalf("replay into a failing webhook: want exit 1, got %v", r)
	}
	if _, requests := hook.got(); requests != len(want) {
		t.Errorf("webhook got %d requests, want %d", requests, len(want))
	}
	for _, l := range summary(t, r.stderr) {
		if l.failed != uint64(len(want)) {
			t.Errorf("summary %+v, want %d failed:\n%s", l, len(want), r.stderr)
		}
	}
}
