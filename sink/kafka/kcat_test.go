package kafka_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/eventrecorder/eventrecorder/internal/kafkatest"
	"github.com/eventrecorder/eventrecorder/internal/testtool"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
)

// TestKcatReadsRecords checks interoperability with librdkafka: kcat reads
// every record with its key, headers and value.
func TestKcatReadsRecords(t *testing.T) {
	kcat := testtool.Require(t, "kcat")
	c := kafkatest.Start(t)
	topic := c.NewTopic(t, 1)
	h := newHarness(t)
	s := h.open(t, kafka.Config{Brokers: c.Brokers, Topic: topic, Compression: kafka.CompressionLZ4})
	const n = 25
	msgs := sinktest.Messages(0, n)
	deliver(s, msgs, 5)
	h.rep.WaitDelivered(t, n, wait)
	h.closeAll(t, s, n)

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat, "-C", "-b", strings.Join(c.Brokers, ","), "-t", topic,
		"-o", "beginning", "-e", "-q", "-f", `%k\t%h\t%s\n`)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kcat: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("kcat printed %d records, want %d:\n%s", len(lines), n, out)
	}
	for i, line := range lines {
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 {
			t.Fatalf("kcat line %d %q: want key, headers and value", i, line)
		}
		if f[0] != "test-instance" {
			t.Errorf("record %d key %q", i, f[0])
		}
		if f[1] != "event_type=test_event,content_type=application/json" {
			t.Errorf("record %d headers %q", i, f[1])
		}
		var v struct {
			Seq  int
			Type string
		}
		if err := json.Unmarshal([]byte(f[2]), &v); err != nil {
			t.Fatalf("record %d value %q: %v", i, f[2], err)
		}
		if v.Seq != i || v.Type != "test_event" || f[2] != string(msgs[i].Value) {
			t.Errorf("record %d value %q, want %q", i, f[2], msgs[i].Value)
		}
	}
}
