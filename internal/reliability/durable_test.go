package reliability_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/internal/kafkatest"
	"github.com/eventrecorder/eventrecorder/internal/testtool"
)

// durableHook is a webhook output with a disk buffer in dir. The webhook
// gives up on an event after one attempt, so that outliving an outage is
// the buffer's doing, not the webhook's retries.
func durableHook(url, dir, extra string) string {
	return fmt.Sprintf("webhook_outputs: [{url: %q, max_retries: 1, retry_backoff: 10ms, queue_size: 256%s, buffer: {type: disk, path: %q, max_bytes: 1GiB}}]", url, extra, dir)
}

// output is the recorder's one output's stats.
func (r *rig) output() event.OutputStats {
	r.t.Helper()
	st := r.rec.Stats()
	if len(st) != 1 {
		r.t.Fatalf("recorder has %d outputs, want 1", len(st))
	}
	return st[0]
}

func (r *rig) queueDrops() int {
	return int(metricSum(r.t, r.reg, "alertmanager_events_dropped_total", nil))
}

// held is what the output holds or has accounted for: for a buffered
// output, every event it has taken from the recorder (see
// sink/buffer's BufferStats: held and reported never overlap).
func held(st event.OutputStats) int {
	n := int(st.Accounted())
	if st.Buffer != nil {
		n += int(st.Buffer.Events)
	}
	return n
}

// recordInto records n events chunk by chunk, waiting for each chunk to
// reach the output, so that the recorder's own queue never drops.
func (r *rig) recordInto(n int) {
	r.t.Helper()
	for done := 0; done < n; done += 1000 {
		r.record(min(1000, n-done))
		want := int(r.recorded.Load())
		waitFor(r.t, fmt.Sprintf("%d events to reach the output", want), func() bool { return held(r.output()) >= want })
	}
}

// conservedDurable checks recorded + replayed = delivered + dropped +
// failed + persisted (+ the recorder's queue drops) after Close, from
// Stats and from the metrics.
func (r *rig) conservedDurable() event.OutputStats {
	r.t.Helper()
	st := r.output()
	replayed := 0
	if st.Buffer != nil {
		replayed = int(st.Buffer.Replayed)
	}
	recorded := int(r.recorded.Load())
	if got := int(st.Accounted()) + r.queueDrops(); got != recorded+replayed {
		r.t.Errorf("conservation broken: recorded %d + replayed %d != accounted %d (%+v) + queue drops %d",
			recorded, replayed, st.Accounted(), st, r.queueDrops())
	}
	persisted := int(metricSum(r.t, r.reg, "alertmanager_events_recorded_total", map[string]string{"output": st.Name, "result": "persisted"}))
	if persisted != int(st.Persisted) {
		r.t.Errorf("metrics count %d persisted, Stats %d", persisted, st.Persisted)
	}
	return st
}

// run is one recorder process's life on a disk buffer: what it recorded
// and its output's stats after Close.
type run struct {
	recorded int
	st       event.OutputStats
}

// conservedAcrossRestarts checks the runs of one buffer directory, in
// order, as one history: each run replays exactly what the one before
// left persisted (a replayed event is counted once, by the run that
// delivers it, never as recorded again), and over all of them recorded =
// delivered + dropped + failed + what the last run left persisted.
func conservedAcrossRestarts(t testing.TB, runs ...run) {
	t.Helper()
	var recorded, settled int
	for i, r := range runs {
		replayed := 0
		if r.st.Buffer != nil {
			replayed = int(r.st.Buffer.Replayed)
		}
		left := 0
		if i > 0 {
			left = int(runs[i-1].st.Persisted)
		}
		if replayed != left {
			t.Errorf("run %d replayed %d records, the run before left %d persisted", i+1, replayed, left)
		}
		recorded += r.recorded
		settled += int(r.st.Delivered + r.st.Unacknowledged + r.st.Dropped + r.st.Failed)
	}
	last := int(runs[len(runs)-1].st.Persisted)
	if recorded != settled+last {
		t.Errorf("across %d runs: recorded %d != delivered + dropped + failed %d + persisted by the last %d", len(runs), recorded, settled, last)
	}
}

// missing lists (the first ten of) the sequence numbers from..to the
// receiver has not accepted.
func (rx *receiver) missing(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		if _, ok := rx.bodies.Load(strconv.Itoa(i)); !ok {
			out = append(out, i)
			if len(out) == 10 {
				break
			}
		}
	}
	return out
}

// TestDiskBufferOutlivesWebhookOutage: the receiver is down (its port
// closed) while 100,000 events are recorded, for 60 s (3 s with -short);
// the heap holds none of them. Then it comes up and gets every one.
func TestDiskBufferOutlivesWebhookOutage(t *testing.T) {
	const n = 100_000
	outage := 60 * time.Second
	if testing.Short() {
		outage = 3 * time.Second
	}
	rx := newReceiver(t, answerOK, true)
	dir := t.TempDir()
	// Batches: one POST per event would take minutes for 100,000 under
	// the race detector.
	r := newRig(t, mustLoad(t, durableHook(rx.url(), dir, ", batch: true")), event.Options{CloseTimeout: 10 * time.Second})
	start := time.Now()
	base := heapAlloc()
	r.recordInto(n)
	// The outage lasts its full length: the webhook keeps failing and
	// the buffer keeps retrying what it has in flight.
	time.Sleep(time.Until(start.Add(outage))) // the outage's length, not synchronisation
	grown := int64(heapAlloc()) - int64(base)
	st := r.output()
	if st.Delivered != 0 || st.Failed != 0 || st.Dropped != 0 || r.queueDrops() != 0 {
		t.Fatalf("during the outage: %+v, queue drops %d; want every event held", st, r.queueDrops())
	}
	if st.Buffer.Events != n {
		t.Fatalf("buffer holds %d events, want %d", st.Buffer.Events, n)
	}
	// Held in memory, 100,000 events would be 100,000 encodings and
	// messages (tens of MiB); on disk the heap holds the in-flight
	// records (queue_size 256) and the recorder's buffers.
	const bound = 16 << 20
	t.Logf("FIGURES outage %v: %d events held on disk (%d bytes), heap grew by %d bytes", outage, st.Buffer.Events, st.Buffer.Bytes, grown)
	if grown > bound {
		t.Errorf("heap grew by %d bytes holding %d events on disk, want at most %d", grown, n, bound)
	}
	rx.start()
	waitFor(t, "every event delivered", func() bool { return r.output().Delivered == n })
	if m := rx.missing(1, n); len(m) > 0 {
		t.Fatalf("receiver is missing events %v", m)
	}
	if _, err := r.close(); err != nil {
		t.Fatal(err)
	}
	st = r.conservedDurable()
	if st.Delivered != n || st.Persisted != 0 {
		t.Errorf("after Close: %+v", st)
	}
	t.Logf("FIGURES outage: receiver accepted %d events, %d duplicates", rx.accepted.Load(), rx.duplicates())
}

// TestDiskBufferGracefulCloseWhileDown is a SIGTERM while the receiver is
// down: Close drains the recorder's queue into the disk buffer within its
// budget, and every event is Persisted, none lost; the next start
// delivers them all.
func TestDiskBufferGracefulCloseWhileDown(t *testing.T) {
	const n = 5000 // below the recorder's queue size: nothing drops
	rx := newReceiver(t, answerOK, true)
	dir := t.TempDir()
	cfg := mustLoad(t, durableHook(rx.url(), dir, ""))
	r := newRig(t, cfg, event.Options{CloseTimeout: 10 * time.Second})
	r.record(n) // no wait: Close finds most of them in the recorder's queue
	if _, err := r.close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	st := r.conservedDurable()
	if st.Persisted != n || r.queueDrops() != 0 {
		t.Fatalf("after a graceful Close while down: %+v, queue drops %d; want all %d persisted", st, r.queueDrops(), n)
	}

	rx.start()
	r2 := newRig(t, cfg, event.Options{CloseTimeout: 10 * time.Second})
	if got := r2.output().Buffer.Replayed; got != n {
		t.Fatalf("restart replayed %d records, want %d", got, n)
	}
	// The second run records events of its own, numbered after the
	// first run's, behind the replayed ones.
	const more = 500
	r2.recorded.Store(n)
	r2.record(more)
	waitFor(t, "the persisted and new events delivered", func() bool { return r2.output().Delivered == n+more })
	if m := rx.missing(1, n+more); len(m) > 0 {
		t.Fatalf("receiver is missing events %v", m)
	}
	if _, err := r2.close(); err != nil {
		t.Fatal(err)
	}
	// conservedDurable counts what the rig recorded; this run recorded
	// only the new events.
	r2.recorded.Store(more)
	st2 := r2.conservedDurable()
	if st2.Delivered != n+more || st2.Persisted != 0 {
		t.Errorf("after restart: %+v", st2)
	}
	conservedAcrossRestarts(t, run{n, st}, run{more, st2})
	if d := rx.duplicates(); d != 0 {
		t.Errorf("receiver got %d duplicates; a graceful Close leaves none", d)
	}
}

// TestDiskBufferKafkaAbsentAcrossRestart: no broker while a recorder
// records and closes (every event Persisted); the broker appears and the
// next recorder delivers them all, read back from the topic (and with
// kcat where it is installed).
func TestDiskBufferKafkaAbsentAcrossRestart(t *testing.T) {
	const n = 500
	port := kafkatest.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := mustLoad(t, fmt.Sprintf("kafka_outputs: [{brokers: [%q], topic: events, buffer: {type: disk, path: %q}}]", addr, t.TempDir()))
	r := newRig(t, cfg, event.Options{CloseTimeout: 4 * time.Second})
	r.recordInto(n)
	if _, err := r.close(); err != nil {
		t.Errorf("Close with no broker: %v; want none, every event is on disk", err)
	}
	st := r.conservedDurable()
	if st.Persisted != n {
		t.Fatalf("after Close with no broker: %+v; want all %d persisted", st, n)
	}

	f := &kafkaFixture{port: port, addr: addr, dir: t.TempDir()}
	f.webhookFixture = &webhookFixture{rig: &rig{t: t}}
	f.startBroker(t)
	r2 := newRig(t, cfg, event.Options{CloseTimeout: 4 * time.Second})
	waitFor(t, "the persisted events delivered", func() bool { return r2.output().Delivered == n })
	if _, err := r2.close(); err != nil {
		t.Fatal(err)
	}
	conservedAcrossRestarts(t, run{n, st}, run{0, r2.conservedDurable()})
	got := f.topicSeqs()
	for i := 1; i <= n; i++ {
		if got[i] == 0 {
			t.Fatalf("topic is missing event %d (holds %d distinct)", i, len(got))
		}
	}
	kcat, err := testtool.Lookup("kcat")
	if err != nil {
		if os.Getenv("EVENTRECORDER_REQUIRE_TOOLS") == "1" {
			t.Fatalf("kcat: %v", err)
		}
		t.Logf("kcat not installed; the topic was read back with franz-go only")
		return
	}
	out, err := exec.Command(kcat, "-C", "-b", addr, "-t", "events", "-o", "beginning", "-e", "-q", "-f", "%s\n").Output()
	if err != nil {
		t.Fatalf("kcat: %v", err)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if i := strings.Index(line, `"version":"`); i >= 0 {
			v := line[i+len(`"version":"`):]
			seen[v[:strings.IndexByte(v, '"')]] = true
		}
	}
	if len(seen) != n {
		t.Fatalf("kcat read %d distinct events, want %d", len(seen), n)
	}
}

// durableChildEnv runs the test binary as the recording child of
// TestDiskBufferSurvivesSIGKILL (see TestDurableChild).
const durableChildEnv = "RELIABILITY_DURABLE_CHILD"

// inFlight is the webhook's queue_size in the SIGKILL test, and so the
// buffer's in-flight limit: the most records a kill can deliver twice
// (reported or not, they are not yet acknowledged).
const inFlight = 64

// TestDurableChild is not a test: run by TestDiskBufferSurvivesSIGKILL
// as a child process, it records events into a disk-buffered webhook
// output and prints the highest sequence number known to be in the
// buffer, every 50 events, until it is killed ("record URL DIR N"), or
// delivers what the buffer holds and closes ("drain URL DIR").
func TestDurableChild(t *testing.T) {
	spec := os.Getenv(durableChildEnv)
	if spec == "" {
		t.Skip("the child of TestDiskBufferSurvivesSIGKILL")
	}
	f := strings.Fields(spec)
	cfg, err := event.LoadConfig([]byte(fmt.Sprintf("webhook_outputs: [{url: %q, max_retries: 1, retry_backoff: 10ms, queue_size: %d, buffer: {type: disk, path: %q, fsync: batch}}]", f[1], inFlight, f[2])))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := event.New(cfg, event.Options{CloseTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	out := func() event.OutputStats { return rec.Stats()[0] }
	switch f[0] {
	case "record":
		n, _ := strconv.Atoi(f[3])
		w := bufio.NewWriter(os.Stdout)
		for i := 1; i <= n; i++ {
			rec.RecordEvent(ctxOn, seqEvent(i))
			if i%50 == 0 {
				testtool.WaitFor(t, "events to reach the buffer", wait, time.Millisecond, func() bool { return held(out()) >= i })
				if st := out(); st.Dropped != 0 || st.Failed != 0 {
					t.Fatalf("output dropped or failed: %+v", st)
				}
				fmt.Fprintln(w, i)
				w.Flush()
			}
		}
		select {} // until killed
	case "drain":
		replayed := out().Buffer.Replayed
		testtool.WaitFor(t, "the buffer to be delivered", wait, 5*time.Millisecond, func() bool {
			return out().Delivered == replayed
		})
		if err := rec.Close(); err != nil {
			t.Fatal(err)
		}
		fmt.Println("drained", replayed, out().Buffer.Corrupt)
	}
}

// TestDiskBufferSurvivesSIGKILL kills a recording child at several points
// of its stream, restarts it on the same buffer and checks what the
// receiver got: every event the child had seen reach the buffer, and at
// most inFlight of them twice.
func TestDiskBufferSurvivesSIGKILL(t *testing.T) {
	const n = 20000
	points := []int{100, 2000, 8000}
	if testing.Short() {
		points = []int{500}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, point := range points {
		t.Run(fmt.Sprintf("kill after %d received", point), func(t *testing.T) {
			rx := newReceiver(t, answerOK, false)
			dir := t.TempDir()
			cmd := exec.Command(self, "-test.run=^TestDurableChild$")
			cmd.Env = append(os.Environ(), fmt.Sprintf("%s=record %s %s %d", durableChildEnv, rx.url(), dir, n))
			cmd.Stderr = os.Stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			var inBuffer atomic.Int64
			lines := make(chan struct{})
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					if v, err := strconv.Atoi(sc.Text()); err == nil {
						inBuffer.Store(int64(v))
					}
				}
			}()
			waitFor(t, fmt.Sprintf("the receiver to get %d events", point), func() bool { return rx.accepted.Load() >= int64(point) })
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
			<-lines
			h := int(inBuffer.Load())
			got := int(rx.accepted.Load())
			t.Logf("killed with %d events known to be in the buffer, %d received", h, got)

			drain := exec.Command(self, "-test.run=^TestDurableChild$")
			drain.Env = append(os.Environ(), fmt.Sprintf("%s=drain %s %s", durableChildEnv, rx.url(), dir))
			drain.Stderr = os.Stderr
			out, err := drain.Output()
			if err != nil {
				t.Fatalf("drain child: %v\n%s", err, out)
			}
			if m := rx.missing(1, h); len(m) > 0 {
				t.Fatalf("events the buffer held at the kill are missing: %v", m)
			}
			if d := rx.duplicates(); d > inFlight {
				t.Errorf("%d events delivered twice; at most the %d in flight may be", d, inFlight)
			}
			t.Logf("FIGURES kill after %d: %s; receiver accepted %d events, %d duplicates (bound %d)", point, strings.TrimSpace(string(out)), rx.accepted.Load(), rx.duplicates(), inFlight)
		})
	}
}

// TestTwoOutputsOneBufferDirectory: two outputs of one recorder on one
// buffer directory. Written as one path, the configuration does not load
// (see event's TestSharedBufferDirectoryRejectedAtLoad); reached through
// a symbolic link, which loading does not resolve, they are refused when
// the recorder starts, with an error at the second output's buffer.path
// naming the directory and the first output.
func TestTwoOutputsOneBufferDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "buf")
	link := dir + "-link"
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	_, err := loadConfig(t, fmt.Sprintf(`webhook_outputs:
  - {url: "http://127.0.0.1:9/a", buffer: {type: disk, path: %q}}
  - {url: "http://127.0.0.1:9/b", buffer: {type: disk, path: %q}}
`, dir, dir))
	if want := fmt.Sprintf("webhook_outputs[1].buffer.path: %q is also the buffer directory of webhook_outputs[0]", dir); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("loading two outputs on one directory: %v; want an error saying %q", err, want)
	}
	cfg := mustLoad(t, fmt.Sprintf(`webhook_outputs:
  - {url: "http://127.0.0.1:9/a", buffer: {type: disk, path: %q}}
  - {url: "http://127.0.0.1:9/b", buffer: {type: disk, path: %q}}
`, dir, link))
	_, err = tryRig(t, cfg, event.Options{})
	if err == nil {
		t.Fatal("event.New accepted two outputs on one buffer directory")
	}
	want := fmt.Sprintf("webhook_outputs[1].buffer.path: %q: ", link)
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q, want it to say %q", err, want)
	}
	// The first output, built and then abandoned, released the directory.
	r := newRig(t, mustLoad(t, fmt.Sprintf(`webhook_outputs: [{url: "http://127.0.0.1:9/a", buffer: {type: disk, path: %q}}]`, dir)), event.Options{})
	r.close()
}

// durableTotals is what every output named name did over a recorder's
// life, from the metrics, which keep counting across the outputs a
// reload replaces (Stats lists only the current ones).
type durableTotals struct {
	Delivered, Failed, Dropped, Persisted, Replayed int
}

func (r *rig) durableTotals(name string) durableTotals {
	r.t.Helper()
	res := func(result string) int {
		return int(metricSum(r.t, r.reg, "alertmanager_events_recorded_total", map[string]string{"output": name, "result": result}))
	}
	return durableTotals{
		Delivered: res("success"),
		Failed:    res("failure"),
		Persisted: res("persisted"),
		Dropped:   int(metricSum(r.t, r.reg, "alertmanager_event_output_drops_total", map[string]string{"output": name})),
		Replayed:  int(metricSum(r.t, r.reg, "alertmanager_event_output_buffer_replayed_records_total", map[string]string{"output": name})),
	}
}

// conservedAcrossReload checks, after Close, recorded + replayed =
// delivered + dropped + failed + persisted over every output the
// recorder ran under name, the ones a reload replaced included.
func (r *rig) conservedAcrossReload(name string) durableTotals {
	r.t.Helper()
	tt := r.durableTotals(name)
	recorded := int(r.recorded.Load())
	if in, out := recorded+tt.Replayed, tt.Delivered+tt.Dropped+tt.Failed+tt.Persisted+r.queueDrops(); in != out {
		r.t.Errorf("conservation across the reload broken: recorded %d + replayed %d != %d accounted (%+v, queue drops %d)",
			recorded, tt.Replayed, out, tt, r.queueDrops())
	}
	return tt
}

// TestReloadKeepsDiskBufferPath: a reload changes a disk-buffered webhook
// output (its timeout) and keeps its buffer path while the receiver is
// down. The old output closes first, leaving what it holds on disk
// (persisted); the new one takes the directory over and replays it
// before the events recorded since. When the receiver comes up it gets
// every event once.
func TestReloadKeepsDiskBufferPath(t *testing.T) {
	const n, after = 2000, 300
	rx := newReceiver(t, answerOK, true)
	dir := t.TempDir()
	r := newRig(t, mustLoad(t, durableHook(rx.url(), dir, "")), event.Options{CloseTimeout: 2 * time.Second})
	name := r.output().Name
	r.recordInto(n)
	if err := r.rec.ApplyConfigErr(mustLoad(t, durableHook(rx.url(), dir, ", timeout: 3s"))); err != nil {
		t.Fatalf("reload keeping the buffer path: %v", err)
	}
	st := r.output()
	if st.Buffer == nil || st.Buffer.Replayed != n {
		t.Fatalf("the new output replayed %+v, want the %d records the old one left", st.Buffer, n)
	}
	if tt := r.durableTotals(name); tt.Persisted != n || tt.Delivered != 0 || tt.Failed != 0 || tt.Dropped != 0 {
		t.Fatalf("the replaced output's outcomes: %+v; want all %d persisted", tt, n)
	}
	r.recordInto(after)
	rx.start()
	waitFor(t, "every event delivered", func() bool { return r.output().Delivered == n+after })
	if m := rx.missing(1, n+after); len(m) > 0 {
		t.Fatalf("receiver is missing events %v", m)
	}
	if _, err := r.close(); err != nil {
		t.Fatal(err)
	}
	tt := r.conservedAcrossReload(name)
	if want := (durableTotals{Delivered: n + after, Persisted: n, Replayed: n}); tt != want || r.queueDrops() != 0 {
		t.Errorf("totals %+v, queue drops %d; want %+v", tt, r.queueDrops(), want)
	}
	if d := rx.duplicates(); d != 0 {
		t.Errorf("receiver got %d duplicates; a reload leaves none", d)
	}
}

// TestReloadKeepingDiskBufferPathFailsToStart: the changed output cannot
// be built (its url_file is missing) after the old one has closed to
// hand its directory over. The reload is refused with an error naming
// the output, and the old output is started again from the previous
// configuration, replaying what it left on disk: nothing is lost.
func TestReloadKeepingDiskBufferPathFailsToStart(t *testing.T) {
	const n = 1000
	rx := newReceiver(t, answerOK, true)
	dir := t.TempDir()
	cfg := mustLoad(t, durableHook(rx.url(), dir, ""))
	r := newRig(t, cfg, event.Options{CloseTimeout: 2 * time.Second})
	name := r.output().Name
	r.recordInto(n)
	missing := filepath.Join(t.TempDir(), "no-such-url")
	bad := mustLoad(t, fmt.Sprintf("webhook_outputs: [{url_file: %q, max_retries: 1, queue_size: 256, buffer: {type: disk, path: %q, max_bytes: 1GiB}}]", missing, dir))
	err := r.rec.ApplyConfigErr(bad)
	if err == nil || !strings.Contains(err.Error(), "webhook_outputs[0].url_file:") || !strings.Contains(err.Error(), missing) {
		t.Fatalf("reload with a missing url_file: %v; want an error at webhook_outputs[0].url_file naming the file", err)
	}
	st := r.output()
	if st.Name != name || st.Buffer == nil || st.Buffer.Replayed != n {
		t.Fatalf("after the failed reload: %+v (buffer %+v); want the previous output, replaying %d", st, st.Buffer, n)
	}
	rx.start()
	waitFor(t, "every event delivered", func() bool { return r.output().Delivered == n })
	if m := rx.missing(1, n); len(m) > 0 {
		t.Fatalf("receiver is missing events %v", m)
	}
	if _, err := r.close(); err != nil {
		t.Fatal(err)
	}
	if tt := r.conservedAcrossReload(name); tt.Delivered != n || tt.Persisted != n {
		t.Errorf("totals %+v", tt)
	}
}
