package event_test

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/alert"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/eventrecorder/eventrecorder/event"
	pb "github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/internal/bench"
	"github.com/eventrecorder/eventrecorder/internal/testtool"
)

// The construction benchmarks measure what instrumented code pays on its
// own goroutine to build an event with the generated constructors and
// converters, against the floor of protobuf's own way: a hand-built
// literal of the same message tree with one heap object per message
// (&LabelPair{} per pair, timestamppb.New per timestamp), which is what
// naive code writes. TestLiteralBaselineBuildsTheSameTree checks that both
// build equal messages, so the two sides do the same job.
//
// event=alert_created is the reference alert (10 labels, 3 annotations);
// event=alert_created+record adds RecordEvent into a recorder with a file
// output on /dev/null. The consumer encodes and writes every event on
// another goroutine; on a machine with few cores it may fall behind the
// caller, and RecordEvent would then measure the rejection of a full
// queue. So every paceEvery events the caller waits, with the timer
// stopped, while the queue is over half full: the time is the caller's
// own, while the consumer runs beside it, and drops/op shows the queue
// never filled. allocs/op counts the consumer's allocations made while
// the timer ran, the envelope it builds per delivered event among them.
// event=notification is NewNotificationEvent for an aggregation group of
// n alerts of the reference shape, each converted by GroupedAlertAsProto.
//
// Besides ns/op, cpu-ns/op is the CPU time of the benchmark's own thread,
// to which its goroutine is locked, per operation: the caller's cost
// without the time it waited for a core other processes held, which on a
// shared machine moves ns/op a lot, and without the consumer's work.

// sinkData keeps what a benchmark builds reachable, so that the compiler
// cannot drop the work.
var sinkData *pb.EventData

func BenchmarkConstruct(b *testing.B) {
	testtool.ServiceHeap(b)
	ref := bench.ReferenceAlert()
	impls := []struct {
		name         string
		alertCreated func(*alert.Alert) *pb.EventData
		notification func([]*alert.Alert, *pb.AlertGroupInfo) *pb.EventData
	}{
		{"generated", event.NewAlertCreatedEvent, generatedNotification},
		{"literal", literalAlertCreated, literalNotification},
	}
	for _, impl := range impls {
		b.Run("event=alert_created/impl="+impl.name, func(b *testing.B) {
			cpu := startCallerCPU(b)
			b.ReportAllocs()
			for b.Loop() {
				sinkData = impl.alertCreated(ref)
			}
			cpu.report(b)
		})
	}
	for _, impl := range impls {
		b.Run("event=alert_created+record/impl="+impl.name, func(b *testing.B) {
			rec, _ := newRecorder(b, mustConfig(b, "file_outputs: [{path: /dev/null, name: construct-bench}]"), event.Options{QueueSize: benchQueue})
			cpu := startCallerCPU(b)
			b.ReportAllocs()
			var n int
			for b.Loop() {
				rec.RecordEvent(ctxOn, impl.alertCreated(ref))
				n++
				paceUntimed(b, cpu, rec, n)
			}
			cpu.report(b)
			dropped := rec.Dropped()
			if err := rec.Close(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(dropped)/float64(b.N), "drops/op")
		})
	}
	benchmarkConstructFloor(b)
	for _, n := range []int{1, 100} {
		alerts := groupOfAlerts(n)
		group := benchGroupInfo()
		for _, impl := range impls {
			b.Run(fmt.Sprintf("event=notification/alerts=%d/impl=%s", n, impl.name), func(b *testing.B) {
				cpu := startCallerCPU(b)
				b.ReportAllocs()
				for b.Loop() {
					sinkData = impl.notification(alerts, group)
				}
				cpu.report(b)
			})
		}
	}
}

// callerCPU adds up the CPU time of the benchmark goroutine's thread while
// the timer runs.
type callerCPU struct {
	total, since time.Duration
}

// startCallerCPU locks the benchmark goroutine to its thread until the
// benchmark ends and starts counting.
func startCallerCPU(b *testing.B) *callerCPU {
	runtime.LockOSThread()
	b.Cleanup(runtime.UnlockOSThread)
	c := &callerCPU{}
	c.start(b)
	return c
}

func (c *callerCPU) read(b *testing.B) time.Duration {
	t, err := bench.ThreadCPUTime()
	if err != nil {
		b.Fatal(err)
	}
	return t
}

func (c *callerCPU) start(b *testing.B) { c.since = c.read(b) }
func (c *callerCPU) stop(b *testing.B)  { c.total += c.read(b) - c.since }

// report stops counting and reports cpu-ns/op.
func (c *callerCPU) report(b *testing.B) {
	c.stop(b)
	b.ReportMetric(float64(c.total.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// paceUntimed is pace with the timer stopped while the caller waits, so
// that the figure is what the caller pays and not how fast the consumer
// drains the queue.
func paceUntimed(b *testing.B, cpu *callerCPU, rec event.Recorder, n int) {
	if n%paceEvery != 0 || event.QueueLen(rec) <= benchQueue/2 {
		return
	}
	b.StopTimer()
	cpu.stop(b)
	for event.QueueLen(rec) > benchQueue/4 {
		runtime.Gosched()
	}
	cpu.start(b)
	b.StartTimer()
}

// groupOfAlerts returns n alerts shaped like the reference alert, each
// with its own label values.
func groupOfAlerts(n int) []*alert.Alert {
	ref := bench.ReferenceAlert()
	out := make([]*alert.Alert, n)
	for i := range out {
		a := *ref
		a.Labels = maps.Clone(ref.Labels)
		a.Labels["label_00"] = model.LabelValue(fmt.Sprintf("pod-%03d", i))
		a.Annotations = maps.Clone(ref.Annotations)
		out[i] = &a
	}
	return out
}

// benchGroupInfo is the aggregation group the notifications belong to,
// built once, as the dispatcher builds it once per group.
func benchGroupInfo() *pb.AlertGroupInfo {
	return &pb.AlertGroupInfo{
		GroupKey:     `{}/{team="a"}:{alertname="KubePodCrashLooping"}`,
		GroupLabels:  event.LabelSetAsProto(model.LabelSet{"alertname": "KubePodCrashLooping"}),
		GroupId:      `{}/{team="a"}`,
		ReceiverName: "team-a-pager",
		GroupUuid:    "0f8c1d1e-5c55-4f1c-9a43-6f1e5b7f1e20",
	}
}

// groupHash stands in for notify's per-alert hash: any value the caller
// computes; the benchmark only needs one per alert.
func groupHash(i int) uint64 { return uint64(i) + 1 }

func notificationParams(alerts []*pb.GroupedAlert, group *pb.AlertGroupInfo) event.NotificationParams {
	return event.NotificationParams{
		GroupInfo:        group,
		Integration:      "webhook",
		IntegrationIndex: 0,
		Reason:           pb.NotifyReason_NOTIFY_REASON_NEW_ALERTS_IN_GROUP,
		FlushID:          42,
		RepeatInterval:   4 * time.Hour,
		Alerts:           alerts,
		FiringAlerts:     alerts,
	}
}

func generatedNotification(alerts []*alert.Alert, group *pb.AlertGroupInfo) *pb.EventData {
	grouped := make([]*pb.GroupedAlert, len(alerts))
	for i, a := range alerts {
		grouped[i] = event.GroupedAlertAsProto(a, groupHash(i))
	}
	return event.NewNotificationEvent(notificationParams(grouped, group))
}

// The literal baseline: the same trees, one allocation per message.

func literalLabelSet(ls model.LabelSet) *pb.LabelSet {
	names := make([]string, 0, len(ls))
	for name := range ls {
		names = append(names, string(name))
	}
	slices.Sort(names)
	pairs := make([]*pb.LabelPair, 0, len(names))
	for _, name := range names {
		pairs = append(pairs, &pb.LabelPair{Key: name, Value: string(ls[model.LabelName(name)])})
	}
	return &pb.LabelSet{Labels: pairs}
}

func literalAlert(a *alert.Alert) *pb.Alert {
	return &pb.Alert{
		Fingerprint: uint64(a.Labels.Fingerprint()),
		Name:        a.Name(),
		Labels:      literalLabelSet(a.Labels),
		Annotations: literalLabelSet(a.Annotations),
		StartsAt:    timestamppb.New(a.StartsAt),
		EndsAt:      timestamppb.New(a.EndsAt),
		Resolved:    a.Resolved(),
	}
}

func literalAlertCreated(a *alert.Alert) *pb.EventData {
	return &pb.EventData{EventType: &pb.EventData_AlertCreated{AlertCreated: &pb.AlertCreatedEvent{Alert: literalAlert(a)}}}
}

func literalNotification(alerts []*alert.Alert, group *pb.AlertGroupInfo) *pb.EventData {
	grouped := make([]*pb.GroupedAlert, len(alerts))
	for i, a := range alerts {
		grouped[i] = &pb.GroupedAlert{Hash: groupHash(i), Details: literalAlert(a)}
	}
	return &pb.EventData{EventType: &pb.EventData_Notification{Notification: &pb.NotificationEvent{
		Alerts:         grouped,
		FiringAlerts:   grouped,
		GroupInfo:      group,
		RepeatInterval: durationpb.New(4 * time.Hour),
		Reason:         pb.NotifyReason_NOTIFY_REASON_NEW_ALERTS_IN_GROUP,
		FlushId:        42,
		Integration:    &pb.Integration{Name: "webhook", Index: 0},
	}}}
}

// TestLiteralBaselineBuildsTheSameTree keeps the baseline honest: it must
// build exactly what the generated code builds.
func TestLiteralBaselineBuildsTheSameTree(t *testing.T) {
	ref := bench.ReferenceAlert()
	requireProto(t, "alert_created", event.NewAlertCreatedEvent(ref), literalAlertCreated(ref))
	alerts, group := groupOfAlerts(100), benchGroupInfo()
	requireProto(t, "notification", generatedNotification(alerts, group), literalNotification(alerts, group))
}
