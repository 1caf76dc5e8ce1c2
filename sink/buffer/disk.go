package buffer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/eventrecorder/eventrecorder/queue"
)

// Segment sizes of disk buffers: an eighth of max_bytes, so that acking
// frees space in steps of at most an eighth, within queue's bounds. The
// largest record (event) a disk buffer takes is a segment's, up to
// queue.MaxRecordLimit: 64 KiB at the smallest max_bytes.
const (
	minSegmentBytes = queue.MinSegmentBytes
	maxSegmentBytes = queue.DefaultSegmentBytes
)

func segmentBytes(maxBytes int64) int64 {
	return min(maxSegmentBytes, max(minSegmentBytes, maxBytes/8))
}

// diskStore is queue.Disk as a store.
type diskStore[T any] struct {
	d    *queue.Disk
	recs []queue.Record
}

func openDisk[T any](dir string, cfg Config, log *slog.Logger) (store[T], error) {
	policy, err := queue.ParseFsyncPolicy(cfg.Fsync)
	if err != nil {
		return nil, err
	}
	d, err := queue.OpenDisk(dir, queue.DiskOptions{
		MaxBytes:     int64(cfg.MaxBytes),
		SegmentBytes: segmentBytes(int64(cfg.MaxBytes)),
		Fsync:        policy,
		Logger:       log,
	})
	if err != nil {
		if errors.Is(err, queue.ErrLocked) {
			return nil, errors.New("the directory is locked by another process (another recorder uses it as its buffer)")
		}
		return nil, err
	}
	return &diskStore[T]{d: d}, nil
}

func diskErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, queue.ErrFull):
		return errFull
	case errors.Is(err, queue.ErrTooLarge):
		return fmt.Errorf("%w: %w", errTooLarge, err)
	case errors.Is(err, queue.ErrClosed):
		return errClosed
	}
	return err
}

func (s *diskStore[T]) push(rec []byte, _ T) error { return diskErr(s.d.Push(rec)) }

// pushBatch writes the records with one write (and, under fsync: batch,
// one fsync) for all of them.
func (s *diskStore[T]) pushBatch(recs [][]byte, _ []T) (int, error) {
	n, err := s.d.PushBatch(recs)
	return n, diskErr(err)
}

func (s *diskStore[T]) pushWait(ctx context.Context, rec []byte, _ T) error {
	return diskErr(s.d.PushWait(ctx, rec))
}

// convert appends s.recs to dst. The decorator copies what it keeps of
// each record's Data before its next pop.
func (s *diskStore[T]) convert(dst []stored[T]) []stored[T] {
	for _, r := range s.recs {
		dst = append(dst, stored[T]{data: r.Data, pos: r.Pos})
	}
	clear(s.recs)
	return dst
}

func (s *diskStore[T]) pop(ctx context.Context, dst []stored[T], max, maxBytes int) ([]stored[T], error) {
	var err error
	s.recs, err = s.d.PopBatch(ctx, s.recs[:0], max, maxBytes)
	return s.convert(dst), diskErr(err)
}

func (s *diskStore[T]) tryPop(dst []stored[T], max, maxBytes int) []stored[T] {
	s.recs = s.d.TryPopBatch(s.recs[:0], max, maxBytes)
	return s.convert(dst)
}

func (s *diskStore[T]) ack(upto any) error { return s.d.Ack(upto.(queue.Pos)) }

func (s *diskStore[T]) held() (int64, int64) {
	st := s.d.Stats()
	return st.Records, st.Bytes
}

func (s *diskStore[T]) stats() (uint64, uint64) {
	st := s.d.Stats()
	return st.Replayed, st.Corrupt
}

func (s *diskStore[T]) close() error { return s.d.Close() }
