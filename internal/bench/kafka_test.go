package bench_test

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/internal/bench"
	"github.com/eventrecorder/eventrecorder/internal/kafkatest"
	"github.com/eventrecorder/eventrecorder/internal/testtool"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
)

const kafkaTopic = "bench"

// startKafka starts a one-broker kfake cluster with the topic. The
// benchmarks blackhole produced records, keeping broker-side storage (which
// shares the CPU with the producer) out of the figure; offsets still
// advance, which is how they check that every record arrived.
func startKafka(tb testing.TB, blackhole bool, partitions int32) []string {
	brokers, _ := startCountingKafka(tb, blackhole, partitions)
	return brokers
}

// startCountingKafka is startKafka that also counts the produce requests
// the broker receives: records per request is how well the producer
// batched, which costs the producer, the broker and the syscalls between
// them per request rather than per record.
func startCountingKafka(tb testing.TB, blackhole bool, partitions int32) ([]string, *atomic.Int64) {
	tb.Helper()
	opts := []kfake.Opt{kfake.SeedTopics(partitions, kafkaTopic)}
	if blackhole {
		opts = append(opts, kfake.BlackholeProduce())
	}
	c := kafkatest.StartFake(tb, opts...)
	requests := new(atomic.Int64)
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		requests.Add(1)
		return nil, nil, false // not handled: the broker answers as usual
	})
	return c.ListenAddrs(), requests
}

// reportBatching reports records per produce request since the count
// stood at before.
func reportBatching(b *testing.B, requests *atomic.Int64, before int64) {
	if n := requests.Load() - before; n > 0 {
		b.ReportMetric(float64(b.N)/float64(n), "records/request")
	}
}

// kafkaRecorder is a recorder with one Kafka output, by default
// acks=leader, JSON, no compression, keyed by instance, a buffer of 1024.
// It is paced so that nothing drops; see runPaced.
type kafkaRecorder struct {
	rec event.Recorder
}

// kafkaOutput is the output the benchmarks configure: only brokers and
// topic, so every producer setting is the output's default, and key.
func kafkaOutput(brokers []string, key string) kafka.Config {
	return kafka.Config{Brokers: brokers, Topic: kafkaTopic, Key: key}
}

func newKafkaRecorder(tb testing.TB, out kafka.Config, data *eventrecorderpb.EventData) *kafkaRecorder {
	tb.Helper()
	cfg := event.Config{KafkaOutputs: []event.KafkaOutputConfig{out}}
	rec, err := event.New(cfg, event.Options{Instance: bench.Instance, CloseTimeout: 2 * wait})
	if err != nil {
		tb.Fatalf("event.New: %v", err)
	}
	tb.Cleanup(func() { _ = rec.Close() })
	// The output connects in the background: one event first, so that
	// both sides start the clock connected, with metadata cached.
	rec.RecordEvent(ctxOn, data)
	waitFor(tb, "the warm-up event", func() bool { return rec.Stats()[0].Delivered == 1 })
	return &kafkaRecorder{rec: rec}
}

func (p *kafkaRecorder) run(n int, data *eventrecorderpb.EventData) error {
	return runPaced(p.rec, n, kafka.DefaultBufferSize, data)
}

// bareSarama is the transport's floor: a sarama AsyncProducer fed
// pre-encoded values with the output's key and headers, with at most as
// many messages outstanding as the paced recorder has. Configured by
// kafka.ProducerConfig it is the output's producer exactly (flush
// settings, compression, acks, idempotence, max message bytes,
// partitioner); configured by saramaDefaults it is what sarama does out
// of the box.
type bareSarama struct {
	p     sarama.AsyncProducer
	value sarama.ByteEncoder
	// encode, when set, makes each message's value as the recorder's
	// consumer does: the event wrapped in an envelope stamped with the
	// time and instance, then JSON-encoded by the generated encoder (the
	// floor row). Unset, every message shares value (the sarama rows).
	encode *eventrecorderpb.EventData
	// ring is encode's value buffers, reused: the value of message i is
	// ring[i % len(ring)], twice as many as may be unacknowledged, so
	// that sarama has returned a buffer's last message before it is
	// overwritten (events still in the piped row's channels count as
	// unacknowledged). The recorder reuses its values' memory too.
	ring [][]byte
	// hop, when set with encode, gives the floor the recorder's goroutine
	// structure (the piped row): send stamps each event's envelope and
	// hands it over a channel as large as the recorder's queue; encode
	// encodes it and hands the value over a channel as large as the
	// output's buffer; feed gives it to the producer. Only the recorder's
	// per-event work is missing: ids, slabs, accounting and reports.
	hop       chan *eventrecorderpb.Event
	values    chan []byte
	fed       chan struct{} // closed when feed has returned
	key       sarama.ByteEncoder
	headers   []sarama.RecordHeader
	sent      int
	delivered atomic.Int64
	failed    atomic.Int64
	wake      chan struct{} // receives after acknowledgements
	done      chan struct{} // closed when the producer's channels are drained
}

// identicalProducer is the sarama configuration of the output out.
func identicalProducer(tb testing.TB, out kafka.Config) *sarama.Config {
	tb.Helper()
	sc, err := kafka.ProducerConfig(out)
	if err != nil {
		tb.Fatal(err)
	}
	return sc
}

// saramaDefaults is sarama's own configuration, with only what reading
// the results back needs.
func saramaDefaults() *sarama.Config {
	sc := sarama.NewConfig()
	sc.Producer.Return.Successes = true
	return sc
}

// benchEventID is the event_id header value of the bare producers: a
// UUIDv7 in its canonical 36-character text, as long as the ids the
// output sends (the recorder makes a new one per event; its cost is the
// recorder's, so the bare producers share one).
const benchEventID = "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b"

func newBareSarama(tb testing.TB, brokers []string, sc *sarama.Config, key string, payload []byte, encode *eventrecorderpb.EventData, hop bool) *bareSarama {
	tb.Helper()
	p, err := sarama.NewAsyncProducer(brokers, sc)
	if err != nil {
		tb.Fatal(err)
	}
	s := &bareSarama{
		p:      p,
		value:  payload,
		encode: encode,
		headers: []sarama.RecordHeader{
			{Key: []byte(kafka.HeaderEventType), Value: []byte(event.EventTypeAlertCreated)},
			{Key: []byte(kafka.HeaderContentType), Value: []byte("application/json")},
			{Key: []byte(kafka.HeaderEventID), Value: []byte(benchEventID)},
		},
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
	if key != kafka.KeyNone {
		s.key = sarama.ByteEncoder(bench.Instance)
	}
	go s.count()
	if hop && encode != nil {
		s.hop, s.fed = make(chan *eventrecorderpb.Event, event.DefaultQueueSize), make(chan struct{})
		s.values = make(chan []byte, kafka.DefaultBufferSize)
		go s.encodeAll()
		go s.feed()
	}
	tb.Cleanup(func() {
		if s.hop != nil {
			close(s.hop)
			<-s.fed
		}
		p.AsyncClose()
		<-s.done
	})
	if err := s.send(1); err != nil { // warm-up, as for the recorder
		tb.Fatal(err)
	}
	if err := s.wait(); err != nil {
		tb.Fatal(err)
	}
	return s
}

func (s *bareSarama) count() {
	defer close(s.done)
	succ, errs := s.p.Successes(), s.p.Errors()
	for succ != nil || errs != nil {
		select {
		case _, ok := <-succ:
			if !ok {
				succ = nil
				continue
			}
			s.delivered.Add(1)
		case _, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			s.failed.Add(1)
		}
		s.wakeWaiter()
	}
}

// wakeWaiter tells a waitBelow that a message was resolved.
func (s *bareSarama) wakeWaiter() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *bareSarama) resolved() int { return int(s.delivered.Load() + s.failed.Load()) }

// send sends n messages, keeping at most kafka.DefaultBufferSize
// unacknowledged.
func (s *bareSarama) send(n int) error {
	for range n {
		if err := s.waitBelow(kafka.DefaultBufferSize); err != nil {
			return err
		}
		if s.hop != nil {
			s.hop <- bench.Envelope(s.encode, time.Now())
			s.sent++
			continue
		}
		value := s.value
		if s.encode != nil {
			v, err := s.encodeInto(s.sent, bench.Envelope(s.encode, time.Now()))
			if err != nil {
				return err
			}
			value = v
		}
		s.produce(value)
		s.sent++
	}
	return nil
}

// encodeInto encodes message i's event into a buffer of the ring.
func (s *bareSarama) encodeInto(i int, ev *eventrecorderpb.Event) (sarama.ByteEncoder, error) {
	if s.ring == nil {
		s.ring = make([][]byte, 2*kafka.DefaultBufferSize)
	}
	slot := &s.ring[i%len(s.ring)]
	v, err := ev.AppendJSON((*slot)[:0])
	if err != nil {
		return nil, err
	}
	*slot = v
	return v, nil
}

func (s *bareSarama) produce(value sarama.ByteEncoder) {
	m := &sarama.ProducerMessage{Topic: kafkaTopic, Value: value, Headers: s.headers}
	if s.key != nil {
		m.Key = s.key
	}
	s.p.Input() <- m
}

// encodeAll is the piped row's encoding goroutine. An event it cannot
// encode counts as failed, which fails the run.
func (s *bareSarama) encodeAll() {
	defer close(s.values)
	i := 0
	for ev := range s.hop {
		v, err := s.encodeInto(i, ev)
		if err != nil {
			s.failed.Add(1)
			s.wakeWaiter()
			continue
		}
		s.values <- v
		i++
	}
}

// feed is the piped row's producing goroutine.
func (s *bareSarama) feed() {
	defer close(s.fed)
	for v := range s.values {
		s.produce(v)
	}
}

// wait returns once every message sent so far is acknowledged, or fails.
func (s *bareSarama) wait() error {
	if err := s.waitBelow(1); err != nil {
		return err
	}
	if f := s.failed.Load(); f != 0 {
		return fmt.Errorf("%d of %d messages failed", f, s.sent)
	}
	return nil
}

// waitBelow waits until fewer than limit messages are unacknowledged.
func (s *bareSarama) waitBelow(limit int) error {
	var timeout <-chan time.Time
	for s.sent-s.resolved() >= limit {
		if timeout == nil {
			timeout = time.After(wait)
		}
		select {
		case <-s.wake:
		case <-timeout:
			return fmt.Errorf("timed out: %d delivered, %d failed of %d", s.delivered.Load(), s.failed.Load(), s.sent)
		}
	}
	return nil
}

// brokerRecords is how many records the topic's partitions took, read from
// the broker's end offsets with an independent client (franz-go).
func brokerRecords(tb testing.TB, brokers []string, partitions int32) int64 {
	tb.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		tb.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = kafkaTopic
	for p := range partitions {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p
		rp.Timestamp = -1 // latest
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		tb.Fatalf("listing offsets: %v", err)
	}
	var total int64
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				tb.Fatalf("partition %d: %v", p.Partition, err)
			}
			total += p.Offset
		}
	}
	return total
}

// BenchmarkKafkaThroughput is sustained lossless throughput into an
// in-process kfake broker, in events/s, from the first RecordEvent until
// the broker has acknowledged the last record: the recorder against a bare
// sarama AsyncProducer sending pre-encoded values (sarama) and against the
// same producer encoding each value as the recorder does (floor: the least
// any output that must encode pays) and the floor with the recorder's
// goroutine hops (piped: what the pipeline's structure costs, without the
// recorder's per-event work). key=none spreads the records over 1,
// 4 or 16 partitions, the bare producers configured exactly as the
// output's (kafka.ProducerConfig); defaults is the output as
// configured out of the box (keyed by instance) against sarama's own
// defaults with the same key, on 4 partitions.
func BenchmarkKafkaThroughput(b *testing.B) {
	testtool.ServiceHeap(b)
	data := bench.ReferenceEvent()
	payload := bench.EncodedReference()
	type row struct {
		name       string
		partitions int32
		key        string
		bare       func(tb testing.TB, out kafka.Config) *sarama.Config
	}
	rows := []row{
		{"defaults", 4, "", func(testing.TB, kafka.Config) *sarama.Config { return saramaDefaults() }},
	}
	for _, n := range []int32{1, 4, 16} {
		rows = append(rows, row{fmt.Sprintf("key=none/partitions=%d", n), n, kafka.KeyNone, identicalProducer})
	}
	for _, r := range rows {
		b.Run(r.name+"/impl=recorder", func(b *testing.B) {
			brokers, requests := startCountingKafka(b, true, r.partitions)
			p := newKafkaRecorder(b, kafkaOutput(brokers, r.key), data)
			b.ReportAllocs()
			b.ResetTimer()
			before := requests.Load()
			cpu := startCPU(b)
			err := p.run(b.N, data)
			cpu.stop(b)
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			checkStats(b, p.rec, 1, b.N+1)
			if got := brokerRecords(b, brokers, r.partitions); got != int64(b.N+1) {
				b.Fatalf("the broker took %d records, want %d", got, b.N+1)
			}
			reportRate(b)
			reportBatching(b, requests, before)
			cpu.report(b)
		})
		bare := func(b *testing.B, encode *eventrecorderpb.EventData, hop bool) {
			brokers, requests := startCountingKafka(b, true, r.partitions)
			out := kafkaOutput(brokers, r.key)
			p := newBareSarama(b, brokers, r.bare(b, out), out.Key, payload, encode, hop)
			b.ReportAllocs()
			b.ResetTimer()
			before := requests.Load()
			cpu := startCPU(b)
			err := p.send(b.N)
			if err == nil {
				err = p.wait()
			}
			cpu.stop(b)
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			if got := brokerRecords(b, brokers, r.partitions); got != int64(b.N+1) {
				b.Fatalf("the broker took %d records, want %d", got, b.N+1)
			}
			reportRate(b)
			reportBatching(b, requests, before)
			cpu.report(b)
		}
		b.Run(r.name+"/impl=sarama", func(b *testing.B) { bare(b, nil, false) })
		if r.key == kafka.KeyNone {
			b.Run(r.name+"/impl=floor", func(b *testing.B) { bare(b, data, false) })
			b.Run(r.name+"/impl=piped", func(b *testing.B) { bare(b, data, true) })
		}
	}
}

// TestKafkaPipelines runs the three Kafka pipelines of the benchmark
// into a broker that keeps the records and reads them back with franz-go:
// every record must be the reference event with the output's key and
// headers, and the bare producers must put on the wire what the recorder
// does (the same key, the same headers in the same order with values of
// the same length, event_type and content_type byte for byte, and the
// same value but for the time it was stamped with), so that the benchmark
// compares like with like.
func TestKafkaPipelines(t *testing.T) {
	const n = 1500
	data := bench.ReferenceEvent()
	shapes := map[string]wireShape{}
	t.Run("recorder", func(t *testing.T) {
		brokers := startKafka(t, false, 3)
		p := newKafkaRecorder(t, kafkaOutput(brokers, ""), data)
		if err := p.run(n, data); err != nil {
			t.Fatal(err)
		}
		checkStats(t, p.rec, 1, n+1)
		shapes["recorder"] = checkRecords(t, brokers, n+1)
	})
	bare := []string{"sarama", "floor", "piped"}
	for _, impl := range bare {
		t.Run(impl, func(t *testing.T) {
			brokers := startKafka(t, false, 3)
			out := kafkaOutput(brokers, "")
			var encode *eventrecorderpb.EventData
			if impl != "sarama" {
				encode = data
			}
			p := newBareSarama(t, brokers, identicalProducer(t, out), out.Key, bench.EncodedReference(), encode, impl == "piped")
			if err := p.send(n); err != nil {
				t.Fatal(err)
			}
			if err := p.wait(); err != nil {
				t.Fatal(err)
			}
			shapes[impl] = checkRecords(t, brokers, n+1)
		})
	}
	want, ok := shapes["recorder"]
	if !ok {
		t.Fatal("the recorder's pipeline failed")
	}
	for _, impl := range bare {
		if got, ok := shapes[impl]; ok && got != want {
			t.Errorf("%s puts on the wire\n%+v\nthe recorder\n%+v", impl, got, want)
		}
	}
}

// wireShape is what a pipeline's records carry, with what must differ
// between events (the time in the value, the id's digits) masked.
type wireShape struct {
	key, value, headers string
}

// timestampField is the envelope's time in the JSON value.
var timestampField = regexp.MustCompile(`"@timestamp":"[^"]*"`)

func shapeOf(r *kgo.Record) wireShape {
	var h strings.Builder
	for _, x := range r.Headers {
		v := x.Value
		if x.Key == kafka.HeaderEventID {
			v = bytes.Repeat([]byte{'x'}, len(v))
		}
		fmt.Fprintf(&h, "%s=%s;", x.Key, v)
	}
	return wireShape{
		key:     string(r.Key),
		value:   timestampField.ReplaceAllString(string(r.Value), `"@timestamp":"T"`),
		headers: h.String(),
	}
}

// checkRecords checks every record in the topic and returns the first
// one's shape.
func checkRecords(t *testing.T, brokers []string, n int) wireShape {
	t.Helper()
	if got := brokerRecords(t, brokers, 3); got != int64(n) {
		t.Fatalf("the broker took %d records, want %d", got, n)
	}
	recs := kafkatest.ReadTopic(t, brokers, kafkaTopic).Records
	if len(recs) != n {
		t.Fatalf("read back %d records, want %d", len(recs), n)
	}
	want := bench.ReferenceEvent()
	for i, r := range recs {
		var ev eventrecorderpb.Event
		if err := protojson.Unmarshal(r.Value, &ev); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if ev.GetInstance() != bench.Instance || !proto.Equal(ev.GetData(), want) {
			t.Fatalf("record %d is not the reference event: %s", i, r.Value)
		}
		typ, _ := kafkatest.Header(r, kafka.HeaderEventType)
		ct, _ := kafkatest.Header(r, kafka.HeaderContentType)
		id, _ := kafkatest.Header(r, kafka.HeaderEventID)
		if _, err := sink.ParseEventID(id); err != nil || len(id) != 36 {
			t.Fatalf("record %d: event_id %q: %v", i, id, err)
		}
		if string(r.Key) != bench.Instance || typ != event.EventTypeAlertCreated || ct != "application/json" {
			t.Fatalf("record %d: key %q, headers event_type=%q content_type=%q", i, r.Key, typ, ct)
		}
		if s := shapeOf(r); s != shapeOf(recs[0]) {
			t.Fatalf("record %d is %+v, record 0 %+v", i, s, shapeOf(recs[0]))
		}
	}
	return shapeOf(recs[0])
}
