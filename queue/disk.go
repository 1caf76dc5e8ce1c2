package queue

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Errors returned by Disk. Each is wrapped with context, so test with
// errors.Is.
var (
	// ErrFull means a record did not fit in DiskOptions.MaxBytes; nothing of
	// it was written.
	ErrFull = errors.New("queue: disk queue full")
	// ErrLocked means another Disk, in this process or another, holds the
	// directory.
	ErrLocked = errors.New("queue: directory locked by another disk queue")
	// ErrTooLarge means a record is bigger than MaxRecordBytes allows.
	ErrTooLarge = errors.New("queue: record too large")
)

// Limits of DiskOptions, checked by OpenDisk.
const (
	MinSegmentBytes     = 64 << 10
	MaxSegmentBytes     = 1 << 30
	MaxMaxBytes         = 1 << 40
	MaxRecordLimit      = 16 << 20 // absolute cap on one record's payload
	DefaultMaxBytes     = 1 << 30
	DefaultSegmentBytes = 64 << 20

	// frameHeader is the per-record framing: length (4 bytes, little
	// endian) then CRC32C over the length bytes and the payload.
	frameHeader = 8
	// readBufBytes bounds the consumer's read buffer; payloads are copied
	// out of it into the batch arena.
	readBufBytes = 64 << 10
	// ackEntryBytes is one ack log entry: segment id, offset, CRC32C of
	// both.
	ackEntryBytes = 20
	// ackCompactEntries is how many entries the ack log may hold before it
	// is rewritten as one entry (by rename, so a crash leaves either file).
	ackCompactEntries = 4096

	lockName   = "LOCK"
	ackName    = "ack"
	ackTmpName = "ack.tmp"
	segSuffix  = ".seg"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// FsyncPolicy says when a Disk forces written records to stable storage.
type FsyncPolicy int

const (
	// FsyncBatch syncs the segment once at the end of every Push or
	// PushBatch call (and before rolling to a new segment), and syncs every
	// ack log entry. It is the default.
	FsyncBatch FsyncPolicy = iota
	// FsyncNone never syncs; the OS writes pages back when it likes.
	FsyncNone
	// FsyncAlways syncs after every single record.
	FsyncAlways
)

// String returns the name ParseFsyncPolicy accepts.
func (p FsyncPolicy) String() string {
	switch p {
	case FsyncNone:
		return "none"
	case FsyncBatch:
		return "batch"
	case FsyncAlways:
		return "always"
	}
	return "FsyncPolicy(" + strconv.Itoa(int(p)) + ")"
}

// ParseFsyncPolicy parses "none", "batch" or "always".
func ParseFsyncPolicy(s string) (FsyncPolicy, error) {
	switch s {
	case "none":
		return FsyncNone, nil
	case "batch":
		return FsyncBatch, nil
	case "always":
		return FsyncAlways, nil
	}
	return 0, fmt.Errorf("queue: fsync policy %q: want none, batch or always", s)
}

// DiskOptions configure OpenDisk. Zero fields take their defaults.
type DiskOptions struct {
	// MaxBytes bounds the bytes on disk of unacknowledged records,
	// framing included (8 bytes per record). Default 1 GiB (2*SegmentBytes
	// if that is more); at least
	// 2*SegmentBytes and at most 1 TiB. The directory also holds the
	// acknowledged prefix of the oldest segment (under SegmentBytes) and
	// the ack log (under 100 KiB).
	MaxBytes int64
	// SegmentBytes is the size at which the writer starts a new segment
	// file. Default 64 MiB; 64 KiB to 1 GiB.
	SegmentBytes int64
	// Fsync is the sync policy; default FsyncBatch.
	Fsync FsyncPolicy
	// Logger gets one line per run of corrupt or torn bytes skipped; nil
	// discards.
	Logger *slog.Logger
}

// OptionError is a DiskOptions field out of its documented bounds.
type OptionError struct {
	Field  string
	Value  int64
	Reason string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("queue: DiskOptions.%s = %d: %s", e.Field, e.Value, e.Reason)
}

// Pos is the position of a record in a Disk: comparable, and ordered by
// the order records were pushed. A Pos is only meaningful to the Disk
// value that returned it; after a reopen, positions start afresh.
type Pos struct {
	seq uint64 // 1-based record number since open
	seg uint64 // segment id
	end int64  // offset just past the record in its segment
}

// Record is one record handed out by PopBatch or TryPopBatch. Data aliases
// a buffer the Disk reuses: it is valid only until the next PopBatch,
// TryPopBatch or Close on the same Disk. Copy it to keep it.
type Record struct {
	Data []byte
	Pos  Pos
}

// DiskStats is a snapshot of a Disk's counters.
type DiskStats struct {
	Records int64 // unacknowledged records held
	Bytes   int64 // their bytes on disk, framing included
	// Replayed is how many unacknowledged records were found at open.
	Replayed uint64
	// Corrupt counts runs of unreadable bytes skipped, at open or while
	// reading. One run is one torn or corrupt frame and everything after
	// it in the same segment; how many records it held is unknowable.
	Corrupt uint64
}

type segment struct {
	id       uint64
	size     int64  // committed bytes (whole frames only)
	firstSeq uint64 // seq of the first record at or after start
	n        uint64 // records in the segment from start
	start    int64  // offset of the first unacknowledged-at-open record
	// dead is set once the reader found corruption at size; the writer
	// never appends to a dead segment.
	dead bool
}

type lostRun struct{ last, n uint64 } // n records lost, the highest seq being last

// Disk is a disk-backed FIFO of []byte records with cumulative
// acknowledgement: records are deleted only once Ack covers them, so a
// crash or a Close without Ack leaves them to be delivered again by the
// next OpenDisk (at-least-once).
//
// Storage is a directory of segment files named by a hex id, each a
// sequence of frames (length, CRC32C, payload), plus an ack log and a LOCK
// file. Reading streams through a 64 KiB buffer, so memory stays bounded
// by the batches asked for (plus one record), whatever the backlog.
//
// Recovery guarantees, for records whose Push or PushBatch returned nil
// and that were not acknowledged:
//
//   - Process crash (panic, SIGKILL, OOM kill), any policy: every such
//     record is delivered again. Writes reach the kernel before Push
//     returns; only a frame being written at the moment of the crash can be
//     torn, and it was not reported as pushed.
//   - OS crash or power loss with FsyncAlways: every such record is
//     delivered again. With FsyncBatch: every record of every returned Push
//     or PushBatch call likewise. With FsyncNone: any suffix of recent
//     records may be lost, and since the OS may write pages out of order, a
//     segment may come back with garbage or zeros in the middle.
//   - Recovery reads each segment until the first frame whose length is
//     impossible or whose CRC fails, logs and counts that run, truncates the
//     segment there and goes on with the next segment. A torn tail thus
//     costs only the torn frame; a corrupt frame in the middle of a
//     segment also costs the valid frames after it in that segment (a
//     length field that cannot be trusted gives no safe place to resume).
//   - Acknowledgements persist with FsyncBatch and FsyncAlways before Ack
//     returns; a lost ack entry only means redelivery of acked records.
//
// Concurrency: any number of goroutines may call the Push methods (they
// serialise on the writer), and the consumer side (PopBatch, TryPopBatch,
// Ack, Rewind) is meant for one goroutine, though it is locked too.
// Producers and the consumer do not block each other on disk I/O except
// for brief bookkeeping.
type Disk struct {
	dir  string
	opts DiskOptions
	log  *slog.Logger
	lock *os.File

	maxRecord int

	done      chan struct{}
	closeOnce sync.Once
	closeErr  error

	// mu guards the bookkeeping shared by writer, reader and Ack.
	mu       sync.Mutex
	closed   bool
	segs     []*segment // oldest first; the last is the write segment
	bytes    int64      // unacknowledged bytes incl. framing
	lastSeq  uint64     // seq of the last pushed record
	ackedSeq uint64
	ackSeg   uint64 // ack point: records up to offset ackOff of ackSeg are done
	ackOff   int64
	popSeq   uint64 // highest seq handed out since the last Rewind
	lost     []lostRun
	lostN    uint64
	replayed uint64
	corrupt  uint64
	dataCh   chan struct{} // closed on push if a consumer waits
	spaceCh  chan struct{} // closed on ack if a producer waits

	// wmu serialises producers and owns the write file.
	wmu  sync.Mutex
	wf   *os.File
	wseg *segment
	wbuf []byte

	// rmu serialises the consumer and owns the read file.
	rmu   sync.Mutex
	rf    *os.File
	rbr   *bufio.Reader
	rseg  *segment
	roff  int64
	ridx  uint64 // records read in rseg since its start
	arena []byte

	// amu serialises Ack and owns the ack log.
	amu      sync.Mutex
	af       *os.File
	aEntries int
	abuf     [ackEntryBytes]byte
}

func (o *DiskOptions) check() error {
	if o.SegmentBytes == 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.SegmentBytes < MinSegmentBytes || o.SegmentBytes > MaxSegmentBytes {
		return &OptionError{"SegmentBytes", o.SegmentBytes, "want 64 KiB (65536) to 1 GiB (1073741824)"}
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = max(DefaultMaxBytes, 2*o.SegmentBytes)
	}
	if o.MaxBytes < 2*o.SegmentBytes {
		return &OptionError{"MaxBytes", o.MaxBytes, fmt.Sprintf("want at least 2*SegmentBytes (%d)", 2*o.SegmentBytes)}
	}
	if o.MaxBytes > MaxMaxBytes {
		return &OptionError{"MaxBytes", o.MaxBytes, "want at most 1 TiB (1099511627776)"}
	}
	switch o.Fsync {
	case FsyncNone, FsyncBatch, FsyncAlways:
	default:
		return &OptionError{"Fsync", int64(o.Fsync), "want FsyncNone, FsyncBatch or FsyncAlways"}
	}
	return nil
}

// MaxRecordBytes is the largest payload a Disk with these options accepts:
// min(SegmentBytes-8, 16 MiB).
func (o DiskOptions) MaxRecordBytes() int {
	s := o.SegmentBytes
	if s == 0 {
		s = DefaultSegmentBytes
	}
	return int(min(s-frameHeader, MaxRecordLimit))
}

// OpenDisk opens (creating it with mode 0700 if missing) the queue in dir,
// locks it, and replays what is there: everything after the persisted ack
// point becomes poppable again. Torn or corrupt frames are skipped, logged
// and counted (see Disk).
func OpenDisk(dir string, opts DiskOptions) (*Disk, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("queue: disk queue directory: %w", err)
	}
	lf, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	d := &Disk{
		dir:       dir,
		opts:      opts,
		log:       opts.Logger,
		lock:      lf,
		maxRecord: opts.MaxRecordBytes(),
		done:      make(chan struct{}),
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if err := d.recover(); err != nil {
		d.closeFiles()
		return nil, err
	}
	return d, nil
}

func (d *Disk) segPath(id uint64) string {
	return filepath.Join(d.dir, fmt.Sprintf("%016x%s", id, segSuffix))
}

// recover reads the ack log, deletes acknowledged segments, validates the
// rest frame by frame and positions writer and reader.
func (d *Disk) recover() error {
	aseg, aoff, entries, err := readAckLog(filepath.Join(d.dir, ackName))
	if err != nil {
		return err
	}
	d.aEntries = entries
	ents, err := os.ReadDir(d.dir)
	if err != nil {
		return fmt.Errorf("queue: reading disk queue directory: %w", err)
	}
	var ids []uint64
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), segSuffix)
		if !ok || len(name) != 16 {
			continue
		}
		id, err := strconv.ParseUint(name, 16, 64)
		if err != nil {
			continue
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	seq := uint64(0)
	for _, id := range ids {
		if id < aseg {
			if err := os.Remove(d.segPath(id)); err != nil {
				return fmt.Errorf("queue: removing acknowledged segment: %w", err)
			}
			continue
		}
		start := int64(0)
		if id == aseg {
			start = aoff
		}
		s := &segment{id: id, start: start, firstSeq: seq + 1}
		if err := d.scan(s); err != nil {
			return err
		}
		seq += s.n
		d.bytes += s.size - s.start
		d.segs = append(d.segs, s)
	}
	d.lastSeq = seq
	d.replayed = seq
	if len(d.segs) == 0 {
		// No segment survives: start a new one past every id ever used, so
		// an ack entry can never refer to a segment created later.
		s := &segment{id: max(aseg, 1), firstSeq: 1}
		if len(ids) > 0 {
			s.id = max(s.id, ids[len(ids)-1]+1)
		}
		f, err := os.OpenFile(d.segPath(s.id), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("queue: creating segment: %w", err)
		}
		if err := d.syncDir(); err != nil {
			f.Close()
			return err
		}
		d.segs = append(d.segs, s)
		d.wf = f
	} else {
		last := d.segs[len(d.segs)-1]
		f, err := os.OpenFile(d.segPath(last.id), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return fmt.Errorf("queue: opening segment: %w", err)
		}
		d.wf = f
	}
	d.wseg = d.segs[len(d.segs)-1]
	first := d.segs[0]
	d.ackSeg, d.ackOff = first.id, first.start
	af, err := os.OpenFile(filepath.Join(d.dir, ackName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("queue: opening ack log: %w", err)
	}
	d.af = af
	return d.seekReader(first, first.start, 0)
}

// scan validates a segment from s.start, sets s.size and s.n, and truncates
// the file at the first bad frame.
func (d *Disk) scan(s *segment) error {
	path := d.segPath(s.id)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("queue: opening segment: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("queue: segment: %w", err)
	}
	fsize := fi.Size()
	if s.start > fsize {
		// The acked offset is past the end: the segment was truncated
		// after the ack (a torn tail that was never delivered).
		s.start = fsize
	}
	if _, err := f.Seek(s.start, io.SeekStart); err != nil {
		return fmt.Errorf("queue: segment: %w", err)
	}
	br := bufio.NewReaderSize(f, readBufBytes)
	off := s.start
	var hdr [frameHeader]byte
	for off < fsize {
		reason := ""
		if fsize-off < frameHeader {
			reason = "torn frame header"
		} else if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return fmt.Errorf("queue: reading segment: %w", err)
		} else if n := int64(binary.LittleEndian.Uint32(hdr[:4])); n > int64(d.maxRecord) {
			reason = "impossible record length " + strconv.FormatInt(n, 10)
		} else if off+frameHeader+n > fsize {
			reason = "torn record"
		} else {
			h := crc32.New(castagnoli)
			h.Write(hdr[:4])
			if _, err := io.CopyN(h, br, n); err != nil {
				return fmt.Errorf("queue: reading segment: %w", err)
			}
			if h.Sum32() != binary.LittleEndian.Uint32(hdr[4:]) {
				reason = "CRC mismatch"
			} else {
				off += frameHeader + n
				s.n++
				continue
			}
		}
		d.corrupt++
		d.log.Warn("queue: skipping corrupt records at open", "segment", filepath.Base(path), "offset", off, "bytes", fsize-off, "reason", reason)
		if err := os.Truncate(path, off); err != nil {
			return fmt.Errorf("queue: truncating corrupt segment: %w", err)
		}
		break
	}
	s.size = off
	return nil
}

func readAckLog(path string) (seg uint64, off int64, entries int, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, 0, 0, nil
	}
	if err != nil {
		return 0, 0, 0, fmt.Errorf("queue: reading ack log: %w", err)
	}
	if len(b) > (ackCompactEntries+1)*ackEntryBytes {
		return 0, 0, 0, fmt.Errorf("queue: ack log %s: %d bytes, more than it can grow to", path, len(b))
	}
	// The last entry whose CRC holds wins; a torn last entry falls back to
	// the one before it.
	for ; len(b) >= ackEntryBytes; b = b[ackEntryBytes:] {
		e := b[:ackEntryBytes]
		if crc32.Checksum(e[:16], castagnoli) == binary.LittleEndian.Uint32(e[16:]) {
			seg = binary.LittleEndian.Uint64(e[:8])
			off = int64(binary.LittleEndian.Uint64(e[8:16]))
		}
		entries++
	}
	return seg, off, entries, nil
}

func ackEntry(seg uint64, off int64) []byte {
	return putAckEntry(make([]byte, ackEntryBytes), seg, off)
}

func putAckEntry(e []byte, seg uint64, off int64) []byte {
	binary.LittleEndian.PutUint64(e[:8], seg)
	binary.LittleEndian.PutUint64(e[8:16], uint64(off))
	binary.LittleEndian.PutUint32(e[16:], crc32.Checksum(e[:16], castagnoli))
	return e
}

func (d *Disk) syncDir() error {
	if d.opts.Fsync == FsyncNone {
		return nil
	}
	f, err := os.Open(d.dir)
	if err != nil {
		return fmt.Errorf("queue: syncing directory: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("queue: syncing directory: %w", err)
	}
	return nil
}

// Push appends one record. It fails with ErrFull if MaxBytes would be
// exceeded, ErrTooLarge if rec is bigger than MaxRecordBytes, ErrClosed
// after Close; in each case nothing is written.
func (d *Disk) Push(rec []byte) error {
	_, err := d.PushBatch([][]byte{rec})
	return err
}

// PushBatch appends the longest prefix of recs that fits and returns its
// length. The error says why the rest was not written: ErrFull, ErrTooLarge
// (for recs[n]), ErrClosed or an I/O error.
func (d *Disk) PushBatch(recs [][]byte) (int, error) {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return 0, ErrClosed
	}
	room := d.opts.MaxBytes - d.bytes
	d.mu.Unlock()
	n := 0
	var stop error
	for n < len(recs) {
		// Take the records that fit this segment, write them with one
		// write(2), then roll if needed.
		buf := d.wbuf[:0]
		k := n
		size := d.wseg.size
		for ; k < len(recs); k++ {
			r := recs[k]
			if len(r) > d.maxRecord {
				stop = fmt.Errorf("queue: record of %d bytes, limit %d: %w", len(r), d.maxRecord, ErrTooLarge)
				break
			}
			fl := int64(frameHeader + len(r))
			if fl > room {
				stop = fmt.Errorf("queue: %d bytes held, limit %d: %w", d.opts.MaxBytes-room, d.opts.MaxBytes, ErrFull)
				break
			}
			if size+fl > d.opts.SegmentBytes {
				break
			}
			buf = appendFrame(buf, r)
			size += fl
			room -= fl
			if d.opts.Fsync == FsyncAlways {
				k++
				break
			}
		}
		d.wbuf = buf
		if k > n {
			if err := d.writeFrames(buf, k-n); err != nil {
				return n, err
			}
			n = k
		}
		if stop != nil {
			break
		}
		if n < len(recs) && d.wseg.size+int64(frameHeader+len(recs[n])) > d.opts.SegmentBytes {
			if err := d.roll(); err != nil {
				return n, err
			}
		}
	}
	if len(d.wbuf) > 1<<20 {
		d.wbuf = nil // do not keep a big batch's buffer forever
	}
	return n, stop
}

func appendFrame(buf, r []byte) []byte {
	var hdr [frameHeader]byte
	binary.LittleEndian.PutUint32(hdr[:4], uint32(len(r)))
	crc := crc32.Update(crc32.Checksum(hdr[:4], castagnoli), castagnoli, r)
	binary.LittleEndian.PutUint32(hdr[4:], crc)
	return append(append(buf, hdr[:]...), r...)
}

// writeFrames writes count whole frames to the write segment, syncs per
// policy, and only then publishes them to the consumer.
func (d *Disk) writeFrames(buf []byte, count int) error {
	s := d.wseg
	if _, err := d.wf.Write(buf); err != nil {
		// Cut a partial write back so the segment keeps whole frames.
		_ = d.wf.Truncate(s.size)
		return fmt.Errorf("queue: writing segment: %w", err)
	}
	if d.opts.Fsync != FsyncNone {
		if err := d.wf.Sync(); err != nil {
			return fmt.Errorf("queue: syncing segment: %w", err)
		}
	}
	d.mu.Lock()
	s.size += int64(len(buf))
	s.n += uint64(count)
	d.lastSeq += uint64(count)
	d.bytes += int64(len(buf))
	if d.dataCh != nil {
		close(d.dataCh)
		d.dataCh = nil
	}
	d.mu.Unlock()
	return nil
}

// roll starts a new write segment. Called with wmu held.
func (d *Disk) roll() error {
	d.mu.Lock()
	id := d.segs[len(d.segs)-1].id + 1
	next := d.lastSeq + 1
	d.mu.Unlock()
	f, err := os.OpenFile(d.segPath(id), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("queue: creating segment: %w", err)
	}
	if err := d.syncDir(); err != nil {
		f.Close()
		os.Remove(d.segPath(id))
		return err
	}
	old := d.wf
	s := &segment{id: id, firstSeq: next}
	d.mu.Lock()
	d.segs = append(d.segs, s)
	d.mu.Unlock()
	d.wf, d.wseg = f, s
	old.Close()
	return nil
}

// PushWait is Push, but when the queue is full it waits for an Ack to make
// room, until ctx is done (returning ctx.Err()) or the Disk is closed
// (ErrClosed).
func (d *Disk) PushWait(ctx context.Context, rec []byte) error {
	for {
		d.mu.Lock()
		if d.spaceCh == nil {
			d.spaceCh = make(chan struct{})
		}
		ch := d.spaceCh
		d.mu.Unlock()
		err := d.Push(rec)
		if !errors.Is(err, ErrFull) {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-d.done:
			return ErrClosed
		}
	}
}

// PopBatch appends to dst up to max records (at least one) whose payloads
// total at most maxBytes (a single bigger record is still returned alone;
// maxBytes <= 0 means no byte limit), waiting until at least one record
// not yet popped is there, ctx is done or the Disk is closed (ErrClosed;
// records stay on disk for the next open). Popped records stay held until
// Ack. See Record for how long Data is valid.
func (d *Disk) PopBatch(ctx context.Context, dst []Record, max, maxBytes int) ([]Record, error) {
	d.rmu.Lock()
	defer d.rmu.Unlock()
	for {
		n := len(dst)
		var err error
		dst, err = d.popLocked(dst, max, maxBytes)
		if err != nil || len(dst) > n {
			return dst, err
		}
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			return dst, ErrClosed
		}
		if d.availableLocked() {
			d.mu.Unlock()
			continue
		}
		if d.dataCh == nil {
			d.dataCh = make(chan struct{})
		}
		ch := d.dataCh
		d.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return dst, ctx.Err()
		case <-d.done:
			return dst, ErrClosed
		}
	}
}

// TryPopBatch is PopBatch without waiting: it returns dst unchanged when no
// record is ready or the Disk is closed. A read error is counted as
// corruption (see DiskStats.Corrupt) and logged.
func (d *Disk) TryPopBatch(dst []Record, max, maxBytes int) []Record {
	d.rmu.Lock()
	defer d.rmu.Unlock()
	dst, _ = d.popLocked(dst, max, maxBytes)
	return dst
}

// availableLocked reports whether the reader is behind the writer. Called
// with mu held.
func (d *Disk) availableLocked() bool {
	return d.rseg != d.segs[len(d.segs)-1] || d.roff < d.rseg.size
}

// seekReader points the reader at offset off of s, where ridx records of s
// (from s.start) lie before it. Called with rmu held (or during open).
func (d *Disk) seekReader(s *segment, off int64, ridx uint64) error {
	if d.rf != nil {
		d.rf.Close()
		d.rf = nil
	}
	f, err := os.Open(d.segPath(s.id))
	if err != nil {
		return fmt.Errorf("queue: opening segment: %w", err)
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		f.Close()
		return fmt.Errorf("queue: segment: %w", err)
	}
	if d.rbr == nil {
		d.rbr = bufio.NewReaderSize(f, readBufBytes)
	} else {
		d.rbr.Reset(f)
	}
	d.rf, d.rseg, d.roff, d.ridx = f, s, off, ridx
	return nil
}

func (d *Disk) popLocked(dst []Record, maxN, maxBytes int) ([]Record, error) {
	if maxN < 1 {
		maxN = 1
	}
	d.arena = d.arena[:0]
	got, batchBytes := 0, 0
	for got < maxN {
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			return dst, ErrClosed
		}
		s := d.rseg
		limit := s.size
		var next *segment
		if d.roff >= limit {
			if i := slices.Index(d.segs, s); i >= 0 && i+1 < len(d.segs) {
				next = d.segs[i+1]
			}
		}
		d.mu.Unlock()
		if d.roff >= limit {
			if next == nil {
				break
			}
			if err := d.seekReader(next, next.start, 0); err != nil {
				return dst, err
			}
			continue
		}
		var hdr [frameHeader]byte
		bad := ""
		var payload []byte
		p, err := d.rbr.Peek(frameHeader)
		copy(hdr[:], p)
		if err != nil {
			bad = "reading header: " + err.Error()
		} else if n := int(binary.LittleEndian.Uint32(hdr[:4])); n > d.maxRecord || d.roff+int64(frameHeader+n) > limit {
			bad = "impossible record length " + strconv.Itoa(n)
		} else {
			if got > 0 && maxBytes > 0 && batchBytes+n > maxBytes {
				break // leave it for the next batch
			}
			d.rbr.Discard(frameHeader)
			if len(d.arena)+n > cap(d.arena) && got > 0 {
				// Growing would move earlier records' Data; start a new
				// arena instead (the old one stays referenced by them).
				d.arena = make([]byte, 0, max(2*cap(d.arena), n))
			}
			start := len(d.arena)
			d.arena = slices.Grow(d.arena, n)[:start+n]
			payload = d.arena[start : start+n : start+n]
			if _, err := io.ReadFull(d.rbr, payload); err != nil {
				bad = "reading record: " + err.Error()
			} else if crc32.Update(crc32.Checksum(hdr[:4], castagnoli), castagnoli, payload) != binary.LittleEndian.Uint32(hdr[4:]) {
				bad = "CRC mismatch"
			}
		}
		if bad != "" {
			d.skipCorrupt(s, bad)
			continue
		}
		d.roff += int64(frameHeader + len(payload))
		seq := s.firstSeq + d.ridx
		d.ridx++
		dst = append(dst, Record{Data: payload, Pos: Pos{seq: seq, seg: s.id, end: d.roff}})
		d.mu.Lock()
		d.popSeq = seq
		d.mu.Unlock()
		got++
		batchBytes += len(payload)
	}
	return dst, nil
}

// skipCorrupt gives up on the rest of segment s after a bad frame found
// while reading: those records count as lost, the writer moves on to a new
// segment if s is the one it writes, and the reader goes to the next.
func (d *Disk) skipCorrupt(s *segment, reason string) {
	d.log.Warn("queue: skipping corrupt records", "segment", filepath.Base(d.segPath(s.id)), "offset", d.roff, "reason", reason)
	// The writer must not append to s any more; taking wmu here is safe
	// because producers never take rmu.
	d.wmu.Lock()
	if d.wseg == s {
		if err := d.roll(); err != nil {
			d.log.Error("queue: cannot start a new segment after corruption", "err", err)
		}
	}
	d.wmu.Unlock()
	d.mu.Lock()
	if !s.dead {
		s.dead = true
		d.corrupt++
		if lost := s.n - d.ridx; lost > 0 {
			d.lost = append(d.lost, lostRun{last: s.firstSeq + s.n - 1, n: lost})
			d.lostN += lost
			d.bytes -= s.size - d.roff
		}
		s.size = d.roff
		s.n = d.ridx
	}
	d.mu.Unlock()
	// Push the reader to the end so the next read moves to the next
	// segment.
	d.roff = s.size
}

// Ack acknowledges every record up to and including the one at upto: they
// are done and may be deleted. Segments wholly before upto's are removed.
// Acking a position at or before the current ack point does nothing;
// acking one not yet popped (since the last Rewind) is an error.
func (d *Disk) Ack(upto Pos) error {
	d.amu.Lock()
	defer d.amu.Unlock()
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return ErrClosed
	}
	if upto.seq <= d.ackedSeq {
		d.mu.Unlock()
		return nil
	}
	if upto.seq > d.popSeq {
		d.mu.Unlock()
		return fmt.Errorf("queue: Ack of record %d, but only up to %d popped", upto.seq, d.popSeq)
	}
	d.mu.Unlock()

	if d.aEntries >= ackCompactEntries {
		if err := d.compactAckLog(upto.seg, upto.end); err != nil {
			return err
		}
	} else {
		if _, err := d.af.Write(putAckEntry(d.abuf[:], upto.seg, upto.end)); err != nil {
			return fmt.Errorf("queue: writing ack log: %w", err)
		}
		d.aEntries++
		if d.opts.Fsync != FsyncNone {
			if err := d.af.Sync(); err != nil {
				return fmt.Errorf("queue: syncing ack log: %w", err)
			}
		}
	}

	d.mu.Lock()
	d.ackedSeq = upto.seq
	var gone []uint64
	for len(d.segs) > 1 && d.segs[0].id < upto.seg {
		s := d.segs[0]
		d.bytes -= s.size - d.ackOffIn(s)
		gone = append(gone, s.id)
		d.segs = d.segs[1:]
	}
	s := d.segs[0]
	d.bytes -= upto.end - d.ackOffIn(s)
	d.ackSeg, d.ackOff = upto.seg, upto.end
	for len(d.lost) > 0 && d.lost[0].last <= upto.seq {
		d.lostN -= d.lost[0].n
		d.lost = d.lost[1:]
	}
	if d.spaceCh != nil {
		close(d.spaceCh)
		d.spaceCh = nil
	}
	d.mu.Unlock()
	for _, id := range gone {
		if err := os.Remove(d.segPath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("queue: removing acknowledged segment: %w", err)
		}
	}
	return nil
}

// ackOffIn is how much of s is acknowledged as far as bytes count. Called
// with mu held.
func (d *Disk) ackOffIn(s *segment) int64 {
	if s.id == d.ackSeg {
		return d.ackOff
	}
	return s.start
}

// compactAckLog replaces the ack log by one entry. Called with amu held.
func (d *Disk) compactAckLog(seg uint64, off int64) error {
	tmp := filepath.Join(d.dir, ackTmpName)
	if err := os.WriteFile(tmp, ackEntry(seg, off), 0o600); err != nil {
		return fmt.Errorf("queue: compacting ack log: %w", err)
	}
	if d.opts.Fsync != FsyncNone {
		f, err := os.Open(tmp)
		if err == nil {
			err = f.Sync()
			f.Close()
		}
		if err != nil {
			return fmt.Errorf("queue: compacting ack log: %w", err)
		}
	}
	if err := os.Rename(tmp, filepath.Join(d.dir, ackName)); err != nil {
		return fmt.Errorf("queue: compacting ack log: %w", err)
	}
	if err := d.syncDir(); err != nil {
		return err
	}
	af, err := os.OpenFile(filepath.Join(d.dir, ackName), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("queue: reopening ack log: %w", err)
	}
	d.af.Close()
	d.af, d.aEntries = af, 1
	return nil
}

// Rewind makes every popped but unacknowledged record poppable again, for
// a consumer that gave up on a delivery and will retry it. Positions
// popped before Rewind may not be acked until popped again.
func (d *Disk) Rewind() {
	d.rmu.Lock()
	defer d.rmu.Unlock()
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	s := d.segs[0]
	off := d.ackOffIn(s)
	d.popSeq = d.ackedSeq
	ridx := uint64(0)
	if off > s.start {
		ridx = d.ackedSeq + 1 - s.firstSeq
	}
	d.mu.Unlock()
	if err := d.seekReader(s, off, ridx); err != nil {
		d.log.Error("queue: rewinding", "err", err)
	}
}

// Len is the number of unacknowledged records held.
func (d *Disk) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return int(d.lastSeq - d.ackedSeq - d.lostN)
}

// Bytes is the on-disk size of the unacknowledged records, framing
// included; it is what MaxBytes bounds.
func (d *Disk) Bytes() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.bytes
}

// Stats returns the Disk's counters.
func (d *Disk) Stats() DiskStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return DiskStats{
		Records:  int64(d.lastSeq - d.ackedSeq - d.lostN),
		Bytes:    d.bytes,
		Replayed: d.replayed,
		Corrupt:  d.corrupt,
	}
}

// Close closes the files and releases the directory lock without draining:
// unacknowledged records stay for the next OpenDisk. Waiting PopBatch and
// PushWait calls return ErrClosed. Close is idempotent.
func (d *Disk) Close() error {
	d.closeOnce.Do(func() {
		d.mu.Lock()
		d.closed = true
		close(d.done)
		d.mu.Unlock()
		d.closeErr = d.closeFiles()
	})
	return d.closeErr
}

func (d *Disk) closeFiles() error {
	var errs []error
	d.wmu.Lock()
	if d.wf != nil {
		errs = append(errs, d.wf.Close())
		d.wf = nil
	}
	d.wmu.Unlock()
	d.rmu.Lock()
	if d.rf != nil {
		d.rf.Close()
		d.rf = nil
	}
	d.arena = nil
	d.rmu.Unlock()
	d.amu.Lock()
	if d.af != nil {
		errs = append(errs, d.af.Close())
		d.af = nil
	}
	d.amu.Unlock()
	errs = append(errs, unlockDir(d.lock))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("queue: closing disk queue %s: %w", d.dir, err)
	}
	return nil
}
