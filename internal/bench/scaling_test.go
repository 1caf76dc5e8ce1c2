package bench_test

import (
	"fmt"
	"testing"

	"github.com/prometheus/alertmanager/alert"
	"github.com/prometheus/common/model"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/internal/bench"
	"github.com/eventrecorder/eventrecorder/internal/testtool"
)

// alertWithLabels is the reference alert with n labels (none at all for
// 0, else the alert name and n-1 others of the reference's shape).
func alertWithLabels(n int) *alert.Alert {
	a := bench.ReferenceAlert()
	labels := model.LabelSet{}
	if n > 0 {
		labels["alertname"] = "KubePodCrashLooping"
	}
	for i := range n - 1 {
		labels[model.LabelName(fmt.Sprintf("label_%03d", i))] = model.LabelValue(fmt.Sprintf("value-%d-of-a-typical-length", i))
	}
	a.Labels = labels
	return a
}

// BenchmarkLabels is the CPU per event (user + system, every thread of the
// process) of a recorder with one file output writing to /dev/null, for
// alerts of 0, 10, 50 and 200 labels (three annotations each): how the
// consumer's cost, the envelope, encoding and the write, grows with the
// event. B/event is the encoded size, so the growth per byte shows too.
// The event is built once; building it is the caller's cost, measured in
// event's construct benchmarks.
func BenchmarkLabels(b *testing.B) {
	testtool.ServiceHeap(b)
	for _, n := range []int{0, 10, 50, 200} {
		b.Run(fmt.Sprintf("labels=%d", n), func(b *testing.B) {
			data := event.NewAlertCreatedEvent(alertWithLabels(n))
			p := newFileRecorderTo(b, 1, b.N, true)
			b.ReportAllocs()
			b.ResetTimer()
			before, err := bench.CPUTime()
			if err != nil {
				b.Fatal(err)
			}
			err = p.run(b.N, data)
			after, cpuErr := bench.CPUTime()
			b.StopTimer()
			if err != nil || cpuErr != nil {
				b.Fatal(err, cpuErr)
			}
			p.check(b, b.N)
			b.ReportMetric(float64(after-before)/float64(b.N), "cpu-ns/event")
			b.ReportMetric(float64(p.rec.Stats()[0].Bytes)/float64(b.N), "B/event")
		})
	}
}

// TestLabelsPipeline checks the labels benchmark's events: each size
// encodes to the reference event's shape with exactly n labels, every
// event delivered.
func TestLabelsPipeline(t *testing.T) {
	for _, n := range []int{0, 10, 200} {
		data := event.NewAlertCreatedEvent(alertWithLabels(n))
		if got := len(data.GetAlertCreated().GetAlert().GetLabels().GetLabels()); got != n {
			t.Fatalf("labels=%d: the event has %d labels", n, got)
		}
		p := newFileRecorderTo(t, 1, 500, true)
		if err := p.run(500, data); err != nil {
			t.Fatal(err)
		}
		p.check(t, 500)
	}
}
