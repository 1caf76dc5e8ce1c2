package readme_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/sink/buffer"
)

// TestBufferIsDocumented keeps the README's buffer section in step with
// package sink/buffer: a row per field, the defaults and bounds, every
// fsync policy and when_full mode, and the buffer metrics.
func TestBufferIsDocumented(t *testing.T) {
	doc := readme(t)
	sec := section(t, doc, "### Output buffers (`buffer`)")
	for _, key := range yamlKeys(reflect.TypeOf(buffer.Config{})) {
		if !strings.Contains(sec, "| `"+key+"` |") {
			t.Errorf("README buffer section has no row for %s", key)
		}
	}
	for _, want := range []string{
		"| `type` | `" + buffer.TypeMemory + "` |",
		"| `when_full` | `" + buffer.DropNewest + "` |",
		"| `fsync` | `" + buffer.FsyncBatch + "` |",
		"`" + buffer.Size(buffer.DefaultDiskMaxBytes).String() + "` (disk), `" + buffer.Size(buffer.DefaultMemoryMaxBytes).String() + "` (memory)",
		"from `" + buffer.Size(buffer.MinMaxBytes).String() + "` to `" + buffer.Size(buffer.DiskMaxBytesLimit).String() + "` (disk) or `" + buffer.Size(buffer.MemoryMaxBytesLimit).String() + "` (memory)",
		"at most 4096 bytes",
		"- `fsync: " + buffer.FsyncNone + "`", "- `fsync: " + buffer.FsyncBatch + "`", "- `fsync: " + buffer.FsyncAlways + "`",
		"`when_full: " + buffer.Block + "`", "`" + buffer.DropNewest + "`:",
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("README buffer section lacks %q", want)
		}
	}
	if buffer.MaxPathBytes != 4096 {
		t.Error("buffer.MaxPathBytes changed: update the README and this test")
	}
	for _, kind := range []string{"### `webhook_outputs`", "### `kafka_outputs`"} {
		if !strings.Contains(section(t, doc, kind), "| `buffer` |") {
			t.Errorf("README section %s has no buffer row", kind)
		}
	}
	metrics := section(t, doc, "## Metrics")
	for _, name := range []string{buffer.EventsMetric, buffer.BytesMetric, buffer.ReplayedMetric, buffer.CorruptMetric} {
		if !strings.Contains(metrics, "`"+event.DefaultNamespace+"_"+name+"`") {
			t.Errorf("README metrics table lacks %s_%s", event.DefaultNamespace, name)
		}
	}
}
