package eventsv2pb

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// BenchmarkEncode compares the generated encoder with protojson.Marshal,
// its baseline, on the v2 reference event in the same run: AlertCreated
// with 10 labels and 3 annotations, as v1's benchmark measures. Summarise
// with
//
//	go test -run '^$' -bench Encode -count 6 ./event/v2/eventsv2pb/ > /tmp/enc.txt
//	go -C gen tool benchstat -col /impl /tmp/enc.txt
//
// Target: the generated encoder ≥ 5× faster and ≥ 5× fewer allocations.
func BenchmarkEncode(b *testing.B) {
	labels := map[string]string{}
	for i := range 10 {
		labels[fmt.Sprintf("label_%02d", i)] = fmt.Sprintf("value-%d-of-a-typical-length", i)
	}
	ev := &Event{
		Timestamp: &timestamppb.Timestamp{Seconds: 1700000000, Nanos: 456000000},
		Instance:  "alertmanager-0.example.com:9093",
		Data: &EventData{EventType: &EventData_AlertCreated{AlertCreated: &AlertCreatedEvent{Alert: &Alert{
			Fingerprint: 0x1b2c3d4e5f607182,
			Name:        "KubePodCrashLooping",
			Labels:      labels,
			Annotations: map[string]string{
				"summary":     "Pod is crash looping.",
				"description": `Pod "payments/api-7d9f" (container "api") is in waiting state (reason: "CrashLoopBackOff").`,
				"runbook_url": "https://runbooks.example.com/kubernetes/kubepodcrashlooping",
			},
			StartsAt: &timestamppb.Timestamp{Seconds: 1700000000, Nanos: 123000000},
			EndsAt:   &timestamppb.Timestamp{Seconds: 1700000300, Nanos: 123000000},
		}}}},
	}
	b.Run("impl=generated", func(b *testing.B) {
		b.ReportAllocs()
		buf, err := ev.AppendJSON(nil)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			// The recorder reuses its buffers, so ours is reused too.
			if buf, err = ev.AppendJSON(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=protojson", func(b *testing.B) {
		b.ReportAllocs()
		out, err := protojson.Marshal(ev)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(out)))
		for b.Loop() {
			if _, err := protojson.Marshal(ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}
