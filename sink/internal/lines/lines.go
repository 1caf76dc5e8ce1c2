// Package lines holds what the line-oriented sinks (file, stdout) share:
// one newline-terminated buffer per batch, written with one call, the
// count of whole lines a failed or short write still carried, and the
// Writer that makes the write on a goroutine of the sink's own, so that a
// write that never returns stalls neither the recorder nor its Close.
package lines

import "github.com/eventrecorder/eventrecorder/sink"

// maxKept bounds the buffer kept between batches, so that one huge batch
// does not pin its size in memory for the life of the output.
const maxKept = 1 << 20

// Join returns the batch's values, each followed by a newline, built in
// the memory *keep holds; after a lone newline when endFragment is set,
// which ends a line a failed write left unfinished so that the fragment
// does not swallow the batch's first line. prefix is the length of that
// lead-in. *keep is left ready for the next batch, so the bytes are valid
// until then.
func Join[T any](keep *[]byte, batch []sink.Message[T], endFragment bool) (out []byte, prefix int) {
	// Sized up front: a batch that outgrows the kept buffer (events over
	// maxKept/256 bytes fill a full batch beyond it) is then one
	// allocation of its size, not a series of doublings, each copying
	// what the last one held.
	need := 0
	if endFragment {
		need++
	}
	for _, m := range batch {
		need += len(m.Value) + 1
	}
	buf := (*keep)[:0]
	if cap(buf) < need {
		buf = make([]byte, 0, need)
	}
	if endFragment {
		buf = append(buf, '\n')
	}
	prefix = len(buf)
	for _, m := range batch {
		buf = append(buf, m.Value...)
		buf = append(buf, '\n')
	}
	if cap(buf) <= maxKept {
		*keep = buf[:0]
	} else {
		*keep = nil
	}
	return buf, prefix
}

// Whole returns how many of batch's lines lie entirely within the first n
// bytes written of a buffer Join built with the given prefix.
func Whole[T any](batch []sink.Message[T], prefix, n int) int {
	off, whole := prefix, 0
	for _, m := range batch {
		off += len(m.Value) + 1
		if off > n {
			break
		}
		whole++
	}
	return whole
}

// Report reports the first delivered messages of batch delivered and the
// rest failed with err: a write lands a prefix of the batch's lines.
func Report[T any](rep sink.Reporter[T], batch []sink.Message[T], delivered int, err error) {
	if delivered > 0 {
		rep.Report(batch[:delivered], sink.Delivered, nil)
	}
	if delivered < len(batch) {
		rep.Report(batch[delivered:], sink.Failed, err)
	}
}
