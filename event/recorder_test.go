package event_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
	"github.com/eventrecorder/eventrecorder/internal/metrictest"
	"github.com/eventrecorder/eventrecorder/internal/testtool"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/internal/yamltest"
	"github.com/eventrecorder/eventrecorder/sink"
)

func TestMain(m *testing.M) {
	leakcheck.VerifyTestMain(m)
}

// The test kinds below are real sinks that live in memory: a sink that
// tallies what it got ("memory"), and one whose Deliver waits on a gate
// ("gated"). They are registered the way a user registers a kind.

type memoryConfig struct {
	ID        string `yaml:"id"`
	Format    string `yaml:"format,omitempty"` // json | protobuf
	FailStart bool   `yaml:"fail_start,omitempty"`
	FailEvery int    `yaml:"fail_every,omitempty"` // fail every n-th message
	// report every n-th message not failed as sent unacknowledged
	UnackedEvery int `yaml:"unacked_every,omitempty"`
	sink.Filter  `yaml:",inline"`
}

func (c *memoryConfig) Validate() error {
	if c.ID == "" {
		return sink.Errorf("id", "is required")
	}
	if c.Format != "" && c.Format != "json" && c.Format != "protobuf" {
		return sink.Errorf("format", "unknown format %q", c.Format)
	}
	return nil
}

type memorySink struct {
	cfg    memoryConfig
	env    sink.Env[*eventrecorderpb.Event]
	mu     sync.Mutex
	got    []sink.Message[*eventrecorderpb.Event]
	n      int
	closed bool
}

func (s *memorySink) Name() string { return "memory:" + s.cfg.ID }

func (s *memorySink) Deliver(batch []sink.Message[*eventrecorderpb.Event]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		panic("Deliver after Close")
	}
	for _, m := range batch {
		s.n++
		if s.cfg.FailEvery > 0 && s.n%s.cfg.FailEvery == 0 {
			s.env.Reporter.Report([]sink.Message[*eventrecorderpb.Event]{m}, sink.Failed, errors.New("planned failure"))
			continue
		}
		s.got = append(s.got, m)
		outcome := sink.Delivered
		if s.cfg.UnackedEvery > 0 && s.n%s.cfg.UnackedEvery == 0 {
			outcome = sink.Unacknowledged
		}
		s.env.Reporter.Report([]sink.Message[*eventrecorderpb.Event]{m}, outcome, nil)
	}
}

func (s *memorySink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func (s *memorySink) messages() []sink.Message[*eventrecorderpb.Event] {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sink.Message[*eventrecorderpb.Event](nil), s.got...)
}

// sinks tracks every memory sink built, by id, so tests can look inside.
var sinks = struct {
	sync.Mutex
	byID   map[string][]*memorySink
	gates  map[string]chan struct{}
	builds atomic.Int64
}{byID: map[string][]*memorySink{}, gates: map[string]chan struct{}{}}

func memorySinks(id string) []*memorySink {
	sinks.Lock()
	defer sinks.Unlock()
	return append([]*memorySink(nil), sinks.byID[id]...)
}

type gatedSink struct {
	*memorySink
	gate chan struct{}
}

// Deliver waits for the gate, and then delivers, unless the output was
// closed meanwhile (Close came while it waited, as the sink contract
// allows when the close budget runs out): it then fails the batch.
func (s *gatedSink) Deliver(batch []sink.Message[*eventrecorderpb.Event]) {
	<-s.gate
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		s.env.Reporter.Report(batch, sink.Failed, errors.New("closed while waiting on the gate"))
		return
	}
	s.memorySink.Deliver(batch)
}

func newMemory(cfg memoryConfig, env sink.Env[*eventrecorderpb.Event]) (*memorySink, error) {
	if cfg.FailStart {
		return nil, fmt.Errorf("cannot start %q", cfg.ID)
	}
	s := &memorySink{cfg: cfg, env: env}
	sinks.Lock()
	sinks.byID[cfg.ID] = append(sinks.byID[cfg.ID], s)
	sinks.Unlock()
	sinks.builds.Add(1)
	return s, nil
}

func memoryFormat(c memoryConfig) sink.Format {
	if c.Format == "protobuf" {
		return sink.Protobuf
	}
	return sink.JSON
}

func init() {
	must(event.RegisterKind(sink.KindOf[*eventrecorderpb.Event, memoryConfig]{
		Name: "memory",
		New: func(c memoryConfig, env sink.Env[*eventrecorderpb.Event]) (sink.Sink[*eventrecorderpb.Event], error) {
			return newMemory(c, env)
		},
		Format: memoryFormat,
	}.Kind()))
	must(event.RegisterKind(sink.KindOf[*eventrecorderpb.Event, memoryConfig]{
		Name: "gated",
		New: func(c memoryConfig, env sink.Env[*eventrecorderpb.Event]) (sink.Sink[*eventrecorderpb.Event], error) {
			m, err := newMemory(c, env)
			if err != nil {
				return nil, err
			}
			sinks.Lock()
			gate, ok := sinks.gates[c.ID]
			if !ok {
				gate = make(chan struct{})
				sinks.gates[c.ID] = gate
			}
			sinks.Unlock()
			return &gatedSink{memorySink: m, gate: gate}, nil
		},
	}.Kind()))
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func openGate(id string) {
	sinks.Lock()
	defer sinks.Unlock()
	gate, ok := sinks.gates[id]
	if !ok {
		gate = make(chan struct{})
		sinks.gates[id] = gate
	}
	select {
	case <-gate:
	default:
		close(gate)
	}
}

// loadConfig is LoadConfig, checked against every other way of decoding
// the document (both yaml.v2 drivers, strict or not, whole or embedded in
// a larger struct): they must all agree.
func loadConfig(t testing.TB, y string) (event.Config, error) {
	t.Helper()
	return yamltest.Decode(t, y, yamltest.Way[event.Config]{Name: "LoadConfig", Decode: event.LoadConfig})
}

func mustConfig(t testing.TB, y string) event.Config {
	t.Helper()
	cfg, err := loadConfig(t, y)
	if err != nil {
		t.Fatalf("LoadConfig:\n%s\nerror: %v", y, err)
	}
	return cfg
}

func newRecorder(t testing.TB, cfg event.Config, opts event.Options) (event.Recorder, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	opts.Registerer = reg
	if opts.Instance == "" {
		opts.Instance = "am-1:9093"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	rec, err := event.New(cfg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return rec, reg
}

// seqEvent is a startup event whose version carries a sequence number, so
// tests can check identity after a round trip.
func seqEvent(i int) *eventrecorderpb.EventData {
	return &eventrecorderpb.EventData{EventType: &eventrecorderpb.EventData_AlertmanagerStartupEvent{
		AlertmanagerStartupEvent: &eventrecorderpb.AlertmanagerStartupEvent{Version: strconv.Itoa(i)},
	}}
}

func seqOf(t testing.TB, m sink.Message[*eventrecorderpb.Event]) int {
	t.Helper()
	n, err := strconv.Atoi(m.Event.GetData().GetAlertmanagerStartupEvent().GetVersion())
	if err != nil {
		t.Fatalf("message without a sequence number: %v", m.Event)
	}
	return n
}

// metricSum adds up every series of a metric whose labels include want.
func metricSum(t testing.TB, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	return metrictest.Sum(t, reg, name, want)
}

var ctxOn = event.WithEventRecording(context.Background())

func TestRecordDeliversEnvelope(t *testing.T) {
	rec, reg := newRecorder(t, mustConfig(t, "memory_outputs: [{id: envelope}]"), event.Options{Instance: "am-0:9093"})
	rec.SetClusterPeer(fakePeer(2))
	before := time.Now()
	rec.RecordEvent(ctxOn, seqEvent(7))
	rec.RecordEvent(context.Background(), seqEvent(8)) // not opted in: ignored
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	got := memorySinks("envelope")[0].messages()
	if len(got) != 1 {
		t.Fatalf("got %d messages, want 1", len(got))
	}
	m := got[0]
	if seqOf(t, m) != 7 || m.Type != "alertmanager_startup_event" {
		t.Fatalf("message = seq %d type %q", seqOf(t, m), m.Type)
	}
	ev := m.Event
	if ev.GetInstance() != "am-0:9093" || ev.GetClusterPosition() != 2 {
		t.Fatalf("envelope instance=%q position=%d", ev.GetInstance(), ev.GetClusterPosition())
	}
	if ts := ev.GetTimestamp().AsTime(); ts.Before(before.Add(-time.Second)) || ts.After(time.Now()) {
		t.Fatalf("timestamp %v not within the test", ts)
	}
	if string(m.Key) != "am-0:9093" {
		t.Fatalf("key = %q", m.Key)
	}
	var decoded eventrecorderpb.Event
	if err := protojson.Unmarshal(m.Value, &decoded); err != nil {
		t.Fatalf("value is not protojson: %v\n%s", err, m.Value)
	}
	if !proto.Equal(&decoded, ev) {
		t.Fatalf("decoded %v, want %v", &decoded, ev)
	}
	if !strings.Contains(string(m.Value), `"@timestamp"`) {
		t.Fatalf("JSON lacks @timestamp: %s", m.Value)
	}
	if v := metricSum(t, reg, "alertmanager_events_recorded_total", map[string]string{"output": "memory:envelope", "result": "success", "event_type": "alertmanager_startup_event"}); v != 1 {
		t.Fatalf("events_recorded_total = %v, want 1", v)
	}
	if v := metricSum(t, reg, "alertmanager_event_recorder_bytes_written_total", map[string]string{"output": "memory:envelope"}); v != float64(len(m.Value)) {
		t.Fatalf("bytes_written = %v, want %d", v, len(m.Value))
	}
	if v := metricSum(t, reg, "alertmanager_event_recorder_delivery_latency_seconds", map[string]string{"output": "memory:envelope"}); v != 1 {
		t.Fatalf("latency samples = %v, want 1", v)
	}
}

type fakePeer int

func (p fakePeer) Position() int { return int(p) }

func TestZeroAndNopRecorderDiscard(t *testing.T) {
	for _, rec := range []event.Recorder{{}, event.NopRecorder()} {
		rec.RecordEvent(ctxOn, seqEvent(1))
		rec.RecordEventFunc(ctxOn, func() *eventrecorderpb.EventData { t.Fatal("builder called on a nop recorder"); return nil })
		rec.ApplyConfig(event.Config{})
		rec.SetClusterPeer(fakePeer(1))
		if err := rec.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRecordEventFuncBuildsOnlyWhenEnabled(t *testing.T) {
	rec, _ := newRecorder(t, mustConfig(t, "memory_outputs: [{id: lazy}]"), event.Options{})
	calls := 0
	build := func() *eventrecorderpb.EventData { calls++; return seqEvent(calls) }
	rec.RecordEventFunc(context.Background(), build)
	rec.RecordEventFunc(ctxOn, build)
	must(rec.Close())
	if calls != 1 || len(memorySinks("lazy")[0].messages()) != 1 {
		t.Fatalf("builder calls = %d, delivered = %d; want 1 and 1", calls, len(memorySinks("lazy")[0].messages()))
	}
}

// TestUnacknowledgedIsItsOwnResult: events an output sent without an
// acknowledgement (as Kafka with acks: none does) are counted apart from
// delivered ones, in the result label and in Stats, and still count
// towards the output's conservation; they have no delivery latency.
func TestUnacknowledgedIsItsOwnResult(t *testing.T) {
	rec, reg := newRecorder(t, mustConfig(t, "memory_outputs: [{id: unacked, fail_every: 5, unacked_every: 2}]"), event.Options{})
	const n = 10
	for i := range n {
		rec.RecordEvent(ctxOn, seqEvent(i))
	}
	must(rec.Close())
	// Messages 5 and 10 fail; 2, 4, 6 and 8 are unacknowledged.
	const out = "memory:unacked"
	for result, want := range map[string]float64{"success": 4, "unacknowledged": 4, "failure": 2} {
		if got := metricSum(t, reg, "alertmanager_events_recorded_total", map[string]string{"output": out, "result": result}); got != want {
			t.Errorf("events_recorded_total{result=%q} = %v, want %v", result, got, want)
		}
	}
	if got := metrictest.Accounted(t, reg, out); got != n {
		t.Errorf("the metrics account for %v events, want %d", got, n)
	}
	if got := metricSum(t, reg, "alertmanager_event_recorder_delivery_latency_seconds", map[string]string{"output": out}); got != 4 {
		t.Errorf("%v latency samples, want one per acknowledged event (4)", got)
	}
	var sent float64
	for _, m := range memorySinks("unacked")[0].messages() {
		sent += float64(len(m.Value))
	}
	if got := metricSum(t, reg, "alertmanager_event_recorder_bytes_written_total", map[string]string{"output": out}); got != sent {
		t.Errorf("bytes written %v, want %v: the bytes of every event delivered or sent", got, sent)
	}
	st := rec.Stats()[0]
	if st.Delivered != 4 || st.Unacknowledged != 4 || st.Failed != 2 || st.Dropped != 0 || st.Accounted() != n || st.Bytes != uint64(sent) {
		t.Errorf("Stats = %+v, want 4 delivered, 4 unacknowledged, 2 failed, %v bytes, %d accounted for", st, sent, n)
	}
}

// TestConservation records from several goroutines into a tiny queue
// while one output is blocked, so that the queue drops, then releases it:
// for every output, delivered + dropped + failed must equal what was
// recorded, exactly, as read from the metrics.
func TestConservation(t *testing.T) {
	cfg := mustConfig(t, `
gated_outputs: [{id: conserve-gated}]
memory_outputs: [{id: conserve-failing, fail_every: 7}]
`)
	rec, reg := newRecorder(t, cfg, event.Options{QueueSize: 16, MaxBatch: 4})
	const producers, each = 8, 500
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				rec.RecordEvent(ctxOn, seqEvent(p*each+i))
			}
		}()
	}
	wg.Wait()
	openGate("conserve-gated")
	must(rec.Close())

	const n = producers * each
	queueDropped := metricSum(t, reg, "alertmanager_events_dropped_total", nil)
	if queueDropped == 0 {
		t.Fatal("expected the queue to drop while the output was blocked")
	}
	for _, out := range []string{"memory:conserve-gated", "memory:conserve-failing"} {
		delivered := metricSum(t, reg, "alertmanager_events_recorded_total", map[string]string{"output": out, "result": "success"})
		unacked := metricSum(t, reg, "alertmanager_events_recorded_total", map[string]string{"output": out, "result": "unacknowledged"})
		failed := metricSum(t, reg, "alertmanager_events_recorded_total", map[string]string{"output": out, "result": "failure"})
		outDropped := metricSum(t, reg, "alertmanager_event_output_drops_total", map[string]string{"output": out})
		if got := delivered + unacked + failed + outDropped + queueDropped; got != n || metrictest.Accounted(t, reg, out)+queueDropped != n {
			t.Errorf("%s: delivered %v + unacknowledged %v + failed %v + output drops %v + queue drops %v = %v, want %d", out, delivered, unacked, failed, outDropped, queueDropped, got, n)
		}
		if out == "memory:conserve-failing" && failed == 0 {
			t.Errorf("%s: expected failures", out)
		}
	}
	delivered := len(memorySinks("conserve-gated")[0].messages())
	if float64(delivered)+queueDropped != n {
		t.Errorf("gated sink holds %d messages, queue dropped %v, want sum %d", delivered, queueDropped, n)
	}
}

// TestHotReload keeps one output unchanged across 100 reloads that add
// and remove others while events flow: it must be built once and receive
// every event exactly once.
func TestHotReload(t *testing.T) {
	base := "memory_outputs:\n  - {id: reload-keep}\n"
	rec, reg := newRecorder(t, mustConfig(t, base), event.Options{QueueSize: 1 << 16, CloseTimeout: time.Minute})
	const n = 5000
	reloading := make(chan struct{})
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		for i := range n {
			rec.RecordEvent(ctxOn, seqEvent(i))
			if i%50 == 0 {
				// Spread the events over the reloads.
				select {
				case <-reloading:
				case <-time.After(time.Millisecond):
				}
			}
		}
	}()
	for i := range 100 {
		y := base
		for j := 0; j < i%4; j++ {
			y += fmt.Sprintf("  - {id: reload-extra-%d-%d}\n", i, j)
		}
		if i%3 == 0 {
			y += "  - {id: reload-filtered, event_types: [alert_created]}\n"
		}
		if err := rec.ApplyConfigErr(mustConfig(t, y)); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
	}
	close(reloading)
	<-recorded
	must(rec.Close())
	if dropped := metricSum(t, reg, "alertmanager_events_dropped_total", nil); dropped != 0 {
		t.Fatalf("queue dropped %v events; the test needs a lossless run", dropped)
	}
	keep := memorySinks("reload-keep")
	if len(keep) != 1 {
		t.Fatalf("unchanged output was built %d times, want once", len(keep))
	}
	msgs := keep[0].messages()
	if len(msgs) != n {
		t.Fatalf("unchanged output got %d events, recorded %d", len(msgs), n)
	}
	for i, m := range msgs {
		if seqOf(t, m) != i {
			t.Fatalf("message %d has seq %d: lost, duplicated or reordered", i, seqOf(t, m))
		}
	}
	if len(memorySinks("reload-filtered")) == 0 {
		t.Fatal("filtered output was never started")
	}
	for _, s := range memorySinks("reload-filtered") {
		if got := len(s.messages()); got != 0 {
			t.Fatalf("output filtered to alert_created got %d startup events", got)
		}
	}
}

func TestApplyConfigFailureKeepsPreviousOutputs(t *testing.T) {
	rec, _ := newRecorder(t, mustConfig(t, "memory_outputs: [{id: prev-keep}]"), event.Options{})
	defer rec.Close()
	bad := mustConfig(t, "memory_outputs: [{id: prev-keep}, {id: prev-new}, {id: prev-broken, fail_start: true}]")
	err := rec.ApplyConfigErr(bad)
	if err == nil || !strings.Contains(err.Error(), "memory_outputs[2]") || !strings.Contains(err.Error(), `cannot start "prev-broken"`) {
		t.Fatalf("error = %v, want one naming memory_outputs[2] and the cause", err)
	}
	if s := memorySinks("prev-new"); len(s) != 1 || !s[0].closed {
		t.Fatalf("the output started before the failure must be closed again")
	}
	rec.RecordEvent(ctxOn, seqEvent(1))
	must(rec.Close())
	if got := len(memorySinks("prev-keep")[0].messages()); got != 1 {
		t.Fatalf("previous output got %d events after the failed reload, want 1", got)
	}
	if got := rec.Stats(); len(got) != 1 || got[0].Name != "memory:prev-keep" || got[0].Delivered != 1 {
		t.Fatalf("Stats = %+v", got)
	}
}

func TestDuplicateOutputNameRejected(t *testing.T) {
	_, err := event.New(mustConfig(t, "memory_outputs: [{id: dup}, {id: dup}]"), event.Options{})
	if err == nil || !strings.Contains(err.Error(), `memory_outputs[1]: output "memory:dup" is already configured by memory_outputs[0]`) {
		t.Fatalf("error = %v", err)
	}
}

func TestEncodeOncePerFormat(t *testing.T) {
	cfg := mustConfig(t, `
memory_outputs:
  - {id: once-a}
  - {id: once-b}
  - {id: once-pb, format: protobuf}
`)
	rec, _ := newRecorder(t, cfg, event.Options{})
	rec.RecordEvent(ctxOn, seqEvent(1))
	must(rec.Close())
	a := memorySinks("once-a")[0].messages()[0]
	b := memorySinks("once-b")[0].messages()[0]
	pb := memorySinks("once-pb")[0].messages()[0]
	if &a.Value[0] != &b.Value[0] {
		t.Fatal("two JSON outputs got separately encoded copies; want one shared encoding")
	}
	var fromPB eventrecorderpb.Event
	if err := proto.Unmarshal(pb.Value, &fromPB); err != nil {
		t.Fatalf("protobuf output got undecodable bytes: %v", err)
	}
	if !proto.Equal(&fromPB, a.Event) {
		t.Fatalf("protobuf round trip = %v, want %v", &fromPB, a.Event)
	}
}

func TestEventTypeFilter(t *testing.T) {
	cfg := mustConfig(t, `
memory_outputs:
  - {id: filter-alerts, event_types: [alert_created]}
  - {id: filter-all}
`)
	rec, _ := newRecorder(t, cfg, event.Options{})
	rec.RecordEvent(ctxOn, seqEvent(1))
	rec.RecordEvent(ctxOn, &eventrecorderpb.EventData{EventType: &eventrecorderpb.EventData_AlertCreated{AlertCreated: &eventrecorderpb.AlertCreatedEvent{}}})
	must(rec.Close())
	alerts := memorySinks("filter-alerts")[0].messages()
	if len(alerts) != 1 || alerts[0].Type != "alert_created" {
		t.Fatalf("filtered output got %d messages", len(alerts))
	}
	if got := len(memorySinks("filter-all")[0].messages()); got != 2 {
		t.Fatalf("unfiltered output got %d messages, want 2", got)
	}
}

func TestTwoRecordersAndNilRegisterer(t *testing.T) {
	r1, reg1 := newRecorder(t, mustConfig(t, "memory_outputs: [{id: two-1}]"), event.Options{})
	r2, reg2 := newRecorder(t, mustConfig(t, "memory_outputs: [{id: two-2}]"), event.Options{Namespace: "custom"})
	r3, err := event.New(mustConfig(t, "memory_outputs: [{id: two-3}]"), event.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []event.Recorder{r1, r2, r3} {
		r.RecordEvent(ctxOn, seqEvent(1))
		must(r.Close())
	}
	if v := metricSum(t, reg1, "alertmanager_events_recorded_total", map[string]string{"output": "memory:two-1"}); v != 1 {
		t.Fatalf("first registry: %v", v)
	}
	if v := metricSum(t, reg2, "custom_events_recorded_total", map[string]string{"output": "memory:two-2"}); v != 1 {
		t.Fatalf("second registry: %v", v)
	}
	if v := metricSum(t, reg1, "alertmanager_events_recorded_total", map[string]string{"output": "memory:two-2"}); v != 0 {
		t.Fatalf("second recorder's series leaked into the first registry")
	}
	if got := len(memorySinks("two-3")[0].messages()); got != 1 {
		t.Fatalf("recorder with nil registerer delivered %d", got)
	}
}

// TestCloseWithinBudget blocks the only output for good: Close must still
// return within its budget and count what it gave up.
func TestCloseWithinBudget(t *testing.T) {
	rec, reg := newRecorder(t, mustConfig(t, "gated_outputs: [{id: budget}]"), event.Options{QueueSize: 64, MaxBatch: 1, CloseTimeout: 400 * time.Millisecond})
	for i := range 50 {
		rec.RecordEvent(ctxOn, seqEvent(i))
	}
	done := make(chan error, 1)
	go func() { done <- rec.Close() }()
	// The consumer is stuck in the gated sink: release it only after
	// the drain budget has run out, as an unreachable disk would.
	select {
	case <-done:
		t.Fatal("Close returned while the consumer was still blocked")
	case <-time.After(300 * time.Millisecond):
	}
	openGate("budget")
	err := <-done
	if err == nil || !strings.Contains(err.Error(), "49 events still queued") {
		t.Fatalf("Close error = %v, want a report of what it gave up", err)
	}
	// The output was closed while its Deliver waited (the drain half of
	// the budget had run out), so the one event it held failed; the rest
	// never left the queue.
	delivered := metricSum(t, reg, "alertmanager_events_recorded_total", map[string]string{"result": "success"})
	failed := metricSum(t, reg, "alertmanager_events_recorded_total", map[string]string{"result": "failure"})
	dropped := metricSum(t, reg, "alertmanager_events_dropped_total", nil)
	if delivered != 0 || failed != 1 || dropped != 49 {
		t.Fatalf("delivered %v, failed %v, dropped %v; want 0, 1 and 49", delivered, failed, dropped)
	}
}

// TestCloseWithOutputStuckInDeliver: an output whose Deliver ignores Close
// and never returns does not hold Close beyond its budget and grace; the
// error names it. What it holds is counted when it does return.
func TestCloseWithOutputStuckInDeliver(t *testing.T) {
	const budget = 400 * time.Millisecond
	rec, reg := newRecorder(t, mustConfig(t, "gated_outputs: [{id: stuck}]"), event.Options{QueueSize: 64, MaxBatch: 1, CloseTimeout: budget})
	for i := range 10 {
		rec.RecordEvent(ctxOn, seqEvent(i))
	}
	testtool.WaitFor(t, "the consumer to be stuck in the output", time.Minute, time.Millisecond, func() bool {
		return event.QueueLen(rec) == 9
	})
	start := time.Now()
	err := rec.Close()
	took := time.Since(start)
	openGate("stuck")
	if took > budget+time.Second+time.Second {
		t.Errorf("Close took %v with a budget of %v", took, budget)
	}
	if err == nil || !strings.Contains(err.Error(), "output memory:stuck was still in Deliver") || !strings.Contains(err.Error(), "9 events still queued") {
		t.Errorf("Close error = %v, want it to name the stuck output and the queued events", err)
	}
	testtool.WaitFor(t, "the stuck Deliver to report", time.Minute, time.Millisecond, func() bool {
		return metricSum(t, reg, "alertmanager_events_recorded_total", map[string]string{"result": "failure"}) == 1
	})
	if dropped := metricSum(t, reg, "alertmanager_events_dropped_total", nil); dropped != 9 {
		t.Errorf("dropped %v, want 9", dropped)
	}
}

func TestConcurrentRecordApplyClose(t *testing.T) {
	for round := range 20 {
		rec, _ := newRecorder(t, mustConfig(t, fmt.Sprintf("memory_outputs: [{id: race-%d}]", round)), event.Options{QueueSize: 32})
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 200 {
					rec.RecordEvent(ctxOn, seqEvent(i))
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				_ = rec.ApplyConfigErr(mustConfig(t, fmt.Sprintf("memory_outputs: [{id: race-%d}, {id: race-%d-%d}]", round, round, i)))
			}
		}()
		wg.Add(1)
		go func() { defer wg.Done(); _ = rec.Close() }()
		wg.Wait()
		if err := rec.ApplyConfigErr(event.Config{}); !errors.Is(err, event.ErrClosed) {
			t.Fatalf("ApplyConfig after Close = %v, want ErrClosed", err)
		}
	}
}

func TestDescribeNamesOutputsWithoutStartingThem(t *testing.T) {
	dir := t.TempDir()
	cfg := mustConfig(t, fmt.Sprintf(`
file_outputs: [{path: %s/sub/never-created.jsonl}]
webhook_outputs: [{url: "https://user:hunter2@collector.example:8443/hook?token=s3cret#frag", event_types: [notification]}]
stdout_outputs: [{}]
memory_outputs: [{id: describe, format: protobuf}]
`, dir))
	infos, err := cfg.Describe()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, i := range infos {
		got = append(got, fmt.Sprintf("%s %s %s %s %v", i.Path, i.Kind, i.Name, i.Format, i.EventTypes))
	}
	want := []string{
		"file_outputs[0] file file:" + dir + "/sub/never-created.jsonl json []",
		"webhook_outputs[0] webhook webhook:https://collector.example:8443/hook json [notification]",
		"stdout_outputs[0] stdout stdout json []",
		"memory_outputs[0] memory memory protobuf []",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Describe:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(memorySinks("describe")) != 0 {
		t.Fatal("Describe built an output")
	}
}

// TestSerializeErrorsAreCounted records an event that cannot be encoded
// (invalid UTF-8 is an error in protojson's conventions) with each JSON
// encoder: it must be counted as a serialize error and as a failure of
// the output, never silently skipped, and must not disturb its neighbours.
func TestSerializeErrorsAreCounted(t *testing.T) {
	for _, enc := range []string{event.JSONEncoderGenerated, event.JSONEncoderProtojson} {
		t.Run(enc, func(t *testing.T) {
			id := "serialize-" + enc
			rec, reg := newRecorder(t, mustConfig(t, fmt.Sprintf("memory_outputs: [{id: %s}]", id)), event.Options{JSONEncoder: enc, MaxBatch: 8})
			rec.RecordEvent(ctxOn, seqEvent(1))
			rec.RecordEvent(ctxOn, event.NewAlertmanagerStartupEvent("bad \xff utf-8", ""))
			rec.RecordEvent(ctxOn, seqEvent(3))
			must(rec.Close())
			if v := metricSum(t, reg, "alertmanager_event_serialize_errors_total", map[string]string{"event_type": "alertmanager_startup_event"}); v != 1 {
				t.Fatalf("serialize errors = %v, want 1", v)
			}
			if v := metricSum(t, reg, "alertmanager_events_recorded_total", map[string]string{"output": "memory:" + id, "result": "failure"}); v != 1 {
				t.Fatalf("failures = %v, want 1", v)
			}
			msgs := memorySinks(id)[0].messages()
			if len(msgs) != 2 || seqOf(t, msgs[0]) != 1 || seqOf(t, msgs[1]) != 3 {
				t.Fatalf("delivered %d messages, want seq 1 and 3", len(msgs))
			}
			for _, m := range msgs {
				var back eventrecorderpb.Event
				if err := protojson.Unmarshal(m.Value, &back); err != nil || !proto.Equal(&back, m.Event) {
					t.Fatalf("%s encoding does not round-trip: %v\n%s", enc, err, m.Value)
				}
			}
		})
	}
}

func TestDescribeKafkaName(t *testing.T) {
	cfg := mustConfig(t, `
kafka_outputs:
  - brokers: [kafka-2:9093, kafka-1:9093]
    topic: events
    sasl: {mechanism: PLAIN, username: recorder, password: hunter2}
`)
	infos, err := cfg.Describe()
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].Name != "kafka:kafka-1:9093,kafka-2:9093/events" {
		t.Fatalf("Describe = %+v", infos)
	}
}

// TestFailureReasonIsLogged: the metrics count failures; the log must say
// why, without one line per event: a line at the first failure, and at
// Close one for those since, the counts adding up to every failure.
func TestFailureReasonIsLogged(t *testing.T) {
	var buf testtool.SyncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	rec, _ := newRecorder(t, mustConfig(t, "memory_outputs: [{id: faillog, fail_every: 1}]"), event.Options{Logger: logger})
	for i := range 5 {
		rec.RecordEvent(ctxOn, seqEvent(i))
	}
	must(rec.Close())
	var lines []string
	failed := 0
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if strings.Contains(l, "events failed") {
			lines = append(lines, l)
			var n int
			if _, err := fmt.Sscanf(l[strings.Index(l, " failed=")+1:], "failed=%d", &n); err != nil {
				t.Fatalf("line %q has no count: %v", l, err)
			}
			failed += n
		}
	}
	if len(lines) == 0 || len(lines) > 2 || failed != 5 {
		t.Fatalf("failure log lines = %q, want one or two counting the 5 failures", lines)
	}
	for _, l := range lines {
		if !strings.Contains(l, "planned failure") || !strings.Contains(l, "output=memory:faillog") {
			t.Fatalf("failure log line %q does not name the output and the reason", l)
		}
	}
}

func TestConfigEqualIsSemantic(t *testing.T) {
	a := mustConfig(t, `
kafka_outputs: [{brokers: [k1:9092, k2:9092], topic: events}]
file_outputs: [{path: /tmp/a.jsonl}, {path: /tmp/b.jsonl}]
`)
	b := mustConfig(t, `
file_outputs: [{path: /tmp/b.jsonl}, {path: /tmp/a.jsonl, mode: "0644"}]
kafka_outputs: [{brokers: [k2:9092, k1:9092], topic: events, acks: leader}]
`)
	c := mustConfig(t, `
kafka_outputs: [{brokers: [k1:9092, k2:9092], topic: other}]
file_outputs: [{path: /tmp/a.jsonl}, {path: /tmp/b.jsonl}]
`)
	if !a.Equal(b) || !b.Equal(a) {
		t.Fatal("configurations differing only in broker order, list order and explicit defaults are not Equal")
	}
	if a.Equal(c) {
		t.Fatal("configurations with different Kafka topics are Equal")
	}
}

func TestRepeatedTopLevelKeyRejected(t *testing.T) {
	_, err := loadConfig(t, "memory_outputs: [{id: a}]\nmemory_outputs: [{id: b}]\n")
	if err == nil || err.Error() != `"memory_outputs": key appears more than once` {
		t.Fatalf("error = %v", err)
	}
}

// A name set in an output's configuration replaces the derived one for
// every kind: in Stats, in the metric labels and in Describe; and since
// the name is part of the configuration, renaming an output on reload
// rebuilds it under its new name.
func TestConfiguredOutputNames(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	dir := t.TempDir()
	doc := fmt.Sprintf(`
file_outputs: [{path: %q, name: audit-file}]
stdout_outputs: [{name: audit-stdout, event_types: [alert_created]}]
webhook_outputs: [{url: %q, name: audit-webhook}]
kafka_outputs: [{brokers: ["127.0.0.1:1"], topic: events, name: audit-kafka, event_types: [alert_created]}]
`, filepath.Join(dir, "events.jsonl"), srv.URL+"/?token=secret")
	cfg := mustConfig(t, doc)
	want := []string{"audit-file", "audit-webhook", "audit-kafka", "audit-stdout"}
	infos, err := cfg.Describe()
	if err != nil {
		t.Fatal(err)
	}
	var described []string
	for _, info := range infos {
		described = append(described, info.Name)
	}
	if !slices.Equal(described, want) {
		t.Errorf("Describe names the outputs %q, want %q", described, want)
	}
	rec, reg := newRecorder(t, cfg, event.Options{})
	var names []string
	for _, st := range rec.Stats() {
		names = append(names, st.Name)
	}
	if !slices.Equal(names, want) {
		t.Fatalf("output names %q, want %q", names, want)
	}
	rec.RecordEvent(ctxOn, seqEvent(1))
	testtool.WaitFor(t, "the file output to count its event under its configured name", time.Minute, time.Millisecond, func() bool {
		return metricSum(t, reg, "alertmanager_events_recorded_total", map[string]string{"output": "audit-file"}) == 1
	})

	renamed := mustConfig(t, strings.Replace(doc, "name: audit-file", "name: audit-log", 1))
	if renamed.Equal(cfg) {
		t.Fatal("configurations that differ in an output's name compare equal")
	}
	if err := rec.ApplyConfigErr(renamed); err != nil {
		t.Fatal(err)
	}
	if got := rec.Stats()[0].Name; got != "audit-log" {
		t.Fatalf("after the rename the first output is %q, want audit-log", got)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
}

// syncSink is a synchronous kind: it inspects each value inside Deliver
// and keeps only what it read there (the sequence number, and where the
// value's bytes lived), as a file or stdout output would.
type syncSink struct {
	env  sink.Env[*eventrecorderpb.Event]
	mu   sync.Mutex
	seqs []int
	at   []uintptr // address of the first byte of each batch's first value
	bad  []string
}

var syncSinks sync.Map // id → *syncSink

func init() {
	must(event.RegisterKind(sink.KindOf[*eventrecorderpb.Event, memoryConfig]{
		Name: "syncmem",
		New: func(c memoryConfig, env sink.Env[*eventrecorderpb.Event]) (sink.Sink[*eventrecorderpb.Event], error) {
			s := &syncSink{env: env}
			syncSinks.Store(c.ID, s)
			return s, nil
		},
		Synchronous: true,
	}.Kind()))
}

func (s *syncSink) Name() string { return fmt.Sprintf("syncmem:%p", s) }
func (s *syncSink) Close() error { return nil }

func (s *syncSink) Deliver(batch []sink.Message[*eventrecorderpb.Event]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = append(s.at, uintptr(unsafe.Pointer(unsafe.SliceData(batch[0].Value))))
	for _, m := range batch {
		var ev eventrecorderpb.Event
		if err := protojson.Unmarshal(m.Value, &ev); err != nil {
			s.bad = append(s.bad, fmt.Sprintf("%q: %v", m.Value, err))
			continue
		}
		n, _ := strconv.Atoi(ev.GetData().GetAlertmanagerStartupEvent().GetVersion())
		s.seqs = append(s.seqs, n)
	}
	s.env.Reporter.Report(batch, sink.Delivered, nil)
}

func (s *syncSink) delivered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seqs) + len(s.bad)
}

// A format that only synchronous outputs use is encoded into one buffer
// the consumer reuses batch after batch, without a copy per value; as soon
// as an output that may keep values shares the format, each value is a
// copy of its own that later batches leave intact.
func TestSynchronousOutputsBorrowValues(t *testing.T) {
	const batches = 5
	run := func(t *testing.T, doc string) (*syncSink, event.Recorder) {
		rec, _ := newRecorder(t, mustConfig(t, doc), event.Options{})
		v, _ := syncSinks.Load(t.Name())
		s := v.(*syncSink)
		for b := range batches {
			// One event at a time, each delivered before the next is
			// recorded, so that every batch holds one event.
			rec.RecordEvent(ctxOn, seqEvent(b+1))
			testtool.WaitFor(t, fmt.Sprintf("event %d to be delivered", b+1), time.Minute, time.Millisecond, func() bool {
				return s.delivered() == b+1
			})
		}
		return s, rec
	}
	check := func(t *testing.T, s *syncSink) {
		t.Helper()
		if len(s.bad) > 0 || !slices.Equal(s.seqs, []int{1, 2, 3, 4, 5}) {
			t.Fatalf("values read in Deliver: %v, bad: %q", s.seqs, s.bad)
		}
	}

	t.Run("synchronous only", func(t *testing.T) {
		s, rec := run(t, fmt.Sprintf("syncmem_outputs: [{id: %q}]", t.Name()))
		defer rec.Close()
		check(t, s)
		for i, at := range s.at {
			if at != s.at[0] {
				t.Fatalf("batch %d's value lives at %#x, batch 0's at %#x: values were copied", i, at, s.at[0])
			}
		}
	})
	t.Run("shared with a retaining output", func(t *testing.T) {
		id := strings.ReplaceAll(t.Name(), "/", "-")
		s, rec := run(t, fmt.Sprintf("syncmem_outputs: [{id: %q}]\nmemory_outputs: [{id: %q}]", t.Name(), id))
		defer rec.Close()
		check(t, s)
		if distinct := len(slices.Compact(slices.Sorted(slices.Values(s.at)))); distinct != batches {
			t.Errorf("%d distinct value addresses over %d batches, want every value copied", distinct, batches)
		}
		// The retaining output's values, read after every batch has
		// gone through, are still the events they were.
		var got []int
		for _, m := range memorySinks(id)[0].messages() {
			var ev eventrecorderpb.Event
			if err := protojson.Unmarshal(m.Value, &ev); err != nil {
				t.Fatalf("retained value %q: %v", m.Value, err)
			}
			n, _ := strconv.Atoi(ev.GetData().GetAlertmanagerStartupEvent().GetVersion())
			got = append(got, n)
		}
		if !slices.Equal(got, []int{1, 2, 3, 4, 5}) {
			t.Fatalf("retained values hold events %v, want 1–5", got)
		}
	})
}

// TestSharedRegistryKeepsStatsPerRecorder runs two recorders, one after
// the other and then side by side, on one registry with an output of the
// same name. The metrics are the registry's and add up over both; Stats
// and Dropped are each recorder's own, and a recorder that starts on a
// registry another one used starts from zero.
func TestSharedRegistryKeepsStatsPerRecorder(t *testing.T) {
	reg := prometheus.NewRegistry()
	open := func(id string) event.Recorder {
		t.Helper()
		rec, err := event.New(mustConfig(t, "memory_outputs: [{id: "+id+"}]"), event.Options{Registerer: reg, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	settle := func(rec event.Recorder, n int) {
		t.Helper()
		testtool.WaitFor(t, fmt.Sprintf("%d events to be delivered", n), time.Minute, time.Millisecond, func() bool {
			return rec.Stats()[0].Delivered == uint64(n)
		})
	}
	// Events recorded after Close are dropped, and counted: that is a
	// way to make an exact number of queue drops.
	first := open("shared")
	for i := range 3 {
		first.RecordEvent(ctxOn, seqEvent(i))
	}
	settle(first, 3)
	must(first.Close())
	for i := range 2 {
		first.RecordEvent(ctxOn, seqEvent(i))
	}

	second := open("shared")
	if got := second.Dropped(); got != 0 {
		t.Errorf("a new recorder on a used registry starts with Dropped() = %d, want 0", got)
	}
	// A third recorder, running beside the second, with a different
	// output.
	third := open("shared-other")
	for i := range 5 {
		second.RecordEvent(ctxOn, seqEvent(i))
	}
	for i := range 7 {
		third.RecordEvent(ctxOn, seqEvent(i))
	}
	settle(second, 5)
	settle(third, 7)
	must(second.Close())
	must(third.Close())
	for i := range 4 {
		second.RecordEvent(ctxOn, seqEvent(i))
	}
	third.RecordEvent(ctxOn, seqEvent(0))

	for _, c := range []struct {
		name             string
		rec              event.Recorder
		output           string
		delivered, drops uint64
	}{
		{"first", first, "memory:shared", 3, 2},
		{"second", second, "memory:shared", 5, 4},
		{"third", third, "memory:shared-other", 7, 1},
	} {
		want := []event.OutputStats{{Name: c.output, Delivered: c.delivered, Bytes: c.rec.Stats()[0].Bytes}}
		if got := c.rec.Stats(); !slices.Equal(got, want) || got[0].Bytes == 0 {
			t.Errorf("%s recorder: Stats() = %+v, want %+v", c.name, got, want)
		}
		if got := c.rec.Dropped(); got != c.drops {
			t.Errorf("%s recorder: Dropped() = %d, want %d", c.name, got, c.drops)
		}
	}
	// The registry's series are cumulative over every recorder on it.
	for _, c := range []struct {
		metric string
		labels map[string]string
		want   float64
	}{
		{"alertmanager_events_recorded_total", map[string]string{"output": "memory:shared", "result": "success"}, 8},
		{"alertmanager_events_recorded_total", map[string]string{"output": "memory:shared-other", "result": "success"}, 7},
		{"alertmanager_events_recorded_total", map[string]string{"result": "failure"}, 0},
		{"alertmanager_events_dropped_total", nil, 7},
		{"alertmanager_event_recorder_delivery_latency_seconds", map[string]string{"output": "memory:shared"}, 8},
	} {
		if got := metricSum(t, reg, c.metric, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.metric, c.labels, got, c.want)
		}
	}
}

// TestSharedRegistryQueueLength: the queue-length gauge of a registry two
// recorders share is the sum of their queues, whichever registered first.
func TestSharedRegistryQueueLength(t *testing.T) {
	reg := prometheus.NewRegistry()
	opts := event.Options{Registerer: reg, Logger: slog.New(slog.DiscardHandler), QueueSize: 8, MaxBatch: 1}
	first, err := event.New(mustConfig(t, "memory_outputs: [{id: queue-first}]"), opts)
	if err != nil {
		t.Fatal(err)
	}
	second, err := event.New(mustConfig(t, "gated_outputs: [{id: queue-second}]"), opts)
	if err != nil {
		t.Fatal(err)
	}
	// The second recorder's consumer takes one event and blocks on the
	// gate; four wait in its queue.
	for i := range 5 {
		second.RecordEvent(ctxOn, seqEvent(i))
	}
	testtool.WaitFor(t, "four events to wait in the second queue", time.Minute, time.Millisecond, func() bool {
		return event.QueueLen(second) == 4
	})
	if got := metricSum(t, reg, "alertmanager_event_recorder_queue_length", nil); got != 4 {
		t.Errorf("queue length = %v, want 4 (the second recorder's queue)", got)
	}
	must(first.Close())
	if got := metricSum(t, reg, "alertmanager_event_recorder_queue_length", nil); got != 4 {
		t.Errorf("queue length after the first recorder closed = %v, want 4", got)
	}
	openGate("queue-second")
	must(second.Close())
	if got := metricSum(t, reg, "alertmanager_event_recorder_queue_length", nil); got != 0 {
		t.Errorf("queue length after both closed = %v, want 0", got)
	}
	if got := second.Stats()[0].Delivered; got != 5 {
		t.Errorf("second recorder delivered %d, want 5", got)
	}
}

// TestTinyCloseTimeout: a budget is a budget. A CloseTimeout of 1ns, whose
// half rounds to zero, must not let the outputs fall back to their own
// 10s default: Close returns at once, having counted every event, even
// though the webhook's receiver never answers.
func TestTinyCloseTimeout(t *testing.T) {
	var requests atomic.Int64
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hung.Close()
	defer close(release)
	rec, reg := newRecorder(t, mustConfig(t, "webhook_outputs: [{url: "+hung.URL+"}]"), event.Options{CloseTimeout: time.Nanosecond})
	const n = 20
	for i := range n {
		rec.RecordEvent(ctxOn, seqEvent(i))
	}
	// The output holds the events: its four workers wait on the
	// receiver, the rest are in its queue, and none is left in the
	// recorder's (whose events a zero drain budget counts as dropped).
	testtool.WaitFor(t, "the webhook workers to wait on the receiver and the recorder's queue to empty", time.Minute, time.Millisecond, func() bool {
		return requests.Load() == 4 && event.QueueLen(rec) == 0
	})
	start := time.Now()
	err := rec.Close()
	took := time.Since(start)
	if took > 2*time.Second {
		t.Errorf("Close with a 1ns budget took %v", took)
	}
	if err == nil {
		t.Error("Close gave up on events and returned no error")
	}
	out := map[string]string{"output": "webhook:" + hung.URL}
	delivered := metricSum(t, reg, "alertmanager_events_recorded_total", map[string]string{"output": out["output"], "result": "success"})
	failed := metricSum(t, reg, "alertmanager_events_recorded_total", map[string]string{"output": out["output"], "result": "failure"})
	outDrops := metricSum(t, reg, "alertmanager_event_output_drops_total", out)
	queueDrops := metricSum(t, reg, "alertmanager_events_dropped_total", nil)
	if delivered != 0 || failed != n || outDrops+queueDrops != 0 {
		t.Errorf("delivered %v + failed %v + output drops %v + queue drops %v, want all %d failed", delivered, failed, outDrops, queueDrops, n)
	}
	t.Logf("Close took %v: %v", took, err)
}

// TestOptionsBounds: New checks every number of Options against its
// documented bound before it allocates anything (QueueSize once panicked
// in New, MaxBatch in the consumer after New had succeeded); the bound
// itself is accepted.
func TestOptionsBounds(t *testing.T) {
	cfg := mustConfig(t, "memory_outputs: [{id: bounds}]")
	for _, opts := range []event.Options{
		{QueueSize: event.QueueSizeLimit, MaxBatch: event.MaxBatchLimit, CloseTimeout: event.CloseTimeoutLimit},
	} {
		rec, err := event.New(cfg, opts)
		if err != nil {
			t.Fatalf("the maxima themselves are rejected: %v", err)
		}
		rec.RecordEvent(ctxOn, seqEvent(1))
		must(rec.Close())
		if got := rec.Stats()[0].Delivered; got != 1 {
			t.Errorf("delivered %d at the maxima, want 1", got)
		}
	}
	for _, tc := range []struct {
		opts event.Options
		want string
	}{
		{event.Options{QueueSize: 1 << 50}, "Options.QueueSize: 1125899906842624 is above the maximum 1048576"},
		{event.Options{QueueSize: event.QueueSizeLimit + 1}, "Options.QueueSize: 1048577 is above the maximum 1048576"},
		{event.Options{QueueSize: -1}, "Options.QueueSize: -1 is negative"},
		{event.Options{MaxBatch: 1 << 50}, "Options.MaxBatch: 1125899906842624 is above the maximum 65536"},
		{event.Options{MaxBatch: -3}, "Options.MaxBatch: -3 is negative"},
		{event.Options{CloseTimeout: time.Hour}, `Options.CloseTimeout: "1h0m0s" is above the maximum "10m0s"`},
		{event.Options{CloseTimeout: -time.Second}, `Options.CloseTimeout: "-1s" is negative`},
		{event.Options{QueueSize: 1 << 50, MaxBatch: 1 << 50}, "Options.QueueSize: 1125899906842624 is above the maximum 1048576\nOptions.MaxBatch: 1125899906842624 is above the maximum 65536"},
	} {
		rec, err := event.New(cfg, tc.opts)
		if err == nil {
			rec.Close()
		}
		if err == nil || err.Error() != tc.want {
			t.Errorf("New(%+v):\n got %v\nwant %s", tc.opts, err, tc.want)
		}
	}
}
