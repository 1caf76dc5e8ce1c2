package reliability_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/internal/kafkatest"
)

// kafkaBuffer is the outputs' buffer_size in the fault rows: events an
// output holds while it cannot produce.
const kafkaBuffer = 64

// kafkaFixture is one row's recorder with a single Kafka output, and the
// broker (when one runs) on a fixed loopback port.
type kafkaFixture struct {
	*webhookFixture
	port int
	addr string
	dir  string // broker data, kept across restarts
	kf   *kfake.Cluster
}

func (f *kafkaFixture) startBroker(t testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	f.kf = kafkatest.StartFake(t, append([]kfake.Opt{kfake.Ports(f.port), kfake.DataDir(f.dir), kfake.SeedTopics(1, "events")}, opts...)...)
	return f.kf
}

// produceErrors is the output's produce-error counter by error type.
func (f *kafkaFixture) produceErrors() map[string]int {
	out := map[string]int{}
	for _, typ := range []string{"network", "timeout", "broker", "message_too_large", "unknown"} {
		if v := int(metricSum(f.t, f.reg, "alertmanager_event_kafka_produce_errors_total", map[string]string{"output": f.out, "error_type": typ})); v != 0 {
			out[typ] = v
		}
	}
	return out
}

// held waits until everything recorded is accounted for except exactly n
// events the output holds, and returns the tally.
func (f *kafkaFixture) held(n int) tally {
	f.t.Helper()
	var c tally
	waitFor(f.t, fmt.Sprintf("all but %d events to be accounted for", n), func() bool {
		c = f.tally(f.out)
		return c.accounted() == c.Recorded-n
	})
	return c
}

// topicSeqs reads the topic back with an independent client and counts
// each sequence number.
func (f *kafkaFixture) topicSeqs() map[int]int {
	f.t.Helper()
	out := map[int]int{}
	for _, r := range kafkatest.ReadTopic(f.t, []string{f.addr}, "events").Records {
		var ev struct {
			Data struct {
				AlertmanagerStartupEvent struct {
					Version string `json:"version"`
				} `json:"alertmanagerStartupEvent"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r.Value, &ev); err != nil {
			f.t.Fatalf("record %q: %v", r.Value, err)
		}
		seq, err := strconv.Atoi(ev.Data.AlertmanagerStartupEvent.Version)
		if err != nil {
			f.t.Fatalf("record %q has no sequence number", r.Value)
		}
		out[seq]++
	}
	return out
}

// TestKafkaFaults drives a Kafka output through the recorder against a
// kfake broker that misbehaves in one way per row, or none at all.
// Production timings apply (this package cannot shorten them), so rows
// wait on conditions with wide deadlines rather than on fixed times.
func TestKafkaFaults(t *testing.T) {
	rows := []struct {
		name  string
		down  bool // no broker at the start
		run   func(t *testing.T, f *kafkaFixture)
		close func(t *testing.T, f *kafkaFixture, err error)
	}{{
		name: "healthy broker (control)",
		run: func(t *testing.T, f *kafkaFixture) {
			want(t, "paced", diff(f.paced(64)), 64, 0)
			want(t, "burst", diff(f.burst(400)), -1, 0)
			got, d := f.topicSeqs(), f.tally(f.out).Delivered
			if len(got) != d || sum(got) != d {
				t.Errorf("topic holds %d records (%d distinct), metrics say %d delivered", sum(got), len(got), d)
			}
		},
	}, {
		name: "unreachable at start and throughout",
		down: true,
		run: func(t *testing.T, f *kafkaFixture) {
			f.record(400)
			c := f.held(kafkaBuffer)
			if c.Delivered != 0 || c.Failed != 0 {
				t.Errorf("%v; want nothing delivered or failed while the buffer waits", c)
			}
		},
		close: func(t *testing.T, f *kafkaFixture, err error) {
			want := fmt.Sprintf("gave up on %d messages", kafkaBuffer)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Close error %v, want %q", err, want)
			}
			if c := f.tally(f.out); c.Failed != kafkaBuffer {
				t.Errorf("%v; want the %d buffered events failed", c, kafkaBuffer)
			}
		},
	}, {
		name: "unreachable at start, then up",
		down: true,
		run: func(t *testing.T, f *kafkaFixture) {
			f.record(32)
			f.held(32)
			f.startBroker(t)
			c := f.settle(f.out)
			if c.Delivered != 32 {
				t.Errorf("%v; want the 32 buffered events delivered once the broker is up", c)
			}
			want(t, "paced once up", diff(f.paced(32)), 32, 0)
			if got := f.topicSeqs(); !sameCounts(got, seqRange(1, 64)) {
				t.Errorf("topic holds %v, want events 1..64 once each", got)
			}
		},
	}, {
		name: "goes away mid-stream and comes back",
		run: func(t *testing.T, f *kafkaFixture) {
			want(t, "paced while up", diff(f.paced(32)), 32, 0)
			f.kf.Close()
			before := f.settle(f.out)
			f.record(32)
			// Whether the output fails what it cannot produce or holds it
			// until it reconnects is its choice; either way the outage
			// must show as counted network errors.
			waitFor(t, "a network error to be counted", func() bool { return f.produceErrors()["network"] > 0 })
			f.startBroker(t)
			down := diff(before, f.settle(f.out))
			want(t, "recorded while down", down, -1, -1)
			if down.OutDrops+down.QueueDrops != 0 {
				t.Errorf("recorded while down: %v; 32 events fit every buffer, none may be dropped", down)
			}
			// The producer reconnects on its own; wait until an event gets
			// through, then the next phase must lose nothing.
			waitFor(t, "delivery to resume", func() bool {
				before := f.settle(f.out)
				f.record(1)
				return diff(before, f.settle(f.out)).Delivered == 1
			})
			want(t, "paced once back", diff(f.paced(32)), 32, 0)
			if got, d := f.topicSeqs(), f.tally(f.out).Delivered; len(got) < d {
				t.Errorf("topic holds %d distinct events, metrics say %d delivered", len(got), d)
			}
		},
	}, {
		name: "broker never answers produce requests",
		run: func(t *testing.T, f *kafkaFixture) {
			want(t, "paced while healthy", diff(f.paced(16)), 16, 0)
			var produces atomic.Int64
			f.kf.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
				f.kf.KeepControl()
				produces.Add(1)
				return nil, nil, true // swallow: no answer, connection kept
			})
			f.record(32)
			waitFor(t, "a produce request to be swallowed", func() bool { return produces.Load() > 0 })
			f.held(32)
		},
		close: func(t *testing.T, f *kafkaFixture, err error) {
			if err == nil || !strings.Contains(err.Error(), "gave up on") {
				t.Errorf("Close error %v, want it to say what it gave up on", err)
			}
			if c := f.tally(f.out); c.Failed < 32 {
				t.Errorf("%v; want at least the 32 swallowed events failed", c)
			}
		},
	}, {
		// Each event is sent again on its own after its batch is refused,
		// and refused again: counted once, as too large.
		name: "broker rejects every produce (MESSAGE_TOO_LARGE, not retriable)",
		run: func(t *testing.T, f *kafkaFixture) {
			f.kf.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "events", Err: kerr.MessageTooLarge, Count: -1})
			want(t, "paced", diff(f.paced(32)), 0, 32)
			if errs := f.produceErrors(); errs["message_too_large"] != 32 || len(errs) != 1 {
				t.Errorf("produce errors %v, want 32 message_too_large errors", errs)
			}
		},
	}, {
		name: "broker rejects every produce (NOT_LEADER_FOR_PARTITION, retriable)",
		run: func(t *testing.T, f *kafkaFixture) {
			f.kf.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "events", Err: kerr.NotLeaderForPartition, Count: -1})
			want(t, "paced", diff(f.paced(32)), 0, 32)
			if errs := f.produceErrors(); errs["broker"] != 32 || len(errs) != 1 {
				t.Errorf("produce errors %v, want 32 broker errors", errs)
			}
		},
	}, {
		name: "broker times out every produce (REQUEST_TIMED_OUT)",
		run: func(t *testing.T, f *kafkaFixture) {
			f.kf.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "events", Err: kerr.RequestTimedOut, Count: -1})
			want(t, "paced", diff(f.paced(32)), 0, 32)
			if errs := f.produceErrors(); errs["timeout"] != 32 || len(errs) != 1 {
				t.Errorf("produce errors %v, want 32 timeout errors", errs)
			}
		},
	}, {
		name: "broker rejects two produce requests, then recovers (retried)",
		run: func(t *testing.T, f *kafkaFixture) {
			f.kf.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "events", Err: kerr.NotLeaderForPartition, Count: 2})
			want(t, "paced", diff(f.paced(32)), 32, 0)
			if errs := f.produceErrors(); len(errs) != 0 {
				t.Errorf("produce errors %v, want none: the retries succeed", errs)
			}
			if got := f.topicSeqs(); !sameCounts(got, seqRange(1, 32)) {
				t.Errorf("topic holds %v, want events 1..32 once each", got)
			}
		},
	}, {
		name: "broker drops the connection on every produce, then stops",
		run: func(t *testing.T, f *kafkaFixture) {
			var on atomic.Bool
			on.Store(true)
			f.kf.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
				if !on.Load() {
					f.kf.DropControl()
					return nil, nil, false
				}
				f.kf.KeepControl()
				return nil, errors.New("reliability: dropping the connection"), true
			})
			want(t, "paced while dropping", diff(f.paced(32)), 0, 32)
			if errs := f.produceErrors(); errs["network"] == 0 {
				t.Errorf("produce errors %v, want network errors", errs)
			}
			on.Store(false)
			waitFor(t, "delivery to resume", func() bool {
				before := f.settle(f.out)
				f.record(1)
				return diff(before, f.settle(f.out)).Delivered == 1
			})
			want(t, "paced once stopped", diff(f.paced(32)), 32, 0)
		},
	}}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			f := &kafkaFixture{port: kafkatest.FreePort(t), dir: t.TempDir()}
			f.addr = fmt.Sprintf("127.0.0.1:%d", f.port)
			if !row.down {
				f.startBroker(t)
			}
			cfg := mustLoad(t, fmt.Sprintf("kafka_outputs: [{brokers: [%q], topic: events, buffer_size: %d}]", f.addr, kafkaBuffer))
			f.webhookFixture = &webhookFixture{
				rig: newRig(t, cfg, event.Options{QueueSize: 64, MaxBatch: 16, CloseTimeout: 2 * time.Second}),
				out: "kafka:" + f.addr + "/events",
			}
			row.run(t, f)
			f.record(200) // Close has work in hand
			took, err := f.close()
			if row.close != nil {
				row.close(t, f, err)
			}
			c := f.conserved(f.out)
			t.Logf("FIGURES kafka %q: %v; produce errors %v; Close took %v, error: %v", row.name, c, f.produceErrors(), took.Round(time.Millisecond), err)
		})
	}
}

// TestKafkaAcksNoneIsUnacknowledged: with acks: none the broker never
// says whether it stored a record, so what the output sends is counted
// as unacknowledged, never as delivered; the second row shows why, with a
// broker that rejects (and so drops) every record while the output can
// only report them sent.
func TestKafkaAcksNoneIsUnacknowledged(t *testing.T) {
	for _, row := range []struct {
		name   string
		reject bool
	}{{"healthy broker", false}, {"broker rejects every record", true}} {
		t.Run(row.name, func(t *testing.T) {
			f := &kafkaFixture{port: kafkatest.FreePort(t), dir: t.TempDir()}
			f.addr = fmt.Sprintf("127.0.0.1:%d", f.port)
			f.startBroker(t)
			if row.reject {
				f.kf.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "events", Err: kerr.MessageTooLarge, Count: -1})
			}
			cfg := mustLoad(t, fmt.Sprintf("kafka_outputs: [{brokers: [%q], topic: events, acks: none}]", f.addr))
			f.webhookFixture = &webhookFixture{
				rig: newRig(t, cfg, event.Options{QueueSize: 64, MaxBatch: 16, CloseTimeout: 2 * time.Second}),
				out: "kafka:" + f.addr + "/events",
			}
			_, after := f.paced(64)
			if after.Unacked != 64 || after.Delivered != 0 || after.Failed != 0 {
				t.Errorf("%v; want all 64 unacknowledged, none delivered", after)
			}
			if _, err := f.close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			c := f.conserved(f.out)
			st := f.rec.Stats()[0]
			if st.Unacknowledged != 64 || st.Delivered != 0 || st.Accounted() != 64 {
				t.Errorf("Stats %+v; want 64 unacknowledged, none delivered", st)
			}
			stored := 64
			if row.reject {
				stored = 0
			}
			var got map[int]int
			waitFor(t, fmt.Sprintf("the topic to hold %d records", stored), func() bool {
				got = f.topicSeqs()
				return sum(got) >= stored
			})
			if sum(got) != stored {
				t.Errorf("the topic holds %d records, want %d", sum(got), stored)
			}
			t.Logf("FIGURES kafka acks=none %q: %v; topic holds %d", row.name, c, sum(got))
		})
	}
}
