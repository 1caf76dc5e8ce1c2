package queue_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/queue"
)

// Child processes: the test binary run again with diskChildEnv naming a
// role and diskDirEnv the queue directory.
const (
	diskChildEnv = "EVENTRECORDER_QUEUE_DISK_CHILD"
	diskDirEnv   = "EVENTRECORDER_QUEUE_DISK_DIR"

	exitLocked   = 3
	exitOtherErr = 4
)

const testSeg = 64 << 10 // smallest segment, so tests roll often

// rec is record i's payload: its index then filler whose length and bytes
// depend on i, so a record read back proves which one it is.
func rec(i int) []byte {
	b := make([]byte, 8+i%300)
	binary.LittleEndian.PutUint64(b, uint64(i))
	for j := 8; j < len(b); j++ {
		b[j] = byte(i + j)
	}
	return b
}

func recIndex(t testing.TB, b []byte) int {
	t.Helper()
	if len(b) < 8 {
		t.Fatalf("record of %d bytes", len(b))
	}
	i := int(binary.LittleEndian.Uint64(b))
	if !bytes.Equal(b, rec(i)) {
		t.Fatalf("record claiming index %d has wrong contents (%d bytes)", i, len(b))
	}
	return i
}

// runDiskChild runs a child role and exits, or returns false in the parent.
func runDiskChild() bool {
	role := os.Getenv(diskChildEnv)
	if role == "" {
		return false
	}
	dir := os.Getenv(diskDirEnv)
	switch role {
	case "pusher":
		childPusher(dir)
	case "open":
		d, err := queue.OpenDisk(dir, queue.DiskOptions{SegmentBytes: testSeg})
		if err != nil {
			fmt.Println(err)
			if errors.Is(err, queue.ErrLocked) {
				os.Exit(exitLocked)
			}
			os.Exit(exitOtherErr)
		}
		d.Close()
		fmt.Println("opened")
	}
	os.Exit(0)
	return true
}

// childPusher pushes rec(1), rec(2), ... with FsyncAlways, printing
// "push i" after Push(rec(i)) returned, while a consumer pops and acks,
// printing "ack i" after Ack covered rec(i). It runs until killed.
func childPusher(dir string) {
	d, err := queue.OpenDisk(dir, queue.DiskOptions{SegmentBytes: testSeg, MaxBytes: 1 << 30, Fsync: queue.FsyncAlways})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(exitOtherErr)
	}
	go func() {
		var batch []queue.Record
		for n := 0; ; n++ {
			batch, err = d.PopBatch(context.Background(), batch[:0], 1+n%17, 0)
			if err != nil {
				fmt.Println("error", err)
				os.Exit(exitOtherErr)
			}
			last := batch[len(batch)-1]
			idx := binary.LittleEndian.Uint64(last.Data)
			if err := d.Ack(last.Pos); err != nil {
				fmt.Println("error", err)
				os.Exit(exitOtherErr)
			}
			os.Stdout.WriteString("ack " + strconv.FormatUint(idx, 10) + "\n")
		}
	}()
	for i := 1; i < 1e7; i++ {
		if err := d.Push(rec(i)); err != nil {
			fmt.Println("error", err)
			os.Exit(exitOtherErr)
		}
		os.Stdout.WriteString("push " + strconv.Itoa(i) + "\n")
	}
}

func childCmd(t *testing.T, role, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), diskChildEnv+"="+role, diskDirEnv+"="+dir)
	return cmd
}

func openDisk(t *testing.T, dir string, opts queue.DiskOptions) *queue.Disk {
	t.Helper()
	if opts.SegmentBytes == 0 {
		opts.SegmentBytes = testSeg
	}
	d, err := queue.OpenDisk(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// popAll takes every ready record, checking each is the next index.
func popAll(t *testing.T, d *queue.Disk, next int) (int, queue.Pos) {
	t.Helper()
	var last queue.Pos
	var batch []queue.Record
	for {
		batch = d.TryPopBatch(batch[:0], 50, 0)
		if len(batch) == 0 {
			return next, last
		}
		for _, r := range batch {
			if got := recIndex(t, r.Data); got != next {
				t.Fatalf("popped record %d, want %d", got, next)
			}
			next++
			last = r.Pos
		}
	}
}

func segFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDiskRoundTripAcrossRolls(t *testing.T) {
	dir := t.TempDir()
	d := openDisk(t, dir, queue.DiskOptions{MaxBytes: 4 << 20})
	const n = 2000 // ~330 KB: several 64 KiB segments
	var recs [][]byte
	for i := 1; i <= n; i++ {
		recs = append(recs, rec(i))
	}
	if k, err := d.PushBatch(recs[:n/2]); k != n/2 || err != nil {
		t.Fatalf("PushBatch = %d, %v", k, err)
	}
	for _, r := range recs[n/2:] {
		if err := d.Push(r); err != nil {
			t.Fatal(err)
		}
	}
	var want int64
	for _, r := range recs {
		want += int64(8 + len(r))
	}
	if d.Len() != n || d.Bytes() != want {
		t.Fatalf("Len, Bytes = %d, %d; want %d, %d", d.Len(), d.Bytes(), n, want)
	}
	if segs := len(segFiles(t, dir)); segs < 5 {
		t.Fatalf("%d segment files; the test wants several rolls", segs)
	}
	next, last := popAll(t, d, 1)
	if next != n+1 {
		t.Fatalf("popped up to %d, want %d", next-1, n)
	}
	// Popped is not acked: still held.
	if d.Len() != n {
		t.Fatalf("Len after pop = %d, want %d", d.Len(), n)
	}
	if err := d.Ack(last); err != nil {
		t.Fatal(err)
	}
	if d.Len() != 0 || d.Bytes() != 0 {
		t.Fatalf("Len, Bytes after Ack = %d, %d", d.Len(), d.Bytes())
	}
	if segs := segFiles(t, dir); len(segs) != 1 {
		t.Fatalf("segments after acking everything: %v, want only the write segment", segs)
	}
}

func TestDiskPopBatchLimits(t *testing.T) {
	d := openDisk(t, t.TempDir(), queue.DiskOptions{})
	for i := 1; i <= 10; i++ {
		if err := d.Push(rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	// rec(i) is 8+i bytes: 9+10+11 = 30 fits 31, the fourth does not.
	b := d.TryPopBatch(nil, 100, 31)
	if len(b) != 3 || recIndex(t, b[0].Data) != 1 || recIndex(t, b[2].Data) != 3 {
		t.Fatalf("maxBytes 31 gave %d records", len(b))
	}
	b = d.TryPopBatch(b[:0], 2, 0)
	if len(b) != 2 || recIndex(t, b[0].Data) != 4 {
		t.Fatalf("max 2 gave %d records", len(b))
	}
	// A record bigger than maxBytes still comes alone.
	b = d.TryPopBatch(b[:0], 5, 1)
	if len(b) != 1 || recIndex(t, b[0].Data) != 6 {
		t.Fatalf("maxBytes 1 gave %d records", len(b))
	}
	// Acking something not popped is an error, and changes nothing.
	d.Rewind()
	b = d.TryPopBatch(b[:0], 10, 0)
	if len(b) != 10 || recIndex(t, b[0].Data) != 1 {
		t.Fatalf("after Rewind got %d records", len(b))
	}
	if err := d.Ack(b[4].Pos); err != nil {
		t.Fatal(err)
	}
	d.Rewind()
	b2 := d.TryPopBatch(nil, 1, 0)
	if len(b2) != 1 || recIndex(t, b2[0].Data) != 6 {
		t.Fatalf("after Ack(5) and Rewind got %v", b2)
	}
	if err := d.Ack(b[9].Pos); err == nil {
		t.Fatal("Ack of a position not popped since Rewind succeeded")
	}
	if d.Len() != 5 {
		t.Fatalf("Len = %d, want 5", d.Len())
	}
	// A record popped again after Rewind acks as itself.
	if err := d.Ack(b2[0].Pos); err != nil {
		t.Fatal(err)
	}
	if d.Len() != 4 || d.Bytes() != 23+24+25+26 {
		t.Fatalf("Len, Bytes after acking record 6 = %d, %d; want 4, %d", d.Len(), d.Bytes(), 23+24+25+26)
	}
}

func TestDiskReopenResumesAfterAck(t *testing.T) {
	dir := t.TempDir()
	d := openDisk(t, dir, queue.DiskOptions{})
	for i := 1; i <= 1000; i++ {
		if err := d.Push(rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	var acked queue.Pos
	var batch []queue.Record
	for next := 1; next <= 600; {
		batch = d.TryPopBatch(batch[:0], 7, 0)
		for _, r := range batch {
			if recIndex(t, r.Data) == 600 {
				acked = r.Pos
			}
			next++
		}
	}
	if err := d.Ack(acked); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := d.Push(rec(1)); !errors.Is(err, queue.ErrClosed) {
		t.Fatalf("Push after Close = %v", err)
	}
	d2 := openDisk(t, dir, queue.DiskOptions{})
	st := d2.Stats()
	if st.Replayed != 400 || st.Records != 400 || st.Corrupt != 0 {
		t.Fatalf("Stats after reopen = %+v, want 400 replayed", st)
	}
	// New pushes go after the replayed ones.
	if err := d2.Push(rec(1001)); err != nil {
		t.Fatal(err)
	}
	if next, _ := popAll(t, d2, 601); next != 1002 {
		t.Fatalf("popped up to %d, want 1001", next-1)
	}
}

// TestDiskAckLogCompaction acks more often than the ack log holds entries
// before it is rewritten, then checks a reopen still finds the ack point.
func TestDiskAckLogCompaction(t *testing.T) {
	dir := t.TempDir()
	d := openDisk(t, dir, queue.DiskOptions{Fsync: queue.FsyncNone})
	next := 1
	for i := 1; i <= 5000; i++ {
		if err := d.Push(rec(i)); err != nil {
			t.Fatal(err)
		}
		b := d.TryPopBatch(nil, 1, 0)
		if recIndex(t, b[0].Data) != next {
			t.Fatal("order")
		}
		next++
		if err := d.Ack(b[0].Pos); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Push(rec(5001)); err != nil {
		t.Fatal(err)
	}
	d.Close()
	fi, err := os.Stat(filepath.Join(dir, "ack"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 4097*20 {
		t.Fatalf("ack log is %d bytes after 5000 acks: not compacted", fi.Size())
	}
	d2 := openDisk(t, dir, queue.DiskOptions{})
	if st := d2.Stats(); st.Replayed != 1 {
		t.Fatalf("replayed %d, want 1", st.Replayed)
	}
	popAll(t, d2, 5001)
}

func TestDiskFullExactly(t *testing.T) {
	// Frames of 1008 bytes: 65 fit a 64 KiB segment (65520 bytes), and
	// 130 fit MaxBytes = 131072; the 131st would need 131040+1008.
	d := openDisk(t, t.TempDir(), queue.DiskOptions{MaxBytes: 2 * testSeg, SegmentBytes: testSeg})
	payload := bytes.Repeat([]byte{'x'}, 1000)
	batch := make([][]byte, 100)
	for i := range batch {
		batch[i] = payload
	}
	if n, err := d.PushBatch(batch); n != 100 || err != nil {
		t.Fatalf("PushBatch = %d, %v", n, err)
	}
	n, err := d.PushBatch(batch)
	if n != 30 || !errors.Is(err, queue.ErrFull) {
		t.Fatalf("second PushBatch = %d, %v; want 30, ErrFull", n, err)
	}
	if err := d.Push(payload); !errors.Is(err, queue.ErrFull) {
		t.Fatalf("Push when full = %v", err)
	}
	if d.Len() != 130 || d.Bytes() != 130*1008 {
		t.Fatalf("Len, Bytes = %d, %d", d.Len(), d.Bytes())
	}
	// A smaller record still fits the 32 bytes left: 24 + 8.
	if err := d.Push(make([]byte, 24)); err != nil {
		t.Fatalf("Push of a record that fits exactly: %v", err)
	}
	if d.Bytes() != 2*testSeg {
		t.Fatalf("Bytes = %d, want exactly MaxBytes", d.Bytes())
	}
	if err := d.Push(nil); !errors.Is(err, queue.ErrFull) {
		t.Fatalf("Push of an empty record at MaxBytes = %v", err)
	}

	// PushWait waits for an Ack to make room.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- d.PushWait(ctx, payload) }()
	b := d.TryPopBatch(nil, 1, 0)
	if err := d.Ack(b[0].Pos); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("PushWait = %v", err)
	}
	if d.Len() != 131 {
		t.Fatalf("Len = %d, want 131", d.Len())
	}

	// Too large: an error naming the limit, queue unchanged.
	big := make([]byte, testSeg-7)
	if err := d.Push(big); !errors.Is(err, queue.ErrTooLarge) || !strings.Contains(err.Error(), "65528") {
		t.Fatalf("Push of %d bytes = %v", len(big), err)
	}
	if d.Len() != 131 {
		t.Fatalf("Len after ErrTooLarge = %d", d.Len())
	}
}

func TestDiskCloseWakesWaiters(t *testing.T) {
	d := openDisk(t, t.TempDir(), queue.DiskOptions{MaxBytes: 2 * testSeg})
	popErr := make(chan error, 1)
	go func() {
		_, err := d.PopBatch(context.Background(), nil, 10, 0)
		popErr <- err
	}()
	for d.Push(make([]byte, 1000)) == nil {
	}
	// Pop may have taken one record; fill again so PushWait must wait.
	for d.Push(make([]byte, 1000)) == nil {
	}
	pushErr := make(chan error, 1)
	go func() { pushErr <- d.PushWait(context.Background(), make([]byte, 1000)) }()
	if err := <-popErr; err != nil {
		t.Fatalf("PopBatch with records = %v", err)
	}
	popErr2 := make(chan error, 1)
	d2 := openDisk(t, t.TempDir(), queue.DiskOptions{})
	go func() {
		_, err := d2.PopBatch(context.Background(), nil, 10, 0)
		popErr2 <- err
	}()
	d.Close()
	d2.Close()
	if err := <-pushErr; !errors.Is(err, queue.ErrClosed) {
		t.Fatalf("PushWait after Close = %v", err)
	}
	if err := <-popErr2; !errors.Is(err, queue.ErrClosed) {
		t.Fatalf("PopBatch after Close = %v", err)
	}
}

func TestDiskPopBatchWaitsForPush(t *testing.T) {
	d := openDisk(t, t.TempDir(), queue.DiskOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	const n = 3000
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; i <= n; i++ {
			if err := d.PushWait(ctx, rec(i)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	next := 1
	var batch []queue.Record
	for next <= n {
		var err error
		batch, err = d.PopBatch(ctx, batch[:0], 64, 4096)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range batch {
			if got := recIndex(t, r.Data); got != next {
				t.Fatalf("popped %d, want %d", got, next)
			}
			next++
		}
		if err := d.Ack(batch[len(batch)-1].Pos); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := d.PopBatch(ctx2, nil, 1, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("PopBatch on empty queue with cancelled ctx = %v", err)
	}
}

type countHandler struct {
	mu    sync.Mutex
	lines []string
}

func (h *countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lines = append(h.lines, r.Message)
	return nil
}
func (h *countHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countHandler) WithGroup(string) slog.Handler      { return h }

// TestDiskTornAndCorrupt damages segments the way a crash or bad disk
// would and checks what reopening recovers, skips, counts and logs.
const tornN = 1200 // enough for 4 segments

func TestDiskTornAndCorrupt(t *testing.T) {
	// Fill 2 segments plus some, remembering where each record ends.
	setup := func(t *testing.T) (string, []string) {
		dir := t.TempDir()
		d := openDisk(t, dir, queue.DiskOptions{Fsync: queue.FsyncNone})
		for i := 1; i <= tornN; i++ {
			if err := d.Push(rec(i)); err != nil {
				t.Fatal(err)
			}
		}
		d.Close()
		segs := segFiles(t, dir)
		if len(segs) < 3 {
			t.Fatalf("%d segments", len(segs))
		}
		return dir, segs
	}
	// recordsIn counts whole records in a segment file.
	recordsIn := func(t *testing.T, path string) (ends []int64) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for off := int64(0); off < int64(len(b)); {
			off += 8 + int64(binary.LittleEndian.Uint32(b[off:]))
			ends = append(ends, off)
		}
		return ends
	}
	reopen := func(t *testing.T, dir string) (*queue.Disk, *countHandler) {
		h := &countHandler{}
		return openDisk(t, dir, queue.DiskOptions{Logger: slog.New(h)}), h
	}
	for _, tc := range []struct {
		name string
		// damage changes the segments and returns how many records are
		// lost and whether the queue still ends at record tornN.
		damage func(t *testing.T, segs []string) (lost int)
	}{
		{"truncated mid-record", func(t *testing.T, segs []string) int {
			last := segs[len(segs)-1]
			ends := recordsIn(t, last)
			if err := os.Truncate(last, ends[len(ends)-1]-3); err != nil {
				t.Fatal(err)
			}
			return 1
		}},
		{"truncated mid-header", func(t *testing.T, segs []string) int {
			last := segs[len(segs)-1]
			ends := recordsIn(t, last)
			if err := os.Truncate(last, ends[len(ends)-2]+5); err != nil {
				t.Fatal(err)
			}
			return 1
		}},
		{"flipped byte in last record", func(t *testing.T, segs []string) int {
			last := segs[len(segs)-1]
			ends := recordsIn(t, last)
			flip(t, last, ends[len(ends)-1]-1)
			return 1
		}},
		{"flipped byte mid first segment", func(t *testing.T, segs []string) int {
			ends := recordsIn(t, segs[0])
			// Damage record 11's payload: it and the rest of the segment go.
			flip(t, segs[0], ends[10]-2)
			return len(ends) - 10
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, segs := setup(t)
			lost := tc.damage(t, segs)
			d, h := reopen(t, dir)
			st := d.Stats()
			if st.Corrupt != 1 || st.Replayed != uint64(tornN-lost) || st.Records != int64(tornN-lost) {
				t.Fatalf("Stats = %+v, want 1 corrupt, %d replayed", st, tornN-lost)
			}
			if len(h.lines) != 1 {
				t.Fatalf("logged %q, want one line", h.lines)
			}
			// Every surviving record comes back intact, in order.
			var got []int
			var batch []queue.Record
			for {
				batch = d.TryPopBatch(batch[:0], 100, 0)
				if len(batch) == 0 {
					break
				}
				for _, r := range batch {
					got = append(got, recIndex(t, r.Data))
				}
			}
			if len(got) != tornN-lost {
				t.Fatalf("popped %d records, want %d", len(got), tornN-lost)
			}
			for i := 1; i < len(got); i++ {
				if got[i] <= got[i-1] {
					t.Fatalf("order broken at %d: %d after %d", i, got[i], got[i-1])
				}
			}
			// The torn tail is gone from disk: appending continues cleanly
			// and a second reopen finds nothing corrupt.
			if err := d.Push(rec(tornN + 1)); err != nil {
				t.Fatal(err)
			}
			d.Close()
			d2, h2 := reopen(t, dir)
			if st := d2.Stats(); st.Corrupt != 0 || st.Replayed != uint64(tornN-lost+1) || len(h2.lines) != 0 {
				t.Fatalf("second reopen: %+v, logged %q", st, h2.lines)
			}
		})
	}
}

func flip(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b [1]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x40
	if _, err := f.WriteAt(b[:], off); err != nil {
		t.Fatal(err)
	}
}

// TestDiskCorruptWhileReading damages a record after open, before the
// consumer reaches it.
func TestDiskCorruptWhileReading(t *testing.T) {
	dir := t.TempDir()
	h := &countHandler{}
	d := openDisk(t, dir, queue.DiskOptions{Logger: slog.New(h)})
	for i := 1; i <= 10; i++ {
		if err := d.Push(rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	segs := segFiles(t, dir)
	// rec(i) frames are 16+i bytes; record 5's payload starts at
	// 17+18+19+20 + 8.
	flip(t, segs[0], 17+18+19+20+8+3)
	b := d.TryPopBatch(nil, 100, 0)
	if len(b) != 4 {
		t.Fatalf("popped %d, want the 4 records before the damage", len(b))
	}
	if st := d.Stats(); st.Corrupt != 1 || st.Records != 4 || len(h.lines) != 1 {
		t.Fatalf("Stats = %+v, logged %q", st, h.lines)
	}
	// The writer moved on to a new segment; new records still flow.
	if err := d.Push(rec(11)); err != nil {
		t.Fatal(err)
	}
	b = d.TryPopBatch(b[:0], 100, 0)
	if len(b) != 1 || recIndex(t, b[0].Data) != 11 {
		t.Fatalf("after corruption popped %d records", len(b))
	}
	if err := d.Ack(b[0].Pos); err != nil {
		t.Fatal(err)
	}
	if d.Len() != 0 || d.Bytes() != 0 {
		t.Fatalf("Len, Bytes = %d, %d after acking all", d.Len(), d.Bytes())
	}
}

// TestDiskCrash SIGKILLs a child that pushes with FsyncAlways and acks,
// at several points, then checks that reopening delivers every record the
// child reported pushed and not reported acked, intact and in order.
func TestDiskCrash(t *testing.T) {
	points := []int{1, 150, 700}
	if testing.Short() {
		points = points[:2]
	}
	for _, killAt := range points {
		t.Run(strconv.Itoa(killAt), func(t *testing.T) {
			dir := t.TempDir()
			cmd := childCmd(t, "pusher", dir)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(out)
			lastPush, lastAck, killed := 0, 0, false
			for sc.Scan() {
				verb, num, _ := strings.Cut(sc.Text(), " ")
				n, _ := strconv.Atoi(num)
				switch verb {
				case "push":
					lastPush = n
				case "ack":
					lastAck = n
				default:
					t.Fatalf("child said %q", sc.Text())
				}
				if lastPush >= killAt && !killed {
					cmd.Process.Signal(syscall.SIGKILL)
					killed = true
				}
			}
			err = cmd.Wait()
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("child ended with %v, not by SIGKILL", err)
			}
			d := openDisk(t, dir, queue.DiskOptions{})
			first := lastAck + 1
			var batch []queue.Record
			batch = d.TryPopBatch(batch[:0], 1, 0)
			if len(batch) == 0 {
				// Everything pushed was acked (acks the parent had not read
				// yet may cover records it saw pushed).
				if lastAck < lastPush && d.Stats().Replayed == 0 {
					t.Logf("all %d pushed records acked before the kill", lastPush)
				}
				return
			}
			got := recIndex(t, batch[0].Data)
			if got < first {
				t.Fatalf("first record after reopen is %d, but %d was acked", got, lastAck)
			}
			if got > lastPush+1 {
				t.Fatalf("first record after reopen is %d, but only %d were pushed", got, lastPush)
			}
			next, _ := popAll(t, d, got+1)
			if next-1 < lastPush {
				t.Fatalf("records end at %d, but %d was reported pushed", next-1, lastPush)
			}
			t.Logf("killed after push %d, ack %d: reopened with %d..%d, %d corrupt", lastPush, lastAck, got, next-1, d.Stats().Corrupt)
		})
	}
}

func TestDiskLocked(t *testing.T) {
	dir := t.TempDir()
	d := openDisk(t, dir, queue.DiskOptions{})
	_, err := queue.OpenDisk(dir, queue.DiskOptions{SegmentBytes: testSeg})
	if !errors.Is(err, queue.ErrLocked) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second open in process = %v, want ErrLocked naming %s", err, dir)
	}
	out, err := childCmd(t, "open", dir).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitLocked || !strings.Contains(string(out), dir) {
		t.Fatalf("open from a child = %v: %s", err, out)
	}
	// Once closed, the child can open it.
	d.Close()
	if out, err := childCmd(t, "open", dir).CombinedOutput(); err != nil || string(out) != "opened\n" {
		t.Fatalf("open from a child after Close = %v: %s", err, out)
	}
}

// TestDiskUnreadableDir opens a directory the process may not read. Root
// ignores permissions, so as root the open runs in a child as nobody
// (uid 65534).
func TestDiskUnreadableDir(t *testing.T) {
	tmp := t.TempDir()
	bad := filepath.Join(tmp, "noaccess")
	good := filepath.Join(tmp, "ok")
	if err := os.Mkdir(bad, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(good, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(good, 0o777); err != nil { // past the umask
		t.Fatal(err)
	}
	if err := os.Chmod(bad, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(bad, 0o700) })
	if os.Geteuid() != 0 {
		_, err := queue.OpenDisk(bad, queue.DiskOptions{SegmentBytes: testSeg})
		if !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), bad) {
			t.Fatalf("OpenDisk of an unreadable dir = %v", err)
		}
		return
	}
	// The child binary and every directory above the test's must be
	// reachable by nobody.
	bin := filepath.Join(tmp, "queue.test")
	src, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, src, 0o755); err != nil {
		t.Fatal(err)
	}
	for p := tmp; p != filepath.Dir(p) && p != os.TempDir(); p = filepath.Dir(p) {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run := func(dir string) (string, error) {
		cmd := exec.Command(bin, "-test.run=^$")
		cmd.Env = append(os.Environ(), diskChildEnv+"=open", diskDirEnv+"="+dir)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// Control: nobody can open a directory it may write.
	if out, err := run(good); err != nil {
		t.Skipf("cannot run a child as uid 65534 (%v: %s); skipping", err, out)
	}
	out, err := run(bad)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitOtherErr || !strings.Contains(out, bad) || !strings.Contains(out, "permission denied") {
		t.Fatalf("open of an unreadable dir as nobody = %v: %s", err, out)
	}
}

func TestDiskOptionBounds(t *testing.T) {
	for _, tc := range []struct {
		opts  queue.DiskOptions
		field string
		value int64
	}{
		{queue.DiskOptions{SegmentBytes: 64<<10 - 1}, "SegmentBytes", 64<<10 - 1},
		{queue.DiskOptions{SegmentBytes: 1<<30 + 1, MaxBytes: 1 << 40}, "SegmentBytes", 1<<30 + 1},
		{queue.DiskOptions{SegmentBytes: -1}, "SegmentBytes", -1},
		{queue.DiskOptions{SegmentBytes: 1 << 20, MaxBytes: 2<<20 - 1}, "MaxBytes", 2<<20 - 1},
		{queue.DiskOptions{MaxBytes: 1<<40 + 1}, "MaxBytes", 1<<40 + 1},
		{queue.DiskOptions{MaxBytes: 1 << 20}, "MaxBytes", 1 << 20}, // below 2 * default segment
		{queue.DiskOptions{Fsync: 7}, "Fsync", 7},
		{queue.DiskOptions{SegmentBytes: 64 << 10, MaxBytes: 128 << 10}, "", 0},
		{queue.DiskOptions{SegmentBytes: 1 << 30, MaxBytes: 1 << 40}, "", 0},
		{queue.DiskOptions{}, "", 0},
	} {
		dir := t.TempDir()
		d, err := queue.OpenDisk(dir, tc.opts)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%+v: %v", tc.opts, err)
			} else {
				d.Close()
			}
			continue
		}
		var oe *queue.OptionError
		if !errors.As(err, &oe) || oe.Field != tc.field || oe.Value != tc.value ||
			!strings.Contains(err.Error(), tc.field) || !strings.Contains(err.Error(), strconv.FormatInt(tc.value, 10)) {
			t.Errorf("%+v: err = %v, want OptionError for %s = %d", tc.opts, err, tc.field, tc.value)
		}
		if segs := segFiles(t, dir); len(segs) != 0 {
			t.Errorf("%+v: bad options still created %v", tc.opts, segs)
		}
	}
	for _, s := range []string{"none", "batch", "always"} {
		p, err := queue.ParseFsyncPolicy(s)
		if err != nil || p.String() != s {
			t.Errorf("ParseFsyncPolicy(%q) = %v, %v", s, p, err)
		}
	}
	if _, err := queue.ParseFsyncPolicy("sometimes"); err == nil || !strings.Contains(err.Error(), `"sometimes"`) {
		t.Errorf("ParseFsyncPolicy(sometimes) = %v", err)
	}
	if got := (queue.DiskOptions{SegmentBytes: 64 << 10}).MaxRecordBytes(); got != 64<<10-8 {
		t.Errorf("MaxRecordBytes of a 64 KiB segment = %d", got)
	}
	if got := (queue.DiskOptions{SegmentBytes: 1 << 30}).MaxRecordBytes(); got != 16<<20 {
		t.Errorf("MaxRecordBytes of a 1 GiB segment = %d", got)
	}
}
