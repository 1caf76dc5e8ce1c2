package bench_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/internal/bench"
	"github.com/eventrecorder/eventrecorder/internal/testtool"
)

// fileRecorder is a recorder with file outputs whose queue holds the whole
// run, so nothing can be dropped and the figure is what the consumer and
// the file sink sustain.
type fileRecorder struct {
	rec     event.Recorder
	paths   []string // the files written; none for /dev/null
	outputs int
}

func newFileRecorder(tb testing.TB, outputs, events int) *fileRecorder {
	tb.Helper()
	return newFileRecorderTo(tb, outputs, events, false)
}

// newFileRecorderTo is newFileRecorder with, when null is set, every
// output writing to /dev/null (named, since they share a path): the file
// sink does all its work, write(2) included, but the kernel copies no
// bytes into a page cache.
func newFileRecorderTo(tb testing.TB, outputs, events int, null bool) *fileRecorder {
	tb.Helper()
	dir := tb.TempDir()
	p := &fileRecorder{outputs: outputs}
	var y strings.Builder
	y.WriteString("file_outputs:\n")
	for i := range outputs {
		if null {
			fmt.Fprintf(&y, "  - {path: /dev/null, name: null-%d}\n", i)
			continue
		}
		path := filepath.Join(dir, fmt.Sprintf("events-%d.jsonl", i))
		p.paths = append(p.paths, path)
		fmt.Fprintf(&y, "  - path: %q\n", path)
	}
	cfg, err := event.LoadConfig([]byte(y.String()))
	if err != nil {
		tb.Fatalf("LoadConfig: %v\n%s", err, y.String())
	}
	// A queue as long as the run, so that nothing is dropped, up to the
	// recorder's bound (the suite's fixed counts stay below it; a longer
	// run may drop, which check reports).
	queue := min(max(events, 1), event.QueueSizeLimit)
	p.rec, err = event.New(cfg, event.Options{Instance: bench.Instance, QueueSize: queue, CloseTimeout: 2 * wait})
	if err != nil {
		tb.Fatalf("event.New: %v", err)
	}
	tb.Cleanup(func() { _ = p.rec.Close() }) // a no-op once run has closed it
	return p
}

// run records n events and closes the recorder: it returns once every
// file holds its last line.
func (p *fileRecorder) run(n int, data *eventrecorderpb.EventData) error {
	for range n {
		p.rec.RecordEvent(ctxOn, data)
	}
	return p.rec.Close()
}

func (p *fileRecorder) check(tb testing.TB, n int) {
	tb.Helper()
	checkStats(tb, p.rec, p.outputs, n)
	for _, path := range p.paths {
		checkLineCount(tb, path, n)
	}
}

// naivePipeline is the baseline: a channel as large as the run, one
// goroutine that protojson.Marshals each event and writes it with its own
// write(2).
type naivePipeline struct {
	path string
	f    *os.File
	ch   chan *eventrecorderpb.Event
	errc chan error
}

func newNaivePipeline(tb testing.TB, events int) *naivePipeline {
	tb.Helper()
	p := &naivePipeline{
		path: filepath.Join(tb.TempDir(), "naive.jsonl"),
		ch:   make(chan *eventrecorderpb.Event, max(events, 1)),
		errc: make(chan error, 1),
	}
	var err error
	if p.f, err = os.OpenFile(p.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err != nil {
		tb.Fatal(err)
	}
	go func() {
		var first error
		for ev := range p.ch {
			b, err := protojson.Marshal(ev)
			if err == nil {
				_, err = p.f.Write(append(b, '\n'))
			}
			if err != nil && first == nil {
				first = err
			}
		}
		if err := p.f.Close(); err != nil && first == nil {
			first = err
		}
		p.errc <- first
	}()
	return p
}

func (p *naivePipeline) run(n int, data *eventrecorderpb.EventData) error {
	for range n {
		p.ch <- bench.Envelope(data, time.Now())
	}
	close(p.ch)
	return <-p.errc
}

// floorPipeline is the file output's floor: one goroutine, no queue, no
// recorder, encoding each event in its envelope with the generated encoder
// (AppendJSON, as the recorder does) into one reused buffer and writing
// the buffer to an append-only file every event.DefaultMaxBatch events,
// the most the recorder hands its file output at once and so the chunk
// each of the output's write(2) calls carries when it is busy.
type floorPipeline struct {
	path string
	f    *os.File
	buf  []byte
}

func newFloorPipeline(tb testing.TB) *floorPipeline {
	tb.Helper()
	p := &floorPipeline{path: filepath.Join(tb.TempDir(), "floor.jsonl")}
	var err error
	if p.f, err = os.OpenFile(p.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

func (p *floorPipeline) run(n int, data *eventrecorderpb.EventData) error {
	for sent := 0; sent < n; {
		k := min(event.DefaultMaxBatch, n-sent)
		p.buf = p.buf[:0]
		for range k {
			var err error
			// The envelope is built per event, as the recorder's
			// consumer builds it.
			if p.buf, err = bench.Envelope(data, time.Now()).AppendJSON(p.buf); err != nil {
				return err
			}
			p.buf = append(p.buf, '\n')
		}
		if _, err := p.f.Write(p.buf); err != nil {
			return err
		}
		sent += k
	}
	return p.f.Close()
}

func checkLineCount(tb testing.TB, path string, n int) {
	tb.Helper()
	lines, partial, err := bench.CountLines(path)
	if err != nil {
		tb.Fatal(err)
	}
	if lines != n || partial {
		tb.Fatalf("%s: %d lines (partial last line: %v), want %d", path, lines, partial, n)
	}
}

// BenchmarkFileThroughput is sustained lossless throughput into a JSONL
// file: events/s from the first RecordEvent until the file holds the last
// line, the recorder (generated encoder, batched writes) against the naive
// pipeline. allocs/op is per event, both ends included: the envelope the
// caller's RecordEvent allocates and whatever the consumer and the sink
// allocate per event in steady state.
//
// impl=floor is what the same work costs with nothing of the recorder
// around it (see floorPipeline).
//
// Targets: impl=recorder ≥ 10× impl=naive and ≥ 0.7× impl=floor in
// events/s.
func BenchmarkFileThroughput(b *testing.B) {
	testtool.ServiceHeap(b)
	data := bench.ReferenceEvent()
	b.Run("impl=recorder", func(b *testing.B) {
		p := newFileRecorder(b, 1, b.N)
		b.ReportAllocs()
		b.ResetTimer()
		err := p.run(b.N, data)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		p.check(b, b.N)
		reportRate(b)
	})
	b.Run("impl=floor", func(b *testing.B) {
		p := newFloorPipeline(b)
		b.ReportAllocs()
		b.ResetTimer()
		err := p.run(b.N, data)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		checkLineCount(b, p.path, b.N)
		reportRate(b)
	})
	b.Run("impl=naive", func(b *testing.B) {
		p := newNaivePipeline(b, b.N)
		b.ReportAllocs()
		b.ResetTimer()
		err := p.run(b.N, data)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		checkLineCount(b, p.path, b.N)
		reportRate(b)
	})
}

// BenchmarkFanOut is the CPU a recorder spends per event (user + system,
// every thread of the process) with 1, 3, 10 or 30 file outputs writing to
// /dev/null, and 1 or 3 writing real files. The recorder encodes each
// event once per format, so every extra output should cost only its
// writes and bookkeeping.
//
// Targets: sinks=3 ≤ 1.3× and sinks=10 ≤ 2× sinks=1 in cpu-ns/event, to
// /dev/null.
func BenchmarkFanOut(b *testing.B) {
	testtool.ServiceHeap(b)
	data := bench.ReferenceEvent()
	for _, dest := range []string{"null", "file"} {
		counts := []int{1, 3, 10, 30}
		if dest == "file" {
			counts = []int{1, 3}
		}
		for _, outputs := range counts {
			b.Run(fmt.Sprintf("dest=%s/sinks=%d", dest, outputs), func(b *testing.B) {
				p := newFileRecorderTo(b, outputs, b.N, dest == "null")
				b.ReportAllocs()
				b.ResetTimer()
				userBefore, sysBefore, err := bench.CPUTimes()
				if err != nil {
					b.Fatal(err)
				}
				err = p.run(b.N, data)
				userAfter, sysAfter, cpuErr := bench.CPUTimes()
				b.StopTimer()
				if err != nil || cpuErr != nil {
					b.Fatal(err, cpuErr)
				}
				p.check(b, b.N)
				user, sys := userAfter-userBefore, sysAfter-sysBefore
				b.ReportMetric(float64(user+sys)/float64(b.N), "cpu-ns/event")
				b.ReportMetric(float64(user)/float64(b.N), "user-ns/event")
				b.ReportMetric(float64(sys)/float64(b.N), "sys-ns/event")
			})
		}
	}
}

// reportRate adds events/s, the figure the throughput targets are stated
// in; one op is one event.
func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// TestFilePipelines runs every file pipeline the benchmarks measure on a
// small run and reads the files back: each must hold exactly the events
// recorded, each line the reference event in its envelope, so that a
// benchmark cannot go fast by writing less or writing something else.
func TestFilePipelines(t *testing.T) {
	const n = 2000
	data := bench.ReferenceEvent()
	t.Run("recorder", func(t *testing.T) {
		for _, outputs := range []int{1, 3} {
			p := newFileRecorder(t, outputs, n)
			if err := p.run(n, data); err != nil {
				t.Fatal(err)
			}
			p.check(t, n)
			for _, path := range p.paths {
				checkReferenceLines(t, path, n)
			}
		}
	})
	t.Run("recorder to /dev/null", func(t *testing.T) {
		p := newFileRecorderTo(t, 3, n, true)
		if err := p.run(n, data); err != nil {
			t.Fatal(err)
		}
		p.check(t, n) // every output delivered exactly n
		// Encodings differ only in the timestamp's fractional digits.
		want := float64(n * len(bench.EncodedReference()))
		for _, st := range p.rec.Stats() {
			if got := float64(st.Bytes); got < 0.99*want || got > 1.01*want {
				t.Errorf("%s wrote %.0f bytes of events, want about %.0f", st.Name, got, want)
			}
		}
	})
	t.Run("floor", func(t *testing.T) {
		p := newFloorPipeline(t)
		if err := p.run(n, data); err != nil {
			t.Fatal(err)
		}
		checkReferenceLines(t, p.path, n)
	})
	t.Run("naive", func(t *testing.T) {
		p := newNaivePipeline(t, n)
		if err := p.run(n, data); err != nil {
			t.Fatal(err)
		}
		checkReferenceLines(t, p.path, n)
	})
}

func checkReferenceLines(t *testing.T, path string, n int) {
	t.Helper()
	want := bench.ReferenceEvent()
	got := 0
	err := bench.EachLine(path, func(line []byte) error {
		var ev eventrecorderpb.Event
		if err := protojson.Unmarshal(line, &ev); err != nil {
			return fmt.Errorf("line %d: %w", got+1, err)
		}
		if ev.GetInstance() != bench.Instance || ev.GetTimestamp() == nil || !proto.Equal(ev.GetData(), want) {
			return fmt.Errorf("line %d is not the reference event from %s: %s", got+1, bench.Instance, line)
		}
		got++
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if got != n {
		t.Fatalf("%s: %d events, want %d", path, got, n)
	}
}

// cpuClock measures the CPU time the whole process spends (user + system,
// every thread: the recorder, the output, the client library and, for the
// loopback receivers and kfake, the destination too) over a benchmark's
// timed run. On a shared machine it moves less with load than the
// wall-clock rate: time spent waiting for a core is not counted.
type cpuClock struct {
	start, took time.Duration
}

func startCPU(b *testing.B) *cpuClock {
	b.Helper()
	t, err := bench.CPUTime()
	if err != nil {
		b.Fatal(err)
	}
	return &cpuClock{start: t}
}

func (c *cpuClock) stop(b *testing.B) {
	b.Helper()
	t, err := bench.CPUTime()
	if err != nil {
		b.Fatal(err)
	}
	c.took = t - c.start
}

// report adds cpu-ns/event, one op being one event.
func (c *cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(c.took)/float64(b.N), "cpu-ns/event")
}
