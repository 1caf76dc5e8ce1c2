package eventrecorderpb

import (
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
)

// BenchmarkEncode compares the generated encoder with protojson.Marshal,
// its baseline, on the reference event in the same run. Summarise with
//
//	go test -run '^$' -bench Encode -count 6 ./event/eventrecorderpb/ > /tmp/enc.txt
//	go -C gen tool benchstat -col /impl /tmp/enc.txt
//
// Target: the generated encoder ≥ 5× faster and ≥ 5× fewer allocations.
func BenchmarkEncode(b *testing.B) {
	ev := referenceEvent()
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
