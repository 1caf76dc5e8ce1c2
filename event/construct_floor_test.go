package event_test

import (
	"testing"

	"github.com/prometheus/alertmanager/alert"
	"github.com/prometheus/common/model"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/internal/bench"
)

// The construction floor: the least any constructor of alert_created must
// do on the caller's goroutine, whatever types it builds. The caller's
// labels live in maps it may change once RecordEvent returns, so they are
// walked and copied out; the event carries them in name order, so they
// are sorted; it carries model's fingerprint, FNV-1a over the sorted
// pairs, so that is computed; and what is copied must live on the heap,
// so there is one allocation. The floor does exactly that into plain Go
// structs (32 B per pair against protobuf-go's 72 B LabelPair with its
// message state), with no protobuf message at all. Its record variant
// adds a send on a buffered channel drained by another goroutine, the
// baseline RecordEvent is held to. Where this figure is above 1 µs, no
// constructor and queue can meet the 1 µs on that machine;
// TestConstructFloorIsTheEvent keeps the floor doing the whole job.

type floorPair struct{ name, value string }

type floorAlert struct {
	fingerprint          uint64
	name                 string
	startsSec, endsSec   int64
	startsNsec, endsNsec int32
	resolved             bool
	labels, annotations  []floorPair
}

// floorBlock is the alert and room for the reference shape's pairs in one
// allocation; larger alerts take a second.
type floorBlock struct {
	alert floorAlert
	pairs [16]floorPair
}

var sinkFloor *floorAlert

func floorAlertCreated(a *alert.Alert) *floorAlert {
	blk := new(floorBlock)
	pairs := blk.pairs[:]
	if n := len(a.Labels) + len(a.Annotations); n > len(pairs) {
		pairs = make([]floorPair, n)
	}
	labels := copySorted(pairs[:0], a.Labels)
	annotations := copySorted(pairs[len(labels):len(labels)], a.Annotations)
	fa := &blk.alert
	fa.labels, fa.annotations = labels, annotations
	fa.fingerprint = floorFingerprint(labels)
	fa.name = string(a.Labels[model.AlertNameLabel])
	fa.startsSec, fa.startsNsec = a.StartsAt.Unix(), int32(a.StartsAt.Nanosecond())
	fa.endsSec, fa.endsNsec = a.EndsAt.Unix(), int32(a.EndsAt.Nanosecond())
	fa.resolved = a.Resolved()
	return fa
}

// copySorted appends the set's pairs to dst (which has room) and sorts
// them by name with an insertion sort, the cheapest for a dozen.
func copySorted(dst []floorPair, ls model.LabelSet) []floorPair {
	for name, value := range ls {
		dst = append(dst, floorPair{string(name), string(value)})
	}
	for i := 1; i < len(dst); i++ {
		x := dst[i]
		j := i
		for ; j > 0 && x.name < dst[j-1].name; j-- {
			dst[j] = dst[j-1]
		}
		dst[j] = x
	}
	return dst
}

// floorFingerprint is model.LabelSet.Fingerprint over pairs already in
// name order: FNV-1a 64 over each name and value, each followed by
// model.SeparatorByte.
func floorFingerprint(pairs []floorPair) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	for _, p := range pairs {
		for i := 0; i < len(p.name); i++ {
			h = (h ^ uint64(p.name[i])) * prime
		}
		h = (h ^ uint64(model.SeparatorByte)) * prime
		for i := 0; i < len(p.value); i++ {
			h = (h ^ uint64(p.value[i])) * prime
		}
		h = (h ^ uint64(model.SeparatorByte)) * prime
	}
	return h
}

func benchmarkConstructFloor(b *testing.B) {
	ref := bench.ReferenceAlert()
	b.Run("event=alert_created/impl=floor", func(b *testing.B) {
		cpu := startCallerCPU(b)
		b.ReportAllocs()
		for b.Loop() {
			sinkFloor = floorAlertCreated(ref)
		}
		cpu.report(b)
	})
	b.Run("event=alert_created+record/impl=floor", func(b *testing.B) {
		ch := make(chan *floorAlert, benchQueue)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range ch {
			}
		}()
		cpu := startCallerCPU(b)
		b.ReportAllocs()
		for b.Loop() {
			ch <- floorAlertCreated(ref)
		}
		cpu.report(b)
		close(ch)
		<-done
		b.ReportMetric(0, "drops/op")
	})
}

// TestConstructFloorIsTheEvent keeps the floor honest: it must capture
// everything NewAlertCreatedEvent puts in the event, the fingerprint
// model computes and the pairs in the same order.
func TestConstructFloorIsTheEvent(t *testing.T) {
	ref := bench.ReferenceAlert()
	fa := floorAlertCreated(ref)
	got := event.NewAlertCreatedEvent(ref).GetAlertCreated().GetAlert()
	if want := uint64(ref.Labels.Fingerprint()); fa.fingerprint != want || got.GetFingerprint() != want {
		t.Fatalf("fingerprint: floor %d, generated %d, model %d", fa.fingerprint, got.GetFingerprint(), want)
	}
	check := func(what string, floor []floorPair, gen interface {
		GetKey() string
		GetValue() string
	}, i int) {
		t.Helper()
		if floor[i].name != gen.GetKey() || floor[i].value != gen.GetValue() {
			t.Fatalf("%s[%d]: floor %q=%q, generated %q=%q", what, i, floor[i].name, floor[i].value, gen.GetKey(), gen.GetValue())
		}
	}
	if len(fa.labels) != len(got.GetLabels().GetLabels()) || len(fa.annotations) != len(got.GetAnnotations().GetLabels()) {
		t.Fatalf("pairs: floor %d+%d, generated %d+%d", len(fa.labels), len(fa.annotations), len(got.GetLabels().GetLabels()), len(got.GetAnnotations().GetLabels()))
	}
	for i, p := range got.GetLabels().GetLabels() {
		check("labels", fa.labels, p, i)
	}
	for i, p := range got.GetAnnotations().GetLabels() {
		check("annotations", fa.annotations, p, i)
	}
	if fa.name != got.GetName() || fa.resolved != got.GetResolved() ||
		fa.startsSec != got.GetStartsAt().GetSeconds() || fa.startsNsec != got.GetStartsAt().GetNanos() ||
		fa.endsSec != got.GetEndsAt().GetSeconds() || fa.endsNsec != got.GetEndsAt().GetNanos() {
		t.Fatalf("scalars differ: floor %+v, generated %v", fa, got)
	}
	if n := testing.AllocsPerRun(100, func() { sinkFloor = floorAlertCreated(ref) }); n != 1 {
		t.Fatalf("floor allocations: %v, want 1", n)
	}
}
