package runtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/eventrecorder/eventrecorder/event/runtime"
	"github.com/eventrecorder/eventrecorder/sink"
)

// laterSink is an asynchronous output: Deliver hands each batch to a
// goroutine that checks every value is the toy event it should be (its
// n one more than the last), and then reports it Delivered and, when
// releases is set, gives it back through Env.Release. keep instead holds
// every message until Close, and checks and reports them there.
type laterSink struct {
	env      sink.Env[*toyEvent]
	id       int
	releases bool
	keep     bool
	in       chan []sink.Message[*toyEvent]
	done     chan struct{}

	pad func(n int) int // the Pad length of event n

	mu   sync.Mutex
	next int
	bad  []string
	kept []sink.Message[*toyEvent]
}

type laterConfig struct {
	ID   int  `yaml:"id"`
	Keep bool `yaml:"keep"`
}

func newLaterSink(env sink.Env[*toyEvent], releases, keep bool) *laterSink {
	s := &laterSink{env: env, releases: releases, keep: keep, in: make(chan []sink.Message[*toyEvent], 4), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for batch := range s.in {
			if s.keep {
				s.kept = append(s.kept, batch...)
				continue
			}
			s.check(batch)
			s.env.Reporter.Report(batch, sink.Delivered, nil)
			if s.releases {
				s.env.Release(batch)
			}
		}
	}()
	return s
}

func (s *laterSink) check(batch []sink.Message[*toyEvent]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range batch {
		var ev toyEvent
		if err := json.Unmarshal(m.Value, &ev); err != nil || ev.Data == nil || ev.Data.N != s.next || len(ev.Data.Pad) != s.pad(s.next) {
			if len(s.bad) < 5 {
				s.bad = append(s.bad, fmt.Sprintf("event %d: value %q (%v)", s.next, m.Value, err))
			}
		}
		s.next++
	}
}

func (s *laterSink) Name() string { return fmt.Sprintf("later:%d", s.id) }

func (s *laterSink) Deliver(batch []sink.Message[*toyEvent]) {
	s.in <- append([]sink.Message[*toyEvent](nil), batch...)
}

func (s *laterSink) Close() error {
	close(s.in)
	<-s.done
	if s.keep {
		s.check(s.kept)
		s.env.Reporter.Report(s.kept, sink.Delivered, nil)
	}
	return nil
}

func (s *laterSink) ReleasesValues() bool { return s.releases && s.env.Release != nil }

// laterRecorder records n toy events, numbered from 0, into one output
// per config, all of the later kind; releases says whether outputs that
// do not keep give values back. Event n is padded by pad(n) bytes, none
// if pad is nil.
func laterRecorder(t *testing.T, n int, releases bool, pad func(int) int, configs ...laterConfig) (*runtime.Recorder[*toyEvent, *toyData], []*laterSink) {
	t.Helper()
	if pad == nil {
		pad = func(int) int { return 0 }
	}
	rt := runtime.Bind(toySchema)
	var sinks []*laterSink
	var mu sync.Mutex
	if err := rt.RegisterKind(sink.KindOf[*toyEvent, laterConfig]{
		Name: "later",
		New: func(c laterConfig, env sink.Env[*toyEvent]) (sink.Sink[*toyEvent], error) {
			s := newLaterSink(env, releases && !c.Keep, c.Keep)
			s.id, s.pad = c.ID, pad
			mu.Lock()
			sinks = append(sinks, s)
			mu.Unlock()
			return s, nil
		},
	}.Kind()); err != nil {
		t.Fatal(err)
	}
	var outs []any
	for _, c := range configs {
		outs = append(outs, c)
	}
	// A queue that holds every event: this test needs them all.
	rec, err := rt.New(runtime.Config{Outputs: map[string][]any{"later": outs}}, runtime.Options{Instance: "toy-1", QueueSize: n})
	if err != nil {
		t.Fatal(err)
	}
	runtime.PoisonReleasedSlabs(rec)
	ctx := runtime.WithEventRecording(context.Background())
	for i := range n {
		rec.RecordEvent(ctx, &toyData{Kind: "a", N: i, Pad: strings.Repeat("x", pad(i))})
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	for _, st := range rec.Stats() {
		if st.Delivered != uint64(n) || st.Accounted() != uint64(n) {
			t.Errorf("output %s: %+v, want all %d delivered", st.Name, st, n)
		}
	}
	return rec, sinks
}

// TestReleasedValuesAreReused: an asynchronous output that gives values
// back gets them cut from slabs the recorder reuses, and each value it
// reads is still its own event, although every slab is overwritten as it
// becomes idle: the recorder holds a slab until every output has given
// back every value cut from it. With mixed sizes the events come in three
// sizes in an irregular order: small ones that share a slab, ones of about
// 3.5 KiB that fill most of one, and ones larger than a slab, alone or
// three in a row, which get arrays of their own.
func TestReleasedValuesAreReused(t *testing.T) {
	mixed := func(i int) int {
		switch {
		case i%503 < 3:
			return 2 * runtime.SlabSize
		case i%101 == 0:
			return 3 * runtime.SlabSize / 2
		case i%7 == 3:
			return 7 << 9 // 3.5 KiB
		}
		return i % 50
	}
	for _, tc := range []struct {
		name string
		n    int
		pad  func(int) int
	}{
		{"uniform", 50000, nil}, // ~4.5 MB of values: ~1100 slabs, were none reused
		{"mixed sizes", 20000, mixed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, sinks := laterRecorder(t, tc.n, true, tc.pad, laterConfig{ID: 1}, laterConfig{ID: 2})
			checkRead(t, sinks, tc.n)
			if made := runtime.SlabsMade(rec); made == 0 || made >= runtime.MaxPooledSlabs {
				t.Errorf("the pool made %d slabs, want between 1 and %d: slabs are not reused", made, runtime.MaxPooledSlabs-1)
			}
		})
	}
}

// checkRead checks that every sink read all n events, each its own.
func checkRead(t *testing.T, sinks []*laterSink, n int) {
	t.Helper()
	for _, s := range sinks {
		if s.next != n || len(s.bad) > 0 {
			t.Errorf("%s read %d events, want %d; wrong: %v", s.Name(), s.next, n, s.bad)
		}
	}
}

// TestKeptValuesAreNotReused: beside an output that gives values back,
// one that keeps them (as a buffer does) makes the recorder leave the
// encoding's values to the garbage collector: every kept value is intact
// at Close.
func TestKeptValuesAreNotReused(t *testing.T) {
	const n = 20000
	rec, sinks := laterRecorder(t, n, true, nil, laterConfig{ID: 1}, laterConfig{ID: 2, Keep: true})
	checkRead(t, sinks, n)
	if made := runtime.SlabsMade(rec); made != 0 {
		t.Errorf("the pool made %d slabs with an output that keeps values, want none", made)
	}
}

// TestUnreleasedValuesAreNotReused: an output that does not say it
// gives values back keeps the pool out of use.
func TestUnreleasedValuesAreNotReused(t *testing.T) {
	rec, _ := laterRecorder(t, 5000, false, nil, laterConfig{})
	if made := runtime.SlabsMade(rec); made != 0 {
		t.Errorf("the pool made %d slabs for an output that does not release, want none", made)
	}
}
