package eventrecorder_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v2"

	eventrecorder "github.com/eventrecorder/eventrecorder/event/v2"
	"github.com/eventrecorder/eventrecorder/internal/metrictest"
)

// Alertmanager v0.35's naming rule: every output has a name, unique among
// the outputs of its kind; outputs of different kinds may share one.
func TestConfigNames(t *testing.T) {
	for _, c := range []struct {
		doc, wantErr string
	}{
		{doc: "file_outputs: [{path: /tmp/a.jsonl}]", wantErr: "file_outputs[0].name: is required"},
		{doc: "stdout_outputs: [{}]", wantErr: "stdout_outputs[0].name: is required"},
		{doc: "webhook_outputs: [{url: 'https://hooks.example.net/in'}]", wantErr: "webhook_outputs[0].name: is required"},
		{doc: "file_outputs: [{name: a, path: /tmp/a.jsonl}, {name: a, path: /tmp/b.jsonl}]",
			wantErr: `file_outputs[1]: output "file:a" is already configured by file_outputs[0]`},
		{doc: "file_outputs: [{name: a, path: /tmp/a.jsonl}]\nstdout_outputs: [{name: a}]"},
		{doc: "file_outputs: [{name: a, path: /tmp/a.jsonl}, {name: b, path: /tmp/b.jsonl}]"},
	} {
		_, err := eventrecorder.LoadConfig([]byte(c.doc))
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: %v", c.doc, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", c.doc, err, c.wantErr)
		}
	}
}

// The output label, Stats and Describe say "<kind>:<name>"; the rendered
// configuration keeps the name as written.
func TestOutputNamedByKindAndName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	cfg := eventrecorder.Config{FileOutputs: []eventrecorder.FileOutputConfig{{Name: "archive", Path: path}}}
	infos, err := cfg.Describe()
	if err != nil || len(infos) != 1 || infos[0].Name != "file:archive" {
		t.Fatalf("Describe = %+v, %v; want one output named file:archive", infos, err)
	}
	out, err := yaml.Marshal(cfg)
	if err != nil || !bytes.Contains(out, []byte("name: archive\n")) || bytes.Contains(out, []byte("file:archive")) {
		t.Errorf("MarshalYAML renders\n%s(%v); want the name as configured", out, err)
	}

	reg := prometheus.NewRegistry()
	rec := eventrecorder.NewRecorderFromConfig(cfg, "am-0", nil, reg)
	built := 0
	rec.RecordEvent(context.Background(), func() eventrecorder.EventData { built++; return eventrecorder.NewAlertmanagerShutdownEvent() })
	rec.RecordEvent(eventrecorder.WithEventRecording(context.Background()), func() eventrecorder.EventData {
		built++
		return eventrecorder.NewAlertmanagerStartupEvent("0.35.0", "go=go1.26")
	})
	rec.RecordEvent(eventrecorder.WithEventRecording(context.Background()), nil)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if built != 1 {
		t.Errorf("build was called %d times, want once: only where recording is enabled", built)
	}
	if st := rec.Stats(); len(st) != 1 || st[0].Name != "file:archive" || st[0].Delivered != 1 {
		t.Errorf("Stats = %+v, want file:archive with 1 delivered", st)
	}
	if n := metrictest.Sum(t, reg, "alertmanager_events_recorded_total", map[string]string{"output": "file:archive", "result": "success", "event_type": "alertmanager_startup_event"}); n != 1 {
		t.Errorf("events_recorded_total{output=file:archive} = %v, want 1", n)
	}
	b, err := os.ReadFile(path)
	if err != nil || bytes.Count(b, []byte("\n")) != 1 || !bytes.Contains(b, []byte(`"alertmanagerStartupEvent":{"version":"0.35.0"`)) {
		t.Errorf("the file holds %q (%v), want the startup event's line", b, err)
	}
}

// A stand-alone output needs a name too, and goes by "<kind>:<name>".
func TestDestinationNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	if _, err := eventrecorder.NewFileOutput(eventrecorder.FileOutputConfig{Path: path}, nil); err == nil || !strings.Contains(err.Error(), "event_recorder file output: name: is required") {
		t.Errorf("NewFileOutput without a name: %v", err)
	}
	if _, err := eventrecorder.NewStdoutOutput(eventrecorder.StdoutOutputConfig{}); err == nil || !strings.Contains(err.Error(), "name: is required") {
		t.Errorf("NewStdoutOutput without a name: %v", err)
	}
	out, err := eventrecorder.NewFileOutput(eventrecorder.FileOutputConfig{Name: "archive", Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Name() != "file:archive" {
		t.Errorf("Name() = %q, want file:archive", out.Name())
	}
	n, err := out.SendEvent(eventrecorder.Event{})
	if err != nil || n != len("{}") {
		t.Errorf("SendEvent(Event{}) = %d, %v; want the 2 bytes of an empty event", n, err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "{}\n" {
		t.Errorf("the file holds %q", b)
	}
}
