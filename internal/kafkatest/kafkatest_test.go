package kafkatest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestReadBack produces with an independent kgo producer and checks that
// Read returns exactly what was produced, and only up to the end offsets
// it saw when it started.
func TestReadBack(t *testing.T) {
	c := Start(t)
	topic := c.NewTopic(t, 3)

	if got := c.Read(t, topic); len(got.Records) != 0 {
		t.Fatalf("empty topic: read %d records", len(got.Records))
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers...), kgo.DefaultProduceTopic(topic),
		kgo.ProducerBatchCompression(kgo.GzipCompression()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const n = 30
	var recs []*kgo.Record
	for i := range n {
		recs = append(recs, &kgo.Record{
			Key:     []byte(fmt.Sprintf("k%d", i%4)),
			Value:   []byte(fmt.Sprintf("v%d%0200d", i, 0)), // compressible, so gzip is kept
			Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("x")}},
		})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	got := c.Read(t, topic)
	if len(got.Records) != n {
		t.Fatalf("read %d records, want %d", len(got.Records), n)
	}
	seen := map[string]bool{}
	for _, v := range got.Values() {
		seen[v] = true
	}
	for i := range n {
		if !seen[fmt.Sprintf("v%d%0200d", i, 0)] {
			t.Errorf("value v%d not read back", i)
		}
	}
	if h, ok := Header(got.Records[0], "h"); !ok || h != "x" {
		t.Errorf("header h = %q, %v; want x", h, ok)
	}
	for k, parts := range PartitionOf(got.Records) {
		if len(parts) != 1 {
			t.Errorf("key %s spread over partitions %v", k, parts)
		}
	}
	if got.Codecs[1] == 0 || got.Codecs[0] != 0 {
		t.Errorf("codecs = %v, want only gzip (1)", got.Codecs)
	}
}

func TestExternalBrokers(t *testing.T) {
	t.Setenv(EnvBrokers, " a:1, b:2 ,,")
	got := ExternalBrokers()
	if len(got) != 2 || got[0] != "a:1" || got[1] != "b:2" {
		t.Fatalf("ExternalBrokers() = %q", got)
	}
	t.Setenv(EnvBrokers, "")
	if got := ExternalBrokers(); got != nil {
		t.Fatalf("ExternalBrokers() with empty env = %q", got)
	}
}

func TestTopicNameIsValidAndUnique(t *testing.T) {
	a, b := TopicName(t), TopicName(t)
	if a == b {
		t.Fatalf("TopicName returned %q twice", a)
	}
	if notTopicChar.MatchString(a) {
		t.Fatalf("TopicName %q has invalid characters", a)
	}
}
