package reliability_test

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
	"github.com/eventrecorder/eventrecorder/internal/metrictest"
	"github.com/eventrecorder/eventrecorder/internal/testtool"
	"github.com/eventrecorder/eventrecorder/internal/yamltest"
)

func TestMain(m *testing.M) {
	leakcheck.VerifyTestMain(m)
}

// wait bounds every wait on a condition. It is generous because the
// machines this runs on are shared and -race is slow; a passing test never
// waits this long.
const wait = 60 * time.Second

// closeSlack is what Close may take beyond its documented budget
// (Options.CloseTimeout) before the test calls it a hang: scheduling on a
// loaded machine, not work Close is allowed to do.
const closeSlack = 5 * time.Second

var ctxOn = event.WithEventRecording(context.Background())

// seqEvent is a startup event whose version carries a sequence number.
func seqEvent(i int) *eventrecorderpb.EventData {
	return event.NewAlertmanagerStartupEvent(strconv.Itoa(i), "reliability")
}

// rig is one recorder under test with everything observable about it: its
// own metrics registry, a copy of every log line at debug level, and the
// number of events the test recorded.
type rig struct {
	t        testing.TB
	rec      event.Recorder
	reg      *prometheus.Registry
	logs     *testtool.SyncBuffer
	opts     event.Options
	recorded atomic.Int64

	closeOnce sync.Once
	closeErr  error
	closeTook time.Duration
}

// newRig builds a recorder with a JSON debug log and a private registry,
// and closes it when the test ends if the test did not.
func newRig(t testing.TB, cfg event.Config, opts event.Options) *rig {
	t.Helper()
	r, err := tryRig(t, cfg, opts)
	if err != nil {
		t.Fatalf("event.New: %v", err)
	}
	return r
}

func tryRig(t testing.TB, cfg event.Config, opts event.Options) (*rig, error) {
	t.Helper()
	r := &rig{t: t, reg: prometheus.NewRegistry(), logs: &testtool.SyncBuffer{}}
	if opts.Instance == "" {
		opts.Instance = "am-0.reliability:9093"
	}
	opts.Registerer = r.reg
	opts.Logger = slog.New(slog.NewJSONHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r.opts = opts
	rec, err := event.New(cfg, opts)
	if err != nil {
		return nil, err
	}
	r.rec = rec
	t.Cleanup(func() {
		r.close()
		if t.Failed() {
			t.Logf("recorder log:\n%s", r.logs.String())
		}
	})
	return r, nil
}

// record records n events from the calling goroutine.
func (r *rig) record(n int) {
	for range n {
		seq := int(r.recorded.Add(1))
		r.rec.RecordEvent(ctxOn, seqEvent(seq))
	}
}

// budget is Close's documented bound.
func (r *rig) budget() time.Duration {
	if r.opts.CloseTimeout > 0 {
		return r.opts.CloseTimeout
	}
	return event.DefaultCloseTimeout
}

// close closes the recorder once, timing it, and fails the test if Close
// does not return within its budget plus closeSlack.
func (r *rig) close() (time.Duration, error) {
	r.closeOnce.Do(func() {
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- r.rec.Close() }()
		limit := r.budget() + closeSlack
		select {
		case r.closeErr = <-done:
			r.closeTook = time.Since(start)
		case <-time.After(limit):
			r.t.Errorf("Close did not return within %v (budget %v + slack %v)", limit, r.budget(), closeSlack)
			r.closeErr = <-done
			r.closeTook = time.Since(start)
		}
		if r.closeTook >= limit {
			r.t.Errorf("Close took %v, over its budget %v + slack %v", r.closeTook, r.budget(), closeSlack)
		}
	})
	return r.closeTook, r.closeErr
}

// tally is what the metrics say became of the events recorded, from one
// output's point of view.
type tally struct {
	Recorded   int // what the test recorded
	Delivered  int // events_recorded_total{result="success"}
	Unacked    int // events_recorded_total{result="unacknowledged"}
	Failed     int // events_recorded_total{result="failure"}
	OutDrops   int // event_output_drops_total
	QueueDrops int // events_dropped_total (the recorder's queue)
}

func (c tally) accounted() int { return c.Delivered + c.Unacked + c.Failed + c.OutDrops + c.QueueDrops }

func (c tally) String() string {
	return fmt.Sprintf("recorded %d = delivered %d + unacknowledged %d + failed %d + output drops %d + queue drops %d (= %d)",
		c.Recorded, c.Delivered, c.Unacked, c.Failed, c.OutDrops, c.QueueDrops, c.accounted())
}

func (r *rig) tally(output string) tally {
	r.t.Helper()
	return tally{
		Recorded:   int(r.recorded.Load()),
		Delivered:  int(metricSum(r.t, r.reg, "alertmanager_events_recorded_total", map[string]string{"output": output, "result": "success"})),
		Unacked:    int(metricSum(r.t, r.reg, "alertmanager_events_recorded_total", map[string]string{"output": output, "result": "unacknowledged"})),
		Failed:     int(metricSum(r.t, r.reg, "alertmanager_events_recorded_total", map[string]string{"output": output, "result": "failure"})),
		OutDrops:   int(metricSum(r.t, r.reg, "alertmanager_event_output_drops_total", map[string]string{"output": output})),
		QueueDrops: int(metricSum(r.t, r.reg, "alertmanager_events_dropped_total", nil)),
	}
}

// settle waits until every recorded event is accounted for at output, and
// returns the tally.
func (r *rig) settle(output string) tally {
	r.t.Helper()
	var c tally
	deadline := time.Now().Add(wait)
	for {
		c = r.tally(output)
		if c.accounted() == c.Recorded {
			return c
		}
		if c.accounted() > c.Recorded {
			r.t.Fatalf("%s: more outcomes than events: %v", output, c)
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: events still unaccounted for after %v: %v", output, wait, c)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronisation
	}
}

// waitFor polls cond until it holds, failing the test after wait.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testtool.WaitFor(t, what, wait, 5*time.Millisecond, cond)
}

// conserved checks the identity after Close: every recorded event was
// delivered, sent unacknowledged, failed or dropped, exactly once, by the
// results the test knows and by every series of the output's metrics
// (a result it does not know would show there).
func (r *rig) conserved(output string) tally {
	r.t.Helper()
	c := r.tally(output)
	if c.accounted() != c.Recorded {
		r.t.Errorf("%s: conservation broken: %v", output, c)
	}
	if all := int(metrictest.Accounted(r.t, r.reg, output)) + c.QueueDrops; all != c.accounted() {
		r.t.Errorf("%s: the output's series account for %d events, the known results for %d: %v", output, all, c.accounted(), c)
	}
	return c
}

// metricSum adds up every series of a metric whose labels include want.
func metricSum(t testing.TB, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	return metrictest.Sum(t, reg, name, want)
}

// loadConfig is LoadConfig, checked against every other way of decoding
// the document (both yaml.v2 drivers, strict or not, whole or embedded in
// a larger struct): they must all agree.
func loadConfig(t testing.TB, y string) (event.Config, error) {
	t.Helper()
	return yamltest.Decode(t, y, yamltest.Way[event.Config]{Name: "LoadConfig", Decode: event.LoadConfig})
}

func mustLoad(t testing.TB, y string) event.Config {
	t.Helper()
	cfg, err := loadConfig(t, y)
	if err != nil {
		t.Fatalf("LoadConfig:\n%s\nerror: %v", y, err)
	}
	return cfg
}

// yamlQuote quotes s for a YAML flow or block scalar.
func yamlQuote(s string) string { return strconv.Quote(s) }

var _ = strings.Contains
