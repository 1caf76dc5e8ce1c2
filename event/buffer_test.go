package event_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/sink/buffer"
)

// Two outputs cannot share a disk buffer directory, and a configuration
// that has two such fails where it is loaded or validated, at the second
// output's buffer.path, not first when New opens the directories.
func TestSharedBufferDirectoryRejectedAtLoad(t *testing.T) {
	dir := t.TempDir()
	same := filepath.Join(dir, "buf")
	// The same directory written two ways: compared absolute and cleaned.
	spelt := filepath.Join(dir, "x", "..", "buf") + "/"
	y := `
webhook_outputs:
  - url: https://a.example/hook
    buffer: {type: disk, path: ` + same + `}
  - url: https://b.example/hook
    buffer: {type: disk, path: ` + spelt + `}
kafka_outputs:
  - brokers: [localhost:9092]
    topic: events
    buffer: {type: disk, path: ` + filepath.Join(dir, "kafka") + `}
`
	want := `webhook_outputs[1].buffer.path: "` + spelt + `" is also the buffer directory of webhook_outputs[0]; two outputs cannot share one`
	_, err := event.LoadConfig([]byte(y))
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("LoadConfig: %v\nwant an error containing %s", err, want)
	}

	// Changed in Go after loading, the configuration fails Validate and
	// Describe the same way, and New before opening anything.
	cfg := mustConfig(t, strings.ReplaceAll(y, spelt, filepath.Join(dir, "other")))
	cfg.WebhookOutputs[1].Buffer = buffer.Config{Type: buffer.TypeDisk, Path: spelt}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Validate: %v\nwant an error containing %s", err, want)
	}
	if _, err := cfg.Describe(); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Describe: %v\nwant an error containing %s", err, want)
	}
	if _, err := event.New(cfg, event.Options{}); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("New: %v\nwant an error containing %s", err, want)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Fatalf("New created %v (%v) before refusing the configuration", entries, err)
	}

	// Distinct directories, and memory buffers (which have none), load.
	ok := `
webhook_outputs:
  - url: https://a.example/hook
    buffer: {type: disk, path: ` + same + `}
  - url: https://b.example/hook
    buffer: {type: disk, path: ` + same + `-2}
  - url: https://c.example/hook
    buffer: {type: memory, max_bytes: 1MiB}
  - url: https://d.example/hook
    buffer: {type: memory, max_bytes: 1MiB}
`
	if _, err := event.LoadConfig([]byte(ok)); err != nil {
		t.Fatalf("LoadConfig of distinct directories: %v", err)
	}
}
