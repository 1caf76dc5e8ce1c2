package stdout_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.yaml.in/yaml/v2"

	"github.com/eventrecorder/eventrecorder/internal/yamltest"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
	"github.com/eventrecorder/eventrecorder/sink/stdout"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// bigMessages are like sinktest.Messages but with a padding field that
// makes each line size bytes or more, far past PIPE_BUF (4096), so that a
// write could be split if it were not one call under the lock.
func bigMessages(first, n, size int) []sink.Message[int] {
	msgs := sinktest.Messages(first, n)
	for i := range msgs {
		seq := first + i
		pad := strings.Repeat(string(rune('a'+seq%26)), size)
		msgs[i].Value = fmt.Appendf(nil, `{"seq":%d,"pad":%q}`, seq, pad)
	}
	return msgs
}

// checkLines parses every line and checks its padding is intact, counting
// each seq.
func checkLines(t *testing.T, data []byte, size int) map[int]int {
	t.Helper()
	seen := map[int]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 4*size+1024)
	n := 0
	for sc.Scan() {
		n++
		var v struct {
			Seq int    `json:"seq"`
			Pad string `json:"pad"`
		}
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("line %d is not one event (interleaved?): %v: %.120q...", n, err, sc.Bytes())
		}
		if want := strings.Repeat(string(rune('a'+v.Seq%26)), size); v.Pad != want {
			t.Fatalf("line %d (seq %d): padding corrupted", n, v.Seq)
		}
		seen[v.Seq]++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatal("output does not end with a newline")
	}
	return seen
}

// countingWriter counts Write calls. It is deliberately not safe for
// concurrent use: the sink's lock is what must protect it.
type countingWriter struct {
	w          io.Writer
	calls      int
	inside     atomic.Int32
	overlapped atomic.Bool
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.inside.Add(1) > 1 {
		c.overlapped.Store(true)
	}
	defer c.inside.Add(-1)
	c.calls++
	return c.w.Write(p)
}

// TestNoInterleavingThroughPipe: two outputs share one real pipe, as two
// stdout outputs share the process's stdout; eight goroutines deliver
// batches of 8 KiB lines. Every line read back is whole.
func TestNoInterleavingThroughPipe(t *testing.T) {
	const (
		goroutines = 8
		batches    = 10
		perBatch   = 5
		size       = 8 << 10
	)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	readDone := make(chan error, 1)
	go func() {
		_, err := io.Copy(&out, r)
		readDone <- err
	}()
	cw := &countingWriter{w: w}
	rep := sinktest.NewReporter[int]()
	sinks := []*stdout.Sink[int]{stdout.NewWriter(cw, sinktest.Env(t, rep)), stdout.NewWriter(cw, sinktest.Env(t, rep))}

	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := sinks[g%2]
			for b := range batches {
				s.Deliver(bigMessages((g*batches+b)*perBatch, perBatch, size))
			}
		}()
	}
	wg.Wait()
	for _, s := range sinks {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	if err := <-readDone; err != nil {
		t.Fatal(err)
	}
	r.Close()

	sent := goroutines * batches * perBatch
	if d, dr, f := rep.Counts(); d != sent || dr+f != 0 || d+dr+f != sent {
		t.Fatalf("delivered %d dropped %d failed %d, want all %d delivered", d, dr, f, sent)
	}
	if cw.calls != goroutines*batches {
		t.Errorf("%d Write calls for %d batches", cw.calls, goroutines*batches)
	}
	if cw.overlapped.Load() {
		t.Error("two Write calls ran at once")
	}
	seen := checkLines(t, out.Bytes(), size)
	if len(seen) != sent {
		t.Errorf("%d distinct events read back, want %d", len(seen), sent)
	}
	for seq := range sent {
		if seen[seq] != 1 {
			t.Errorf("seq %d read back %d times", seq, seen[seq])
		}
	}
}

type failingWriter struct {
	n   int // bytes to accept before failing
	buf bytes.Buffer
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) <= f.n {
		f.n -= len(p)
		return f.buf.Write(p)
	}
	k := f.n
	f.buf.Write(p[:k])
	f.n = 0
	return k, syscall.EPIPE
}

func TestWriteErrorReportsWholeLines(t *testing.T) {
	msgs := sinktest.Messages(0, 4)
	line := len(msgs[0].Value) + 1
	fw := &failingWriter{n: 2*line + 3}
	rep := sinktest.NewReporter[int]()
	s := stdout.NewWriter(fw, sinktest.Env(t, rep))
	s.Deliver(msgs)
	s.Deliver(sinktest.Messages(4, 2))
	// The reader is back: the next batch starts on a line of its own.
	fw.n = 1 << 20
	s.Deliver(sinktest.Messages(6, 1))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if d, dr, f := rep.Counts(); d != 3 || f != 4 || d+dr+f != 7 {
		t.Fatalf("delivered %d dropped %d failed %d, want 3, 0, 4", d, dr, f)
	}
	want := string(msgs[0].Value) + "\n" + string(msgs[1].Value) + "\n" + string(msgs[2].Value[:3]) + "\n" + `{"seq":6,"type":"test_event"}` + "\n"
	if fw.buf.String() != want {
		t.Errorf("output %q, want %q", fw.buf.String(), want)
	}
	for _, err := range rep.Errors() {
		if !errors.Is(err, syscall.EPIPE) || !strings.Contains(err.Error(), "stdout") {
			t.Errorf("error %v, want EPIPE on stdout", err)
		}
	}
}

func TestDeliverAfterClose(t *testing.T) {
	var buf bytes.Buffer
	rep := sinktest.NewReporter[int]()
	s := stdout.NewWriter(&buf, sinktest.Env(t, rep))
	s.Deliver(sinktest.Messages(0, 3))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s.Deliver(sinktest.Messages(3, 2))
	if d, dr, f := rep.Counts(); d != 3 || f != 2 || d+dr+f != 5 {
		t.Fatalf("delivered %d dropped %d failed %d, want 3, 0, 2", d, dr, f)
	}
	if errs := rep.Errors(); len(errs) != 1 || !errors.Is(errs[0], stdout.ErrClosed) {
		t.Fatalf("errors %v", errs)
	}
	want := "{\"seq\":0,\"type\":\"test_event\"}\n{\"seq\":1,\"type\":\"test_event\"}\n{\"seq\":2,\"type\":\"test_event\"}\n"
	if buf.String() != want {
		t.Fatalf("output %q, want %q", buf.String(), want)
	}
}

// TestConfigYAML decodes stdout configurations under both yaml.v2 drivers,
// strict and not, whole and embedded.
func TestConfigYAML(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want stdout.Config
		err  string
	}{
		{doc: "{}"},
		{doc: "", want: stdout.Config{}},
		{doc: "event_types: [alert_created, notification]\nname: audit", want: stdout.Config{Filter: sink.Filter{EventTypes: []string{"alert_created", "notification"}}, Name: "audit"}},
		{doc: "path: x", err: "path: unknown field"},
		{doc: "format: yaml\ncolour: red", err: "format: unknown field\ncolour: unknown field"},
		{doc: "name: a\nname: b", err: "name: key appears more than once"},
		{doc: "event_types: alert", err: `event_types: must be a list, got "alert"`},
		{doc: "event_types: [x, {a: 1}]", err: "event_types[1]: must be a string, got a mapping"},
		{doc: "[]", err: "must be a mapping, got a list"},
		{doc: "name: x\n<<: {name: y}", err: "name: key appears more than once"},
	} {
		got, err := yamltest.Decode[stdout.Config](t, tc.doc)
		switch {
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("%q: error %v, want %s", tc.doc, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.doc, err)
		case tc.err == "" && !reflect.DeepEqual(got, tc.want):
			t.Errorf("%q: decoded %+v, want %+v", tc.doc, got, tc.want)
		}
	}
}

// TestKindWritesToStdout builds the output from the kind table and points
// the process's stdout at a pipe to read what it wrote.
func TestKindWritesToStdout(t *testing.T) {
	k := stdout.Kind[int]()
	if k.Name() != "stdout" || k.Key() != "stdout_outputs" {
		t.Fatalf("name %q key %q", k.Name(), k.Key())
	}
	var doc struct {
		Outputs []yaml.MapSlice `yaml:"stdout_outputs"`
	}
	if err := yaml.UnmarshalStrict([]byte("stdout_outputs: [{}, {event_types: [alert_created]}]"), &doc); err != nil {
		t.Fatal(err)
	}
	var cfgs []any
	for _, raw := range doc.Outputs {
		b, _ := yaml.Marshal(raw)
		cfg, err := k.Decode(func(v any) error { return yaml.UnmarshalStrict(b, v) })
		if err != nil {
			t.Fatal(err)
		}
		cfgs = append(cfgs, cfg)
	}
	if got := cfgs[1].(stdout.Config).EventTypes; len(got) != 1 || got[0] != "alert_created" {
		t.Errorf("event_types decoded as %v", got)
	}
	if k.Format(cfgs[0]) != sink.JSON {
		t.Error("format is not JSON")
	}
	_, err := k.Decode(func(v any) error { return yaml.UnmarshalStrict([]byte("path: x"), v) })
	if err == nil || !strings.Contains(err.Error(), "path") {
		t.Errorf("unknown field: %v", err)
	}

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	orig := os.Stdout
	os.Stdout = w
	rep := sinktest.NewReporter[int]()
	s, err := k.New(cfgs[0], sinktest.Env(t, rep))
	os.Stdout = orig
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != "stdout" {
		t.Errorf("Name() = %q", s.Name())
	}
	s.Deliver(sinktest.Messages(0, 2))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\"seq\":0,\"type\":\"test_event\"}\n{\"seq\":1,\"type\":\"test_event\"}\n"; string(got) != want {
		t.Errorf("stdout got %q, want %q", got, want)
	}
	if d, dr, f := rep.Counts(); d != 2 || d+dr+f != 2 {
		t.Errorf("delivered %d dropped %d failed %d", d, dr, f)
	}
}

// blockingWriter is standard output piped into a process that stopped
// reading: every Write blocks until release is closed.
type blockingWriter struct {
	entered chan struct{} // closed at the first Write
	once    sync.Once
	release chan struct{}
}

func (b *blockingWriter) Write(p []byte) (int, error) {
	b.once.Do(func() { close(b.entered) })
	<-b.release
	return 0, syscall.EPIPE
}

// TestBlockedWriter: a write that never returns fails its batch after the
// stall timeout, later batches fail at once, and Close keeps its budget
// (stdout is not the output's to close, so the write is left to return
// on its own).
func TestBlockedWriter(t *testing.T) {
	const stall, budget = 200 * time.Millisecond, 100 * time.Millisecond
	bw := &blockingWriter{entered: make(chan struct{}), release: make(chan struct{})}
	released := false
	release := func() {
		if !released {
			released = true
			close(bw.release)
		}
	}
	defer release()
	rep := sinktest.NewReporter[int]()
	env := sinktest.Env(t, rep)
	env.CloseTimeout = budget
	s := stdout.NewWriter(bw, env)
	stdout.SetStall(s, stall)

	timed := func(what string, limit time.Duration, f func()) time.Duration {
		t.Helper()
		done := make(chan time.Duration, 1)
		go func() {
			start := time.Now()
			f()
			done <- time.Since(start)
		}()
		select {
		case took := <-done:
			return took
		case <-time.After(limit):
			t.Errorf("%s did not return within %v", what, limit)
			release()
			return <-done
		}
	}
	if took := timed("Deliver", stall+5*time.Second, func() { s.Deliver(sinktest.Messages(0, 3)) }); took < stall {
		t.Errorf("Deliver returned after %v, before the stall timeout %v, with the write still blocked", took, stall)
	}
	timed("Deliver behind a blocked write", stall, func() { s.Deliver(sinktest.Messages(3, 2)) })
	var err error
	timed("Close", budget+5*time.Second, func() { err = s.Close() })
	if err == nil || !strings.Contains(err.Error(), "a write was still blocked after the close budget of 100ms") {
		t.Errorf("Close: %v", err)
	}
	if d, dr, f := rep.Counts(); d != 0 || dr != 0 || f != 5 {
		t.Errorf("delivered %d dropped %d failed %d, want all 5 failed", d, dr, f)
	}
	errs := rep.Errors()
	if len(errs) != 2 || !strings.Contains(errs[0].Error(), "write to stdout: did not return within 200ms") ||
		!strings.Contains(errs[1].Error(), "write to stdout: not attempted: the previous write has been blocked") {
		t.Errorf("errors %v", errs)
	}
}
