package queue_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/eventrecorder/eventrecorder/queue"
)

// benchRecordBytes is the size of a typical encoded event.
const benchRecordBytes = 500

// BenchmarkDiskQueue moves b.N records of 500 bytes from one producer
// (batches of 64) to one consumer (batches of 64, acked per batch), through
// the memory queue as the baseline and through a Disk under each fsync
// policy. ns/op is per record; MB/s counts payload bytes.
func BenchmarkDiskQueue(b *testing.B) {
	payload := make([]byte, benchRecordBytes)
	for i := range payload {
		payload[i] = byte(i)
	}
	b.Run("memory", func(b *testing.B) {
		q := queue.New[[]byte](benchCapacity)
		b.SetBytes(benchRecordBytes)
		b.ReportAllocs()
		done := make(chan struct{})
		go func() {
			defer close(done)
			batch := make([][]byte, 0, benchBatch)
			for got := 0; got < b.N; {
				var err error
				batch, err = q.PopBatch(context.Background(), batch[:0], benchBatch)
				if err != nil {
					panic(err)
				}
				got += len(batch)
			}
		}()
		for i := 0; i < b.N; i++ {
			for !q.Push(payload) {
				runtime.Gosched()
			}
		}
		<-done
		q.Close()
	})
	for _, p := range []queue.FsyncPolicy{queue.FsyncNone, queue.FsyncBatch, queue.FsyncAlways} {
		b.Run("disk-fsync-"+p.String(), func(b *testing.B) {
			d, err := queue.OpenDisk(b.TempDir(), queue.DiskOptions{Fsync: p, MaxBytes: 256 << 20})
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			batch := make([][]byte, benchBatch)
			for i := range batch {
				batch[i] = payload
			}
			b.SetBytes(benchRecordBytes)
			b.ReportAllocs()
			b.ResetTimer()
			done := make(chan struct{})
			go func() {
				defer close(done)
				var recs []queue.Record
				for got := 0; got < b.N; {
					var err error
					recs, err = d.PopBatch(context.Background(), recs[:0], benchBatch, 0)
					if err != nil {
						panic(err)
					}
					if err := d.Ack(recs[len(recs)-1].Pos); err != nil {
						panic(err)
					}
					got += len(recs)
				}
			}()
			for sent := 0; sent < b.N; {
				n, err := d.PushBatch(batch[:min(benchBatch, b.N-sent)])
				sent += n
				if err != nil {
					if !errors.Is(err, queue.ErrFull) {
						b.Fatal(err)
					}
					runtime.Gosched()
				}
			}
			<-done
		})
	}
}

// BenchmarkDiskReplay opens a Disk holding a 64 MiB backlog of 500-byte
// records, which validates every frame's CRC, beside plainly reading the
// same segment files through a buffer of the same size. MB/s is the
// backlog's size over the time taken.
func BenchmarkDiskReplay(b *testing.B) {
	dir := b.TempDir()
	d, err := queue.OpenDisk(dir, queue.DiskOptions{Fsync: queue.FsyncNone, MaxBytes: 256 << 20})
	if err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, benchRecordBytes)
	batch := make([][]byte, benchBatch)
	for i := range batch {
		batch[i] = payload
	}
	for d.Bytes() < 64<<20 {
		if _, err := d.PushBatch(batch); err != nil {
			b.Fatal(err)
		}
	}
	backlog, records := d.Bytes(), d.Len()
	d.Close()
	b.Run("read-files", func(b *testing.B) {
		b.SetBytes(backlog)
		segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
		for b.Loop() {
			for _, s := range segs {
				f, err := os.Open(s)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, bufio.NewReaderSize(f, 64<<10)); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		}
	})
	b.Run("open", func(b *testing.B) {
		b.SetBytes(backlog)
		for b.Loop() {
			d, err := queue.OpenDisk(dir, queue.DiskOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if d.Len() != records {
				b.Fatalf("replayed %d of %d", d.Len(), records)
			}
			d.Close()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(records), "ns/record")
	})
}
