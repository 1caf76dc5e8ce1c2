// Package progress draws the one-line progress bar that replay shows on a
// terminal: how much of its input it has read, and how fast.
//
// A rate is shown only once it means something. The first reads of a
// replay come from the page cache in one burst, so bytes over the first
// microseconds would claim hundreds of GB/s; the bar draws nothing in its
// first 100 ms (a replay that fast needs no bar) and shows a rate only
// after a second, averaged over the whole run.
package progress

import (
	"fmt"
	"io"
	"strings"
	"time"
)

const (
	// redraw is the least time between two frames, and before the first.
	redraw = 100 * time.Millisecond
	// rateAfter is how long the bar runs before it shows a rate.
	rateAfter = time.Second
	// width is the bar's, in characters; the whole line stays within 80
	// columns so that a clear erases it.
	width = 20
	// clearLine returns to the start of the line and erases it.
	clearLine = "\r\x1b[K"
)

// Bar is a progress bar on a terminal. Its methods are not safe for
// concurrent use; on a nil Bar (no terminal) they do nothing.
type Bar struct {
	w            io.Writer
	label        string
	total        int64
	now          func() time.Time
	start, drawn time.Time
	n            int64
	visible      bool
	done         bool
}

// New starts a bar labelled label over total bytes (unknown if not
// positive) that draws on w.
func New(w io.Writer, label string, total int64) *Bar {
	return newBar(w, label, total, time.Now)
}

func newBar(w io.Writer, label string, total int64, now func() time.Time) *Bar {
	return &Bar{w: w, label: label, total: total, now: now, start: now()}
}

// Set records that n bytes have been read and redraws the bar, at most
// every 100 ms.
func (b *Bar) Set(n int64) {
	if b == nil {
		return
	}
	b.n = n
	if b.done {
		return
	}
	t := b.now()
	if t.Sub(b.start) < redraw || (b.visible && t.Sub(b.drawn) < redraw) {
		return
	}
	_, _ = io.WriteString(b.w, clearLine+b.line(t))
	b.visible, b.drawn = true, t
}

// Clear erases the bar so that other output can be written; the next Set
// draws it again.
func (b *Bar) Clear() {
	if b != nil && b.visible {
		_, _ = io.WriteString(b.w, clearLine)
		b.visible = false
	}
}

// Finish erases the bar for good.
func (b *Bar) Finish() {
	if b == nil {
		return
	}
	b.Clear()
	b.done = true
}

func (b *Bar) line(t time.Time) string {
	var s strings.Builder
	s.WriteString(b.label)
	if b.total > 0 {
		frac := min(float64(b.n)/float64(b.total), 1)
		fill := int(frac * width)
		fmt.Fprintf(&s, " %3d%% [%s%s] %s / %s", int(frac*100), strings.Repeat("=", fill), strings.Repeat(" ", width-fill), Bytes(b.n), Bytes(b.total))
	} else {
		fmt.Fprintf(&s, " %s", Bytes(b.n))
	}
	if elapsed := t.Sub(b.start); elapsed >= rateAfter && b.n > 0 {
		rate := float64(b.n) / elapsed.Seconds()
		fmt.Fprintf(&s, ", %s/s", Bytes(int64(rate)))
		if b.total > b.n {
			left := time.Duration(float64(b.total-b.n) / rate * float64(time.Second))
			fmt.Fprintf(&s, ", %s left", left.Round(time.Second))
		}
	}
	return s.String()
}

// Bytes formats n bytes with SI prefixes and three significant digits:
// 512 B, 1.23 kB, 45.6 MB, 789 GB.
func Bytes(n int64) string {
	if n < 1000 {
		return fmt.Sprintf("%d B", n)
	}
	v := float64(n)
	i := -1
	for v >= 999.5 && i < 5 {
		v /= 1000
		i++
	}
	unit := []string{"kB", "MB", "GB", "TB", "PB", "EB"}[i]
	switch {
	case v < 9.995:
		return fmt.Sprintf("%.2f %s", v, unit)
	case v < 99.95:
		return fmt.Sprintf("%.1f %s", v, unit)
	default:
		return fmt.Sprintf("%.0f %s", v, unit)
	}
}
