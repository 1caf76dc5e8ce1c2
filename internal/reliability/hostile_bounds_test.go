//go:build linux

package reliability_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/sink/file"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

// boundsHostileInputs are inputs that once hung the recorder or took the
// process down — a destination whose writes block, numbers that passed
// validation and then crashed or exhausted it, a budget that rounded to
// "unset", a registry two recorders share — each written down exactly and
// run through the public API. Every row must finish within its time
// bound, and the heap may not grow by more than its memory bound while it
// runs. Rows that feed a number to the recorder check that validation
// rejects it before anything is built, so that a regression fails the
// row instead of allocating what the number asks for.
var boundsHostileInputs = []struct {
	name   string
	input  string // the input, exactly (FIFO and URL stand for what the row creates)
	within time.Duration
	heap   uint64 // bytes the heap may grow by while the row runs
	run    func(t *testing.T, input string)
}{{
	name:   "file: a FIFO whose reader never reads",
	input:  "file_outputs: [{path: FIFO}]; a reader opens FIFO and never reads; 3000 events; CloseTimeout 1s",
	within: 20 * time.Second,
	heap:   64 << 20,
	run:    hostileStalledFIFO,
}, {
	name:   "file: a FIFO with no reader",
	input:  "file_outputs: [{path: FIFO}]; nobody opens FIFO for reading; 100 events; CloseTimeout 1s",
	within: 20 * time.Second,
	heap:   32 << 20,
	run:    hostileFIFOWithoutReader,
}, {
	name:   "stdout: piped into a process that never reads (| sleep 60)",
	input:  "stdout_outputs: [{}]; standard output is a pipe nobody reads; 3000 events; CloseTimeout 1s",
	within: 20 * time.Second,
	heap:   64 << 20,
	run:    hostileStalledStdout,
}, {
	name:   "webhook: queue_size of 10^14",
	input:  "webhook_outputs: [{url: 'http://127.0.0.1:9/events', queue_size: 100000000000000}]",
	within: 5 * time.Second,
	heap:   8 << 20,
	run:    rejectedYAML("webhook_outputs[0].queue_size: 100000000000000 is above the maximum 1048576"),
}, {
	name:   "kafka: buffer_size of 10^14",
	input:  `kafka_outputs: [{brokers: ["127.0.0.1:9092"], topic: events, buffer_size: 100000000000000}]`,
	within: 5 * time.Second,
	heap:   8 << 20,
	run:    rejectedYAML("kafka_outputs[0].buffer_size: 100000000000000 is above the maximum 1048576"),
}, {
	name:   "webhook: batch_max_events of 10^13",
	input:  "webhook_outputs: [{url: 'http://127.0.0.1:9/events', batch: true, batch_max_events: 10000000000000}]",
	within: 5 * time.Second,
	heap:   8 << 20,
	run:    rejectedYAML("webhook_outputs[0].batch_max_events: 10000000000000 is above the maximum 10000"),
}, {
	name:   "webhook: batch_max_bytes of MaxInt64",
	input:  "webhook_outputs: [{url: 'http://127.0.0.1:9/events', batch: true, batch_max_bytes: 9223372036854775807}]",
	within: 5 * time.Second,
	heap:   8 << 20,
	run:    rejectedYAML("webhook_outputs[0].batch_max_bytes: 9223372036854775807 is above the maximum 16777216"),
}, {
	name:   "webhook: 50 million workers",
	input:  "webhook_outputs: [{url: 'http://127.0.0.1:9/events', workers: 50000000}]",
	within: 5 * time.Second,
	heap:   8 << 20,
	run:    rejectedYAML("webhook_outputs[0].workers: 50000000 is above the maximum 256"),
}, {
	name:   "webhook and kafka built in Go with queue_size and buffer_size of 10^14",
	input:  "event.Config{WebhookOutputs: [{URL: http://127.0.0.1:9/events, QueueSize: 100000000000000}], KafkaOutputs: [{Brokers: [127.0.0.1:9092], Topic: events, BufferSize: 100000000000000}]}",
	within: 5 * time.Second,
	heap:   8 << 20,
	run:    hostileGoBuiltSizes,
}, {
	name:   "Options{QueueSize: 1<<50}",
	input:  "1125899906842624",
	within: 5 * time.Second,
	heap:   8 << 20,
	run: func(t *testing.T, input string) {
		n, _ := strconv.Atoi(input)
		rejectedOptions(t, event.Options{QueueSize: n}, "Options.QueueSize: 1125899906842624 is above the maximum 1048576")
	},
}, {
	name:   "Options{MaxBatch: 1<<50}",
	input:  "1125899906842624",
	within: 5 * time.Second,
	heap:   8 << 20,
	run: func(t *testing.T, input string) {
		n, _ := strconv.Atoi(input)
		rejectedOptions(t, event.Options{MaxBatch: n}, "Options.MaxBatch: 1125899906842624 is above the maximum 65536")
	},
}, {
	name:   "CloseTimeout of 1ns with a webhook receiver that never answers",
	input:  "webhook_outputs: [{url: URL}]; the receiver holds every request; 20 events; CloseTimeout 1ns",
	within: 10 * time.Second,
	heap:   32 << 20,
	run:    hostileTinyCloseTimeout,
}, {
	name:   "two recorders on one prometheus.Registerer",
	input:  "file_outputs: [{path: FILE, name: audit}] in two recorders, one after the other, on one registry; 3 and 5 events, 2 and 4 more after Close",
	within: 10 * time.Second,
	heap:   32 << 20,
	run:    hostileSharedRegistry,
}}

func TestHostileBounds(t *testing.T) {
	for _, row := range boundsHostileInputs {
		t.Run(row.name, func(t *testing.T) {
			t.Logf("input: %s", row.input)
			stop := sampleHeap()
			start := time.Now()
			row.run(t, row.input)
			took := time.Since(start)
			growth := stop()
			t.Logf("FIGURES hostile bounds %q: %v, heap grew by at most %.1f MiB", row.name, took.Round(time.Millisecond), float64(growth)/(1<<20))
			if took > row.within {
				t.Errorf("took %v, over its bound of %v", took, row.within)
			}
			if growth > row.heap {
				t.Errorf("the heap grew by %.1f MiB, over its bound of %.1f MiB", float64(growth)/(1<<20), float64(row.heap)/(1<<20))
			}
		})
	}
}

// rejectedYAML is a row whose configuration must fail to load with
// exactly want. Nothing is built from a configuration that loads anyway:
// that is the regression, and building it would allocate what it asks.
func rejectedYAML(want string) func(t *testing.T, input string) {
	return func(t *testing.T, input string) {
		_, err := event.LoadConfig([]byte(input))
		if err == nil || err.Error() != want {
			t.Errorf("LoadConfig:\n got %v\nwant %s", err, want)
		}
	}
}

// hostileGoBuiltSizes: a configuration built in Go is checked by Validate
// and by New, before any output is built.
func hostileGoBuiltSizes(t *testing.T, _ string) {
	hook, err := webhook.ParseURL("http://127.0.0.1:9/events")
	if err != nil {
		t.Fatal(err)
	}
	cfg := event.Config{
		WebhookOutputs: []webhook.Config{{URL: hook, QueueSize: 100000000000000}},
		KafkaOutputs:   []kafka.Config{{Brokers: []string{"127.0.0.1:9092"}, Topic: "events", BufferSize: 100000000000000}},
	}
	const want = "webhook_outputs[0].queue_size: 100000000000000 is above the maximum 1048576\n" +
		"kafka_outputs[0].buffer_size: 100000000000000 is above the maximum 1048576"
	if err := cfg.Validate(); err == nil || err.Error() != want {
		t.Fatalf("Validate:\n got %v\nwant %s", err, want)
	}
	rec, err := event.New(cfg, event.Options{CloseTimeout: time.Second})
	if err == nil {
		rec.Close()
	}
	if err == nil || err.Error() != want {
		t.Errorf("New:\n got %v\nwant %s", err, want)
	}
}

// rejectedOptions: New must refuse opts with exactly want. A New that
// panics on the number is reported as such.
func rejectedOptions(t *testing.T, opts event.Options, want string) {
	t.Helper()
	cfg := event.Config{FileOutputs: []file.Config{{Path: filepath.Join(t.TempDir(), "events.jsonl")}}}
	opts.CloseTimeout = time.Second
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("New panicked: %v", p)
			}
		}()
		var rec event.Recorder
		if rec, err = event.New(cfg, opts); err == nil {
			rec.Close()
		}
	}()
	if err == nil || err.Error() != want {
		t.Errorf("New:\n got %v\nwant %s", err, want)
	}
}

// mkfifo makes a FIFO in a fresh directory.
func mkfifo(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// openFIFOReader opens the FIFO for reading without waiting for a writer;
// the test never reads from it until the recorder is closed.
func openFIFOReader(t *testing.T, path string) *os.File {
	t.Helper()
	r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// pipeNearlyFull reports whether the pipe r reads from holds all but at
// most a page of what it can: a writer with more to write is then, or
// is about to be, blocked.
// writeBlocked tells when the output's write into the pipe read ends is
// blocked: the pipe is nearly full, or the output has logged that a write
// did not return. Both are needed: a pipe whose pages hold partial writes
// blocks a writer before its byte count nears the capacity (seen in CI
// with a stdout pipe that had 2388 events fail behind a blocked write and
// never looked full).
func writeBlocked(t testing.TB, r *rig, read *os.File) bool {
	t.Helper()
	return pipeNearlyFull(t, read) || strings.Contains(r.logs.String(), "did not return within")
}

func pipeNearlyFull(t testing.TB, r *os.File) bool {
	t.Helper()
	rc, err := r.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var (
		queued   int32 // TIOCINQ (FIONREAD) fills an int
		capacity int
		errno    syscall.Errno
	)
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&queued)))
		if errno == 0 {
			var c uintptr
			c, _, errno = syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETPIPE_SZ, 0)
			capacity = int(c)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if errno != 0 {
		t.Fatalf("reading the pipe's fill: %v", errno)
	}
	return int(queued) >= capacity-os.Getpagesize()
}

// newBoundedRig builds the recorder in a goroutine and fails the test if
// New does not return within ten seconds; release then unblocks it (a
// reader opening the FIFO), so that the test ends either way.
func newBoundedRig(t *testing.T, cfg event.Config, opts event.Options, release func()) *rig {
	t.Helper()
	ch := make(chan *rig, 1)
	go func() { ch <- newRig(t, cfg, opts) }()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Error("event.New blocked")
		release()
		return <-ch
	}
}

// closeBounded closes the rig (which fails the test if Close overruns its
// budget) and, if Close has not returned a second after that, fails the
// test and calls release to unblock what holds it, so that the row ends.
func closeBounded(t *testing.T, r *rig, release func()) (time.Duration, error) {
	t.Helper()
	var (
		took time.Duration
		err  error
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		took, err = r.close()
	}()
	select {
	case <-done:
	case <-time.After(r.budget() + closeSlack + time.Second):
		t.Error("Close hung")
		release()
		<-done
	}
	return took, err
}

// checkStuckClose closes the rig, which must keep its budget, and checks
// that every event is accounted for, that the batch stuck in the write
// failed, and that the first lines the reader gets are exactly the events
// reported delivered, in order.
func checkStuckClose(t *testing.T, r *rig, output string, read *os.File) {
	t.Helper()
	took, err := closeBounded(t, r, func() { read.Close() })
	c := r.conserved(output)
	t.Logf("FIGURES %s: %v; Close took %v: %v", output, c, took.Round(time.Millisecond), err)
	if c.Failed == 0 {
		t.Errorf("%s: nothing failed, so no write was stuck when Close gave up on it: %v", output, c)
	}
	if err == nil || !strings.Contains(err.Error(), "still blocked") {
		t.Errorf("Close error %v does not say a write was blocked", err)
	}
	if err := read.SetReadDeadline(time.Now().Add(wait)); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(read)
	for i := 1; i <= c.Delivered; i++ {
		if !sc.Scan() {
			t.Fatalf("the reader got %d lines, but %d events were reported delivered: %v", i-1, c.Delivered, sc.Err())
		}
		if want := fmt.Sprintf(`"version":"%d"`, i); !bytes.Contains(sc.Bytes(), []byte(want)) {
			t.Fatalf("line %d is not event %d: %.200s", i, i, sc.Bytes())
		}
	}
}

func hostileStalledFIFO(t *testing.T, _ string) {
	path := mkfifo(t)
	read := openFIFOReader(t, path)
	cfg := event.Config{FileOutputs: []file.Config{{Path: path}}}
	r := newBoundedRig(t, cfg, event.Options{CloseTimeout: time.Second}, func() {})
	r.record(3000)
	waitFor(t, "the FIFO to fill up", func() bool { return writeBlocked(t, r, read) })
	checkStuckClose(t, r, "file:"+path, read)
}

func hostileFIFOWithoutReader(t *testing.T, _ string) {
	path := mkfifo(t)
	cfg := event.Config{FileOutputs: []file.Config{{Path: path}}}
	r := newBoundedRig(t, cfg, event.Options{CloseTimeout: time.Second}, func() { openFIFOReader(t, path) })
	r.record(100)
	took, err := closeBounded(t, r, func() { openFIFOReader(t, path) })
	c := r.conserved("file:" + path)
	t.Logf("FIGURES %v; Close took %v: %v", c, took.Round(time.Millisecond), err)
	if c.Delivered != 0 || c.Failed+c.QueueDrops != 100 || c.Failed == 0 {
		t.Errorf("%v; want every event failed (or dropped at Close)", c)
	}
	if !strings.Contains(r.logs.String(), "no process has the FIFO open for reading") {
		t.Errorf("the log does not say why the events failed:\n%s", r.logs.String())
	}
}

func hostileStalledStdout(t *testing.T, _ string) {
	read, write, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// The pipe ends are closed when the test ends, which also ends the
	// write the output gave up on (stdout is not the output's to close).
	t.Cleanup(func() { read.Close(); write.Close() })
	orig := os.Stdout
	os.Stdout = write
	r, err := tryRig(t, event.Config{StdoutOutputs: []event.StdoutOutputConfig{{}}}, event.Options{CloseTimeout: time.Second})
	os.Stdout = orig
	if err != nil {
		t.Fatal(err)
	}
	r.record(3000)
	waitFor(t, "the pipe to fill up", func() bool { return writeBlocked(t, r, read) })
	checkStuckClose(t, r, "stdout", read)
}

func hostileTinyCloseTimeout(t *testing.T, _ string) {
	rx := newReceiver(t, answerNever, false)
	cfg := mustLoad(t, "webhook_outputs: [{url: "+rx.url()+"}]")
	r := newRig(t, cfg, event.Options{CloseTimeout: time.Nanosecond})
	r.record(20)
	waitFor(t, "the webhook's four workers to wait on the receiver", func() bool { return rx.requests.Load() == 4 })
	took, err := r.close()
	c := r.conserved("webhook:" + rx.url())
	t.Logf("FIGURES %v; Close took %v: %v", c, took.Round(time.Millisecond), err)
	if took > time.Second {
		t.Errorf("Close with a budget of 1ns took %v", took)
	}
	if c.Failed != 20 {
		t.Errorf("%v; want all 20 failed", c)
	}
}

func hostileSharedRegistry(t *testing.T, _ string) {
	reg := prometheus.NewRegistry()
	dir := t.TempDir()
	open := func(i int) event.Recorder {
		cfg := event.Config{FileOutputs: []file.Config{{Path: filepath.Join(dir, fmt.Sprintf("events-%d.jsonl", i))}}}
		cfg.FileOutputs[0].Name = "audit"
		rec, err := event.New(cfg, event.Options{Registerer: reg})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	run := func(rec event.Recorder, before, after int) {
		for i := range before {
			rec.RecordEvent(ctxOn, seqEvent(i+1))
		}
		if err := rec.Close(); err != nil {
			t.Fatal(err)
		}
		for i := range after {
			rec.RecordEvent(ctxOn, seqEvent(i+1)) // dropped: the recorder is closed
		}
	}
	first := open(1)
	run(first, 3, 2)
	second := open(2)
	if got := second.Dropped(); got != 0 {
		t.Errorf("a recorder new on a used registry starts with Dropped() = %d", got)
	}
	run(second, 5, 4)
	for _, c := range []struct {
		name             string
		rec              event.Recorder
		delivered, drops uint64
	}{{"first", first, 3, 2}, {"second", second, 5, 4}} {
		s := c.rec.Stats()
		if len(s) != 1 || s[0].Name != "audit" || s[0].Delivered != c.delivered || s[0].Dropped+s[0].Failed != 0 {
			t.Errorf("%s recorder: Stats() = %+v, want %d delivered", c.name, s, c.delivered)
		}
		if got := c.rec.Dropped(); got != c.drops {
			t.Errorf("%s recorder: Dropped() = %d, want %d", c.name, got, c.drops)
		}
	}
	if got := metricSum(t, reg, "alertmanager_events_recorded_total", map[string]string{"output": "audit", "result": "success"}); got != 8 {
		t.Errorf("events_recorded_total{output=audit,result=success} = %v, want 8 (both recorders)", got)
	}
	if got := metricSum(t, reg, "alertmanager_events_dropped_total", nil); got != 6 {
		t.Errorf("events_dropped_total = %v, want 6 (both recorders)", got)
	}
}
