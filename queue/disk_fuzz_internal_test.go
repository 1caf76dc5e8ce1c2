package queue

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

const fuzzSeg = MinSegmentBytes

// FuzzDiskSegmentBytes opens a queue whose only segment holds arbitrary
// bytes. Opening must not panic; every record handed out must be a frame
// of the original bytes whose CRC holds, in order, with nothing skipped
// silently: either all bytes are whole valid frames or one corrupt run is
// counted.
func FuzzDiskSegmentBytes(f *testing.F) {
	f.Add([]byte{})
	f.Add(appendFrame(appendFrame(nil, []byte("hello")), []byte("world")))
	f.Add(append(appendFrame(nil, []byte("torn")), 3, 0, 0, 0, 1, 2))
	f.Add(append(appendFrame(nil, nil), 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0))
	bad := appendFrame(appendFrame(nil, []byte("abc")), []byte("def"))
	bad[9] ^= 1
	f.Add(bad)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzSeg {
			data = data[:fuzzSeg]
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "0000000000000001.seg"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		d, err := OpenDisk(dir, DiskOptions{SegmentBytes: fuzzSeg, Fsync: FsyncNone})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		off := 0
		var n uint64
		for {
			b := d.TryPopBatch(nil, 7, 100)
			if len(b) == 0 {
				break
			}
			for _, r := range b {
				start := int(r.Pos.end) - len(r.Data) - frameHeader
				if start != off || r.Pos.end > int64(len(data)) {
					t.Fatalf("record at %d..%d, expected to start at %d", start, r.Pos.end, off)
				}
				frame := data[start:r.Pos.end]
				if int(binary.LittleEndian.Uint32(frame)) != len(r.Data) || !bytes.Equal(frame[frameHeader:], r.Data) {
					t.Fatalf("record at %d is not the frame's payload", start)
				}
				sum := crc32.Update(crc32.Checksum(frame[:4], castagnoli), castagnoli, r.Data)
				if sum != binary.LittleEndian.Uint32(frame[4:]) {
					t.Fatalf("record at %d has a bad CRC", start)
				}
				off = int(r.Pos.end)
				n++
			}
		}
		st := d.Stats()
		if st.Replayed != n {
			t.Fatalf("replayed %d, popped %d", st.Replayed, n)
		}
		if want := uint64(0); off < len(data) {
			want = 1
			if st.Corrupt != want {
				t.Fatalf("%d of %d bytes are whole frames, but Corrupt = %d", off, len(data), st.Corrupt)
			}
		} else if st.Corrupt != 0 {
			t.Fatalf("all bytes valid, but Corrupt = %d", st.Corrupt)
		}
	})
}

// FuzzDiskOps runs push, pop, ack, rewind and reopen sequences against a
// model: a slice of unacknowledged records of which the first popped are
// handed out.
func FuzzDiskOps(f *testing.F) {
	f.Add([]byte{0, 10, 0, 200, 2, 3, 3, 5, 2, 3, 4, 2, 3})
	// Pop, ack, pop, rewind, pop again, ack: a re-popped record's Pos.
	f.Add([]byte{0, 20, 1, 0, 20, 1, 0, 20, 1, 2, 0, 0, 3, 2, 0, 0, 4, 2, 0, 0, 3})
	f.Add(bytes.Repeat([]byte{1, 255, 1, 255, 2, 9}, 40))
	f.Add(bytes.Repeat([]byte{1, 255, 1, 255, 5, 2, 3, 3}, 30))
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 600 {
			ops = ops[:600]
		}
		dir := t.TempDir()
		opts := DiskOptions{SegmentBytes: fuzzSeg, MaxBytes: 2 * fuzzSeg, Fsync: FsyncNone}
		d, err := OpenDisk(dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { d.Close() }()
		var model [][]byte // unacknowledged, oldest first
		var modelBytes int64
		popped := 0 // model[:popped] are handed out
		var lastPos Pos
		serial := 0
		next := func(i *int) byte {
			if *i >= len(ops) {
				return 0
			}
			*i++
			return ops[*i-1]
		}
		mkrec := func(size int) []byte {
			serial++
			r := make([]byte, size)
			for j := range r {
				r[j] = byte(serial + j)
			}
			return r
		}
		push := func(r []byte) error {
			fl := int64(frameHeader + len(r))
			if modelBytes+fl > opts.MaxBytes {
				return ErrFull
			}
			model = append(model, r)
			modelBytes += fl
			return nil
		}
		for i := 0; i < len(ops); {
			switch op := next(&i); op % 6 {
			case 0, 1: // push one or a batch of records up to ~16 KiB
				count := 1
				if op%6 == 1 {
					count = int(next(&i)%8) + 1
				}
				var recs [][]byte
				for range count {
					recs = append(recs, mkrec(int(next(&i))*int(next(&i)%64+1)))
				}
				n, err := d.PushBatch(recs)
				wantN, wantErr := 0, error(nil)
				for _, r := range recs {
					if wantErr = push(r); wantErr != nil {
						break
					}
					wantN++
				}
				if n != wantN || !errors.Is(err, wantErr) {
					t.Fatalf("PushBatch of %d = %d, %v; model says %d, %v", len(recs), n, err, wantN, wantErr)
				}
			case 2: // pop
				maxN := int(next(&i)%5) + 1
				maxBytes := int(next(&i)) * 64
				b := d.TryPopBatch(nil, maxN, maxBytes)
				avail := len(model) - popped
				if avail > 0 && len(b) == 0 || len(b) > maxN || len(b) > avail {
					t.Fatalf("popped %d of %d available (max %d)", len(b), avail, maxN)
				}
				sum := 0
				for k, r := range b {
					sum += len(r.Data)
					if k > 0 && maxBytes > 0 && sum > maxBytes {
						t.Fatalf("batch of %d bytes, maxBytes %d", sum, maxBytes)
					}
					if !bytes.Equal(r.Data, model[popped]) {
						t.Fatalf("popped record differs from model record %d", popped)
					}
					popped++
					lastPos = r.Pos
				}
				if len(b) < maxN && len(b) < avail && (maxBytes <= 0 || sum+len(model[popped]) <= maxBytes) {
					t.Fatalf("batch stopped early: %d records, %d bytes", len(b), sum)
				}
			case 3: // ack everything popped
				if popped == 0 {
					continue
				}
				if err := d.Ack(lastPos); err != nil {
					t.Fatal(err)
				}
				for _, r := range model[:popped] {
					modelBytes -= int64(frameHeader + len(r))
				}
				model = model[popped:]
				popped = 0
			case 4:
				d.Rewind()
				popped = 0
			case 5:
				if err := d.Close(); err != nil {
					t.Fatal(err)
				}
				d, err = OpenDisk(dir, opts)
				if err != nil {
					t.Fatal(err)
				}
				if st := d.Stats(); st.Replayed != uint64(len(model)) || st.Corrupt != 0 {
					t.Fatalf("reopen: %+v, model holds %d", st, len(model))
				}
				popped = 0
			}
			if d.Len() != len(model) || d.Bytes() != modelBytes {
				t.Fatalf("Len, Bytes = %d, %d; model %d, %d", d.Len(), d.Bytes(), len(model), modelBytes)
			}
		}
	})
}
