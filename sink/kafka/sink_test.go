package kafka_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/eapache/go-resiliency/breaker"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/eventrecorder/eventrecorder/internal/kafkatest"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
)

// TestDeliverReadBack produces JSON values and reads them back with an
// independent client: values byte for byte, key, headers, and the order
// of one instance's events within its partition.
func TestDeliverReadBack(t *testing.T) {
	c := kafkatest.Start(t)
	topic := c.NewTopic(t, 3)
	h := newHarness(t)
	s := h.open(t, kafka.Config{Brokers: c.Brokers, Topic: topic})
	if want := "kafka:" + strings.Join(sortedCopy(c.Brokers), ",") + "/" + topic; s.Name() != want {
		t.Errorf("Name() = %q, want %q", s.Name(), want)
	}

	const n = 200
	msgs := sinktest.Messages(0, n)
	deliver(s, msgs, 10)
	h.rep.WaitDelivered(t, n, wait)
	h.closeAll(t, s, n)
	if d, dr, f := h.rep.Counts(); d != n || dr != 0 || f != 0 {
		t.Fatalf("counts %d/%d/%d, want %d delivered", d, dr, f, n)
	}
	if got := events(h.rep.Delivered()); !slices.Equal(got, span(0, n)) {
		t.Fatalf("delivered events %v", got)
	}

	got := c.Read(t, topic)
	if len(got.Records) != n {
		t.Fatalf("read %d records, want %d", len(got.Records), n)
	}
	// One key, so one partition, in the order delivered.
	if !slices.Equal(seqs(t, got.Records), span(0, n)) {
		t.Fatalf("records out of order: %v", seqs(t, got.Records))
	}
	for i, r := range got.Records {
		if !bytes.Equal(r.Value, msgs[i].Value) {
			t.Fatalf("record %d value %q, want %q", i, r.Value, msgs[i].Value)
		}
		if string(r.Key) != "test-instance" {
			t.Fatalf("record %d key %q, want the instance", i, r.Key)
		}
		if v, _ := kafkatest.Header(r, "event_type"); v != "test_event" {
			t.Fatalf("record %d event_type header %q", i, v)
		}
		if v, _ := kafkatest.Header(r, "content_type"); v != "application/json" {
			t.Fatalf("record %d content_type header %q", i, v)
		}
		if len(r.Headers) != 2 {
			t.Fatalf("record %d has headers %v", i, r.Headers)
		}
	}
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// TestProtobufValues sends opaque binary values (as protobuf encodings
// are) and expects them back unchanged with the protobuf content type.
func TestProtobufValues(t *testing.T) {
	c := kafkatest.Start(t)
	topic := c.NewTopic(t, 1)
	h := newHarness(t)
	s := h.open(t, kafka.Config{Brokers: c.Brokers, Topic: topic, Format: kafka.FormatProtobuf})

	const n = 50
	msgs := sinktest.Messages(0, n)
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range msgs {
		v := make([]byte, 1+rnd.IntN(300))
		for j := range v {
			v[j] = byte(rnd.UintN(256))
		}
		v[0] = 0 // a NUL, which no text path would survive
		msgs[i].Value = v
	}
	deliver(s, msgs, 7)
	h.rep.WaitDelivered(t, n, wait)
	h.closeAll(t, s, n)

	got := c.Read(t, topic)
	if len(got.Records) != n {
		t.Fatalf("read %d records, want %d", len(got.Records), n)
	}
	for i, r := range got.Records {
		if !bytes.Equal(r.Value, msgs[i].Value) {
			t.Fatalf("record %d value differs: % x, want % x", i, r.Value, msgs[i].Value)
		}
		if v, _ := kafkatest.Header(r, "content_type"); v != "application/x-protobuf" {
			t.Fatalf("record %d content_type header %q", i, v)
		}
	}
}

// TestKeys checks each key setting on the wire.
func TestKeys(t *testing.T) {
	c := kafkatest.Start(t)
	for _, tc := range []struct {
		key      string
		instance string
		want     func(m sink.Message[int]) string // "" means no key
		noMsgKey bool
	}{
		// The message's key (the instance that recorded the event, which
		// for a replayed event is not this process) wins over the
		// output's instance.
		{kafka.KeyInstance, "host-a:9093", func(m sink.Message[int]) string { return string(m.Key) }, false},
		{kafka.KeyInstance, "", func(m sink.Message[int]) string { return string(m.Key) }, false},
		// Without a message key the output's instance is the fallback.
		{kafka.KeyInstance, "host-b:9093", func(sink.Message[int]) string { return "host-b:9093" }, true},
		{kafka.KeyEventType, "host-a:9093", func(m sink.Message[int]) string { return m.Type }, false},
		{kafka.KeyNone, "host-a:9093", func(sink.Message[int]) string { return "" }, false},
	} {
		t.Run(tc.key+"/"+tc.instance, func(t *testing.T) {
			topic := c.NewTopic(t, 3)
			h := newHarness(t)
			h.env.Instance = tc.instance
			s := h.open(t, kafka.Config{Brokers: c.Brokers, Topic: topic, Key: tc.key})
			msgs := sinktest.Messages(0, 30)
			for i := range msgs {
				msgs[i].Type = []string{"alert_created", "silence_created", "alert_resolved"}[i%3]
				msgs[i].Key = []byte("msg-key")
				if tc.noMsgKey {
					msgs[i].Key = nil
				}
			}
			deliver(s, msgs, 30)
			h.rep.WaitDelivered(t, len(msgs), wait)
			h.closeAll(t, s, len(msgs))

			got := c.Read(t, topic)
			if len(got.Records) != len(msgs) {
				t.Fatalf("read %d records, want %d", len(got.Records), len(msgs))
			}
			for _, r := range got.Records {
				m := msgs[seqs(t, []*kgo.Record{r})[0]]
				want := tc.want(m)
				if want == "" && r.Key != nil {
					t.Fatalf("record %d has key %q, want none", m.Event, r.Key)
				}
				if string(r.Key) != want {
					t.Fatalf("record %d key %q, want %q", m.Event, r.Key, want)
				}
				if v, _ := kafkatest.Header(r, "event_type"); v != m.Type {
					t.Fatalf("record %d event_type header %q, want %q", m.Event, v, m.Type)
				}
			}
			if tc.key != kafka.KeyNone {
				for k, parts := range kafkatest.PartitionOf(got.Records) {
					if len(parts) != 1 {
						t.Errorf("key %q spread over partitions %v", k, parts)
					}
				}
			}
		})
	}
}

// TestCompression proves each codec is what reaches the broker, by the
// compression attribute of the batches the consumer reads.
func TestCompression(t *testing.T) {
	c := kafkatest.Start(t)
	codecs := map[kafka.Compression]uint8{
		kafka.CompressionNone: 0, kafka.CompressionGzip: 1, kafka.CompressionSnappy: 2,
		kafka.CompressionLZ4: 3, kafka.CompressionZstd: 4,
	}
	for _, comp := range []kafka.Compression{kafka.CompressionNone, kafka.CompressionGzip, kafka.CompressionSnappy, kafka.CompressionLZ4, kafka.CompressionZstd} {
		t.Run(string(comp), func(t *testing.T) {
			topic := c.NewTopic(t, 1)
			h := newHarness(t)
			s := h.open(t, kafka.Config{Brokers: c.Brokers, Topic: topic, Compression: comp})
			msgs := sinktest.Messages(0, 40)
			for i := range msgs {
				msgs[i].Value = fmt.Appendf(nil, `{"seq":%d,"pad":%q}`, i, strings.Repeat("compressible ", 20))
			}
			deliver(s, msgs, 40)
			h.rep.WaitDelivered(t, len(msgs), wait)
			h.closeAll(t, s, len(msgs))

			got := c.Read(t, topic)
			if len(got.Records) != len(msgs) {
				t.Fatalf("read %d records, want %d", len(got.Records), len(msgs))
			}
			for i, r := range got.Records {
				if !bytes.Equal(r.Value, msgs[i].Value) {
					t.Fatalf("record %d value %q, want %q", i, r.Value, msgs[i].Value)
				}
			}
			want := codecs[comp]
			for codec, n := range got.Codecs {
				if codec != want || n == 0 {
					t.Fatalf("batches by codec %v, want only codec %d", got.Codecs, want)
				}
			}
		})
	}
}

// TestAcks checks that acks=all uses the idempotent producer (records
// carry a producer ID), that every level produces exactly once, and that
// what acks=none sends is reported unacknowledged, never delivered: the
// broker is not asked whether it stored it.
func TestAcks(t *testing.T) {
	c := kafkatest.Start(t)
	for _, acks := range []kafka.Acks{kafka.AcksNone, kafka.AcksLeader, kafka.AcksAll} {
		t.Run(string(acks), func(t *testing.T) {
			topic := c.NewTopic(t, 2)
			h := newHarness(t)
			s := h.open(t, kafka.Config{Brokers: c.Brokers, Topic: topic, Acks: acks})
			const n = 100
			deliver(s, sinktest.Messages(0, n), 9)
			h.rep.WaitTotal(t, n, wait)
			h.closeAll(t, s, n)
			wantDelivered, wantUnacked := n, 0
			if acks == kafka.AcksNone {
				wantDelivered, wantUnacked = 0, n
			}
			if d, _, _ := h.rep.Counts(); d != wantDelivered || len(h.rep.Unacknowledged()) != wantUnacked {
				t.Fatalf("acks=%s: %d delivered, %d unacknowledged; want %d and %d", acks, d, len(h.rep.Unacknowledged()), wantDelivered, wantUnacked)
			}

			got := c.Read(t, topic)
			if acks == kafka.AcksNone {
				// Unacknowledged means written to the connection; the
				// broker stores the records a moment later.
				waitUntil(t, "the broker to store the acks=none records", func() bool {
					got = c.Read(t, topic)
					return len(got.Records) >= n
				})
			}
			if !slices.Equal(seqs(t, got.Records), span(0, n)) {
				t.Fatalf("read seqs %v, want 0..%d once each in order", seqs(t, got.Records), n-1)
			}
			for _, r := range got.Records {
				if idem := r.ProducerID >= 0; idem != (acks == kafka.AcksAll) {
					t.Fatalf("acks=%s: record producer ID %d", acks, r.ProducerID)
				}
			}
		})
	}
}

// TestBrokersDownAtStart starts the output before any broker listens:
// New succeeds, messages wait in the buffer, and once a broker comes up on
// the configured port they are produced.
func TestBrokersDownAtStart(t *testing.T) {
	port := kafkatest.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	h := newHarness(t)
	s := h.open(t, kafka.Config{Brokers: []string{addr}, Topic: "events"})
	const n = 25
	deliver(s, sinktest.Messages(0, n), 5)
	waitUntil(t, "a failed connection attempt in the log", func() bool {
		return strings.Contains(h.logs.String(), "cannot connect")
	})
	if total := h.rep.Total(); total != 0 {
		t.Fatalf("%d messages reported before any broker was up", total)
	}

	kafkatest.StartFake(t, kfake.Ports(port), kfake.SeedTopics(1, "events"))
	h.rep.WaitDelivered(t, n, wait)
	h.closeAll(t, s, n)
	got := kafkatest.ReadTopic(t, []string{addr}, "events")
	if !slices.Equal(seqs(t, got.Records), span(0, n)) {
		t.Fatalf("read seqs %v", seqs(t, got.Records))
	}
}

// TestBrokerRestart stops the broker mid-stream and starts it again on the
// same port with the same data. Messages in flight when it goes fail, with
// counted network errors; once the output has noticed, new messages wait
// in the buffer (and what does not fit is dropped); after the restart
// delivery resumes, and every message is accounted for exactly once.
func TestBrokerRestart(t *testing.T) {
	port := kafkatest.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	dir := t.TempDir()
	start := func() *kfake.Cluster {
		return kafkatest.StartFake(t, kfake.Ports(port), kfake.DataDir(dir), kfake.SeedTopics(2, "events"))
	}
	kf := start()
	h := newHarness(t)
	s := h.open(t, kafka.Config{Brokers: []string{addr}, Topic: "events", BufferSize: 100})

	deliver(s, sinktest.Messages(0, 50), 10) // A: 0-49
	h.rep.WaitDelivered(t, 50, wait)

	kf.Close()
	deliver(s, sinktest.Messages(50, 10), 10) // X: 50-59, sent as the broker goes
	waitUntil(t, "the output to notice the broker is gone", func() bool {
		return strings.Contains(h.logs.String(), "lost the cluster")
	})
	deliver(s, sinktest.Messages(60, 110), 10) // B: 60-169, more than the buffer holds
	_, dropped, failed := h.rep.Counts()
	if failed == 0 || dropped < 9 {
		t.Fatalf("while the broker was down: %d failed, %d dropped; want failures and at least 9 dropped", failed, dropped)
	}

	start()
	h.rep.WaitTotal(t, 170, wait)              // the buffered part of B delivered
	deliver(s, sinktest.Messages(170, 30), 10) // C: 170-199
	h.rep.WaitTotal(t, 200, wait)
	h.closeAll(t, s, 200)

	delivered := map[int]bool{}
	for _, m := range h.rep.Delivered() {
		delivered[m.Event] = true
	}
	for _, seq := range append(span(0, 50), span(170, 30)...) {
		if !delivered[seq] {
			t.Fatalf("message %d, sent while the broker was up, was not delivered", seq)
		}
	}
	for _, m := range h.rep.Failed() {
		if m.Event < 50 || m.Event >= 60 {
			t.Fatalf("message %d failed; only those sent as the broker went down may", m.Event)
		}
	}
	_, _, failed = h.rep.Counts()
	if errs := h.produceErrors(s.Name()); errs[kafka.ErrorNetwork] != float64(failed) || sum(errs) != float64(failed) {
		t.Fatalf("produce errors %v for %d failed messages, want all counted as network", errs, failed)
	}

	got := map[int]bool{}
	for _, seq := range seqs(t, kafkatest.ReadTopic(t, []string{addr}, "events").Records) {
		got[seq] = true
	}
	for seq := range delivered {
		if !got[seq] {
			t.Fatalf("message %d reported delivered but not in the topic", seq)
		}
	}
}

// TestBufferFull fills the buffer while no broker is reachable: what does
// not fit is dropped at once, exactly, and the rest fails at Close.
func TestBufferFull(t *testing.T) {
	h := newHarness(t)
	h.env.CloseTimeout = 200 * time.Millisecond
	s := h.open(t, kafka.Config{Brokers: []string{fmt.Sprintf("127.0.0.1:%d", kafkatest.FreePort(t))}, Topic: "events", BufferSize: 10})
	deliver(s, sinktest.Messages(0, 25), 4)
	if d, dr, f := h.rep.Counts(); d != 0 || dr != 15 || f != 0 {
		t.Fatalf("after Deliver: %d/%d/%d, want 15 dropped at once", d, dr, f)
	}
	if err := h.closeAll(t, s, 25); err == nil || !strings.Contains(err.Error(), "gave up on 10 messages") {
		t.Fatalf("Close error %v, want it to say it gave up on 10", err)
	}
	if got := events(h.rep.Failed()); !slices.Equal(got, span(0, 10)) {
		t.Fatalf("failed %v, want the 10 buffered first", got)
	}
}

// TestCloseFlushes closes right after delivering: Close hands the buffer
// to the producer and waits for the acknowledgements.
func TestCloseFlushes(t *testing.T) {
	c := kafkatest.Start(t)
	topic := c.NewTopic(t, 1)
	h := newHarness(t)
	s := h.open(t, kafka.Config{Brokers: c.Brokers, Topic: topic})
	const n = 500
	deliver(s, sinktest.Messages(0, n), 50)
	if err := h.closeAll(t, s, n); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d, _, _ := h.rep.Counts(); d != n {
		t.Fatalf("delivered %d of %d by Close", d, n)
	}
	if got := c.Read(t, topic); !slices.Equal(seqs(t, got.Records), span(0, n)) {
		t.Fatalf("read back %d records", len(got.Records))
	}
}

// TestCloseUnreachable closes an output that never connected: Close ends
// within its budget and reports the buffer Failed with the reason.
func TestCloseUnreachable(t *testing.T) {
	h := newHarness(t)
	h.env.CloseTimeout = 300 * time.Millisecond
	s := h.open(t, kafka.Config{Brokers: []string{fmt.Sprintf("127.0.0.1:%d", kafkatest.FreePort(t))}, Topic: "events"})
	deliver(s, sinktest.Messages(0, 10), 10)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err == nil {
			t.Fatal("Close returned nil after giving up on messages")
		}
	case <-time.After(h.env.CloseTimeout + wait):
		// A hang detector with a wide margin, not a timing measurement.
		t.Fatal("Close did not return")
	}
	s.WaitStopped(t, wait)
	h.checkTotal(t, 10)
	if _, _, f := h.rep.Counts(); f != 10 {
		t.Fatalf("failed %d, want 10", f)
	}
	errs := h.rep.Errors()
	if len(errs) == 0 || !strings.Contains(errs[0].Error(), "not connected to the brokers") || !strings.Contains(errs[0].Error(), "connection refused") {
		t.Fatalf("failure reasons %v, want not connected: connection refused", errs)
	}
	if err := s.Close(); err == nil {
		t.Fatal("second Close returned a different (nil) result")
	}
	s.Deliver(sinktest.Messages(10, 2))
	h.checkTotal(t, 12)
}

// TestCloseHungBroker points the output at a broker that accepts
// connections and never answers, so the first metadata request hangs:
// Close keeps its budget, fails the buffer, and leaves no goroutine
// waiting out sarama's 30s read timeout.
func TestCloseHungBroker(t *testing.T) {
	addr, accepted := kafkatest.HungBroker(t)
	h := newHarness(t)
	h.env.CloseTimeout = 300 * time.Millisecond
	s := h.open(t, kafka.Config{Brokers: []string{addr}, Topic: "events"})
	deliver(s, sinktest.Messages(0, 5), 5)
	waitUntil(t, "the output to connect to the hung broker", func() bool { return accepted() >= 1 })
	if err := s.Close(); err == nil || !strings.Contains(err.Error(), "gave up on 5 messages") {
		t.Fatalf("Close error %v", err)
	}
	// Well under the read timeout: the goroutines end because Close
	// broke the connection, not because sarama gave up.
	s.WaitStopped(t, 5*time.Second)
	h.checkTotal(t, 5)
	if errs := h.rep.Errors(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "not connected to the brokers") {
		t.Fatalf("failure reasons %v", errs)
	}
}

// TestClientIDOnTheWire checks that the brokers see the configured client
// id, and Alertmanager's when none is set: ACLs and quotas are keyed by it,
// so it is part of what must not change when switching recorders.
func TestClientIDOnTheWire(t *testing.T) {
	for _, tc := range []struct{ name, set, want string }{
		{"default", "", "alertmanager"},
		{"set", "am-eu-west", "am-eu-west"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, ids := kafkatest.ClientIDBroker(t)
			h := newHarness(t)
			s := h.open(t, kafka.Config{Brokers: []string{addr}, Topic: "events", ClientID: tc.set})
			waitUntil(t, "a request from the output", func() bool { return len(ids()) > 0 })
			if err := h.closeAll(t, s, 0); err != nil {
				t.Fatalf("Close: %v", err)
			}
			for i, id := range ids() {
				if id != tc.want {
					t.Fatalf("request on connection %d has client id %q, want %q", i, id, tc.want)
				}
			}
		})
	}
}

// TestCloseGivesUpInFlight makes the broker swallow produce requests, so
// messages stay in flight: Close gives up on them at its deadline, reports
// them Failed once, and late answers change nothing.
func TestCloseGivesUpInFlight(t *testing.T) {
	kf := kafkatest.StartFake(t, kfake.SeedTopics(1, "events"))
	seen := make(chan struct{}, 1)
	kf.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		kf.KeepControl()
		select {
		case seen <- struct{}{}:
		default:
		}
		return nil, nil, true // never answer
	})
	h := newHarness(t)
	h.env.CloseTimeout = 300 * time.Millisecond
	s := h.open(t, kafka.Config{Brokers: kf.ListenAddrs(), Topic: "events"})
	deliver(s, sinktest.Messages(0, 5), 5)
	select {
	case <-seen:
	case <-time.After(wait):
		t.Fatal("no produce request reached the broker")
	}
	err := s.Close()
	if err == nil || !strings.Contains(err.Error(), "gave up on 5 messages") {
		t.Fatalf("Close error %v", err)
	}
	if d, dr, f := h.rep.Counts(); d != 0 || dr != 0 || f != 5 {
		t.Fatalf("counts %d/%d/%d, want 5 failed", d, dr, f)
	}
	if errs := h.rep.Errors(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "close timeout") {
		t.Fatalf("failure reasons %v", errs)
	}
	s.WaitStopped(t, wait)
	h.checkTotal(t, 5)
}

// TestBackpressure makes the broker swallow produce requests so that the
// producer fills up and stops taking input: Deliver still returns at once,
// the local buffer absorbs what it can and drops the rest, and Close fails
// what is stuck.
func TestBackpressure(t *testing.T) {
	kf := kafkatest.StartFake(t, kfake.SeedTopics(1, "events"))
	kf.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		kf.KeepControl()
		return nil, nil, true // never answer
	})
	h := newHarness(t)
	h.env.CloseTimeout = 300 * time.Millisecond
	s := h.open(t, kafka.Config{Brokers: kf.ListenAddrs(), Topic: "events", BufferSize: 10})
	// sarama holds at most a few requests of 1 MB each plus its channel
	// buffers; 20 MB of values is far beyond that.
	const n = 10000
	msgs := sinktest.Messages(0, n)
	value := bytes.Repeat([]byte("x"), 2048)
	for i := range msgs {
		msgs[i].Value = value
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		deliver(s, msgs, 100)
	}()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("Deliver blocked behind the producer")
	}
	if _, dropped, _ := h.rep.Counts(); dropped == 0 {
		t.Fatal("nothing dropped although the producer stopped taking input")
	}
	h.closeAll(t, s, n)
	if d, _, _ := h.rep.Counts(); d != 0 {
		t.Fatalf("%d delivered by a broker that answers nothing", d)
	}
}

// TestHungBrokerWindsDownAtClose fills sarama up behind a broker that
// swallows produce requests, so that when Close gives up and breaks the
// connections, hundreds of records wait in sarama's channels. sarama then
// fails them one by one, sleeping a retry backoff after each unless told
// not to: the output's goroutines and sarama's must still end promptly
// once Close has returned.
func TestHungBrokerWindsDownAtClose(t *testing.T) {
	kf := kafkatest.StartFake(t, kfake.SeedTopics(1, "events"))
	var requests atomic.Int64
	kf.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		kf.KeepControl()
		requests.Add(1)
		return nil, nil, true // never answer
	})
	h := newHarness(t)
	h.env.CloseTimeout = 300 * time.Millisecond
	const n = 4000
	s := h.open(t, kafka.Config{Brokers: kf.ListenAddrs(), Topic: "events", BufferSize: n})
	// Values of 8 KiB, about 120 to a request of 1 MB.
	msgs := sinktest.Messages(0, n)
	value := bytes.Repeat([]byte("x"), 8<<10)
	for i := range msgs {
		msgs[i].Value = value
	}
	deliver(s, msgs, 256)
	// The broker reads one request at a time, so one is open, and sarama
	// holds some 640 records: that request's, the batch behind it and
	// its channels' 2 × 256.
	waitUntil(t, "a produce request", func() bool { return requests.Load() >= 1 })
	waitUntil(t, "sarama to take 500 records", func() bool { return s.Buffered() <= n-500 })
	start := time.Now()
	if err := s.Close(); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("gave up on %d messages", n)) {
		t.Fatalf("Close error %v", err)
	}
	// With test timings a retry backoff is 10ms: sleeping it per record
	// took 4.3s here, against 0.31s without.
	s.WaitStopped(t, 3*time.Second)
	t.Logf("every goroutine ended %v after Close started", time.Since(start))
	h.checkTotal(t, n)
	if d, dr, f := h.rep.Counts(); d != 0 || dr != 0 || f != n {
		t.Fatalf("counts %d/%d/%d, want %d failed", d, dr, f, n)
	}
}

// TestProduceErrorTypes makes the broker reject produce requests and
// checks the counted error type.
func TestProduceErrorTypes(t *testing.T) {
	for _, tc := range []struct {
		err  *kerr.Error
		want string
	}{
		{kerr.MessageTooLarge, kafka.ErrorMessageTooLarge},
		{kerr.RecordListTooLarge, kafka.ErrorMessageTooLarge},
		{kerr.RequestTimedOut, kafka.ErrorTimeout},
		{kerr.NotEnoughReplicas, kafka.ErrorBroker},
	} {
		t.Run(tc.err.Message, func(t *testing.T) {
			kf := kafkatest.StartFake(t, kfake.SeedTopics(1, "events"))
			kf.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "events", Err: tc.err, Count: -1})
			h := newHarness(t)
			s := h.open(t, kafka.Config{Brokers: kf.ListenAddrs(), Topic: "events"})
			deliver(s, sinktest.Messages(0, 8), 3)
			h.rep.WaitTotal(t, 8, wait)
			h.closeAll(t, s, 8)
			if _, _, f := h.rep.Counts(); f != 8 {
				t.Fatalf("failed %d, want 8", f)
			}
			if errs := h.produceErrors(s.Name()); errs[tc.want] != 8 || sum(errs) != 8 {
				t.Fatalf("produce errors %v, want 8 %s", errs, tc.want)
			}
			for _, err := range h.rep.Errors() {
				if !strings.Contains(err.Error(), "("+tc.want+" error)") {
					t.Fatalf("failure reason %q does not name the error type %s", err, tc.want)
				}
			}
		})
	}
}

// TestUnknownTopic produces to a topic the cluster does not have: every
// message fails as a broker error, including those sarama's circuit
// breaker fails without trying, and the output does not mistake this for
// a lost cluster.
func TestUnknownTopic(t *testing.T) {
	kf := kafkatest.StartFake(t)
	h := newHarness(t)
	s := h.open(t, kafka.Config{Brokers: kf.ListenAddrs(), Topic: "missing"})
	deliver(s, sinktest.Messages(0, 10), 1)
	h.rep.WaitTotal(t, 10, wait)
	h.closeAll(t, s, 10)
	if _, _, f := h.rep.Counts(); f != 10 {
		t.Fatalf("failed %d, want 10", f)
	}
	if errs := h.produceErrors(s.Name()); errs[kafka.ErrorBroker] != 10 || sum(errs) != 10 {
		t.Fatalf("produce errors %v, want 10 broker", errs)
	}
	for _, err := range h.rep.Errors() {
		if !strings.Contains(err.Error(), "does not exist") {
			t.Fatalf("failure reason %q does not say the topic is missing", err)
		}
	}
	if strings.Contains(h.logs.String(), "lost the cluster") {
		t.Fatal("a missing topic was taken for a lost cluster")
	}
}

func TestClassify(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{sarama.ErrOutOfBrokers, kafka.ErrorNetwork},
		{fmt.Errorf("%w: %w", sarama.ErrOutOfBrokers, refused), kafka.ErrorNetwork},
		{refused, kafka.ErrorNetwork},
		{syscall.ECONNRESET, kafka.ErrorNetwork},
		{io.EOF, kafka.ErrorNetwork},
		{sarama.ErrNotConnected, kafka.ErrorNetwork},
		{sarama.ErrRequestTimedOut, kafka.ErrorTimeout},
		{&net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, kafka.ErrorTimeout},
		{context.DeadlineExceeded, kafka.ErrorTimeout},
		{sarama.ErrNotLeaderForPartition, kafka.ErrorBroker},
		{sarama.ErrMessageSizeTooLarge, kafka.ErrorMessageTooLarge},
		{sarama.ErrMessageSetSizeTooLarge, kafka.ErrorMessageTooLarge},
		{fmt.Errorf("wrapped: %w", sarama.ErrMessageSizeTooLarge), kafka.ErrorMessageTooLarge},
		{sarama.ErrShuttingDown, kafka.ErrorUnknown},
		{breaker.ErrBreakerOpen, kafka.ErrorUnknown}, // the sink classifies by what opened it
		{errors.New("something else"), kafka.ErrorUnknown},
	} {
		if got := kafka.Classify(tc.err); got != tc.want {
			t.Errorf("classify(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}
