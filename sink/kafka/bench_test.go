package kafka_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/eventrecorder/eventrecorder/internal/kafkatest"
	"github.com/eventrecorder/eventrecorder/internal/testtool"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
)

// The benchmarks measure sustained lossless throughput into an in-process
// kfake broker (which shares the CPU with the producer, so the figures are
// a floor for a real cluster): acks=leader, no compression, ~500-byte JSON
// values, at most window events outstanding so that nothing is dropped.
//
//	go test -run '^$' -bench . -benchtime 200000x ./sink/kafka
const (
	benchWindow = 4096
	benchBatch  = 64
)

// benchEventID is every benchmark message's id: both benchmarks send the
// same three headers as the output does for an event with an id.
const benchEventID = "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b"

func benchValue() []byte {
	v := fmt.Sprintf(`{"type":"alert_created","time":"2026-01-02T15:04:05.999999999Z","instance":"host-a:9093","alert":{"labels":{"alertname":"HighLatency","severity":"page","service":"checkout","cluster":"eu-west-1"},"annotations":{"summary":"p99 latency above 2s for 10m"},"fingerprint":"8f3c2a1b9d7e6f50"},"pad":"%s"}`, strings.Repeat("x", 160))
	return []byte(v)
}

func benchCluster(b *testing.B) []string {
	b.Helper()
	// BlackholeProduce keeps broker-side storage out of the measurement.
	kf := kafkatest.StartFake(b, kfake.SeedTopics(3, "bench"), kfake.BlackholeProduce())
	return kf.ListenAddrs()
}

// cpuTime is the CPU time the process has used so far, every thread
// included: on a machine whose cores are shared with other work the
// events/s move with the load, and the CPU an event costs much less.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// countingReporter counts outcomes and wakes the sender when messages
// leave the window.
type countingReporter struct {
	delivered, lost atomic.Int64
	wake            chan struct{}
}

func (r *countingReporter) Report(msgs []sink.Message[int], o sink.Outcome, _ error) {
	if o == sink.Delivered {
		r.delivered.Add(int64(len(msgs)))
	} else {
		r.lost.Add(int64(len(msgs)))
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func BenchmarkSink(b *testing.B) {
	testtool.ServiceHeap(b)
	brokers := benchCluster(b)
	rep := &countingReporter{wake: make(chan struct{}, 1)}
	s, err := kafka.New(kafka.Config{Brokers: brokers, Topic: "bench", BufferSize: 2 * benchWindow},
		sink.Env[int]{Reporter: rep, Instance: "host-a:9093"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.WaitStopped(b, wait)
	defer s.Close()
	value := benchValue()
	id, err := sink.ParseEventID(benchEventID)
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]sink.Message[int], benchBatch)
	for i := range batch {
		batch[i] = sink.Message[int]{Type: "alert_created", Key: []byte("host-a:9093"), Value: value, ID: id}
	}
	// Warm up: connect and fill the metadata caches.
	s.Deliver(batch[:1])
	for rep.delivered.Load() < 1 {
		<-rep.wake
	}
	rep.delivered.Store(0)

	b.SetBytes(int64(len(value)))
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime(b)
	sent := 0
	for sent < b.N {
		n := min(benchBatch, b.N-sent)
		for int64(sent)-rep.delivered.Load()-rep.lost.Load() > benchWindow-int64(n) {
			<-rep.wake
		}
		s.Deliver(batch[:n])
		sent += n
	}
	for rep.delivered.Load()+rep.lost.Load() < int64(b.N) {
		<-rep.wake
	}
	elapsed, cpu := time.Since(start), cpuTime(b)-cpu
	b.StopTimer()
	if lost := rep.lost.Load(); lost != 0 {
		b.Fatalf("%d of %d events dropped or failed", lost, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/event")
}

// BenchmarkSaramaFloor is a bare sarama AsyncProducer with the same
// settings sending pre-built messages: the cost of Kafka and sarama
// themselves, which the sink can approach but not beat.
func BenchmarkSaramaFloor(b *testing.B) {
	testtool.ServiceHeap(b)
	brokers := benchCluster(b)
	sc := sarama.NewConfig()
	sc.MetricRegistry = kafka.NilRegistry
	sc.Producer.Return.Successes = true
	sc.Producer.RequiredAcks = sarama.WaitForLocal
	sc.Producer.Partitioner = sarama.NewMurmur2Partitioner
	p, err := sarama.NewAsyncProducer(brokers, sc)
	if err != nil {
		b.Fatal(err)
	}
	value := sarama.ByteEncoder(benchValue())
	key := sarama.ByteEncoder("host-a:9093")
	headers := []sarama.RecordHeader{
		{Key: []byte("event_type"), Value: []byte("alert_created")},
		{Key: []byte("content_type"), Value: []byte("application/json")},
		{Key: []byte("event_id"), Value: []byte(benchEventID)},
	}
	var delivered, failed atomic.Int64
	wake := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		succ, errs := p.Successes(), p.Errors()
		for succ != nil || errs != nil {
			select {
			case _, ok := <-succ:
				if !ok {
					succ = nil
					continue
				}
				delivered.Add(1)
			case _, ok := <-errs:
				if !ok {
					errs = nil
					continue
				}
				failed.Add(1)
			}
			select {
			case wake <- struct{}{}:
			default:
			}
		}
	}()

	b.SetBytes(int64(len(value)))
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime(b)
	for i := range b.N {
		for int64(i)-delivered.Load()-failed.Load() >= benchWindow {
			<-wake
		}
		p.Input() <- &sarama.ProducerMessage{Topic: "bench", Key: key, Value: value, Headers: headers}
	}
	for delivered.Load()+failed.Load() < int64(b.N) {
		<-wake
	}
	elapsed, cpu := time.Since(start), cpuTime(b)-cpu
	b.StopTimer()
	p.AsyncClose()
	<-done
	if n := failed.Load(); n != 0 {
		b.Fatalf("%d of %d events failed", n, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/event")
}
