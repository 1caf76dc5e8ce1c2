package file_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eventrecorder/eventrecorder/internal/testtool"
	"github.com/eventrecorder/eventrecorder/sink/file"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
)

// BenchmarkDeliver measures a batch of 64 events of about 300 bytes each:
// one stat, one write (and with fsync=batch one fsync) per batch.
func BenchmarkDeliver(b *testing.B) {
	testtool.ServiceHeap(b)
	for _, fsync := range []string{"none", "batch"} {
		b.Run("fsync="+fsync, func(b *testing.B) {
			rep := sinktest.NewReporter[int]()
			env := sinktest.Env[int](b, rep)
			env.Reporter = discard{}
			s, err := file.New(file.Config{Path: filepath.Join(b.TempDir(), "events.jsonl"), Fsync: fsync}, env)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			msgs := sinktest.Messages(0, 64)
			pad := strings.Repeat("x", 270)
			for i := range msgs {
				msgs[i].Value = fmt.Appendf(nil, `{"seq":%d,"pad":%q}`, i, pad)
			}
			b.SetBytes(int64(64 * (len(msgs[0].Value) + 1)))
			b.ReportAllocs()
			for b.Loop() {
				s.Deliver(msgs)
			}
			b.ReportMetric(float64(b.N*64)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
