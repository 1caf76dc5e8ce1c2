package reliability_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/internal/kafkatest"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
)

// hostileInputs are inputs that once broke a promise — an event or a
// destination that made healthy events fail, a log flood, a secret
// echoed — each written down exactly and run through the public API. A
// row must finish within its time bound, and the heap may not grow by
// more than its memory bound while it runs (sampled every few
// milliseconds), so that a regression that hangs or balloons fails here
// rather than taking the test binary down.
var hostileInputs = []struct {
	name   string
	input  string // the input, exactly
	within time.Duration
	heap   uint64 // bytes the heap may grow by while the row runs
	run    func(t *testing.T, input string)
}{{
	name:   "kafka: one event over the broker's message.max.bytes, recorded with small ones",
	input:  "broker message.max.bytes=4096; events 1-5 small, event 6 with an 8 KiB build context, events 7-16 small, recorded together",
	within: 30 * time.Second,
	heap:   32 << 20,
	run:    hostileOversizedKafkaEvent,
}, {
	name:   "webhook: 2,000 events to a refused loopback port",
	input:  "webhook_outputs: [{url: http://127.0.0.1:<closed port>/events, max_retries: 1, queue_size: 2048}]; 2000 events",
	within: 30 * time.Second,
	heap:   64 << 20,
	run:    hostileRefusedWebhook,
}, {
	name:   "kafka: SASL credentials written into a broker address (YAML)",
	input:  `kafka_outputs: [{brokers: ["alice:SASLPW@127.0.0.1:9092"], topic: events}]`,
	within: 5 * time.Second,
	heap:   8 << 20,
	run: func(t *testing.T, input string) {
		_, err := event.LoadConfig([]byte(input))
		checkMaskedBroker(t, err, "kafka_outputs[0].brokers[0]")
	},
}, {
	name:   "kafka: SASL credentials written into a broker address (Go)",
	input:  "alice:SASLPW@127.0.0.1:9092",
	within: 5 * time.Second,
	heap:   8 << 20,
	run: func(t *testing.T, input string) {
		cfg := event.Config{KafkaOutputs: []kafka.Config{{Brokers: []string{input}, Topic: "events"}}}
		rec, err := event.New(cfg, event.Options{CloseTimeout: time.Second})
		if err == nil {
			rec.Close()
		}
		checkMaskedBroker(t, err, "kafka_outputs[0].brokers[0]")
		if s := fmt.Sprintf("%v", cfg.KafkaOutputs[0]); strings.Contains(s, "SASLPW") || strings.Contains(s, "alice") {
			t.Errorf("the configuration prints the credentials:\n%s", s)
		}
	},
}}

func TestHostileInputs(t *testing.T) {
	for _, row := range hostileInputs {
		t.Run(row.name, func(t *testing.T) {
			t.Logf("input: %s", row.input)
			stop := sampleHeap()
			start := time.Now()
			row.run(t, row.input)
			took := time.Since(start)
			growth := stop()
			t.Logf("FIGURES hostile %q: %v, heap grew by at most %.1f MiB", row.name, took.Round(time.Millisecond), float64(growth)/(1<<20))
			if took > row.within {
				t.Errorf("took %v, over its bound of %v", took, row.within)
			}
			if growth > row.heap {
				t.Errorf("the heap grew by %.1f MiB, over its bound of %.1f MiB", float64(growth)/(1<<20), float64(row.heap)/(1<<20))
			}
		})
	}
}

// sampleHeap samples the bytes of heap objects (live and not yet swept)
// until the returned function is called, which gives the largest growth
// seen over the level at the start.
func sampleHeap() (stop func() uint64) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	base := read()
	var (
		mu   sync.Mutex
		peak = base
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if v := read(); v > peak {
					mu.Lock()
					peak = v
					mu.Unlock()
				}
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		if v := read(); v > peak {
			peak = v
		}
		return peak - base
	}
}

func checkMaskedBroker(t *testing.T, err error, path string) {
	t.Helper()
	want := path + `: "xxxxx@127.0.0.1:9092" is not host:port: holds credentials (user:password@); configure them under sasl`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n got: %v\nwant: %s", err, want)
	}
}

// hostileOversizedKafkaEvent: only the large event fails, as too large;
// the 15 around it are delivered and in the topic, read back with an
// independent client. Before, the broker's refusal of the record batch
// they shared failed 15 of the 16.
func hostileOversizedKafkaEvent(t *testing.T, _ string) {
	kf := kafkatest.StartFake(t, kfake.SeedTopics(1, "events"), kfake.BrokerConfigs(map[string]string{"message.max.bytes": "4096"}))
	addr := kf.ListenAddrs()[0]
	f := &kafkaFixture{addr: addr, kf: kf}
	cfg := mustLoad(t, fmt.Sprintf("kafka_outputs: [{brokers: [%q], topic: events}]", addr))
	f.webhookFixture = &webhookFixture{
		rig: newRig(t, cfg, event.Options{QueueSize: 64, MaxBatch: 16, CloseTimeout: 5 * time.Second}),
		out: "kafka:" + addr + "/events",
	}
	for i := 1; i <= 16; i++ {
		f.recorded.Add(1)
		ev := seqEvent(i)
		if i == 6 {
			ev = event.NewAlertmanagerStartupEvent("6", strings.Repeat("x", 8<<10))
		}
		f.rec.RecordEvent(ctxOn, ev)
	}
	c := f.settle(f.out)
	if _, err := f.close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	c = f.conserved(f.out)
	if c.Delivered != 15 || c.Failed != 1 {
		t.Errorf("%v; want 15 delivered and the large event failed", c)
	}
	if errs := f.produceErrors(); errs["message_too_large"] != 1 || len(errs) != 1 {
		t.Errorf("produce errors %v, want one message_too_large", errs)
	}
	got := f.topicSeqs()
	want := map[int]int{}
	for i := 1; i <= 16; i++ {
		if i != 6 {
			want[i] = 1
		}
	}
	if !sameCounts(got, want) {
		t.Errorf("the topic holds %v, want every event but 6 once", got)
	}
}

// hostileRefusedWebhook: 2,000 events fail, every one counted, and the
// log says so in a bounded number of lines whose counts add up to 2,000:
// from the output and from the recorder, a line at the first failure, at
// most one per interval after it, and one at Close for the rest.
func hostileRefusedWebhook(t *testing.T, _ string) {
	const n = 2000
	rx := newReceiver(t, answerOK, true) // never started: connection refused
	cfg := mustLoad(t, fmt.Sprintf("webhook_outputs: [{url: %q, max_retries: 1, queue_size: 2048}]", rx.url()))
	r := newRig(t, cfg, event.Options{CloseTimeout: 5 * time.Second})
	out := "webhook:" + rx.url()
	start := time.Now()
	r.record(n)
	r.settle(out)
	if _, err := r.close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	elapsed := time.Since(start)
	if c := r.conserved(out); c.Failed != n {
		t.Errorf("%v; want all %d failed", c, n)
	}
	// Lines per logger: the first, one per interval since, the last.
	most := 2 + int(elapsed/sink.FailureLogInterval)
	lines := map[string]int{}
	counted := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(r.logs.String()), "\n") {
		var line struct {
			Level  string
			Msg    string
			Events int
			Failed int
		}
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if line.Level == "DEBUG" || line.Level == "INFO" {
			continue
		}
		lines[line.Msg]++
		counted[line.Msg] += line.Events + line.Failed
	}
	msgs := slices.Sorted(maps.Keys(lines))
	if want := []string{"event recorder: events failed", "webhook delivery failed"}; !slices.Equal(msgs, want) {
		t.Errorf("warnings %v, want only %v", lines, want)
	}
	for _, m := range msgs {
		if lines[m] > most || counted[m] != n {
			t.Errorf("%q: %d lines counting %d failures; want at most %d lines (after %v) counting %d", m, lines[m], counted[m], most, elapsed.Round(time.Millisecond), n)
		}
	}
}
