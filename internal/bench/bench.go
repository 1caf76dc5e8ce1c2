// Package bench holds the end-to-end pipeline benchmarks (in its test
// files) and what they share: the reference event, the envelope a baseline
// wraps it in, CPU-time readings and output checks.
//
// Every benchmark here pairs a recorder pipeline, driven through the public
// API (event.New, event.LoadConfig, the built-in sinks), with a baseline
// doing the same job the plain way in the same process and the same run, so
// that a shared, noisy machine moves both and their ratio stays meaningful,
// and with testtool.ServiceHeap, so that the garbage collector runs as
// often for each of them (see its doc for how much that matters).
// Sub-benchmarks are named impl=<name> so that benchstat -col /impl puts
// each pipeline beside its baseline. internal/benchreport runs them all
// (`make bench`) and writes BENCHMARKS.md.
package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/prometheus/alertmanager/alert"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
)

// Instance is the recorder instance the benchmarks record as.
const Instance = "am-bench-0:9093"

// ReferenceAlert is the alert of the reference event: ten labels (the
// alert name among them) and three annotations of typical lengths, the
// shape the encoder benchmark in event/eventrecorderpb also uses.
func ReferenceAlert() *alert.Alert {
	labels := model.LabelSet{"alertname": "KubePodCrashLooping"}
	for i := range 9 {
		labels[model.LabelName(fmt.Sprintf("label_%02d", i))] = model.LabelValue(fmt.Sprintf("value-%d-of-a-typical-length", i))
	}
	start := time.Unix(1700000000, 123000000).UTC()
	return &alert.Alert{
		Alert: model.Alert{
			Labels: labels,
			Annotations: model.LabelSet{
				"summary":     "Pod is crash looping.",
				"description": `Pod "payments/api-7d9f" (container "api") is in waiting state (reason: "CrashLoopBackOff").`,
				"runbook_url": "https://runbooks.example.com/kubernetes/kubepodcrashlooping",
			},
			StartsAt:     start,
			EndsAt:       start.Add(5 * time.Minute),
			GeneratorURL: "https://prometheus.example.com/graph?g0.expr=up",
		},
		UpdatedAt: start,
	}
}

// ReferenceEvent is the reference event: AlertCreated for ReferenceAlert,
// built by the generated constructor as instrumented code would build it.
func ReferenceEvent() *eventrecorderpb.EventData {
	return event.NewAlertCreatedEvent(ReferenceAlert())
}

// Envelope wraps data the way the recorder does (timestamp, instance) for
// baselines that bypass the recorder. It allocates the event and its
// timestamp together, as the recorder does, so that both sides pay the same
// per-event allocation.
func Envelope(data *eventrecorderpb.EventData, now time.Time) *eventrecorderpb.Event {
	e := &struct {
		ev eventrecorderpb.Event
		ts timestamppb.Timestamp
	}{}
	e.ts.Seconds, e.ts.Nanos = now.Unix(), int32(now.Nanosecond())
	e.ev.Timestamp = &e.ts
	e.ev.Instance = Instance
	e.ev.Data = data
	return &e.ev
}

// EncodedReference is the reference event in its envelope, JSON-encoded
// once: the pre-encoded payload of the transport baselines.
func EncodedReference() []byte {
	b, err := Envelope(ReferenceEvent(), time.Unix(1700000000, 987654321)).AppendJSON(nil)
	if err != nil {
		panic(fmt.Sprintf("bench: encoding the reference event: %v", err)) // the reference event is valid UTF-8
	}
	return b
}

// CPUTime is the user plus system CPU time the whole process has used so
// far, every thread included (the consumer, the sinks' goroutines, the
// garbage collector), which is what a recorder costs its host.
func CPUTime() (time.Duration, error) {
	u, s, err := CPUTimes()
	return u + s, err
}

// CPUTimes is CPUTime split into user and system time. In a file
// pipeline the system time is mostly write(2) copying bytes into the page
// cache, a cost of the destination that every output pays alike.
func CPUTimes() (user, system time.Duration, err error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano()), nil
}

// ThreadCPUTime is the user plus system CPU time the calling thread has
// used. With the goroutine locked to its thread (runtime.LockOSThread) it
// is what that goroutine has cost, the garbage-collection work it was made
// to assist with included, and not the time it waited for a core that
// other processes held: a caller's own cost, on a busy machine too.
func ThreadCPUTime() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// CountLines counts the newline-terminated lines of the file at path and
// reports whether it ends with a partial line.
func CountLines(path string) (lines int, partial bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	last := byte('\n')
	for {
		n, err := f.Read(buf)
		if n > 0 {
			lines += bytes.Count(buf[:n], []byte{'\n'})
			last = buf[n-1]
		}
		if err == io.EOF {
			return lines, last != '\n', nil
		}
		if err != nil {
			return lines, false, err
		}
	}
}

// EachLine calls fn with every line of the file at path (without its
// newline), stopping at the first error fn returns.
func EachLine(path string, fn func(line []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		if err := fn(sc.Bytes()); err != nil {
			return err
		}
	}
	return sc.Err()
}

// Footprint is the heap an event takes while an output holds it, beside
// its encoding: what build allocates (the caller's data) plus its
// envelope, averaged over many builds. It is the M of the documented
// memory bound (README, "Memory is bounded by the buffers").
func Footprint(build func() *eventrecorderpb.EventData) int {
	const n = 1000
	keep := make([]*eventrecorderpb.Event, n)
	now := time.Now()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range keep {
		keep[i] = Envelope(build(), now)
	}
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(keep)
	return int((after.TotalAlloc - before.TotalAlloc) / n)
}
